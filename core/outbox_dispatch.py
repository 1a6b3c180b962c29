"""Delivering the outbox: claim due messages, hand each to the handler of its kind, record the outcome.

Core knows no domain, so the handlers come in as a mapping from `kind` to a function (the
worker builds it in `api/outbox_handlers.py`). A handler prepares a delivery in a session of
its own — it may read, render and store documents, and that work is committed — and answers
the e-mail to send (or none, with a note). The dispatcher sends it and marks the message.

Each message goes through three short transactions, so no row lock or SQLite write lock is
held while a template renders or an SMTP server answers:

1. **Claim.** Due pending rows (`next_attempt_at <= now`) are selected `FOR UPDATE SKIP LOCKED`,
   their `attempts` counted up and `next_attempt_at` pushed a lease ahead. Two dispatchers on
   PostgreSQL skip each other's rows, and a claimed row is no longer due, so each message is
   claimed by one of them. (SQLite has no row locks and SQLAlchemy omits the clause there;
   its writers are serialised by `BEGIN IMMEDIATE`, which gives the same guarantee.)
2. **Prepare**, in the handler's session, committed.
3. **Send, then mark** `sent`, or on failure schedule a retry with exponential backoff, or mark
   `failed` after the last attempt (or at once for a permanent failure), recording `last_error`.
   The mark is conditional on the claim (same `attempts`, still pending), so a dispatcher
   whose lease ran out cannot overwrite a newer claim's outcome.

Delivery is at least once: a crash after the SMTP server accepted a message and before the
mark leaves the row claimed, and it is sent again when the lease has passed. The lease is
much longer than any send (SMTP timeout), so a slow send is not claimed twice.

With mail disabled (no SMTP_HOST) nothing is claimed: messages stay pending and keep their
attempts, and nothing is marked sent that was not.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import SYSTEM_CLOCK, Clock
from core.db import session_scope
from core.documents import Document
from core.mailer import Attachment, Mailer, PermanentMailError, compose
from core.outbox import OutboxMessage, OutboxStatus

log = logging.getLogger("service_mgmt.outbox")

EMAIL = "email"
ERROR_LIMIT = 2000  # OutboxMessage.last_error


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a handler prepared: an e-mail to send, or nothing (then `note` says why)."""

    email: EmailMessage | None = None
    note: str | None = None


Handler = Callable[[AsyncSession, OutboxMessage], Awaitable[Delivery]]


class PermanentFailure(Exception):
    """A handler's verdict that the message can never be delivered (no retry)."""


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    batch_size: int = 20
    max_attempts: int = 8
    first_retry: dt.timedelta = dt.timedelta(minutes=1)  # doubled per attempt ...
    max_retry: dt.timedelta = dt.timedelta(hours=1)  # ... up to this
    lease: dt.timedelta = dt.timedelta(minutes=10)  # a claimed message is not due again for this long

    def retry_delay(self, attempts: int) -> dt.timedelta:
        delay: dt.timedelta = self.first_retry * 2 ** max(attempts - 1, 0)
        return min(delay, self.max_retry)


@dataclass(slots=True)
class DispatchReport:
    mail_disabled: bool = False
    pending: int | None = None  # counted when mail is disabled: what is waiting for it
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Claim:
    id: UUID
    attempts: int


async def dispatch_due(
    sessions: async_sessionmaker[AsyncSession],
    handlers: Mapping[str, Handler],
    mailer: Mailer,
    *,
    clock: Clock = SYSTEM_CLOCK,
    policy: DispatchPolicy = DispatchPolicy(),  # frozen, so sharing the default is safe
) -> DispatchReport:
    """Deliver the messages due now (one batch); answer what happened."""
    report = DispatchReport()
    if not mailer.enabled:
        report.mail_disabled = True
        async with sessions() as session:
            report.pending = await pending_count(session)
        return report
    claims = await claim_due(sessions, clock.now(), policy)
    report.claimed = len(claims)
    for claim in claims:
        await _deliver(sessions, handlers, mailer, claim, clock, policy, report)
    return report


