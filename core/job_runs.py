"""Bookkeeping of background jobs: one `job_runs` row per job and scheduled slot, and the
table behind APScheduler's job store.

The unique constraint on (job_id, scheduled_for) is what makes "each slot runs once" hold
across processes: whoever inserts the row first runs the slot, a second inserter gets
nothing back and skips. The row then records how the run went, for operators and audits.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Unicode,
    UniqueConstraint,
    delete,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import BIGSERIAL
from core.db import metadata, sql_in, upsert_insert


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RunOrigin(StrEnum):
    SCHEDULE = "schedule"  # a slot of the job's trigger, run by the leading worker
    MANUAL = "manual"  # `service-mgmt jobs run`


job_runs = Table(
    "job_runs",
    metadata,
    Column("id", BIGSERIAL, primary_key=True, autoincrement=True),
    Column("job_id", String(64), nullable=False),
    Column("scheduled_for", DateTimeUTC(timezone=True), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", DateTimeUTC(timezone=True), nullable=False),
    Column("finished_at", DateTimeUTC(timezone=True), nullable=True),
    Column("result", JsonB, nullable=True),
    Column("error", String(2000), nullable=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    UniqueConstraint("job_id", "scheduled_for", name="uq_job_runs_job_id_scheduled_for"),
    CheckConstraint(f"status IN {sql_in(RunStatus)}", name="status_known"),
    CheckConstraint(f"origin IN {sql_in(RunOrigin)}", name="origin_known"),
    Index("ix_job_runs_started_at", "started_at"),
)

# The shape of APScheduler 3's SQLAlchemyJobStore table, declared here so that our migration
# creates it (the product never lets APScheduler run DDL) and the drift test checks it.
scheduler_jobs = Table(
    "apscheduler_jobs",
    metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


async def claim_run(
    session: AsyncSession,
    job_id: str,
    scheduled_for: dt.datetime,
    *,
    origin: RunOrigin,
    started_at: dt.datetime,
    host: str,
    pid: int,
) -> int | None:
    """Record that this process runs the slot; None when another run already holds it."""
    insert = upsert_insert(session)
    result = await session.execute(
        insert(job_runs)
        .values(
            job_id=job_id,
            scheduled_for=scheduled_for,
            origin=origin.value,
            status=RunStatus.RUNNING.value,
            started_at=started_at,
            host=host[:255],
            pid=pid,
        )
        .on_conflict_do_nothing(index_elements=["job_id", "scheduled_for"])
        .returning(job_runs.c.id)
    )
    run_id: int | None = result.scalar_one_or_none()
    return run_id


async def finish_run(
    session: AsyncSession,
    run_id: int,
    status: RunStatus,
    finished_at: dt.datetime,
    *,
    result: Any = None,
    error: str | None = None,
) -> None:
    await session.execute(
        update(job_runs)
        .where(job_runs.c.id == run_id)
        .values(
            status=status.value,
            finished_at=finished_at,
            result=result,
            error=None if error is None else error[:2000],
        )
    )


async def prune_runs(session: AsyncSession, job_id: str, before: dt.datetime) -> int:
    """Delete a job's runs scheduled before `before` (for frequent jobs whose history is noise)."""
    result = await session.execute(
        delete(job_runs).where(job_runs.c.job_id == job_id, job_runs.c.scheduled_for < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
