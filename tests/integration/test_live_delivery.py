"""When a live message leaves on SQLite: at the outermost commit only, never for what rolled back.

On PostgreSQL the server itself holds a NOTIFY until commit and drops it with a rolled-back
savepoint or transaction; on SQLite `api.live.delivery`'s session hooks must do the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from uuid import uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.live import delivery
from api.live.messages import decode
from core import domain_events
from service_mgmt.events import PlanChanged
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="PostgreSQL delivers at commit itself (pg_notify)")


@pytest.fixture
def delivered(sessions: async_sessionmaker[AsyncSession]) -> Iterator[list[str]]:
    delivery.register()
    received: list[str] = []
    engine = sessions.kw["bind"].sync_engine
    delivery.register_sink(engine, received.append)
    yield received
    delivery.unregister_sink(engine)


async def announce(session: AsyncSession, text_: str) -> None:
    await domain_events.publish(session, PlanChanged("task", (uuid4(),), "Pia", text_, dt.datetime.now(dt.UTC)))


def texts(received: list[str]) -> list[str]:
    return [decoded[1]["text"] for payload in received if (decoded := decode(payload)) is not None]


async def test_messages_leave_at_the_outermost_commit_without_those_of_rolled_back_savepoints(
    sessions: async_sessionmaker[AsyncSession], delivered: list[str]
) -> None:
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
        await announce(session, "before")
        with pytest.raises(ValueError):
            async with session.begin_nested():
                await announce(session, "in a rolled-back savepoint")
                raise ValueError
        async with session.begin_nested():
            await announce(session, "in a released savepoint")
        assert delivered == []  # a released savepoint is no commit
        await session.commit()

    assert texts(delivered) == ["before", "in a released savepoint"]


async def test_a_rolled_back_or_abandoned_transaction_sends_nothing(
    sessions: async_sessionmaker[AsyncSession], delivered: list[str]
) -> None:
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
        await announce(session, "rolled back")
        await session.rollback()
        await session.execute(text("SELECT 1"))
        await announce(session, "abandoned")  # closed without a commit
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
        await announce(session, "committed")
        await session.commit()

    assert texts(delivered) == ["committed"]
