"""``service-mgmt dispatch run``: an optimization run from the command line, through the same
``runs.start_run`` / ``Dispatcher`` path as the API (stored run, solver pool, progress, KPIs), and
optionally published with ``publish.publish_run``. The command is the edge: it commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from core.auth import SYSTEM
from core.db import create_engine, create_session_factory, session_scope
from core.settings import Settings
from service_mgmt.choices import DispatchRunKind
from service_mgmt.dispatch.publish import PublishIn, publish_run
from service_mgmt.dispatch.runs import Dispatcher, RunCreate, start_run
from service_mgmt.dispatch.solver_pool import SolverPool
from service_mgmt.models import DispatchRun


@dataclass(frozen=True, slots=True)
class CommandResult:
    run_id: UUID
    status: str
    kpis: dict[str, Any]
    error: str | None
    published: int | None  # tasks written by --publish (None: not asked or not possible)


async def run_dispatch(
    settings: Settings,
    *,
    first_day: dt.date | None,
    days: int,
    policy: str,
    time_limit: float,
    publish: bool,
    say: Callable[[str], None] = lambda _text: None,
) -> CommandResult:
    """Validation errors (unknown policy, days out of range) raise ``core.errors.Invalid`` before anything
    is stored; a failed or cancelled run is answered, not raised."""
    data = RunCreate(
        kind=DispatchRunKind.FULL, first_day=first_day, days=days, policy=policy, time_limit_seconds=time_limit
    )
    engine = create_engine(settings.database)
    sessions = create_session_factory(engine)
    dispatcher = Dispatcher(sessions, SolverPool(max(1, settings.dispatch_workers), settings.dispatch_search_processes))
    try:
        async with session_scope(sessions) as session:
            started = await start_run(session, SYSTEM, data)
        say(
            f"run {started.run.id}: {len(started.built.problem.tasks)} tasks, "
            f"{len(started.built.problem.engineers)} engineers, {days} day(s), policy {policy}, {time_limit:g} s"
        )
        dispatcher.launch(started)
        await dispatcher.wait(started.run.id)
        async with sessions() as session:
            run = await session.get(DispatchRun, started.run.id)
            assert run is not None
            status, kpis, error = run.status, dict(run.kpis or {}), run.error
        published: int | None = None
        if publish and status == "succeeded":
            async with session_scope(sessions) as session:
                result = await publish_run(session, SYSTEM, started.run.id, PublishIn())
                published = len(result.published)
        return CommandResult(started.run.id, status, kpis, error, published)
    finally:
        await dispatcher.close()
        await engine.dispose()
