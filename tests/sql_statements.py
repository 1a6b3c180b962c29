"""Counting the SQL statements a piece of code sends: a measure of its work that, unlike seconds,
does not change with how busy the machine is (a loop issuing one query per row shows at once)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@contextlib.contextmanager
def statements_sent(sessions: async_sessionmaker[AsyncSession]) -> Iterator[list[str]]:
    """The statements sent through ``sessions``' engine while the block runs, in order."""
    seen: list[str] = []
    engine = sessions.kw["bind"].sync_engine

    def count(_connection: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
