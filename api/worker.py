"""The worker process (`service-mgmt worker`): one scheduler across all processes.

Every worker contends for leadership (`core.leader`); the leader runs APScheduler 3 with its
SQLAlchemy job store, the others stand by and take over when it goes. The schedule is code
(`job_registry`): at each start of leadership it is written into the job store, keeping the
stored next run times, so slots missed while no one led run late (within their misfire
grace, coalesced to one run). Every run goes through `core.jobs.Runner`, which claims the
slot in `job_runs` first; a slot is therefore run once even if two schedulers ever overlap.

APScheduler's job store is synchronous, so the scheduler runs in its own thread
(`BackgroundScheduler`) and hands due slots to the asyncio loop, where jobs run on the
application's async engine. The loop never waits for job store I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.base import BaseExecutor
from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from api import webhook_events
from api.idempotency import idempotency_jobs
from api.live import delivery as live_delivery
from api.outbox_handlers import outbox_job
from contracts.jobs import ExpiryRun, expire_contracts, raise_renewal_reminders
from core.auth_sessions import auth_session_jobs
from core.db import create_engine, create_session_factory
from core.job_runs import RunOrigin, scheduler_jobs
from core.jobs import Cron, Every, JobContext, JobRegistry, JobSpec, Outcome, Runner, RunReport, Trigger, heartbeat
from core.leader import Leadership, leadership
from core.settings import BillingSettings, DatabaseSettings, Settings, WorkerSettings
from core.webhooks.dispatch import webhook_job
from returns.jobs import returns_jobs
from returns.reactions import register_handlers as register_domain_handlers
from returns.services.rma_notices import NoticeLinks
from service_mgmt.dispatch.stale import stale_runs_job
from service_mgmt.jobs import pm_jobs
from service_mgmt.sla_jobs import sla_jobs

log = logging.getLogger("service_mgmt.worker")

STORE = EXECUTOR = "default"
# Interval slots are counted from a fixed origin, so every process (and every restart)
# computes the same slots; with a start date of "now" they would differ per process.
INTERVAL_ORIGIN = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


# --- the schedule ----------------------------------------------------------------------------


async def _expire_contracts(session: AsyncSession, context: JobContext) -> ExpiryRun:
    return await expire_contracts(session, context.today)


async def _renewal_reminders(session: AsyncSession, context: JobContext, *, billing: BillingSettings) -> int:
    return await raise_renewal_reminders(session, context.today, clock=context.clock, billing=billing)


# A daily job that is late is still worth running the same day; after that the next day's slot
# is near, and these jobs catch up on everything due anyway.
DAILY_GRACE = dt.timedelta(hours=20)


def contract_jobs(billing: BillingSettings) -> list[JobSpec]:
    return [
        JobSpec(
            "expire_contracts",
            _expire_contracts,
            Cron(hour=0, minute=15),
            DAILY_GRACE,
            "renew or expire contracts whose term ended",
        ),
        # After the expiry run, so a renewed contract is reminded of its new term, not the old.
        JobSpec(
            "renewal_reminders",
            partial(_renewal_reminders, billing=billing),
            Cron(hour=6, minute=0),
            DAILY_GRACE,
            "raise a notice when a contract's notice period begins",
        ),
    ]


def job_registry(settings: Settings) -> JobRegistry:
    """Every job, with the settings it needs bound (the jobs read no environment)."""
    registry = JobRegistry().add(*contract_jobs(settings.billing))
    registry.add(*sla_jobs(settings.sla_warning_share))  # SLA monitoring, every 5 minutes
    registry.add(outbox_job(settings))  # e-mails and service reports, every 30 s
    registry.add(*idempotency_jobs())  # forget Idempotency-Key answers after 30 days
    registry.add(*auth_session_jobs())  # forget login sessions 30 days after they expired
    registry.add(*pm_jobs())  # preventive maintenance calls, daily
    registry.add(*returns_jobs(NoticeLinks.of(settings)))  # advance exchange reminders and overdue charges, daily
    registry.add(stale_runs_job())  # dispatch runs whose process died, every minute
    registry.add(webhook_job(settings.webhooks))  # webhook deliveries, every 15 s
    if settings.worker.heartbeat_seconds > 0:
        registry.add(heartbeat(dt.timedelta(seconds=settings.worker.heartbeat_seconds)))
    return registry


def apscheduler_trigger(trigger: Trigger, zone: ZoneInfo) -> Any:
    if isinstance(trigger, Every):
        return IntervalTrigger(seconds=int(trigger.interval.total_seconds()), start_date=INTERVAL_ORIGIN, timezone=zone)
    if isinstance(trigger, Cron):
        return CronTrigger(
            hour=trigger.hour, minute=trigger.minute, day=trigger.day, day_of_week=trigger.day_of_week, timezone=zone
        )
    raise TypeError(f"unknown trigger {trigger!r}")


def scheduled_job() -> None:
    """The callable APScheduler stores for every job (its job store needs an importable one).

    `SlotExecutor` never calls it: it runs the `JobSpec` registered under the job's id, so the
    stored jobs do not change when a job's code does.
    """
    raise RuntimeError("scheduled jobs run through the worker's SlotExecutor")


# --- APScheduler plumbing --------------------------------------------------------------------


class MigratedJobStore(SQLAlchemyJobStore):  # type: ignore[misc]
    """APScheduler's SQLAlchemy job store on the table our migration creates (no DDL here)."""

    def __init__(self, database_url: str) -> None:
        sqlite = make_url(database_url).drivername.startswith("sqlite")
        options: dict[str, Any] = {"connect_args": {"timeout": 30}} if sqlite else {"pool_pre_ping": True}
        super().__init__(url=jobstore_url(database_url), engine_options=options)
        self.jobs_t = scheduler_jobs

    def start(self, scheduler: Any, alias: str) -> None:
        # SQLAlchemyJobStore.start would CREATE TABLE; the schema is Alembic's business.
        BaseJobStore.start(self, scheduler, alias)


