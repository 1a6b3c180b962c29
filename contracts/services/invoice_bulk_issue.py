"""Month-end: issue every draft invoice of a billing period at once, after the review.

The contract administrator reviews the drafts a billing run left for a month, then issues
them all. Each draft goes through `invoice_issue.issue_invoice`, the same function as a
single issue, so numbers, dates, the frozen bill-to, the audit entry and the outbox message
(PDF by e-mail) are exactly those of an invoice issued by hand.

- Order: customer number, then invoice id. Numbers come from the gap-free series in that
  order, so INV-… numbers follow the customers (when nobody else issues at the same time).
- Chunks: one transaction per `chunk_size` drafts. A crash leaves whole chunks issued and
  the rest drafts; numbers taken in a rolled-back chunk are handed out again.
- Safe to re-run and to run twice at once: a chunk's drafts are locked (in the same order)
  and read again before any is issued; one that is no longer a draft (issued meanwhile,
  deleted) is skipped.
- Drafts without lines cannot be issued (`invoice_empty`); they stay drafts and are counted.
- Refused (409 `billing_run_in_progress`) while a billing run for the same month is still
  adding lines: issuing then would send half an invoice and leave the rest for a new draft.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.choices import BillingRunStatus, InvoiceKind, InvoiceStatus
from contracts.errors import Code
from contracts.models import BillingRun, Invoice, InvoiceLine
from contracts.services.bill_to import bill_to_of
from contracts.services.billing_run import RunOptions, parse_period
from contracts.services.invoice_issue import issue_locked_draft
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.db import session_scope
from core.errors import Conflict, Invalid
from core.settings import BillingSettings
from masterdata.models import Customer

ZERO = Decimal("0.00")
MAX_CHUNK = 5000

Progress = Callable[[int, int], None]  # (drafts handled, in all)

# contracts refers to customers by id; the number only orders the drafts.


@dataclass(slots=True)
class IssuedTotals:
    invoices: int = 0
    net: Decimal = ZERO
    tax: Decimal = ZERO
    gross: Decimal = ZERO

    def add(self, invoice: Invoice) -> None:
        self.invoices += 1
        self.net += invoice.net_amount
        self.tax += invoice.tax_amount
        self.gross += invoice.gross_amount


@dataclass(slots=True)
class BulkIssueResult:
    period: str
    drafts: int = 0  # drafts with lines found at the start
    issued: int = 0
    skipped: int = 0  # no longer drafts when their turn came (issued or deleted meanwhile)
    empty: int = 0  # drafts without lines, left as they are
    first_number: str | None = None
    last_number: str | None = None
    totals: dict[str, IssuedTotals] = field(default_factory=dict)  # per currency, of the issued ones


async def issue_drafts(
    sessions: async_sessionmaker[AsyncSession],
    actor: Principal,
    period: str,
    settings: BillingSettings,
    *,
    clock: Clock = SYSTEM_CLOCK,
    chunk_size: int = 200,
    progress: Progress | None = None,
) -> BulkIssueResult:
    """Issue every draft invoice of the month, chunk by chunk; answers counts and totals."""
    month = str(parse_period(period))
    if not 1 <= chunk_size <= MAX_CHUNK:
        raise Invalid(Code.INVALID_BILLING_PERIOD, f"chunk size must lie between 1 and {MAX_CHUNK}", field="chunk_size")
    async with session_scope(sessions) as session:
        await _refuse_while_billing(session, month, clock.now())
        ids = await drafts_in_customer_order(session, month)
        empty = await _empty_drafts(session, month)
    result = BulkIssueResult(period=month, drafts=len(ids), empty=empty)
    if progress is not None:
        progress(0, len(ids))
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        async with session_scope(sessions) as session:
            issued = await _issue_chunk(session, actor, chunk, settings, clock)
        # Counted only once the chunk is committed: the result never claims a rolled-back issue.
        for invoice in issued:
            result.totals.setdefault(invoice.currency, IssuedTotals()).add(invoice)
            result.first_number = result.first_number or invoice.number
            result.last_number = invoice.number
        result.issued += len(issued)
        result.skipped += len(chunk) - len(issued)
        if progress is not None:
            progress(start + len(chunk), len(ids))
    return result


async def _issue_chunk(
    session: AsyncSession, actor: Principal, ids: Sequence[UUID], settings: BillingSettings, clock: Clock
) -> list[Invoice]:
    # The whole chunk is locked first, in customer order, before any number is taken. Locking
    # draft by draft while holding the number series would deadlock with a single issue, which
    # locks its draft and then waits for the series.
    locked = await session.scalars(
        select(Invoice)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.id.in_(ids))
        .order_by(Customer.number, Invoice.id)
        .with_for_update(of=Invoice)
        .execution_options(populate_existing=True)
    )
    # Read again under the lock: another issuer (or a re-run) may have been first, or deleted it.
    drafts = [row for row in locked.all() if row.status == InvoiceStatus.DRAFT.value]
    bill_tos = await bill_to_of(session, {draft.customer_id for draft in drafts}, settings)
    now = clock.now()
    return [
        await issue_locked_draft(session, actor, draft, bill_tos.get(draft.customer_id), now=now) for draft in drafts
    ]


def _drafts_of(month: str) -> ColumnElement[bool]:
    return and_(
        Invoice.kind == InvoiceKind.INVOICE.value,
        Invoice.status == InvoiceStatus.DRAFT.value,
        Invoice.billing_period == month,
    )


async def drafts_in_customer_order(session: AsyncSession, month: str) -> list[UUID]:
    has_lines = exists().where(InvoiceLine.invoice_id == Invoice.id)
    rows = await session.scalars(
        select(Invoice.id)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(_drafts_of(month), has_lines)
        .order_by(Customer.number, Invoice.id)
    )
    return list(rows.all())


async def _empty_drafts(session: AsyncSession, month: str) -> int:
    has_lines = exists().where(InvoiceLine.invoice_id == Invoice.id)
    return int(
        await session.scalar(select(func.count()).select_from(Invoice).where(_drafts_of(month), ~has_lines)) or 0
    )


async def _refuse_while_billing(session: AsyncSession, month: str, now: dt.datetime) -> None:
    # A run whose heartbeat is stale is dead (the next run takes it over); it adds nothing more.
    alive_since = now - RunOptions().take_over_after
    running = await session.scalar(
        select(BillingRun).where(
            BillingRun.period == month,
            BillingRun.status == BillingRunStatus.RUNNING.value,
            BillingRun.heartbeat_at >= alive_since,
        )
    )
    if running is not None:
        raise Conflict(
            Code.BILLING_RUN_IN_PROGRESS,
            f"billing run {running.id} for {month} is still adding to the drafts; issue them once it has finished",
            extra={"run_id": str(running.id)},
        )
