"""The login audit: every login attempt, logout and session revocation, one row each.

Rows are only ever added (triggers from migration 0012 refuse UPDATE and DELETE), in the
transaction of the attempt or revocation they describe. `user_id` has no foreign key: the
record must outlive the user, and core sits below the package that owns users.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from advanced_alchemy.base import UUIDv7Base
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, Index, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import sql_in
from core.listing import Page, PageRequest, paginate


class AuthOutcome(StrEnum):
    LOGGED_IN = "logged_in"
    WRONG_PASSWORD = "wrong_password"
    UNKNOWN_USER = "unknown_user"
    INACTIVE = "inactive"
    THROTTLED = "throttled"
    LOGGED_OUT = "logged_out"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class Client:
    """Where a request came from, as far as the server can tell."""

    address: str | None = None
    user_agent: str | None = None


class AuthEvent(UUIDv7Base):
    __tablename__ = "auth_events"
    __table_args__ = (
        CheckConstraint(f"outcome IN {sql_in(AuthOutcome)}", name="outcome_valid"),
        Index("ix_auth_events_at", "at"),
        Index("ix_auth_events_user_id_at", "user_id", "at"),
        Index("ix_auth_events_username_at", "username", "at"),
    )

    at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    outcome: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[UUID | None]
    # what was typed at login (trimmed), or the session's user for logouts and revocations
    username: Mapped[str | None] = mapped_column(String(150))
    session_id: Mapped[UUID | None]
    # who revoked the session, and why (logout, password_changed, deactivated, revoked_by_admin)
    actor_id: Mapped[UUID | None]
    reason: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


async def record_event(
    session: AsyncSession,
    outcome: AuthOutcome,
    at: dt.datetime,
    *,
    client: Client | None = None,
    user_id: UUID | None = None,
    username: str | None = None,
    session_id: UUID | None = None,
    actor_id: UUID | None = None,
    reason: str | None = None,
) -> None:
    client = client or Client()
    session.add(
        AuthEvent(
            at=at,
            outcome=outcome.value,
            user_id=user_id,
            username=username[:150] if username is not None else None,
            session_id=session_id,
            actor_id=actor_id,
            reason=reason,
            address=client.address[:64] if client.address else None,
            user_agent=client.user_agent[:300] if client.user_agent else None,
        )
    )
    await session.flush()


@dataclass(frozen=True, slots=True)
class EventFilter:
    user_id: UUID | None = None
    username: str | None = None
    outcome: AuthOutcome | None = None
    since: dt.datetime | None = None


SORTABLE = {"at": AuthEvent.at, "username": AuthEvent.username, "outcome": AuthEvent.outcome}


async def list_events(session: AsyncSession, where: EventFilter, page: PageRequest) -> Page[AuthEvent]:
    stmt = select(AuthEvent)
    if where.user_id is not None:
        stmt = stmt.where(AuthEvent.user_id == where.user_id)
    if where.username is not None:
        stmt = stmt.where(AuthEvent.username == where.username)
    if where.outcome is not None:
        stmt = stmt.where(AuthEvent.outcome == where.outcome.value)
    if where.since is not None:
        stmt = stmt.where(AuthEvent.at >= where.since)
    # ids are UUIDv7, so they break ties in time order
    return await paginate(session, stmt, page, sortable=SORTABLE, default_sort="-at", tie_breaker=AuthEvent.id.desc())
