"""Demo billing activity: last month billed, invoiced, partly paid and one invoice corrected.

Runs after the demo company, contracts, billing profiles and activity are committed, because
the billing run and the bulk of the work commit in transactions of their own. Everything goes
through the services a contract administrator uses, so the demo obeys the same rules:

1. the billing run for the month before `today` (at that month's last evening);
2. the drafts issued on the first of this month, in customer number order (the bulk issue's
   order), all but a few that stay drafts for someone to review;
3. payments between the issue day and `today`: about half the invoices paid in full, one
   paid in part, one paid with too much (the rest stays as the customer's credit);
4. one credit note: a goodwill credit on part of an open invoice's first line.

Deterministic for a seed and a `today`. Never on a real installation.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.choices import InvoiceStatus
from contracts.fee_schedule import RunMonth
from contracts.invoice_math import to_cents
from contracts.models import Invoice
from contracts.services.billing_run import run_billing
from contracts.services.credit_notes import CreditLineRequest, CreditNoteCreate, create_credit_note
from contracts.services.invoice_bulk_issue import drafts_in_customer_order
from contracts.services.invoice_issue import issue_invoice
from contracts.services.invoice_totals import lines_of
from contracts.services.invoices import InvoiceIssue
from contracts.services.payments import AllocationIn, PaymentCreate, record_payment
from core.auth import SYSTEM, Principal, Role
from core.clock import FixedClock
from core.db import session_scope
from core.settings import BillingSettings
from masterdata.models import User

ZERO = Decimal("0.00")
DRAFT_SHARE = 0.1  # of the run's drafts left for review (at least one when there are two or more)
PAID_SHARE = 0.5  # of the issued invoices paid in full
OVERPAID_BY = Decimal("50.00")
GOODWILL = Decimal("0.20")  # of the first line's net


@dataclass(frozen=True, slots=True)
class DemoBillingActivitySummary:
    period: str
    drafts: int
    issued: int
    left_as_drafts: int
    payments: int
    credit_notes: int


async def load_demo_billing(
    sessions: async_sessionmaker[AsyncSession], *, seed: int, today: dt.date, settings: BillingSettings
) -> DemoBillingActivitySummary:
    """Bill, issue, collect and correct the month before `today`; refuses a database with invoices."""
    async with sessions() as session:
        if await session.scalar(select(Invoice.id).limit(1)) is not None:
            raise ValueError("the database already holds invoices")
        actor = await _contract_admin(session)
    period = RunMonth.of(today.replace(day=1) - dt.timedelta(days=1))
    evening = dt.datetime.combine(period.last_day, dt.time(20), dt.UTC)
    await run_billing(sessions, actor, str(period), settings, clock=FixedClock(evening))
    return await _Story(sessions, actor, settings, random.Random(seed), today, period).tell()


class _Story:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        actor: Principal,
        settings: BillingSettings,
        rng: random.Random,
        today: dt.date,
        period: RunMonth,
    ) -> None:
        self.sessions, self.actor, self.settings, self.rng = sessions, actor, settings, rng
        self.today, self.period = today, period
        self.issue_moment = dt.datetime.combine(today.replace(day=1), dt.time(8), dt.UTC)

    async def tell(self) -> DemoBillingActivitySummary:
        async with session_scope(self.sessions) as session:
            drafts = await drafts_in_customer_order(session, str(self.period))
            held = max(1, round(DRAFT_SHARE * len(drafts))) if len(drafts) >= 2 else 0
            to_issue = sorted(self.rng.sample(range(len(drafts)), len(drafts) - held))
            issued = [await self._issue(session, drafts[i]) for i in to_issue]
            billed = [invoice for invoice in issued if invoice.status == InvoiceStatus.ISSUED.value]
            self.rng.shuffle(billed)
            paid_in_full = round(PAID_SHARE * len(billed))
            payments = await self._payments(session, billed, paid_in_full)
            # The credit note goes to an invoice no payment touched.
            credit_notes = await self._credit_note(session, billed[paid_in_full + 2 :])
        return DemoBillingActivitySummary(
            period=str(self.period),
            drafts=len(drafts),
            issued=len(issued),
            left_as_drafts=held,
            payments=payments,
            credit_notes=credit_notes,
        )

    async def _issue(self, session: AsyncSession, invoice_id: UUID) -> Invoice:
        version = await session.scalar(select(Invoice.version).where(Invoice.id == invoice_id))
        assert version is not None
        clock = FixedClock(self.issue_moment)
        view = await issue_invoice(
            session, self.actor, invoice_id, InvoiceIssue(version=version), self.settings, clock=clock
        )
        return view.invoice

    async def _payments(self, session: AsyncSession, billed: list[Invoice], full: int) -> int:
        """The first `full` paid in full, then one paid in part and one paid with too much."""
        made = 0
        for index, invoice in enumerate(billed[: full + 2]):
            if index < full:
                amount, allocated = invoice.gross_amount, invoice.gross_amount
            elif index == full:  # the partial payment: about half
                amount = allocated = to_cents(invoice.gross_amount / 2)
            else:  # the over-payment: the rest stays on the payment as the customer's credit
                amount, allocated = invoice.gross_amount + OVERPAID_BY, invoice.gross_amount
            if allocated <= ZERO:
                continue
            received_on = self._received_on(invoice)
            data = PaymentCreate(
                customer_id=invoice.customer_id,
                amount=amount,
                currency=invoice.currency,
                received_on=received_on,
                reference=invoice.payment_reference,
                allocations=[AllocationIn(invoice_id=invoice.id, amount=allocated)],
                auto_allocate=False,
            )
            clock = FixedClock(dt.datetime.combine(received_on, dt.time(12), dt.UTC))
            await record_payment(session, self.actor, data, clock=clock)
            made += 1
        return made

    def _received_on(self, invoice: Invoice) -> dt.date:
        issued_on = invoice.issued_on or self.today
        latest = max(issued_on, min(self.today, invoice.due_on or self.today))
        return issued_on + dt.timedelta(days=self.rng.randint(0, (latest - issued_on).days))

    async def _credit_note(self, session: AsyncSession, open_invoices: list[Invoice]) -> int:
        """A goodwill credit on the first line of an open invoice, issued the day after the invoice."""
        for invoice in open_invoices:
            lines = await lines_of(session, invoice.id)
            amount = to_cents(lines[0].net_amount * GOODWILL) if lines else ZERO
            if amount <= ZERO:
                continue
            data = CreditNoteCreate(
                reason="Goodwill: response time missed on a service call",
                lines=[CreditLineRequest(line_id=lines[0].id, amount=amount)],
            )
            draft = await create_credit_note(session, self.actor, invoice.id, data)
            clock = FixedClock(min(self.issue_moment + dt.timedelta(days=1), self._now()))
            issue = InvoiceIssue(version=draft.invoice.version)
            await issue_invoice(session, self.actor, draft.invoice.id, issue, self.settings, clock=clock)
            return 1
        return 0

    def _now(self) -> dt.datetime:
        return dt.datetime.combine(self.today, dt.time(12), dt.UTC)


async def _contract_admin(session: AsyncSession) -> Principal:
    """The demo's contract administrator, so the audit trail names a person; the system otherwise."""
    user_id = await session.scalar(select(User.id).where(User.username == Role.CONTRACT_ADMIN.value))
    if user_id is None:
        return SYSTEM
    return Principal(user_id=user_id, username=Role.CONTRACT_ADMIN.value, role=Role.CONTRACT_ADMIN)
