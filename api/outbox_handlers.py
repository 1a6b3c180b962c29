"""The outbox's handlers by kind, and the job that dispatches it.

Core's dispatcher knows no domain; this wiring (api sees every package) says which function
delivers which kind of message.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from contracts.services import invoice_document, invoice_document_queue
from core.db import create_engine, create_session_factory
from core.job_runs import prune_runs
from core.jobs import Every, JobContext, JobSpec
from core.mailer import Mailer
from core.outbox_dispatch import EMAIL, DispatchPolicy, DispatchReport, Handler, dispatch_due, email_handler
from core.settings import Settings
from service_mgmt.services import service_report, service_report_queue

OUTBOX_JOB = "outbox_dispatch"
OUTBOX_INTERVAL = dt.timedelta(seconds=30)
KEEP_RUNS = dt.timedelta(days=1)


def outbox_handlers(settings: Settings | None = None) -> dict[str, Handler]:
    """The handlers, with the settings they need bound (defaults without `settings`: tests)."""
    settings = settings or Settings()
    return {
        EMAIL: email_handler,
        service_report_queue.KIND: service_report.deliver_service_report,
        invoice_document_queue.KIND: partial(invoice_document.deliver_invoice_document, settings=settings.billing),
    }


def outbox_job(settings: Settings | None = None, every: dt.timedelta = OUTBOX_INTERVAL) -> JobSpec:
    """The dispatch job: mail through `settings.mail` (default: mail disabled, nothing claimed)."""
    settings = settings or Settings()

    async def dispatch_outbox(session: AsyncSession, context: JobContext) -> DispatchReport:
        # The dispatcher commits per message in sessions of its own; the job's session (which the
        # runner commits with the run's outcome) is only used to prune this job's run history.
        engine = session.bind
        assert isinstance(engine, AsyncEngine)
        report = await dispatch_due(
            create_session_factory(engine), outbox_handlers(settings), Mailer(settings.mail), clock=context.clock
        )
        # Every 30 s is 2,880 runs a day: only recent ones are worth keeping.
        await prune_runs(session, OUTBOX_JOB, context.scheduled_for - KEEP_RUNS)
        return report

    return JobSpec(
        OUTBOX_JOB,
        dispatch_outbox,
        Every(every),
        # A missed slot is worthless: the next one, one interval later, delivers everything due.
        every,
        "deliver due outbox messages (e-mails, service reports)",
    )


async def send_due_now(settings: Settings, *, max_batches: int = 50) -> list[DispatchReport]:
    """`service-mgmt outbox send`: deliver what is due now, batch after batch while batches are full."""
    engine = create_engine(settings.database)
    policy = DispatchPolicy()
    reports: list[DispatchReport] = []
    try:
        sessions = create_session_factory(engine)
        for _ in range(max_batches):
            report = await dispatch_due(sessions, outbox_handlers(settings), Mailer(settings.mail), policy=policy)
            reports.append(report)
            if report.mail_disabled or report.claimed < policy.batch_size:
                break
    finally:
        await engine.dispose()
    return reports
