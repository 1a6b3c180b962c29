"""Login attempts, kept in the database so that every app process sees the same count."""

from __future__ import annotations

import datetime as dt

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, Column, Index, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import BIGSERIAL
from core.db import metadata

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", BIGSERIAL, primary_key=True, autoincrement=True),
    Column("username", String(150), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", DateTimeUTC(timezone=True), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Index("ix_login_attempts_username_at", "username", "at"),
    Index("ix_login_attempts_address_at", "address", "at"),
)


async def recent_failures(session: AsyncSession, username: str, address: str, since: dt.datetime) -> tuple[int, int]:
    """Failed attempts since the window opened: (for this username, from this address)."""
    failed = login_attempts.c.succeeded.is_(False)
    recent = login_attempts.c.at >= since
    by_user = await session.scalar(
        select(func.count()).select_from(login_attempts).where(recent, failed, login_attempts.c.username == username)
    )
    by_address = await session.scalar(
        select(func.count()).select_from(login_attempts).where(recent, failed, login_attempts.c.address == address)
    )
    return int(by_user or 0), int(by_address or 0)


async def note_attempt(session: AsyncSession, username: str, address: str, at: dt.datetime, succeeded: bool) -> None:
    await session.execute(
        login_attempts.insert().values(username=username[:150], address=address[:64], at=at, succeeded=succeeded)
    )
