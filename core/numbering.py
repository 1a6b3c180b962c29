"""Human-readable numbers (C-000001, E-000001, SR-000123 …) from per-series counters.

A number is taken by an UPDATE … RETURNING on the series row inside the caller's
transaction: PostgreSQL holds the row lock until commit and SQLite holds its write lock,
so two transactions never get the same number, and a rolled-back number is handed out
again (no gaps). Unique constraints on the numbered columns make reuse impossible anyway.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import metadata, upsert_insert

number_series = Table(
    "number_series",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("last_value", BigInteger, nullable=False),
)

PREFIXES: dict[str, str] = {
    "customer": "C",
    "engineer": "E",
    "service_request": "SR",
    "work_order": "WO",
    "contract": "SC",
    "pm_plan": "PM",
    "rma": "RMA",
    "repair_order": "DR",
    "invoice": "INV",
    "credit_note": "CN",
    "payment": "PAY",
}

WIDTH = 6


def format_number(prefix: str, value: int) -> str:
    return f"{prefix}-{value:0{WIDTH}d}"


async def next_number(session: AsyncSession, series: str) -> str:
    first = await next_numbers(session, series, 1)
    return first[0]


async def next_numbers(session: AsyncSession, series: str, count: int) -> list[str]:
    """`count` consecutive numbers of a series in one round trip (bulk loads)."""
    prefix = PREFIXES[series]
    last = await _advance(session, series, count)
    if last is None:
        await _create_series(session, series)
        last = await _advance(session, series, count)
    assert last is not None
    return [format_number(prefix, value) for value in range(last - count + 1, last + 1)]


async def _advance(session: AsyncSession, series: str, count: int) -> int | None:
    result = await session.execute(
        update(number_series)
        .where(number_series.c.name == series)
        .values(last_value=number_series.c.last_value + count)
        .returning(number_series.c.last_value)
    )
    return result.scalar_one_or_none()


async def _create_series(session: AsyncSession, series: str) -> None:
    # Two first-ever callers may race to create the row; the loser's insert does nothing.
    insert = upsert_insert(session)
    await session.execute(
        insert(number_series).values(name=series, last_value=0).on_conflict_do_nothing(index_elements=["name"])
    )


async def peek(session: AsyncSession, series: str) -> int:
    value = await session.scalar(select(number_series.c.last_value).where(number_series.c.name == series))
    return int(value or 0)
