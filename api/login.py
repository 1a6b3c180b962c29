"""Logging in: check the password, open a session, and write both to the login audit.

One use case across the users' package (the password check and its throttle) and the kernel
(sessions, audit), so it lives here, above both. The caller commits whatever the outcome:
failed attempts must be remembered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal
from core.auth_events import AuthOutcome, Client, record_event
from core.auth_sessions import RevokeReason, Transport, open_session, revoke_sessions
from core.errors import DomainError
from core.settings import AuthSettings
from masterdata.services.users import Credentials, log_in


@dataclass(frozen=True, slots=True)
class LoginAnswer:
    """The principal, bound to its new session, or the error to answer with."""

    principal: Principal | None
    error: DomainError | None = None


async def log_in_with_session(
    session: AsyncSession,
    credentials: Credentials,
    transport: Transport,
    client: Client,
    now: dt.datetime,
    settings: AuthSettings,
) -> LoginAnswer:
    outcome = await log_in(session, credentials, client.address or "unknown", now, settings)
    if outcome.principal is None:
        await record_event(
            session, outcome.result, now, client=client, user_id=outcome.user_id, username=credentials.username
        )
        return LoginAnswer(None, outcome.error)
    principal = outcome.principal
    lifetime = dt.timedelta(minutes=settings.token_ttl_minutes)
    row = await open_session(session, principal, transport, client, now, lifetime)
    await record_event(
        session,
        AuthOutcome.LOGGED_IN,
        now,
        client=client,
        user_id=principal.user_id,
        username=credentials.username,
        session_id=row.id,
    )
    return LoginAnswer(replace(principal, session_id=row.id))


async def log_out(state: Any, principal: Principal, client: Client) -> None:
    """End the session the principal came in on (its own transaction) and forget it in this process."""
    if principal.session_id is None:
        return
    principals = state.principals
    async with state.sessions() as session:
        await revoke_sessions(
            session,
            principal.user_id,
            RevokeReason.LOGOUT,
            principals.clock.now(),
            only=principal.session_id,
            actor_id=principal.user_id,
            client=client,
        )
        await session.commit()
    principals.forget(principal.session_id)
