"""Demo billing activity: after `demo-data` last month is billed, most drafts issued in customer
order, a few payments recorded (one partial, one over-payment) and one credit note issued."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.demo_billing import DemoBillingActivitySummary, load_demo_billing
from contracts.models import BillingRun, Invoice, Payment, PaymentAllocation
from core.db import session_scope
from core.outbox import OutboxMessage
from core.settings import BillingSettings
from masterdata.models import Customer, User
from service_mgmt.demo_billing_profiles import load_demo_billing_profiles
from service_mgmt.demo_contracts import load_demo_contracts
from service_mgmt.demo_data import DemoSize, load_demo_data
from tests.sql_statements import statements_sent

SEED = 11
TODAY = dt.date(2026, 11, 23)
SELLER = BillingSettings()
Sessions = async_sessionmaker[AsyncSession]


async def _load(sessions: Sessions) -> tuple[DemoBillingActivitySummary, int]:
    """The demo data and last month's billing; answers the statements the billing sent."""
    async with session_scope(sessions) as session:
        await load_demo_data(session, DemoSize(customers=30, equipment=150, engineers=3, seed=SEED))
        await load_demo_contracts(session, seed=SEED)
        await load_demo_billing_profiles(session, seed=SEED, settings=SELLER)
    with statements_sent(sessions) as sent:
        summary = await load_demo_billing(sessions, seed=SEED, today=TODAY, settings=SELLER)
    return summary, len(sent)


async def test_last_month_is_billed_issued_partly_paid_and_corrected(sessions: Sessions) -> None:
    summary, sent = await _load(sessions)

    # its work, not its seconds: 285 statements on SQLite, 276 on PostgreSQL when this was written; a
    # query per line or per customer would show far above
    assert sent < 400
    assert summary.period == "2026-10"
    assert summary.issued + summary.left_as_drafts == summary.drafts and summary.left_as_drafts >= 1
    assert (summary.credit_notes, summary.payments) == (1, round(summary.issued / 2) + 2)
    async with sessions() as session:
        run = await session.scalar(select(BillingRun))
        assert run is not None and (run.period, run.status, run.started_by) == (
            "2026-10",
            "completed",
            "contract_admin",
        )
        rows = await session.execute(
            select(Invoice, Customer.number)
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(Invoice.kind == "invoice")
            .order_by(Invoice.number)
        )
        invoices = [(invoice, number) for invoice, number in rows.tuples()]
        issued = [(invoice, number) for invoice, number in invoices if invoice.number is not None]
        # Issued on the first of the month, numbered without gaps in customer number order.
        assert [invoice.number for invoice, _ in issued] == [f"INV-{n:06d}" for n in range(1, summary.issued + 1)]
        assert [number for _, number in issued] == sorted(number for _, number in issued)
        assert {invoice.issued_on for invoice, _ in issued} == {dt.date(2026, 11, 1)}
        assert {invoice.billing_period for invoice, _ in invoices} == {"2026-10"}
        assert sum(invoice.status == "draft" for invoice, _ in invoices) == summary.left_as_drafts

        payments = (await session.scalars(select(Payment))).all()
        assert len(payments) == summary.payments
        assert all(TODAY >= p.received_on >= dt.date(2026, 11, 1) for p in payments)
        over = [p for p in payments if p.amount > p.allocated_amount]
        assert [p.amount - p.allocated_amount for p in over] == [Decimal("50.00")]
        statuses = [invoice.status for invoice, _ in issued]
        assert statuses.count("paid") == summary.payments - 1  # in full and over-paid
        # The partial payment, and the invoice the credit note settled in part.
        assert statuses.count("partially_paid") == 2

        credit_note = await session.scalar(select(Invoice).where(Invoice.kind == "credit_note"))
        assert credit_note is not None
        assert (credit_note.number, credit_note.status, credit_note.issued_on) == (
            "CN-000001",
            "issued",
            TODAY.replace(day=2),
        )
        corrected = await session.get(Invoice, credit_note.corrects_invoice_id)
        assert corrected is not None and corrected.status == "partially_paid"
        settled = await session.scalar(
            select(PaymentAllocation.amount).where(PaymentAllocation.credit_note_id == credit_note.id)
        )
        assert settled == -credit_note.gross_amount == corrected.settled_amount

        messages = await session.scalar(select(func.count()).select_from(OutboxMessage))
        assert messages == summary.issued + 1  # each invoice and the credit note, by e-mail


async def test_loaded_once(sessions: Sessions) -> None:
    await _load(sessions)
    with pytest.raises(ValueError):
        await load_demo_billing(sessions, seed=SEED, today=TODAY, settings=SELLER)


async def test_without_a_contract_admin_user_the_system_acts(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        await load_demo_data(session, DemoSize(customers=8, equipment=40, engineers=1, seed=SEED))
        await load_demo_contracts(session, seed=SEED)
        for user in (await session.scalars(select(User).where(User.username == "contract_admin"))).all():
            await session.delete(user)

    summary = await load_demo_billing(sessions, seed=SEED, today=dt.date(2026, 12, 1), settings=SELLER)

    assert summary.period == "2026-11"
    async with sessions() as session:
        run = await session.scalar(select(BillingRun))
        assert run is not None and run.started_by == "system"
