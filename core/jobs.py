"""Background jobs, independent of any scheduler: what a job is, a registry, and one run.

Domain packages describe their jobs as `JobSpec`s (an id, an async function, a trigger, a
misfire grace); the worker (`api/worker.py`) collects them into a `JobRegistry` and hands
them to APScheduler. `run_job` is the one way a job runs, on a schedule or by hand: it claims
the slot in `job_runs` (a slot already claimed is skipped), runs the function in its own
`session_scope` (commit at the edge) and records the outcome.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock, SystemClock
from core.db import session_scope
from core.job_runs import RunOrigin, RunStatus, claim_run, finish_run, prune_runs

log = logging.getLogger("service_mgmt.jobs")

HEARTBEAT = "heartbeat"


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a run is about: the slot it fills and the business date it works for."""

    job_id: str
    scheduled_for: dt.datetime  # aware; in the schedule's time zone for scheduled runs
    today: dt.date
    clock: Clock


JobFunction = Callable[[AsyncSession, JobContext], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Cron:
    """Calendar fields as in cron (APScheduler's names); None means "every"."""

    hour: int | str | None = None
    minute: int | str = 0
    day: int | str | None = None
    day_of_week: str | None = None

    def __str__(self) -> str:
        fields = {"minute": self.minute, "hour": self.hour, "day": self.day, "day_of_week": self.day_of_week}
        return "cron(" + ", ".join(f"{k}={v}" for k, v in fields.items() if v is not None) + ")"


@dataclass(frozen=True, slots=True)
class Every:
    """A fixed interval, aligned to a fixed origin so that every process computes the same slots."""

    interval: dt.timedelta

    def __str__(self) -> str:
        return f"every {self.interval.total_seconds():g} s"


Trigger = Cron | Every


@dataclass(frozen=True, slots=True)
class JobSpec:
    id: str
    function: JobFunction
    trigger: Trigger
    # How late a slot may still run (after downtime or a leader change); later ones are skipped,
    # and coalescing runs a backlog of missed slots once.
    misfire_grace: dt.timedelta
    description: str = ""


@dataclass(slots=True)
class JobRegistry:
    """The jobs of the installation, filled by the domain packages' `jobs` modules."""

    _specs: dict[str, JobSpec] = field(default_factory=dict)

    def add(self, *specs: JobSpec) -> JobRegistry:
        for spec in specs:
            if spec.id in self._specs:
                raise ValueError(f"job {spec.id!r} is registered twice")
            self._specs[spec.id] = spec
        return self

    def get(self, job_id: str) -> JobSpec:
        try:
            return self._specs[job_id]
        except KeyError:
            known = ", ".join(sorted(self._specs)) or "none"
            raise KeyError(f"no job {job_id!r} (known: {known})") from None

    def __iter__(self) -> Iterator[JobSpec]:
        return iter(self._specs.values())

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._specs

    def ids(self) -> list[str]:
        return list(self._specs)


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # the slot was already claimed (by another process, or earlier)


@dataclass(frozen=True, slots=True)
class RunReport:
    job_id: str
    scheduled_for: dt.datetime
    outcome: Outcome
    result: Any = None
    error: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Runner:
    """Runs job specs against one database, recording each run in `job_runs`."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock = field(default_factory=SystemClock)
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)

    async def run(
        self,
        spec: JobSpec,
        scheduled_for: dt.datetime,
        *,
        today: dt.date | None = None,
        origin: RunOrigin = RunOrigin.SCHEDULE,
    ) -> RunReport:
        context = JobContext(spec.id, scheduled_for, today or scheduled_for.date(), self.clock)
        run_id = await self._claim(spec.id, scheduled_for, origin)
        if run_id is None:
            log.info("job %s slot %s skipped: already claimed", spec.id, scheduled_for.isoformat())
            return RunReport(spec.id, scheduled_for, Outcome.SKIPPED)
        started = time.perf_counter()
        try:
            async with session_scope(self.sessions) as session:
                result = _plain(await spec.function(session, context))
                # Same transaction as the work: a run is marked done exactly when its effects are.
                await finish_run(session, run_id, RunStatus.SUCCEEDED, self.clock.now(), result=result)
        except asyncio.CancelledError:
            await self._record_failure(run_id, "cancelled (worker stopped or lost leadership)")
            raise
        except Exception as exc:  # a failed job is recorded; the worker keeps going
            error = f"{type(exc).__name__}: {exc}"
            log.exception("job %s slot %s failed", spec.id, scheduled_for.isoformat())
            await self._record_failure(run_id, error)
            return RunReport(spec.id, scheduled_for, Outcome.FAILED, error=error, seconds=_since(started))
        report = RunReport(spec.id, scheduled_for, Outcome.SUCCEEDED, result=result, seconds=_since(started))
        log.info("job %s slot %s succeeded in %.3f s: %s", spec.id, scheduled_for.isoformat(), report.seconds, result)
        return report

    async def _claim(self, job_id: str, scheduled_for: dt.datetime, origin: RunOrigin) -> int | None:
        # Committed on its own, before the work: the claim is visible to every other process
        # at once, and a crash mid-run leaves a `running` row to investigate.
        async with session_scope(self.sessions) as session:
            return await claim_run(
                session,
                job_id,
                scheduled_for,
                origin=origin,
                started_at=self.clock.now(),
                host=self.host,
                pid=self.pid,
            )

    async def _record_failure(self, run_id: int, error: str) -> None:
        try:
            async with session_scope(self.sessions) as session:
                await finish_run(session, run_id, RunStatus.FAILED, self.clock.now(), error=error)
        except Exception:  # the database may be the reason the job failed
            log.exception("could not record the failure of job run %s", run_id)


def _plain(result: Any) -> Any:
    """The job's answer as JSON-safe data for `job_runs.result`."""
    try:
        return msgspec.to_builtins(result)
    except TypeError:
        return str(result)


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def heartbeat(every: dt.timedelta, keep: dt.timedelta = dt.timedelta(days=1)) -> JobSpec:
    """A job that does nothing but leave a `job_runs` row: the newest one tells monitoring that
    a leader is scheduling. It prunes its own older rows so that a short interval stays cheap."""

    async def beat(session: AsyncSession, context: JobContext) -> dict[str, int]:
        pruned = await prune_runs(session, HEARTBEAT, context.scheduled_for - keep)
        return {"pruned": pruned}

    return JobSpec(
        id=HEARTBEAT,
        function=beat,
        trigger=Every(every),
        # A late heartbeat is worthless: the next one is due within one interval.
        misfire_grace=every,
        description="liveness record of the leading worker",
    )
