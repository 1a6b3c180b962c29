"""A credit note's unsettled rest applied to another open invoice of the same customer.

ACME paid invoice A (119.00) in full, then A was credited in full: the credit note could settle
nothing on A, so its 119.00 stay as ACME's credit. The contract administrator applies that
credit to the next invoice B (238.00)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.models import Invoice, PaymentAllocation
from contracts.services.credit_note_applications import CreditNoteApplication, apply_credit_note
from contracts.services.credit_notes import CreditNoteCreate, create_credit_note
from contracts.services.invoice_issue import issue_invoice
from contracts.services.invoices import InvoiceIssue
from contracts.services.payments import PaymentCreate, record_payment
from contracts.services.receivables import balances
from core.db import session_scope
from core.errors import Conflict, DomainError, Invalid, NotFound
from tests.integration.invoice_fixtures import BILLING, CLARA, CLOCK, customer, issued_invoice, manual_draft

D = Decimal
DAY = CLOCK.now().date()  # 2026-12-01: issued, paid and applied that day


@dataclass
class Credit:
    customer_id: UUID
    paid: Invoice  # A, paid, then credited in full
    credit_note: Invoice  # 119.00 unsettled
    open: Invoice  # B, 238.00 open


async def issued_credit_note(session: AsyncSession, invoice_id: UUID) -> Invoice:
    draft = await create_credit_note(session, CLARA, invoice_id, CreditNoteCreate(reason="Wrong fee charged"))
    view = await issue_invoice(
        session, CLARA, draft.invoice.id, InvoiceIssue(version=draft.invoice.version), BILLING, clock=CLOCK
    )
    return view.invoice


async def credit_of_acme(session: AsyncSession) -> Credit:
    acme = (await customer(session, "ACME")).id
    paid = await issued_invoice(session, acme, [("Monthly fee", "1", "mo", "100.00")])
    payment = PaymentCreate(customer_id=acme, amount=D("119.00"), currency="EUR", received_on=DAY)
    await record_payment(session, CLARA, payment, clock=CLOCK)
    credit_note = await issued_credit_note(session, paid.id)
    later = await issued_invoice(session, acme, [("Labour", "2", "h", "100.00")])
    return Credit(acme, paid, credit_note, later)


async def apply(session: AsyncSession, credit_note: Invoice, invoice_id: UUID, amount: str) -> Invoice:
    data = CreditNoteApplication(invoice_id=invoice_id, amount=D(amount))
    return (await apply_credit_note(session, CLARA, credit_note.id, data, clock=CLOCK)).invoice


async def test_the_credit_notes_rest_settles_the_next_invoice_in_two_steps(session: AsyncSession) -> None:
    acme = await credit_of_acme(session)
    assert (acme.paid.status, acme.credit_note.gross_amount, acme.credit_note.settled_amount) == (
        "paid",
        D("-119.00"),
        D("0.00"),
    )
    before = await balances(session, [acme.customer_id], DAY)

    await apply(session, acme.credit_note, acme.open.id, "100.00")
    invoice = await apply(session, acme.credit_note, acme.open.id, "19.00")

    assert (invoice.status, invoice.settled_amount, invoice.paid_on) == ("partially_paid", D("119.00"), None)
    assert (acme.credit_note.status, acme.credit_note.settled_amount) == ("issued", D("119.00"))
    allocations = (
        await session.scalars(select(PaymentAllocation).where(PaymentAllocation.credit_note_id == acme.credit_note.id))
    ).all()
    assert sorted((a.invoice_id, a.amount, a.allocated_on, a.allocated_by) for a in allocations) == [
        (acme.open.id, D("19.00"), DAY, "clara"),
        (acme.open.id, D("100.00"), DAY, "clara"),
    ]
    # What ACME owes is the same (238.00 - 119.00 credit); it now sits on B alone.
    after = await balances(session, [acme.customer_id], DAY)
    assert before[(acme.customer_id, "EUR")].open_amount == after[(acme.customer_id, "EUR")].open_amount == D("119.00")
    with pytest.raises(Invalid) as used_up:
        await apply(session, acme.credit_note, acme.open.id, "0.01")
    assert (used_up.value.code, used_up.value.field) == ("allocation_exceeds_payment", "amount")


async def test_a_rest_larger_than_the_invoice_settles_it_and_keeps_the_remainder(session: AsyncSession) -> None:
    acme = await credit_of_acme(session)
    small = await issued_invoice(session, acme.customer_id, [("PM visit", "1", "ea", "50.00")])  # 59.50

    with pytest.raises(Invalid) as too_much:
        await apply(session, acme.credit_note, small.id, "59.51")
    invoice = await apply(session, acme.credit_note, small.id, "59.50")

    assert (too_much.value.code, too_much.value.field) == ("allocation_exceeds_open", "amount")
    assert (invoice.status, invoice.paid_on) == ("paid", DAY)
    assert acme.credit_note.settled_amount == D("59.50")  # 59.50 still to use
    with pytest.raises(Conflict) as paid:
        await apply(session, acme.credit_note, small.id, "1.00")
    assert paid.value.code == "invoice_not_editable"


@pytest.mark.parametrize(
    ("case", "error", "code", "field"),
    [
        ("other customer", Invalid, "customer_mismatch", "invoice_id"),
        ("other currency", Invalid, "currency_mismatch", "invoice_id"),
        ("unknown invoice", NotFound, "invoice_not_found", "invoice_id"),
        ("zero", Invalid, "invalid_amount", "amount"),
        ("fractions of a cent", Invalid, "invalid_amount", "amount"),
        ("an invoice instead of a credit note", Conflict, "invoice_not_editable", None),
        ("a draft credit note", Conflict, "invoice_not_editable", None),
    ],
)
async def test_refusals_name_the_code_and_the_field(
    session: AsyncSession, case: str, error: type[DomainError], code: str, field: str | None
) -> None:
    acme = await credit_of_acme(session)
    source, target, amount = acme.credit_note, acme.open.id, "10.00"
    if case == "other customer":
        globex = (await customer(session, "Globex")).id
        target = (await issued_invoice(session, globex, [("Labour", "1", "h", "90.00")])).id
    elif case == "other currency":
        target = (
            await issue(session, await manual_draft(session, acme.customer_id, [("Part", "1", "ea", "9")], "USD"))
        ).id
    elif case == "unknown invoice":
        target = UUID(int=7)
    elif case == "zero":
        amount = "0"
    elif case == "fractions of a cent":
        amount = "1.005"
    elif case == "an invoice instead of a credit note":
        source = acme.paid
    elif case == "a draft credit note":
        partial = await create_credit_note(session, CLARA, acme.open.id, CreditNoteCreate(reason="Goodwill"))
        source = partial.invoice

    with pytest.raises(error) as refused:
        await apply(session, source, target, amount)

    assert (refused.value.code, refused.value.field) == (code, field)
    assert acme.open.settled_amount == D("0.00") and acme.credit_note.settled_amount == D("0.00")


async def issue(session: AsyncSession, draft: Invoice) -> Invoice:
    view = await issue_invoice(session, CLARA, draft.id, InvoiceIssue(version=draft.version), BILLING, clock=CLOCK)
    return view.invoice


@pytest.mark.postgres_only
async def test_two_applications_at_once_cannot_use_the_same_credit_twice(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(sessions) as s:
        acme = await credit_of_acme(s)
        other = await issued_invoice(s, acme.customer_id, [("Labour", "1", "h", "100.00")])

    async def apply_100(invoice_id: UUID) -> str:
        try:
            async with session_scope(sessions) as s:
                credit_note = await s.get(Invoice, acme.credit_note.id)
                assert credit_note is not None
                await apply(s, credit_note, invoice_id, "100.00")
                return "applied"
        except Invalid as exc:
            return exc.code

    results = await asyncio.gather(apply_100(acme.open.id), apply_100(other.id))

    assert sorted(results) == ["allocation_exceeds_payment", "applied"]
    async with sessions() as s:
        credit_note = await s.get(Invoice, acme.credit_note.id)
        assert credit_note is not None and credit_note.settled_amount == D("100.00")
