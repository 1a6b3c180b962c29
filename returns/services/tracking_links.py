"""Signed tracking links: `/track/<token>` opens an RMA's public tracking page without a login.

A token is the RMA id and an expiry, signed with an HMAC whose key is derived from the app's
secret key (a separate purpose, so a tracking token can never pass for anything else). The
link carries no customer data; whoever holds it sees what the customer may see, until it
expires. A tampered, truncated or expired token reads as "no such RMA", like an unknown one.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import struct
from uuid import UUID

from returns.models import Rma

LINK_LIFETIME = dt.timedelta(days=60)
_PURPOSE = b"rma-tracking-link/v1"
_PAYLOAD = struct.Struct(">16sQ")  # RMA id bytes, expiry in Unix seconds


def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), _PURPOSE, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(rma_id: UUID, expires_at: dt.datetime, secret_key: str) -> str:
    payload = _PAYLOAD.pack(rma_id.bytes, int(expires_at.timestamp()))
    signature = hmac.new(_key(secret_key), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(signature)}"


def read_token(token: str, secret_key: str, now: dt.datetime) -> UUID | None:
    """The RMA id a valid, unexpired token names; None for anything else (never an exception)."""
    try:
        payload_text, signature_text = token.split(".")
        payload, signature = _unb64(payload_text), _unb64(signature_text)
    except (ValueError, binascii.Error):
        return None
    expected = hmac.new(_key(secret_key), payload, hashlib.sha256).digest()
    if len(payload) != _PAYLOAD.size or not hmac.compare_digest(expected, signature):
        return None
    rma_bytes, expires = _PAYLOAD.unpack(payload)
    if expires <= int(now.timestamp()):
        return None
    return UUID(bytes=rma_bytes)


def signed_link(
    rma: Rma,
    *,
    secret_key: str,
    now: dt.datetime,
    lifetime: dt.timedelta = LINK_LIFETIME,
    base_url: str = "",
) -> str:
    """`<base_url>/track/<token>` for `rma`, valid for `lifetime` from `now` (for notification e-mails)."""
    return link_for(rma.id, secret_key=secret_key, now=now, lifetime=lifetime, base_url=base_url)


def link_for(
    rma_id: UUID,
    *,
    secret_key: str,
    now: dt.datetime,
    lifetime: dt.timedelta = LINK_LIFETIME,
    base_url: str = "",
) -> str:
    return f"{base_url.rstrip('/')}/track/{make_token(rma_id, now + lifetime, secret_key)}"
