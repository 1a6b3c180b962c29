"""Runs whose process died are failed ("worker lost"): by heartbeat age, at start-up and by a worker job."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.worker import job_registry
from core.clock import FixedClock
from core.db import session_scope
from core.settings import AuthSettings, Settings
from service_mgmt.dispatch.runs import Dispatcher
from service_mgmt.dispatch.solver_pool import SolverPool
from service_mgmt.dispatch.stale import STALE_RUNS_JOB, WORKER_LOST, fail_stale_runs
from service_mgmt.models import DispatchRun

NOW = dt.datetime(2026, 3, 28, 12, 0, tzinfo=dt.UTC)


def _run(status: str, *, created: dt.datetime, heartbeat: dt.datetime | None = None, **extra: Any) -> DispatchRun:
    return DispatchRun(
        kind="full",
        status=status,
        parameters={"time_limit_seconds": 10},
        progress=[],
        requested_by="planner",
        cancel_requested=False,
        created_at=created,
        heartbeat_at=heartbeat,
        **extra,
    )


async def _world(session: AsyncSession) -> dict[str, DispatchRun]:
    runs = {
        "silent": _run(
            "running",
            created=NOW - dt.timedelta(minutes=10),
            heartbeat=NOW - dt.timedelta(minutes=2),
            started_at=NOW - dt.timedelta(minutes=9),
        ),
        "beating": _run("running", created=NOW - dt.timedelta(minutes=10), heartbeat=NOW - dt.timedelta(seconds=5)),
        "never_launched": _run("queued", created=NOW - dt.timedelta(minutes=5)),
        "just_queued": _run("queued", created=NOW - dt.timedelta(seconds=3)),
        "done": _run("succeeded", created=NOW - dt.timedelta(hours=1), finished_at=NOW - dt.timedelta(minutes=50)),
    }
    session.add_all(runs.values())
    await session.flush()
    return runs


async def test_only_live_runs_without_a_recent_heartbeat_are_failed(session: AsyncSession) -> None:
    runs = await _world(session)

    lost = await fail_stale_runs(session, NOW)

    assert set(lost) == {runs["silent"].id, runs["never_launched"].id}
    rows = {r.id: r for r in await session.scalars(select(DispatchRun).execution_options(populate_existing=True))}
    status = {name: rows[run.id].status for name, run in runs.items()}
    assert status == {
        "silent": "failed",
        "beating": "running",
        "never_launched": "failed",
        "just_queued": "queued",
        "done": "succeeded",
    }
    assert rows[runs["silent"].id].error == WORKER_LOST
    assert rows[runs["silent"].id].finished_at == NOW
    assert await fail_stale_runs(session, NOW) == []  # nothing twice


async def test_start_up_fails_stale_runs(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        runs = await _world(session)
    dispatcher = Dispatcher(sessions, SolverPool(1), clock=FixedClock(NOW))

    lost = await dispatcher.fail_stale()

    assert set(lost) == {runs["silent"].id, runs["never_launched"].id}
    await dispatcher.close()


async def test_a_worker_job_checks_every_minute() -> None:
    spec = job_registry(Settings(auth=AuthSettings(secret_key="k" * 40))).get(STALE_RUNS_JOB)
    assert str(spec.trigger) == "every 60 s"
