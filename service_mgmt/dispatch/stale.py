"""Runs whose process died: marked ``failed`` ("worker lost") instead of staying queued or running forever.

The driver of a live run (``runs.Dispatcher``) writes ``heartbeat_at`` at least every
``HEARTBEAT_SECONDS``, whether the solve is waiting for a pool process or searching, so a run whose
heartbeat (or, never having beaten, whose creation) is older than ``STALE_AFTER`` has nobody behind
it. That check runs when the app starts and as a periodic worker job (``stale_runs_job``); either
may run in any process, since it judges only by the row. A driver that comes back after all finds
its run failed and leaves it so (``Dispatcher._finish``).
"""

from __future__ import annotations

import datetime as dt
import logging
from uuid import UUID

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.jobs import Every, JobContext, JobSpec
from service_mgmt.choices import DispatchRunStatus
from service_mgmt.models import DispatchRun

log = logging.getLogger("service_mgmt.dispatch")

HEARTBEAT_SECONDS = 5.0
# many heartbeats: a busy event loop or a slow database must not fail a live run
STALE_AFTER = dt.timedelta(seconds=60)
WORKER_LOST = "worker lost: no heartbeat from the process running it"
LIVE = (DispatchRunStatus.QUEUED.value, DispatchRunStatus.RUNNING.value)
STALE_RUNS_JOB = "fail_stale_dispatch_runs"


async def fail_stale_runs(
    session: AsyncSession, now: dt.datetime, *, stale_after: dt.timedelta = STALE_AFTER
) -> list[UUID]:
    """Mark live runs without a recent heartbeat failed; answer their ids. The caller commits."""
    last_sign = func.coalesce(DispatchRun.heartbeat_at, DispatchRun.created_at)
    stale = (DispatchRun.status.in_(LIVE), last_sign < now - stale_after)
    ids = list((await session.scalars(select(DispatchRun.id).where(*stale))).all())
    if not ids:
        return []
    await session.execute(
        update(DispatchRun)
        .where(DispatchRun.id.in_(ids), *stale)  # again: a heartbeat may have come meanwhile
        .values(
            status=DispatchRunStatus.FAILED.value,
            finished_at=case((DispatchRun.started_at > now, DispatchRun.started_at), else_=now),
            error=WORKER_LOST,
            version=DispatchRun.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    log.warning("dispatch runs marked failed, worker lost: %s", ", ".join(str(i) for i in ids))
    return ids


def stale_runs_job(every: dt.timedelta = dt.timedelta(minutes=1)) -> JobSpec:
    async def run(session: AsyncSession, context: JobContext) -> int:
        return len(await fail_stale_runs(session, context.clock.now()))

    return JobSpec(STALE_RUNS_JOB, run, Every(every), every, "fail dispatch runs whose process died (worker lost)")
