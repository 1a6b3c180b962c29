"""Login sessions kept on the server, so that a token can be taken back before it expires.

Every successful login opens one row; its id travels in the token (`jti`). A request is
let in only while its session is live: not revoked, not expired, and its user still active
(checked by the caller against the users' table). Revoking is a row update, seen by every
process at its next read of the session (see `api/session_principals.py` for the cache).

`user_id` has no foreign key: core sits below the package that owns users, and a deleted
user's sessions simply stop matching a user.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, Index, String, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.auth import Principal
from core.auth_events import AuthOutcome, Client, record_event
from core.db import Entity, sql_in
from core.jobs import Cron, JobContext, JobSpec
from core.listing import Page, PageRequest, paginate


class Transport(StrEnum):
    """How the session's token travels: an Authorization header, or a browser cookie."""

    BEARER = "bearer"
    COOKIE = "cookie"


class RevokeReason(StrEnum):
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"
    DEACTIVATED = "deactivated"
    REVOKED_BY_ADMIN = "revoked_by_admin"


class AuthSession(Entity):
    __tablename__ = "auth_sessions"
    __table_args__ = (
        CheckConstraint(f"transport IN {sql_in(Transport)}", name="transport_valid"),
        CheckConstraint(f"revoked_reason IN {sql_in(RevokeReason)}", name="revoked_reason_valid"),
        CheckConstraint("(revoked_at IS NULL) = (revoked_reason IS NULL)", name="revoked_with_reason"),
        Index("ix_auth_sessions_user_id_expires_at", "user_id", "expires_at"),
        Index("ix_auth_sessions_expires_at", "expires_at"),
    )

    user_id: Mapped[UUID]
    username: Mapped[str] = mapped_column(String(150))  # at login, for the audit and the admin's list
    transport: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    # updated at most once per TOUCH_INTERVAL, when a process reads the session again
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    def is_live(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


TOUCH_INTERVAL = dt.timedelta(minutes=1)


async def open_session(
    session: AsyncSession,
    principal: Principal,
    transport: Transport,
    client: Client,
    now: dt.datetime,
    lifetime: dt.timedelta,
) -> AuthSession:
    row = AuthSession(
        user_id=principal.user_id,
        username=principal.username,
        transport=transport.value,
        expires_at=now + lifetime,
        last_seen_at=now,
        address=client.address[:64] if client.address else None,
        user_agent=client.user_agent[:300] if client.user_agent else None,
    )
    session.add(row)
    await session.flush()
    return row


async def find_session(session: AsyncSession, session_id: UUID) -> AuthSession | None:
    return await session.get(AuthSession, session_id)


async def touch(session: AsyncSession, session_id: UUID, now: dt.datetime) -> None:
    """Note that the session is in use (for the admin's list), at most once per interval."""
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.last_seen_at < now - TOUCH_INTERVAL)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )


async def revoke_sessions(
    session: AsyncSession,
    user_id: UUID,
    reason: RevokeReason,
    now: dt.datetime,
    *,
    only: UUID | None = None,
    keep: UUID | None = None,
    actor_id: UUID | None = None,
    client: Client | None = None,
) -> list[UUID]:
    """Revoke the user's live sessions (or just `only`, if it is the user's), except `keep`.

    Each revocation is written to the login audit. Answers the ids revoked; a session already
    revoked or expired is left as it is, so revoking twice records nothing the second time.
    """
    stmt = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None), AuthSession.expires_at > now
    )
    if only is not None:
        stmt = stmt.where(AuthSession.id == only)
    if keep is not None:
        stmt = stmt.where(AuthSession.id != keep)
    revoked = (
        await session.execute(
            stmt.values(revoked_at=now, revoked_reason=reason.value)
            .returning(AuthSession.id, AuthSession.username)
            .execution_options(synchronize_session="fetch")
        )
    ).all()
    outcome = AuthOutcome.LOGGED_OUT if reason is RevokeReason.LOGOUT else AuthOutcome.REVOKED
    for session_id, username in revoked:
        await record_event(
            session,
            outcome,
            now,
            client=client,
            user_id=user_id,
            username=username,
            session_id=session_id,
            actor_id=actor_id,
            reason=reason.value,
        )
    return [session_id for session_id, _ in revoked]


SORTABLE = {"created_at": AuthSession.created_at, "last_seen_at": AuthSession.last_seen_at}


async def list_user_sessions(
    session: AsyncSession, user_id: UUID, now: dt.datetime, page: PageRequest, *, live_only: bool
) -> Page[AuthSession]:
    stmt = select(AuthSession).where(AuthSession.user_id == user_id)
    if live_only:
        stmt = stmt.where(AuthSession.revoked_at.is_(None), AuthSession.expires_at > now)
    return await paginate(
        session, stmt, page, sortable=SORTABLE, default_sort="-created_at", tie_breaker=AuthSession.id
    )


# Expired sessions stay listed (include_ended) this long; the login audit keeps their story for good.
RETENTION = dt.timedelta(days=30)


async def prune_sessions(session: AsyncSession, context: JobContext) -> int:
    """Delete sessions that expired more than the retention ago; answers how many."""
    cutoff = context.clock.now() - RETENTION
    result = await session.execute(delete(AuthSession).where(AuthSession.expires_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def auth_session_jobs() -> list[JobSpec]:
    return [
        JobSpec(
            "prune_auth_sessions",
            prune_sessions,
            Cron(hour=3, minute=50),
            dt.timedelta(hours=20),  # late the same day is fine; the next run catches up anyway
            f"delete login sessions that expired more than {RETENTION.days} days ago",
        )
    ]
