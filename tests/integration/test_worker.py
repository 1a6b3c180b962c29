"""Background jobs: runs recorded once per slot, one leader at a time, and two real worker
processes against one database running every slot exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from api.cli import main
from api.worker import MigratedJobStore, WatchedScheduler, run_worker, sync_schedule
from contracts.models import ContractNotice
from core import audit
from core.audit import audit_log
from core.auth import SYSTEM
from core.db import create_engine, session_scope
from core.job_runs import RunOrigin, job_runs
from core.jobs import Cron, Every, JobContext, JobRegistry, JobSpec, Outcome, Runner
from core.leader import FileLeaderLock, PostgresLeaderLock, leader_lock, leadership
from core.settings import Settings, WorkerSettings
from tests.integration.contract_fixtures import contract_for, installed_printer

Sessions = async_sessionmaker[AsyncSession]
UTC = dt.UTC
SLOT = dt.datetime(2026, 5, 4, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Tally:
    written: int


async def write_an_audit_row(session: AsyncSession, context: JobContext) -> Tally:
    await audit.record(session, SYSTEM, "job", context.job_id, "ran", after={"today": context.today})
    return Tally(written=1)


async def write_then_fail(session: AsyncSession, context: JobContext) -> None:
    await write_an_audit_row(session, context)
    raise RuntimeError("printer on fire")


def spec(
    function: Any = write_an_audit_row, job_id: str = "tally", trigger: Any = None, grace_hours: int = 1
) -> JobSpec:
    return JobSpec(job_id, function, trigger or Cron(hour=2), dt.timedelta(hours=grace_hours))


async def audit_rows(sessions: Sessions) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(audit_log).where(audit_log.c.action == "ran")) or 0)


async def runs(sessions: Sessions, job_id: str | None = None) -> list[dict[str, Any]]:
    query = select(job_runs).order_by(job_runs.c.scheduled_for)
    if job_id is not None:
        query = query.where(job_runs.c.job_id == job_id)
    async with sessions() as s:
        return [dict(row) for row in (await s.execute(query)).mappings()]


# --- one run, through the wrapper ------------------------------------------------------------


async def test_a_run_does_its_work_and_records_it(sessions: Sessions) -> None:
    report = await Runner(sessions).run(spec(), SLOT)

    assert report.outcome == Outcome.SUCCEEDED
    assert await audit_rows(sessions) == 1
    [run] = await runs(sessions)
    assert run["job_id"] == "tally"
    assert run["scheduled_for"] == SLOT
    assert run["status"] == "succeeded"
    assert run["origin"] == "schedule"
    assert run["result"] == {"written": 1}
    assert run["finished_at"] >= run["started_at"]
    assert run["pid"] == os.getpid()
    assert run["host"]


async def test_the_same_slot_runs_once(sessions: Sessions) -> None:
    first = await Runner(sessions).run(spec(), SLOT)
    second = await Runner(sessions, pid=4242).run(spec(), SLOT)
    next_day = await Runner(sessions).run(spec(), SLOT + dt.timedelta(days=1))

    assert [first.outcome, second.outcome, next_day.outcome] == [Outcome.SUCCEEDED, Outcome.SKIPPED, Outcome.SUCCEEDED]
    assert await audit_rows(sessions) == 2
    assert [r["scheduled_for"] for r in await runs(sessions)] == [SLOT, SLOT + dt.timedelta(days=1)]


async def test_two_runners_racing_for_one_slot_run_it_once(sessions: Sessions) -> None:
    reports = await asyncio.gather(*(Runner(sessions, pid=pid).run(spec(), SLOT) for pid in (1, 2, 3)))

    assert sorted(r.outcome for r in reports) == [Outcome.SKIPPED, Outcome.SKIPPED, Outcome.SUCCEEDED]
    assert await audit_rows(sessions) == 1
    assert len(await runs(sessions)) == 1


async def test_a_failed_run_is_recorded_and_its_work_rolled_back(sessions: Sessions) -> None:
    report = await Runner(sessions).run(spec(write_then_fail), SLOT)

    assert report.outcome == Outcome.FAILED
    assert report.error == "RuntimeError: printer on fire"
    assert await audit_rows(sessions) == 0
    [run] = await runs(sessions)
    assert run["status"] == "failed"
    assert run["error"] == "RuntimeError: printer on fire"
    assert run["finished_at"] is not None


async def test_a_job_works_for_the_date_of_its_slot_unless_told_otherwise(sessions: Sessions) -> None:
    seen: list[dt.date] = []

    async def note_today(session: AsyncSession, context: JobContext) -> None:
        seen.append(context.today)

    berlin_midnight = dt.datetime(2026, 5, 4, 0, 15, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    await Runner(sessions).run(spec(note_today), berlin_midnight)
    await Runner(sessions).run(spec(note_today), SLOT, today=dt.date(2027, 1, 2), origin=RunOrigin.MANUAL)

    assert seen == [dt.date(2026, 5, 4), dt.date(2027, 1, 2)]
    assert [r["origin"] for r in await runs(sessions)] == ["schedule", "manual"]


# --- leader election -------------------------------------------------------------------------


async def test_a_file_lock_admits_one_leader_at_a_time(tmp_path: Path) -> None:
    first, second = FileLeaderLock(tmp_path / "db.lock"), FileLeaderLock(tmp_path / "db.lock")

    assert await first.try_acquire()
    assert not await second.try_acquire()
    await first.release()
    assert await second.try_acquire()
    assert not await first.try_acquire()
    await second.release()


@pytest.mark.postgres_only
async def test_an_advisory_lock_admits_one_leader_at_a_time(database_url: str) -> None:
    first, second = PostgresLeaderLock(database_url, "test"), PostgresLeaderLock(database_url, "test")
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire()
        await first.release()
        assert await second.try_acquire()
        assert not await first.try_acquire()
        # Another name is another lock.
        other = PostgresLeaderLock(database_url, "other")
        assert await other.try_acquire()
        await other.release()
    finally:
        await first.release()
        await second.release()


async def test_a_standby_leads_once_the_leader_steps_down(settings: Settings) -> None:
    order: list[str] = []
    stood_by = asyncio.Event()

    async with leadership(settings.database, name="test", retry_seconds=0.05) as lead:
        order.append("first leads")

        async def contender() -> None:
            async with leadership(settings.database, name="test", retry_seconds=0.05, on_standby=stood_by.set):
                order.append("second leads")

        second = asyncio.create_task(contender())
        await asyncio.wait_for(stood_by.wait(), 5)
        await asyncio.sleep(0.2)
        assert order == ["first leads"]
        assert not lead.lost.is_set()
        order.append("first steps down")
    await asyncio.wait_for(second, 5)

    assert order == ["first leads", "first steps down", "second leads"]
    lock = leader_lock(settings.database, "test")
    assert await lock.try_acquire(), "the second leader released the lock on leaving"
    await lock.release()


@pytest.mark.postgres_only
async def test_a_leader_whose_connection_dies_loses_the_lead_to_the_standby(settings: Settings) -> None:
    async with leadership(settings.database, name="test", check_seconds=0.1) as lead:
        standby = asyncio.create_task(_lead_once(settings, "test"))
        await asyncio.sleep(0.3)
        assert not standby.done()

        async with _admin(settings) as conn:
            # pg_locks lists every database's locks; other test workers use other databases.
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                    " WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()"
                )
            )

        await asyncio.wait_for(lead.lost.wait(), 5)
        assert await asyncio.wait_for(standby, 5) == "led"


async def _lead_once(settings: Settings, name: str) -> str:
    async with leadership(settings.database, name=name, retry_seconds=0.05):
        return "led"


@asynccontextmanager
async def _admin(settings: Settings) -> AsyncIterator[AsyncConnection]:
    engine = create_engine(settings.database)
    try:
        async with engine.connect() as conn:
            yield conn
            await conn.commit()
    finally:
        await engine.dispose()


# --- the schedule in the job store -----------------------------------------------------------


def _stored_schedule(url: str, registry: JobRegistry, *, move_next_run: dt.datetime | None = None) -> dict[str, Any]:
    """Write `registry` into the job store as a leader would; answer the stored jobs."""
    scheduler = WatchedScheduler(print, jobstores={"default": MigratedJobStore(url)}, timezone=UTC)
    scheduler.start(paused=True)
    try:
        sync_schedule(scheduler, registry, ZoneInfo("UTC"))
        if move_next_run is not None:
            for job in scheduler.get_jobs():
                scheduler.modify_job(job.id, next_run_time=move_next_run)
        return {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)


async def test_the_schedule_is_code_and_keeps_its_stored_next_run_times(database_url: str) -> None:
    daily, other = spec(job_id="daily", trigger=Cron(hour=2)), spec(job_id="other", trigger=Cron(hour=3))
    first = await asyncio.to_thread(_stored_schedule, database_url, JobRegistry().add(daily, other))
    assert set(first) == {"daily", "other"}
    assert first["daily"].coalesce is True
    assert first["daily"].max_instances == 1
    assert first["daily"].misfire_grace_time == 3600

    missed = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(hours=5)
    await asyncio.to_thread(_stored_schedule, database_url, JobRegistry().add(daily, other), move_next_run=missed)
    moved_daily = spec(job_id="daily", trigger=Cron(hour=4))
    again = await asyncio.to_thread(_stored_schedule, database_url, JobRegistry().add(moved_daily, other))

    assert set(again) == {"daily", "other"}
    assert again["other"].next_run_time == missed, "an unchanged job keeps its stored (missed) next run"
    assert again["daily"].next_run_time.hour == 4, "a changed trigger is rescheduled"
    dropped = await asyncio.to_thread(_stored_schedule, database_url, JobRegistry().add(other))
    assert set(dropped) == {"other"}, "a job no longer in the code leaves the store"


FAST = WorkerSettings(leader_retry_seconds=0.2, leader_check_seconds=0.2, stop_grace_seconds=5)


async def _run_worker_until(settings: Settings, registry: JobRegistry, sessions: Sessions, rows: int) -> None:
    worker = asyncio.create_task(run_worker(settings, FAST, registry))
    try:
        for _ in range(100):
            if len(await runs(sessions)) >= rows:
                return
            await asyncio.sleep(0.05)
    finally:
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker


def _last_fire(hour: int, now: dt.datetime) -> dt.datetime:
    slot = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return slot if slot <= now else slot - dt.timedelta(days=1)


async def test_slots_missed_while_no_one_led_run_late_once(settings: Settings, sessions: Sessions) -> None:
    now = dt.datetime.now(UTC)
    hour = (now.hour + 12) % 24  # its last slot was about 12 hours ago
    daily = spec(job_id="daily", trigger=Cron(hour=hour), grace_hours=48)
    # The stored next run lies two days before that: three slots were missed.
    stale = _last_fire(hour, now) - dt.timedelta(days=2)
    await asyncio.to_thread(_stored_schedule, settings.database.url, JobRegistry().add(daily), move_next_run=stale)

    await _run_worker_until(settings, JobRegistry().add(daily), sessions, rows=1)
    await asyncio.sleep(0.3)  # room for a second, wrong run

    [run] = await runs(sessions)
    assert run["scheduled_for"] == _last_fire(hour, now), "coalesced: the latest missed slot runs, once"
    assert await audit_rows(sessions) == 1


async def test_slots_missed_beyond_their_grace_are_skipped(settings: Settings, sessions: Sessions) -> None:
    now = dt.datetime.now(UTC)
    hour = (now.hour + 12) % 24  # its last slot was about 12 hours ago, beyond the hour of grace
    daily = spec(job_id="daily", trigger=Cron(hour=hour), grace_hours=1)
    heartbeat = spec(job_id="beat", trigger=Every(dt.timedelta(seconds=1)))
    stale = _last_fire(hour, now) - dt.timedelta(days=1)
    registry = JobRegistry().add(daily)
    await asyncio.to_thread(_stored_schedule, settings.database.url, registry, move_next_run=stale)

    # The beat shows the worker did lead and run; the daily job's late slot stayed missed.
    await _run_worker_until(settings, JobRegistry().add(daily, heartbeat), sessions, rows=1)

    assert {r["job_id"] for r in await runs(sessions)} == {"beat"}


# --- the CLI ---------------------------------------------------------------------------------


def _cli() -> list[str]:
    return [str(Path(sys.executable).with_name("service-mgmt"))]


def _env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-" + "x" * 40,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


async def test_jobs_run_runs_one_job_now_for_a_given_date(database_url: str, sessions: Sessions) -> None:
    async with session_scope(sessions) as s:
        await contract_for(s, await installed_printer(s))  # ends 2026-12-31, 60 days' notice

    def service_mgmt(*args: str) -> Result:
        # In a thread: the command runs its own event loop, as it does from a shell.
        return CliRunner().invoke(main, list(args), env=_env(database_url), catch_exceptions=False)

    for _ in range(2):
        done = await asyncio.to_thread(service_mgmt, "jobs", "run", "renewal_reminders", "--today", "2026-11-15")
        assert done.exit_code == 0, done.output

    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ContractNotice)) == 1
    manual = await runs(sessions, "renewal_reminders")
    assert [(r["origin"], r["status"], r["result"]) for r in manual] == [
        ("manual", "succeeded", 1),
        ("manual", "succeeded", 0),
    ]

    unknown = await asyncio.to_thread(service_mgmt, "jobs", "run", "no_such_job")
    assert unknown.exit_code == 2
    assert "renewal_reminders" in unknown.output


# --- two worker processes --------------------------------------------------------------------

LINE = re.compile(r"\[pid (\d+)\] job heartbeat slot (\S+) (succeeded|skipped|failed)")


@dataclass
class Worker:
    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def said(self, words: str) -> bool:
        return any(words in line for line in self.lines)

    def slots(self, outcome: str = "succeeded") -> list[str]:
        return [m[2] for line in self.lines if (m := LINE.search(line)) and m[3] == outcome]


async def _start_worker(database_url: str, cwd: Path) -> tuple[Worker, asyncio.Task[None]]:
    process = await asyncio.create_subprocess_exec(
        *_cli(),
        "worker",
        env=os.environ
        | _env(
            database_url,
            WORKER_HEARTBEAT_SECONDS="1",
            WORKER_LEADER_RETRY_SECONDS="0.3",
            WORKER_LEADER_CHECK_SECONDS="0.5",
        ),
        cwd=cwd,
        stderr=asyncio.subprocess.PIPE,
    )
    worker = Worker(process)

    async def read() -> None:
        assert process.stderr is not None
        async for raw in process.stderr:
            worker.lines.append(raw.decode().rstrip())

    return worker, asyncio.create_task(read())


async def _until(condition: Any, seconds: float) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting")


async def test_two_worker_processes_run_each_slot_exactly_once(
    database_url: str, sessions: Sessions, tmp_path: Path
) -> None:
    (a, read_a), (b, read_b) = await _start_worker(database_url, tmp_path), await _start_worker(database_url, tmp_path)
    workers = [a, b]
    try:
        await _until(
            lambda: any(w.said("leading:") for w in workers) and any(w.said("standing by") for w in workers), 180
        )
        leader = next(w for w in workers if w.said("leading:"))
        standby = next(w for w in workers if w is not leader)
        await _until(lambda: len(leader.slots()) >= 4, 180)

        # Phase 1: one leader ran every slot; the standby ran nothing, not even tried.
        assert not standby.said("leading:")
        assert standby.slots() == [] and standby.slots("skipped") == []
        in_phase_one = await runs(sessions, "heartbeat")
        assert {r["pid"] for r in in_phase_one} == {leader.pid}

        # The leader crashes; the standby takes over and carries on from the next slot.
        leader.process.send_signal(signal.SIGKILL)
        await leader.process.wait()
        await _until(lambda: len(standby.slots()) >= 2, 180)
        standby.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(standby.process.wait(), 120) == 0
        await asyncio.gather(read_a, read_b)
    finally:
        for w in workers:
            if w.process.returncode is None:
                w.process.kill()
                await w.process.wait()

    ran = leader.slots() + standby.slots()
    assert len(ran) == len(set(ran)), f"a slot ran twice: {sorted(ran)}"
    assert not leader.slots("failed") and not standby.slots("failed")
    recorded = await runs(sessions, "heartbeat")
    assert sorted(dt.datetime.fromisoformat(s) for s in ran) == [r["scheduled_for"] for r in recorded], (
        "each run is recorded, and each record was run"
    )
    by_pid = {r["pid"] for r in recorded}
    assert by_pid == {leader.pid, standby.pid}
    assert max(r["scheduled_for"] for r in recorded if r["pid"] == leader.pid) < min(
        r["scheduled_for"] for r in recorded if r["pid"] == standby.pid
    ), "the two never led at the same time"
    assert standby.said("worker stopped")
