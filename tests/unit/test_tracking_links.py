"""Signed tracking links: round trip, expiry, tampering, another key."""

from __future__ import annotations

import datetime as dt
from uuid import uuid4

from returns.services.tracking_links import LINK_LIFETIME, make_token, read_token

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
KEY = "k" * 48


def test_a_token_names_its_rma_until_it_expires() -> None:
    rma_id = uuid4()
    token = make_token(rma_id, NOW + LINK_LIFETIME, KEY)
    assert read_token(token, KEY, NOW) == rma_id
    assert read_token(token, KEY, NOW + LINK_LIFETIME - dt.timedelta(seconds=1)) == rma_id
    assert read_token(token, KEY, NOW + LINK_LIFETIME) is None


def test_a_tampered_or_foreign_token_reads_as_unknown() -> None:
    token = make_token(uuid4(), NOW + LINK_LIFETIME, KEY)
    payload, signature = token.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    assert read_token(f"{flipped}.{signature}", KEY, NOW) is None
    assert read_token(token, "another-key" * 4, NOW) is None
    for junk in ["", ".", "abc", "a.b.c", token[:-3], "%%%.%%%", token + "x"]:
        assert read_token(junk, KEY, NOW) is None
