"""CSRF protection for requests authenticated by the session cookie.

A browser sends the session cookie with any request to this site, including one a foreign
page makes it send, so an unsafe request (POST, PUT, PATCH, DELETE) on the cookie must also
carry a token that only this site's pages can know: in the `X-CSRF-Token` header, or in a
form's `_csrf` field. The token is an HMAC of the session id under the server's secret key,
so it is bound to the session, every process can check it without storing anything, and it
dies with the session. Requests with a bearer token need none: a foreign page cannot make a
browser add an Authorization header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.handlers.base import BaseRouteHandler

from api.security import SessionAuth
from core.auth import Principal
from core.auth_sessions import Transport
from core.errors import Forbidden

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORMS = frozenset({RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART})


def csrf_token(secret_key: str, session_id: UUID) -> str:
    digest = hmac.new(secret_key.encode(), b"csrf:" + session_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def _sent_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    if header := connection.headers.get(CSRF_HEADER):
        return header
    request: Request[Any, Any, Any] = (
        connection if isinstance(connection, Request) else Request(connection.scope, connection.receive)
    )
    if request.content_type[0] not in _FORMS:
        return None
    # The form is parsed once and kept in the connection's state, so the handler reads it again.
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None


async def csrf_guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """App-wide guard: refuse (403) an unsafe request on the session cookie without its token."""
    auth = connection.scope.get("auth")
    if not isinstance(auth, SessionAuth) or auth.transport is not Transport.COOKIE:
        return  # a bearer request, or a route that needs no login
    if connection.scope.get("method", "GET") in SAFE_METHODS:
        return
    principal: Principal = connection.user
    if principal.session_id is not None:
        await check_csrf(connection, connection.app.state.settings.auth.secret_key, principal.session_id)


async def check_csrf(connection: ASGIConnection[Any, Any, Any, Any], secret_key: str, session_id: UUID) -> None:
    sent = await _sent_token(connection)
    if not sent:
        raise Forbidden(
            "csrf_token_missing",
            f"requests authenticated by the session cookie must send the CSRF token in {CSRF_HEADER}",
            field=CSRF_HEADER,
        )
    if not hmac.compare_digest(sent.encode(), csrf_token(secret_key, session_id).encode()):
        raise Forbidden("csrf_token_invalid", "the CSRF token does not belong to this session", field=CSRF_HEADER)