def jobstore_url(database_url: str) -> str:
    """The synchronous twin of the application's async URL (the job store is synchronous)."""
    url = make_url(database_url)
    driver = "sqlite" if url.drivername.startswith("sqlite") else "postgresql+psycopg"
    return url.set(drivername=driver).render_as_string(hide_password=False)


SlotRunner = Callable[[str, dt.datetime], Awaitable[RunReport | None]]


class SlotExecutor(BaseExecutor):  # type: ignore[misc]
    """Runs due slots as tasks on the asyncio loop, passing each its scheduled time.

    Submitted from the scheduler's thread; `max_instances` is counted by the base class.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, run_slot: SlotRunner) -> None:
        super().__init__()
        self._loop = loop
        self._run_slot = run_slot
        self._running: set[asyncio.Task[list[Any]]] = set()
        self._accepting = True

    def _do_submit_job(self, job: Any, run_times: list[dt.datetime]) -> None:
        self._loop.call_soon_threadsafe(self._spawn, job.id, job.misfire_grace_time, list(run_times))

    def _spawn(self, job_id: str, grace_seconds: int | None, run_times: list[dt.datetime]) -> None:
        if not self._accepting:  # submitted just before the worker stopped leading
            self._run_job_success(job_id, [])
            return
        task = self._loop.create_task(self._run(job_id, grace_seconds, run_times), name=job_id)
        self._running.add(task)
        task.add_done_callback(partial(self._finished, job_id))

    async def _run(self, job_id: str, grace_seconds: int | None, run_times: list[dt.datetime]) -> list[Any]:
        events = []
        for run_time in run_times:
            late = dt.datetime.now(dt.UTC) - run_time
            if grace_seconds is not None and late > dt.timedelta(seconds=grace_seconds):
                log.warning("job %s slot %s missed by %s: skipped", job_id, run_time.isoformat(), late)
                events.append(JobExecutionEvent(EVENT_JOB_MISSED, job_id, STORE, run_time))
                continue
            report = await self._run_slot(job_id, run_time)
            code = EVENT_JOB_ERROR if report is None or report.outcome == Outcome.FAILED else EVENT_JOB_EXECUTED
            events.append(JobExecutionEvent(code, job_id, STORE, run_time))
        return events

    def _finished(self, job_id: str, task: asyncio.Task[list[Any]]) -> None:
        self._running.discard(task)
        if task.cancelled():
            self._run_job_error(job_id, asyncio.CancelledError())
        elif (exc := task.exception()) is not None:
            self._run_job_error(job_id, exc, exc.__traceback__)
        else:
            self._run_job_success(job_id, task.result())

    def shutdown(self, wait: bool = True) -> None:
        """Nothing here: the worker stops, drains or cancels running jobs itself (see `drain`)."""

    def cancel_running(self) -> None:
        self._accepting = False
        for task in list(self._running):
            task.cancel()

    async def drain(self, grace_seconds: float) -> None:
        """Let running jobs finish for up to `grace_seconds`, cancel the rest, wait for them."""
        self._accepting = False
        running = list(self._running)
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=grace_seconds)
        for task in late:
            log.warning("job %s still running after %s s: cancelled", task.get_name(), grace_seconds)
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


class WatchedScheduler(BackgroundScheduler):  # type: ignore[misc]
    """APScheduler's BackgroundScheduler, with its thread's loop made safe to stop and to watch.

    APScheduler 3's loop processes due jobs once more after `shutdown()` wakes it, which would
    advance stored next run times of slots nobody runs (and, after a lost lead, write to the
    job store beside the new leader). And a failing job store write ends the thread silently;
    here it is reported, so the worker steps down and starts afresh.
    """

    def __init__(self, on_crash: Callable[[BaseException], None], **options: Any) -> None:
        super().__init__(**options)
        self._on_crash = on_crash

    def _main_loop(self) -> None:
        try:
            wait_seconds: float | None = threading.TIMEOUT_MAX
            while self.state != STATE_STOPPED:
                self._event.wait(wait_seconds)
                self._event.clear()
                if self.state == STATE_STOPPED:
                    break
                wait_seconds = self._process_jobs()
        except BaseException as exc:
            self._on_crash(exc)
            raise


def sync_schedule(scheduler: Any, registry: JobRegistry, zone: ZoneInfo) -> None:
    """Write the code-defined schedule into the job store, keeping stored next run times.

    (Replacing a job would recompute its next run time from now and forget a missed slot.)
    """
    for spec in registry:
        trigger = apscheduler_trigger(spec.trigger, zone)
        options = {
            "name": spec.description or spec.id,
            "misfire_grace_time": max(1, int(spec.misfire_grace.total_seconds())),
            "coalesce": True,
            "max_instances": 1,
        }
        stored = scheduler.get_job(spec.id, STORE)
        if stored is None:
            scheduler.add_job(scheduled_job, trigger, id=spec.id, jobstore=STORE, executor=EXECUTOR, **options)
            continue
        if repr(stored.trigger) != repr(trigger):
            scheduler.reschedule_job(spec.id, STORE, trigger=trigger)
        scheduler.modify_job(spec.id, STORE, func=scheduled_job, args=(), kwargs={}, executor=EXECUTOR, **options)
    for job in scheduler.get_jobs(STORE):
        if job.id not in registry:
            log.info("job %s is no longer defined: removed from the schedule", job.id)
            scheduler.remove_job(job.id, STORE)


# --- the process -----------------------------------------------------------------------------


async def serve_worker(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT; then let running jobs finish and give up the lead."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(run_worker(settings))
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        log.info("worker stopped")


async def run_worker(
    settings: Settings, worker: WorkerSettings | None = None, registry: JobRegistry | None = None
) -> None:
    """Contend for leadership; while leading, schedule; when the lead is lost, contend again.

    `worker` (timings, time zone) defaults to `settings.worker`; `registry` to `job_registry(settings)`.
    Runs until cancelled: in `service-mgmt worker` by a signal, inside `serve` by the app's shutdown.
    """
    worker = settings.worker if worker is None else worker
    registry = job_registry(settings) if registry is None else registry
    register_domain_handlers()  # domain events in jobs too; idempotent
    live_delivery.register()  # plan changes made by jobs (maintenance calls) reach the boards
    webhook_events.register()  # facts changed by jobs (SLA breaches, overdue charges) reach webhooks
    zone = ZoneInfo(worker.time_zone)
    engine = create_engine(settings.database)
    runner = Runner(create_session_factory(engine))

    def standing_by() -> None:
        log.info("standing by: another process leads the scheduler (retrying every %s s)", worker.leader_retry_seconds)

    try:
        while True:
            async with leadership(
                settings.database,
                retry_seconds=worker.leader_retry_seconds,
                check_seconds=worker.leader_check_seconds,
                on_standby=standing_by,
            ) as lead:
                log.info("leading: scheduling %s (time zone %s)", ", ".join(registry.ids()), zone.key)
                try:
                    await _lead(lead, runner, registry, settings.database, zone, worker.stop_grace_seconds)
                except Exception:  # e.g. the database went away: step down, contend again
                    log.exception("the scheduler failed")
            log.warning("no longer leading; contending again in %s s", worker.leader_retry_seconds)
            await asyncio.sleep(worker.leader_retry_seconds)
    finally:
        await engine.dispose()


async def _lead(
    lead: Leadership,
    runner: Runner,
    registry: JobRegistry,
    database: DatabaseSettings,
    zone: ZoneInfo,
    stop_grace_seconds: float,
) -> None:
    """Schedule until leadership is lost (return) or the worker stops (cancelled)."""
    loop = asyncio.get_running_loop()

    def crashed(exc: BaseException) -> None:
        log.error("the scheduler thread died (%r); stepping down", exc)
        loop.call_soon_threadsafe(lead.lost.set)

    async def run_slot(job_id: str, scheduled_for: dt.datetime) -> RunReport | None:
        if job_id not in registry:
            log.error("job %s is in the job store but not defined", job_id)
            return None
        # The watch checks the lock every few seconds; checking again here narrows the moment
        # in which a process that just lost the lead could still start a run.
        if not await lead.confirm():
            return None
        return await runner.run(registry.get(job_id), scheduled_for)

    executor = SlotExecutor(loop, run_slot)
    scheduler = WatchedScheduler(
        crashed,
        jobstores={STORE: MigratedJobStore(database.url)},
        executors={EXECUTOR: executor},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=zone,
    )
    # Shielded: a stop arriving mid-start must not leave a scheduler thread running unseen.
    started = asyncio.ensure_future(asyncio.to_thread(_start, scheduler, registry, zone))
    try:
        await asyncio.shield(started)
        await lead.lost.wait()
        # Another process may be leading already: stop now rather than run beside it.
        executor.cancel_running()
    finally:
        with contextlib.suppress(Exception):
            await started
        if scheduler.running:
            # In a thread: shutdown joins the scheduler thread, which may be waiting on the database.
            await asyncio.to_thread(scheduler.shutdown, False)
        await executor.drain(stop_grace_seconds)


def _start(scheduler: Any, registry: JobRegistry, zone: ZoneInfo) -> None:
    scheduler.start(paused=True)
    sync_schedule(scheduler, registry, zone)
    scheduler.resume()


async def run_once(settings: Settings, job_id: str, today: dt.date | None = None) -> RunReport:
    """Run one job now, outside the schedule (`service-mgmt jobs run`); recorded as manual."""
    spec = job_registry(settings).get(job_id)
    engine = create_engine(settings.database)
    try:
        runner = Runner(create_session_factory(engine))
        now = runner.clock.now().astimezone(ZoneInfo(settings.worker.time_zone))
        return await runner.run(spec, now, today=today, origin=RunOrigin.MANUAL)
    finally:
        await engine.dispose()