async def claim_due(
    sessions: async_sessionmaker[AsyncSession], now: dt.datetime, policy: DispatchPolicy
) -> list[_Claim]:
    async with session_scope(sessions) as session:
        due = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING.value, OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(policy.batch_size)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for message in due:
            message.attempts += 1
            message.next_attempt_at = now + policy.lease
        return [_Claim(message.id, message.attempts) for message in due]


async def _deliver(
    sessions: async_sessionmaker[AsyncSession],
    handlers: Mapping[str, Handler],
    mailer: Mailer,
    claim: _Claim,
    clock: Clock,
    policy: DispatchPolicy,
    report: DispatchReport,
) -> None:
    try:
        async with session_scope(sessions) as session:
            message = await session.get(OutboxMessage, claim.id)
            if message is None:  # deleted by an operator meanwhile
                return
            handler = handlers.get(message.kind)
            if handler is None:
                raise LookupError(f"no handler for outbox kind {message.kind!r}")
            delivery = await handler(session, message)
        if delivery.email is not None:
            await mailer.send(delivery.email)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the message; the batch goes on
        error = f"{type(exc).__name__}: {exc}"[:ERROR_LIMIT]
        permanent = isinstance(exc, PermanentFailure | PermanentMailError)
        gave_up = permanent or claim.attempts >= policy.max_attempts
        log.warning("outbox message %s attempt %s failed: %s", claim.id, claim.attempts, error)
        await _finish(sessions, claim, _failure(clock.now(), claim.attempts, error, gave_up, policy))
        report.errors.append(f"{claim.id}: {error}")
        if gave_up:
            report.failed += 1
        else:
            report.retried += 1
        return
    await _finish(sessions, claim, _success(clock.now(), delivery.note))
    report.sent += 1


def _success(now: dt.datetime, note: str | None) -> dict[str, Any]:
    # A note (e.g. "no recipient: rendered only") is kept where people look for why.
    return {"status": OutboxStatus.SENT.value, "sent_at": now, "last_error": note}


def _failure(now: dt.datetime, attempts: int, error: str, gave_up: bool, policy: DispatchPolicy) -> dict[str, Any]:
    if gave_up:
        return {"status": OutboxStatus.FAILED.value, "last_error": error}
    return {"last_error": error, "next_attempt_at": now + policy.retry_delay(attempts)}


async def _finish(sessions: async_sessionmaker[AsyncSession], claim: _Claim, values: dict[str, Any]) -> None:
    async with session_scope(sessions) as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == claim.id,
                OutboxMessage.attempts == claim.attempts,
                OutboxMessage.status == OutboxStatus.PENDING.value,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    if not getattr(result, "rowcount", 1):
        log.warning("outbox message %s: claim %s was overtaken; outcome not recorded", claim.id, claim.attempts)


async def pending_count(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING.value)
        )
        or 0
    )


# --- the generic e-mail ----------------------------------------------------------------------


async def email_handler(session: AsyncSession, message: OutboxMessage) -> Delivery:
    """Kind `email`: recipient, subject and body of the row; `payload["document_ids"]` attached."""
    if not message.recipient:
        raise PermanentFailure("an e-mail needs a recipient")
    attachments = await document_attachments(session, message.payload.get("document_ids") or [])
    email = compose(
        to=message.recipient, subject=message.subject or "", body=message.body or "", attachments=attachments
    )
    return Delivery(email=email)


async def document_attachments(session: AsyncSession, document_ids: Sequence[str]) -> list[Attachment]:
    attachments = []
    for raw in document_ids:
        document = await session.get(Document, UUID(str(raw)))
        if document is None:
            raise PermanentFailure(f"document {raw} to attach does not exist")
        attachments.append(Attachment(document.filename, document.content_type, document.content))
    return attachments
