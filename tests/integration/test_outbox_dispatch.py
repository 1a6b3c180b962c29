"""The outbox dispatcher over real SMTP (aiosmtpd on a free port): sent, retried, failed, once."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.outbox_handlers import OUTBOX_JOB, outbox_handlers, send_due_now
from api.worker import job_registry
from core import outbox
from core.clock import FixedClock
from core.db import session_scope
from core.documents import Document
from core.jobs import Outcome, Runner
from core.mailer import Mailer
from core.outbox import OutboxMessage, OutboxStatus
from core.outbox_dispatch import DispatchPolicy, dispatch_due
from core.settings import MailSettings, Settings, load_settings
from service_mgmt.models import WorkOrder
from service_mgmt.services.service_report_queue import queue_service_report
from tests.integration.service_report_fixtures import completed_work_order
from tests.smtp_inbox import SmtpServer, free_port

NOW = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)
Sessions = async_sessionmaker[AsyncSession]


async def dispatch(sessions: Sessions, mailer: Mailer, clock: FixedClock | None = None, **policy: Any) -> Any:
    return await dispatch_due(
        sessions, outbox_handlers(), mailer, clock=clock or FixedClock(NOW), policy=DispatchPolicy(**policy)
    )


async def message_by(sessions: Sessions, dedupe_key: str) -> OutboxMessage:
    async with sessions() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
        assert row is not None
        return row


async def enqueue_email(sessions: Sessions, key: str = "hello", now: dt.datetime = NOW, **fields: Any) -> None:
    async with session_scope(sessions) as session:
        await outbox.enqueue(
            session,
            kind="email",
            dedupe_key=key,
            now=now,
            recipient=fields.pop("recipient", "manager@example.com"),
            subject=fields.pop("subject", "SLA breached: SR-000001"),
            body=fields.pop("body", "The resolution target has passed."),
            **fields,
        )


async def test_a_service_report_arrives_by_smtp_with_the_pdf_attached(sessions: Sessions, smtp: SmtpServer) -> None:
    async with session_scope(sessions) as session:
        done = await completed_work_order(session)
        work_order = await session.get(WorkOrder, done.work_order_id)
        assert work_order is not None
        await queue_service_report(session, work_order, NOW)

    report = await dispatch(sessions, smtp.mailer)

    assert (report.claimed, report.sent, report.retried, report.failed) == (1, 1, 0, 0)
    ((recipients, mail),) = smtp.inbox.received
    assert recipients == ["pat@acme.example"]
    assert mail["To"] == "pat@acme.example" and mail["From"] == "service@example.com"
    assert mail["Subject"] == "Service report WO-000001"
    (attachment,) = mail.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "WO-000001-service-report.pdf"
    assert attachment.get_content().startswith(b"%PDF")
    sent = await message_by(sessions, f"service_report:{done.work_order_id}")
    assert (sent.status, sent.attempts, sent.sent_at, sent.last_error) == ("sent", 1, NOW, None)
    async with sessions() as session:
        stored = await session.scalar(select(Document).where(Document.key == f"service_report:{done.work_order_id}"))
        assert stored is not None and stored.content == attachment.get_content()

    again = await dispatch(sessions, smtp.mailer)
    assert again.claimed == 0 and len(smtp.inbox.received) == 1


async def test_a_generic_email_carries_its_documents(sessions: Sessions, smtp: SmtpServer) -> None:
    async with session_scope(sessions) as session:
        document = Document(
            key="k",
            kind="note",
            filename="a.txt",
            content_type="text/plain",
            size_bytes=5,
            sha256="x",
            content=b"hello",
        )
        session.add(document)
        await session.flush()
        document_id = str(document.id)
    await enqueue_email(sessions, payload={"document_ids": [document_id]})

    await dispatch(sessions, smtp.mailer)

    ((recipients, mail),) = smtp.inbox.received
    assert recipients == ["manager@example.com"] and mail["Subject"] == "SLA breached: SR-000001"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().strip() == "The resolution target has passed."
    (attachment,) = mail.iter_attachments()
    assert (attachment.get_filename(), attachment.get_content()) == ("a.txt", "hello")


async def test_a_server_that_defers_gets_a_retry_later_with_the_error_recorded(
    sessions: Sessions, smtp: SmtpServer
) -> None:
    smtp.inbox.reply = "451 4.3.0 Try again later"
    await enqueue_email(sessions)
    clock = FixedClock(NOW)

    first = await dispatch(sessions, smtp.mailer, clock)

    assert (first.sent, first.retried) == (0, 1)
    waiting = await message_by(sessions, "hello")
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.last_error is not None and "451" in waiting.last_error
    assert waiting.next_attempt_at == NOW + dt.timedelta(minutes=1)
    assert (await dispatch(sessions, smtp.mailer, clock)).claimed == 0  # not due yet

    clock.advance(dt.timedelta(minutes=1))
    second = await dispatch(sessions, smtp.mailer, clock)
    assert second.retried == 1
    assert (await message_by(sessions, "hello")).next_attempt_at == NOW + dt.timedelta(minutes=1 + 2)  # backoff

    smtp.inbox.reply = "250 OK"
    clock.advance(dt.timedelta(minutes=2))
    third = await dispatch(sessions, smtp.mailer, clock)
    assert third.sent == 1 and len(smtp.inbox.received) == 1
    done = await message_by(sessions, "hello")
    assert (done.status, done.attempts, done.sent_at) == ("sent", 3, NOW + dt.timedelta(minutes=3))


async def test_after_the_last_attempt_the_message_is_failed(sessions: Sessions, smtp: SmtpServer) -> None:
    smtp.inbox.reply = "451 Try again later"
    await enqueue_email(sessions)
    clock = FixedClock(NOW)

    for _ in range(3):
        await dispatch(sessions, smtp.mailer, clock, max_attempts=3)
        clock.advance(dt.timedelta(hours=1))

    failed = await message_by(sessions, "hello")
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert failed.last_error is not None and "451" in failed.last_error
    assert (await dispatch(sessions, smtp.mailer, clock)).claimed == 0


async def test_a_permanent_refusal_fails_at_once(sessions: Sessions, smtp: SmtpServer) -> None:
    smtp.inbox.reply = "554 5.7.1 Message rejected"
    await enqueue_email(sessions)

    report = await dispatch(sessions, smtp.mailer)

    assert report.failed == 1
    failed = await message_by(sessions, "hello")
    assert (failed.status, failed.attempts) == ("failed", 1) and "554" in (failed.last_error or "")


async def test_an_unreachable_server_is_retried(sessions: Sessions) -> None:
    await enqueue_email(sessions)
    nobody = Mailer(MailSettings(host="127.0.0.1", port=free_port(), timeout_seconds=2))

    report = await dispatch(sessions, nobody)

    assert report.retried == 1
    waiting = await message_by(sessions, "hello")
    assert waiting.status == "pending" and "ConnectionRefusedError" in (waiting.last_error or "")


async def test_a_message_enqueued_in_a_rolled_back_transaction_is_never_sent(
    sessions: Sessions, smtp: SmtpServer
) -> None:
    with pytest.raises(RuntimeError, match="the use case failed"):
        async with session_scope(sessions) as session:
            await outbox.enqueue(session, kind="email", dedupe_key="ghost", now=NOW, recipient="x@example.com")
            raise RuntimeError("the use case failed after enqueueing")

    report = await dispatch(sessions, smtp.mailer)

    assert report.claimed == 0 and smtp.inbox.received == []


async def test_with_mail_disabled_nothing_is_claimed_or_marked_sent(sessions: Sessions) -> None:
    await enqueue_email(sessions)

    report = await dispatch(sessions, Mailer(MailSettings(host=None)))

    assert report.mail_disabled and report.claimed == 0 and report.pending == 1
    waiting = await message_by(sessions, "hello")
    assert (waiting.status, waiting.attempts, waiting.sent_at) == ("pending", 0, None)


async def test_a_service_report_without_recipient_is_rendered_and_marked_sent_with_a_note(
    sessions: Sessions, smtp: SmtpServer
) -> None:
    async with session_scope(sessions) as session:
        done = await completed_work_order(session, contact_email=None)
        work_order = await session.get(WorkOrder, done.work_order_id)
        assert work_order is not None
        message = await queue_service_report(session, work_order, NOW)
        assert message.recipient is None

    await dispatch(sessions, smtp.mailer)

    sent = await message_by(sessions, f"service_report:{done.work_order_id}")
    assert sent.status == "sent" and "no recipient" in (sent.last_error or "")
    assert smtp.inbox.received == []


async def test_a_kind_without_handler_is_retried_with_the_reason(sessions: Sessions, smtp: SmtpServer) -> None:
    async with session_scope(sessions) as session:
        await outbox.enqueue(session, kind="webhook", dedupe_key="w", now=NOW)

    await dispatch(sessions, smtp.mailer)

    waiting = await message_by(sessions, "w")
    assert waiting.status == "pending" and "no handler for outbox kind 'webhook'" in (waiting.last_error or "")


async def test_messages_not_yet_due_wait(sessions: Sessions, smtp: SmtpServer) -> None:
    async with session_scope(sessions) as session:
        await outbox.enqueue(
            session, kind="email", dedupe_key="later", now=NOW + dt.timedelta(minutes=5), recipient="a@b.c"
        )

    assert (await dispatch(sessions, smtp.mailer)).claimed == 0


async def test_two_dispatchers_at_once_send_each_message_once(sessions: Sessions, smtp: SmtpServer) -> None:
    # Real concurrency needs PostgreSQL's row locks (SKIP LOCKED); on SQLite the claims serialise.
    for n in range(12):
        await enqueue_email(sessions, f"m{n}", recipient=f"r{n}@example.com")

    reports = await asyncio.gather(*(dispatch(sessions, smtp.mailer, batch_size=5) for _ in range(2)))
    reports += await asyncio.gather(*(dispatch(sessions, smtp.mailer, batch_size=5) for _ in range(2)))

    assert sum(r.sent for r in reports) == 12
    recipients = sorted(rcpt for rcpts, _ in smtp.inbox.received for rcpt in rcpts)
    assert recipients == sorted(f"r{n}@example.com" for n in range(12))
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
        assert {(row.status, row.attempts) for row in rows} == {(OutboxStatus.SENT.value, 1)}


@pytest.mark.postgres_only
async def test_a_message_locked_by_another_dispatcher_is_skipped_not_waited_for(
    sessions: Sessions, smtp: SmtpServer
) -> None:
    await enqueue_email(sessions, "busy")
    await enqueue_email(sessions, "free")
    async with sessions() as other:  # another dispatcher's claim transaction, still open
        await other.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "busy").with_for_update())

        report = await asyncio.wait_for(dispatch(sessions, smtp.mailer), timeout=10)

        assert report.claimed == 1 and report.sent == 1
        assert [rcpts for rcpts, _ in smtp.inbox.received] == [["manager@example.com"]]
        await other.rollback()
    assert (await message_by(sessions, "busy")).status == "pending"
    assert (await message_by(sessions, "free")).status == "sent"


async def test_the_worker_job_delivers_through_the_smtp_server_of_the_environment(
    settings: Settings, sessions: Sessions, smtp: SmtpServer
) -> None:
    environment = {
        "DATABASE_URL": settings.database.url,
        "SECRET_KEY": settings.auth.secret_key,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "MAIL_FROM": "noreply@example.com",
    }
    await enqueue_email(sessions)
    job = job_registry(load_settings(environment)).get(OUTBOX_JOB)

    run = await Runner(sessions, clock=FixedClock(NOW)).run(job, NOW)

    assert run.outcome == Outcome.SUCCEEDED and run.result["sent"] == 1
    ((_, mail),) = smtp.inbox.received
    assert mail["From"] == "noreply@example.com"


async def test_the_cli_sends_everything_due_batch_after_batch(
    settings: Settings, sessions: Sessions, smtp: SmtpServer
) -> None:
    configured = dataclasses.replace(settings, mail=MailSettings(host="127.0.0.1", port=smtp.port))
    for n in range(25):  # more than one batch of 20; due by the real clock the CLI uses
        await enqueue_email(sessions, f"m{n}", recipient=f"r{n}@example.com", now=dt.datetime.now(dt.UTC))

    reports = await send_due_now(configured)

    assert [r.sent for r in reports] == [20, 5] and len(smtp.inbox.received) == 25
    disabled = await send_due_now(settings)
    assert disabled[0].mail_disabled
