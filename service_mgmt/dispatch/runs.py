"""Optimization runs: stored, solved in the process pool, watched, cancelled.

``start_run`` (a use case: flushes, never commits) builds the problem inside the request, inserts a
``queued`` row with everything needed to judge the result later (horizon, policy, limits, the task
versions it saw, for what-if the published plan's KPIs) and answers what to launch. The edge launches it
*after* commit with ``Dispatcher.launch``: the solve goes to the ``SolverPool``, and a driver task on the
event loop drains progress messages, writes them to the row (``running``, best objective over time),
and finally stores KPIs and the plan, or the error. Each driver write is a short transaction of its own.

The driver also writes a heartbeat (``heartbeat_at``) at least every ``stale.HEARTBEAT_SECONDS``; a run
whose process died stops beating and is marked ``failed`` ("worker lost") by ``stale.fail_stale_runs``,
at app start-up and by a periodic worker job. Every driver write reads the cancel flag back in the same
statement (``UPDATE … RETURNING`` for a bare heartbeat), so a cancel made in another process stops the
run within a heartbeat; a cancel made in this process calls ``Dispatcher.cancel_local`` and stops it at
once. Between writes the driver sends no query at all.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import Conflict, Invalid, NotFound
from core.listing import Page, PageRequest, paginate
from scheduling import PRESETS, Policy, SolveParams, policy_named
from service_mgmt.choices import DISPATCH_RUN_FINISHED, DispatchRunKind, DispatchRunStatus
from service_mgmt.dispatch.plan_json import compare, kpis_of, plan_json
from service_mgmt.dispatch.problem_builder import MAX_DAYS, BuiltProblem, HorizonSpec, build_problem, with_previous
from service_mgmt.dispatch.published import PublishedCache, published_plan
from service_mgmt.dispatch.solver_pool import Improved, SolveHandle, SolveOutcome, SolverPool, Started
from service_mgmt.dispatch.stale import HEARTBEAT_SECONDS, LIVE, fail_stale_runs
from service_mgmt.dispatch.what_if import WhatIfChanges, apply_changes, check_changes
from service_mgmt.errors import Code
from service_mgmt.models import DispatchRun
from service_mgmt.plan_announcements import announce_run, announce_run_finished

log = logging.getLogger("service_mgmt.dispatch")

Days = Annotated[int, Meta(ge=1, le=MAX_DAYS, description=f"local days in the horizon, at most {MAX_DAYS}")]
TimeLimit = Annotated[float, Meta(ge=0.1, le=600, description="seconds the search may take")]
PROGRESS_POINTS = 500  # at most this many (seconds, objective) points are kept on a run
# A solve cancelled before a worker took it (its future is cancelled), or the driver cancelled at shutdown.
CANCELLED = (concurrent.futures.CancelledError, asyncio.CancelledError)


class RunCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: DispatchRunKind = DispatchRunKind.FULL
    first_day: dt.date | None = None  # default: today (UTC)
    days: Days = 1
    policy: str = "balanced"
    time_limit_seconds: TimeLimit = 10.0
    territories: Annotated[list[str], Meta(max_length=50)] = msgspec.field(default_factory=list)
    engineer_ids: Annotated[list[UUID], Meta(max_length=500)] = msgspec.field(default_factory=list)
    changes: WhatIfChanges | None = None


@dataclass(frozen=True, slots=True)
class StartedRun:
    """A queued run and what ``Dispatcher.launch`` needs once it is committed."""

    run: DispatchRun
    built: BuiltProblem
    params: SolveParams
    baseline_kpis: dict[str, Any] | None = None


def policy_of(name: str, field: str = "policy") -> Policy:
    if name not in PRESETS:
        raise Invalid(
            Code.UNKNOWN_POLICY, f"unknown policy {name!r}; one of: {', '.join(sorted(PRESETS))}", field=field
        )
    return policy_named(name)


async def start_run(
    session: AsyncSession, actor: Principal, data: RunCreate, *, clock: Clock = SYSTEM_CLOCK
) -> StartedRun:
    now = clock.now()
    policy = policy_of(data.policy)
    if data.changes is not None:
        if data.kind is not DispatchRunKind.WHAT_IF:
            raise Invalid(Code.CHANGES_ONLY_FOR_WHAT_IF, "changes are for what-if runs only", field="changes")
        check_changes(data.changes)
    horizon = HorizonSpec(
        first_day=data.first_day or now.date(),
        days=data.days,
        territories=tuple(data.territories),
        engineer_ids=tuple(data.engineer_ids),
    )
    built = await build_problem(session, horizon, policy=policy, now=now)
    if data.kind is DispatchRunKind.REOPTIMIZE:
        built = with_previous(built)  # what was communicated moves only at the stability cost
    baseline: dict[str, Any] | None = None
    if data.kind is DispatchRunKind.WHAT_IF:
        baseline = kpis_of(built, published_plan(built))
        if data.changes is not None:
            built = apply_changes(built, data.changes)
    params = SolveParams(time_limit_seconds=data.time_limit_seconds)
    run = DispatchRun(
        kind=data.kind.value,
        status=DispatchRunStatus.QUEUED.value,
        parameters={
            "horizon": horizon.as_json(),
            "origin": built.frame.origin.isoformat(),
            "policy": data.policy,
            "time_limit_seconds": data.time_limit_seconds,
            "changes": msgspec.to_builtins(data.changes) if data.changes is not None else None,
            "task_versions": built.task_versions,
            "tasks": len(built.problem.tasks),
            "engineers": len(built.problem.engineers),
            "baseline_kpis": baseline,
        },
        progress=[],
        requested_by=actor.username,
        cancel_requested=False,
    )
    session.add(run)
    await session.flush()
    await audit.record(
        session, actor, "dispatch_run", run.id, "create", after={"kind": run.kind, "parameters": run.parameters}, at=now
    )
    await announce_run(session, run, at=now)
    return StartedRun(run, built, params, baseline)


async def find_run(session: AsyncSession, run_id: UUID, *, lock: bool = False) -> DispatchRun:
    run = await session.get(DispatchRun, run_id, with_for_update=lock or None)
    if run is None:
        raise NotFound("dispatch_run", run_id)
    return run


async def get_run(session: AsyncSession, _actor: Principal, run_id: UUID) -> DispatchRun:
    return await find_run(session, run_id)


async def list_runs(
    session: AsyncSession,
    _actor: Principal,
    page: PageRequest,
    *,
    status: DispatchRunStatus | None = None,
    kind: DispatchRunKind | None = None,
) -> Page[DispatchRun]:
    stmt = select(DispatchRun)
    if status is not None:
        stmt = stmt.where(DispatchRun.status == status.value)
    if kind is not None:
        stmt = stmt.where(DispatchRun.kind == kind.value)
    return await paginate(
        session,
        stmt,
        page,
        sortable={"created_at": DispatchRun.created_at, "status": DispatchRun.status},
        default_sort="-created_at",
        tie_breaker=DispatchRun.id,
    )


async def cancel_run(
    session: AsyncSession, actor: Principal, run_id: UUID, *, clock: Clock = SYSTEM_CLOCK
) -> DispatchRun:
    """Ask the run to stop: the stored flag, which its driver (in whichever process) reads back with
    its next heartbeat write; the edge also calls ``Dispatcher.cancel_local`` after commit, which stops
    a run of this process at once. Either way it keeps the best plan found so far, marked ``cancelled``."""
    run = await find_run(session, run_id, lock=True)
    if DispatchRunStatus(run.status) in DISPATCH_RUN_FINISHED:
        raise Conflict(
            Code.RUN_FINISHED, f"the run is already {run.status}", field="status", extra={"current_status": run.status}
        )
    run.cancel_requested = True
    await session.flush()
    await audit.record(session, actor, "dispatch_run", run.id, "cancel", at=clock.now())
    return run


# --- driving runs -------------------------------------------------------------------------------


class Dispatcher:
    """Owns the solver pool of a process and the driver tasks of the runs it launched."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        pool: SolverPool,
        *,
        clock: Clock = SYSTEM_CLOCK,
        poll_seconds: float = 0.2,
    ) -> None:
        self.sessions = sessions
        self.pool = pool
        self.clock = clock
        self.poll_seconds = poll_seconds
        # the published plan and its insertion index, for insertions and offers
        self.published = PublishedCache()
        self._drivers: dict[UUID, asyncio.Task[None]] = {}
        self._handles: dict[UUID, SolveHandle] = {}
        self._beats: dict[UUID, float] = {}  # run -> time.monotonic() of its last heartbeat write
        self._cancel_asked: set[UUID] = set()  # cancelled before their solve reached the pool

    def launch(self, started: StartedRun) -> None:
        """Call after the run's row is committed. Returns at once; the solve runs in the pool."""
        run_id = started.run.id
        self._drivers[run_id] = asyncio.get_running_loop().create_task(self._drive(started), name=f"dispatch {run_id}")

    async def fail_stale(self) -> list[UUID]:
        """At start-up: runs left live by a process that died are failed ("worker lost"). Never raises:
        a start-up must not fail over bookkeeping."""
        try:
            async with self.sessions() as session:
                lost = await fail_stale_runs(session, self.clock.now())
                await session.commit()
                return lost
        except Exception:
            log.exception("could not check for stale dispatch runs")
            return []

    def cancel_local(self, run_id: UUID) -> bool:
        """Stop a run this process drives, at once (False: not ours; its driver sees the stored flag
        with its next heartbeat). A run launched but not yet handed to the pool stops once it is."""
        handle = self._handles.get(run_id)
        if handle is not None:
            handle.cancel()
            return True
        if run_id in self._drivers:
            self._cancel_asked.add(run_id)
            return True
        return False

    async def wait(self, run_id: UUID) -> None:
        driver = self._drivers.get(run_id)
        if driver is not None:
            await asyncio.shield(driver)

    async def close(self) -> None:
        for handle in list(self._handles.values()):
            handle.cancel()
        drivers = list(self._drivers.values())
        if drivers:
            await asyncio.wait(drivers, timeout=30)
        await asyncio.to_thread(self.pool.shutdown)

    async def _drive(self, started: StartedRun) -> None:
        run_id = started.run.id
        try:
            handle = self.pool.submit(started.built.problem, started.params)
            self._handles[run_id] = handle
            if run_id in self._cancel_asked:
                handle.cancel()
            outcome = await self._watch(run_id, handle)
            await self._finish(started, outcome)
        except CANCELLED:
            await self._fail(run_id, None)
        except Exception as error:
            log.exception("dispatch run %s failed", run_id)
            await self._fail(run_id, f"{type(error).__name__}: {error}")
        finally:
            self._handles.pop(run_id, None)
            self._drivers.pop(run_id, None)
            self._beats.pop(run_id, None)
            self._cancel_asked.discard(run_id)

    async def _watch(self, run_id: UUID, handle: SolveHandle) -> SolveOutcome:
        waiting = asyncio.wrap_future(handle.future)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(waiting), timeout=self.poll_seconds)
            messages = await asyncio.to_thread(handle.drain)
            if await self._tick(run_id, messages):
                handle.cancel()
            if waiting.done():
                trailing = await asyncio.to_thread(handle.drain)
                await self._tick(run_id, trailing)
                return waiting.result()

    async def _tick(self, run_id: UUID, messages: list[Started | Improved]) -> bool:
        """Record what the solver said; answer whether someone asked to cancel."""
        started = next((m for m in messages if isinstance(m, Started)), None)
        improved = [[round(m.seconds, 3), m.objective] for m in messages if isinstance(m, Improved)]
        beat = time.monotonic() - self._beats.get(run_id, 0.0) >= HEARTBEAT_SECONDS
        if started is None and not improved:
            if not beat:
                return False  # nothing to write, so no query: a cancel here calls ``cancel_local``
            async with self.sessions() as session:
                # the heartbeat brings back the cancel flag: a cancel made in another process is seen
                # within a heartbeat, without a polling query of its own
                flag = await session.scalar(
                    update(DispatchRun)
                    .where(DispatchRun.id == run_id, DispatchRun.status.in_(LIVE))
                    .values(heartbeat_at=self.clock.now())
                    .returning(DispatchRun.cancel_requested)
                    .execution_options(synchronize_session=False)
                )
                await session.commit()
            self._beats[run_id] = time.monotonic()
            return bool(flag)
        async with self.sessions() as session:
            run = await session.get(DispatchRun, run_id)
            if run is None:
                await session.rollback()
                return False
            if started is not None and run.status == DispatchRunStatus.QUEUED.value:
                run.status = DispatchRunStatus.RUNNING.value
                run.started_at = dt.datetime.fromtimestamp(started.at, dt.UTC)
            if improved:
                run.progress = _thin([*run.progress, *improved])
            run.heartbeat_at = self.clock.now()
            await announce_run(session, run, at=run.heartbeat_at)  # the boards' optimize panels follow
            await session.commit()
            self._beats[run_id] = time.monotonic()
            return bool(run.cancel_requested)

    async def _finish(self, started: StartedRun, outcome: SolveOutcome) -> None:
        built, plan = started.built, outcome.plan
        kpis = kpis_of(built, plan) | {"objective": plan.stats.objective}
        if started.baseline_kpis is not None:
            kpis["compared_with_published"] = compare(kpis, started.baseline_kpis)
        stored = plan_json(built, plan, outcome.explanations, outcome.violations)
        if outcome.violations:
            log.error("dispatch run %s: the checker found %d violation(s)", started.run.id, len(outcome.violations))
        status = DispatchRunStatus.CANCELLED if outcome.cancelled else DispatchRunStatus.SUCCEEDED
        now = self.clock.now()
        async with self.sessions() as session:
            run = await session.get(DispatchRun, started.run.id, with_for_update=True)
            if run is None:
                return
            if run.status not in LIVE:
                # declared lost meanwhile (this process stalled past the stale limit): keep it so
                log.warning("dispatch run %s finished after it was marked %s", run.id, run.status)
                await session.rollback()
                return
            run.status = status.value
            run.started_at = run.started_at or now
            run.finished_at = max(now, run.started_at)
            run.kpis = kpis
            run.plan = stored
            if plan.stats.progress and not run.progress:
                run.progress = _thin([[round(s, 3), o] for s, o in plan.stats.progress])
            await announce_run(session, run, at=now)
            await announce_run_finished(session, run)
            await session.commit()

    async def _fail(self, run_id: UUID, error: str | None) -> None:
        now = self.clock.now()
        status = DispatchRunStatus.CANCELLED if error is None else DispatchRunStatus.FAILED
        async with self.sessions() as session:
            failed = await session.scalar(
                update(DispatchRun)
                .where(DispatchRun.id == run_id, DispatchRun.status.in_(LIVE))
                .values(status=status.value, finished_at=now, error=error, version=DispatchRun.version + 1)
                .returning(DispatchRun.id)
                .execution_options(synchronize_session=False)
            )
            run = await session.get(DispatchRun, run_id) if failed is not None else None
            if run is not None:
                await announce_run(session, run, at=now)
                await announce_run_finished(session, run)
            await session.commit()


def _thin(points: list[Any]) -> list[Any]:
    """Keep the first, the last and an even sample in between, at most ``PROGRESS_POINTS``."""
    if len(points) <= PROGRESS_POINTS:
        return points
    step = len(points) / (PROGRESS_POINTS - 1)
    return [points[min(len(points) - 1, round(i * step))] for i in range(PROGRESS_POINTS - 1)] + [points[-1]]
