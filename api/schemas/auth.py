"""Response shapes for logging in, sessions and the login audit."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import msgspec

from core.auth_events import AuthEvent
from core.auth_sessions import AuthSession


class TokenOut(msgspec.Struct):
    """A bearer login's answer (unchanged since the first release)."""

    access_token: str
    token_type: str
    expires_in: int
    role: str


class BrowserSessionOut(msgspec.Struct):
    """A cookie login's answer: the token stays in the HttpOnly cookie, the page gets the CSRF token."""

    token_type: str
    expires_in: int
    role: str
    csrf_token: str


class MeOut(msgspec.Struct):
    user_id: UUID
    username: str
    role: str
    customer_id: UUID | None
    engineer_id: UUID | None


class SessionOut(msgspec.Struct, kw_only=True):
    id: UUID
    user_id: UUID
    username: str
    transport: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_reason: str | None
    address: str | None
    user_agent: str | None


def session_out(row: AuthSession) -> SessionOut:
    return SessionOut(
        id=row.id,
        user_id=row.user_id,
        username=row.username,
        transport=row.transport,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revoked_reason=row.revoked_reason,
        address=row.address,
        user_agent=row.user_agent,
    )


class RevokedOut(msgspec.Struct):
    revoked: list[UUID]


class AuthEventOut(msgspec.Struct, kw_only=True):
    id: UUID
    at: dt.datetime
    outcome: str
    user_id: UUID | None
    username: str | None
    session_id: UUID | None
    actor_id: UUID | None
    reason: str | None
    address: str | None
    user_agent: str | None


def auth_event_out(row: AuthEvent) -> AuthEventOut:
    return AuthEventOut(
        id=row.id,
        at=row.at,
        outcome=row.outcome,
        user_id=row.user_id,
        username=row.username,
        session_id=row.session_id,
        actor_id=row.actor_id,
        reason=row.reason,
        address=row.address,
        user_agent=row.user_agent,
    )
