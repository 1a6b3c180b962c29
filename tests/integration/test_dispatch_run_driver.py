"""The run driver asks the database nothing between heartbeats; the heartbeat write brings the cancel
flag back (a cancel made in another process), and a cancel in this process stops the run at once.

The tests wait for what the driver did (polls of the solver's messages, a stored heartbeat), never for
some seconds to pass: a busy machine polls less often, not differently."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import session_scope
from scheduling import SolveParams
from service_mgmt.dispatch import runs
from service_mgmt.dispatch.runs import Dispatcher, StartedRun
from service_mgmt.dispatch.solver_pool import SolveOutcome
from service_mgmt.models import DispatchRun

Sessions = async_sessionmaker[AsyncSession]
HANG_GUARD = 60  # seconds: only a driver that never gets there fails on it


class _Handle:
    """A solve that never finishes by itself: only a cancel ends it (as a pool future cancelled)."""

    def __init__(self) -> None:
        self.future: concurrent.futures.Future[SolveOutcome] = concurrent.futures.Future()
        self.cancelled = False
        self.drains = 0  # the driver's polls of the solver's messages

    def cancel(self) -> None:
        self.cancelled = True
        self.future.cancel()

    def drain(self) -> list[Any]:
        self.drains += 1
        return []


class _Pool:
    def __init__(self) -> None:
        self.handles: list[_Handle] = []

    def submit(self, _problem: object, _params: object) -> _Handle:
        self.handles.append(_Handle())
        return self.handles[-1]

    def shutdown(self) -> None:
        pass


async def _launched(sessions: Sessions) -> tuple[Dispatcher, _Pool, UUID]:
    async with session_scope(sessions) as session:
        run = DispatchRun(kind="full", status="queued", parameters={}, progress=[], requested_by="planner")
        session.add(run)
        await session.flush()
    pool = _Pool()
    dispatcher = Dispatcher(sessions, pool, poll_seconds=0.02)  # type: ignore[arg-type]
    built: Any = SimpleNamespace(problem=None)
    dispatcher.launch(StartedRun(run, built, SolveParams()))
    return dispatcher, pool, run.id


def _statements(sessions: Sessions) -> tuple[list[str], Any]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(" ".join(str(args[2]).split()))

    engine = sessions.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", count)
    return seen, lambda: event.remove(engine, "before_cursor_execute", count)


async def _until(condition: Callable[[], bool]) -> None:
    async def poll() -> None:
        # a poll, not an event: the fake handle's counter moves in the driver's worker thread
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout=HANG_GUARD)


async def _stored(sessions: Sessions, run_id: UUID) -> DispatchRun:
    async with sessions() as session:
        run = await session.scalar(select(DispatchRun).where(DispatchRun.id == run_id))
        assert run is not None
        return run


async def test_between_heartbeats_the_driver_sends_no_query_and_a_local_cancel_stops_at_once(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatcher, pool, run_id = await _launched(sessions)
    await _until(lambda: len(pool.handles) == 1)
    (handle,) = pool.handles
    await _until(lambda: handle.drains >= 2)  # the first poll's tick, which writes the first heartbeat, is over
    # the next heartbeat an hour away, however slowly this machine polls
    monkeypatch.setattr(runs, "HEARTBEAT_SECONDS", 3600.0)
    seen, stop = _statements(sessions)
    try:
        polled = handle.drains
        await _until(lambda: handle.drains >= polled + 25)  # 25 polls of the solver's messages
    finally:
        stop()
    assert seen == []

    assert dispatcher.cancel_local(run_id) is True
    assert handle.cancelled  # at once: within the call, before anything else runs
    await asyncio.wait_for(dispatcher.wait(run_id), timeout=HANG_GUARD)

    run = await _stored(sessions, run_id)
    assert run.status == "cancelled" and run.heartbeat_at is not None
    assert run.cancel_requested is False  # stopped by the call, not by the stored flag
    assert dispatcher.cancel_local(run_id) is False  # no longer ours


async def test_a_cancel_stored_by_another_process_comes_back_with_the_heartbeat(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runs, "HEARTBEAT_SECONDS", 0.2)
    dispatcher, pool, run_id = await _launched(sessions)
    await asyncio.sleep(0.1)
    seen, stop = _statements(sessions)
    try:
        async with session_scope(sessions) as session:  # another process's cancel_run
            await session.execute(update(DispatchRun).where(DispatchRun.id == run_id).values(cancel_requested=True))
        await asyncio.wait_for(dispatcher.wait(run_id), timeout=HANG_GUARD)
    finally:
        stop()

    assert (await _stored(sessions, run_id)).status == "cancelled"
    assert pool.handles[0].cancelled
    reads = [s for s in seen if "cancel_requested" in s and "heartbeat_at" not in s and s.startswith("SELECT")]
    assert reads == []  # the flag came back on the heartbeat UPDATE, not from a query of its own
    assert any(s.startswith("UPDATE dispatch_runs SET heartbeat_at") and "RETURNING" in s for s in seen)
