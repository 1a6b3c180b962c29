"""Counting what still refers to a row before it is deleted (a 409 lists the dependents)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession


async def add_counts(
    session: AsyncSession, dependents: dict[str, int], checks: Mapping[str, ColumnElement[bool]]
) -> None:
    """Add to `dependents` the number of rows matching each named condition (names with none are left out)."""
    for name, condition in checks.items():
        count = await session.scalar(select(func.count()).where(condition))  # FROM follows the condition
        if count:
            dependents[name] = dependents.get(name, 0) + int(count)
