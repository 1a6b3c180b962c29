"""Invoices by hand and from a run's draft: lines and totals, issue, void, delete, credit notes."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.choices import InvoiceLineSource, InvoiceStatus
from contracts.models import BillableItem, Invoice, InvoiceLine, Payment, UsagePeriod
from contracts.services.credit_notes import CreditLineRequest, CreditNoteCreate, create_credit_note
from contracts.services.invoice_issue import issue_invoice
from contracts.services.invoice_queries import InvoiceFilter, get_invoice, list_invoices
from contracts.services.invoice_totals import lines_of
from contracts.services.invoice_void import void_invoice
from contracts.services.invoices import InvoiceIssue, InvoiceLineCreate, InvoiceVoid, add_line, delete_draft
from contracts.services.settlement import allocate
from core.audit import audit_log
from core.db import session_scope
from core.errors import Conflict, Invalid, NotFound, StaleVersion
from core.listing import PageRequest
from core.numbering import next_number
from core.outbox import OutboxMessage
from masterdata.services.visibility import CustomerScope
from tests.integration.invoice_fixtures import (
    BILLING,
    CLARA,
    CLOCK,
    customer,
    exempt_profile,
    issued_invoice,
    manual_draft,
    run_like_draft,
)

D = Decimal
PRINTER_SERVICE = [("PM visit", "3", "ea", "33.33"), ("Labour", "1.5", "h", "98.00")]


async def issue(session: AsyncSession, invoice: Invoice) -> Invoice:
    view = await issue_invoice(session, CLARA, invoice.id, InvoiceIssue(version=invoice.version), BILLING, clock=CLOCK)
    return view.invoice


async def test_a_manual_draft_is_taxed_per_line_and_its_totals_are_the_sum_of_its_lines(session: AsyncSession) -> None:
    acme = await customer(session, "ACME", country="DE")

    draft = await manual_draft(session, acme.id, PRINTER_SERVICE)

    lines = await lines_of(session, draft.id)
    assert [(line.position, line.source, line.source_key) for line in lines] == [
        (1, "manual", None),
        (2, "manual", None),
    ]
    # 3 × 33.33 = 99.99, tax 18.9981 → 19.00; 1.5 h × 98.00 = 147.00, tax 27.93
    assert [(line.net_amount, line.tax_rate, line.tax_amount) for line in lines] == [
        (D("99.99"), D("19.00"), D("19.00")),
        (D("147.00"), D("19.00"), D("27.93")),
    ]
    assert (draft.net_amount, draft.tax_amount, draft.gross_amount) == (D("246.99"), D("46.93"), D("293.92"))
    assert (draft.status, draft.number, draft.kind) == ("draft", None, "invoice")


async def test_lines_are_refused_with_the_field_that_is_wrong(session: AsyncSession) -> None:
    acme = await customer(session, "ACME")
    draft = await manual_draft(session, acme.id, [])
    for quantity, price, field in (
        ("0", "10", "quantity"),
        ("1.0001", "10", "quantity"),
        ("1", "-5", "unit_price"),
        ("1", "0.0000001", "unit_price"),
        ("1000000000", "9999999", "quantity"),  # 10^16: more than an invoice can total
    ):
        data = InvoiceLineCreate(description="x", quantity=D(quantity), unit="ea", unit_price=D(price))
        with pytest.raises(Invalid) as refused:
            await add_line(session, CLARA, draft.id, data, BILLING)
        assert refused.value.field == field


async def test_issuing_numbers_and_dates_the_invoice_freezes_the_bill_to_and_queues_the_pdf(
    session: AsyncSession,
) -> None:
    acme = await customer(session, "ACME", email="accounts@acme.example")
    draft = await manual_draft(session, acme.id, PRINTER_SERVICE)

    invoice = await issue(session, draft)

    assert (invoice.number, invoice.status, invoice.payment_reference) == ("INV-000001", "issued", "INV-000001")
    assert (invoice.issued_on, invoice.due_on) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))  # 30 days net
    assert invoice.issued_by == "clara" and invoice.open_draft_key is None
    assert invoice.bill_to["name"] == "ACME" and invoice.bill_to["email"] == "accounts@acme.example"
    assert invoice.bill_to["tax_rate"] == "19.00" and invoice.bill_to["payment_terms_days"] == 30
    message = await session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == f"invoice_document:{invoice.id}")
    )
    assert message is not None
    assert (message.kind, message.recipient, message.subject) == (
        "invoice_document",
        "accounts@acme.example",
        "Invoice INV-000001",
    )

    acme.name = "ACME renamed"  # the customer changes later; the issued invoice does not
    await session.flush()
    assert (await get_invoice(session, invoice.id, scope=CustomerScope.everyone())).invoice.bill_to["name"] == "ACME"


async def test_issue_refuses_an_empty_draft_a_stale_version_and_anything_but_a_draft(session: AsyncSession) -> None:
    acme = await customer(session, "ACME")
    empty = await manual_draft(session, acme.id, [])
    with pytest.raises(Invalid) as refused:
        await issue(session, empty)
    assert refused.value.code == "invoice_empty"

    draft = await manual_draft(session, acme.id, PRINTER_SERVICE)
    with pytest.raises(StaleVersion):
        await issue_invoice(session, CLARA, draft.id, InvoiceIssue(version=draft.version + 5), BILLING, clock=CLOCK)
    invoice = await issue(session, draft)
    with pytest.raises(Conflict) as again:
        await issue(session, invoice)
    assert again.value.code == "invoice_not_editable"


async def test_a_rolled_back_issue_gives_its_number_to_the_next_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(sessions) as s:
        acme = await customer(s, "ACME")
        first = await manual_draft(s, acme.id, PRINTER_SERVICE)
        second = await manual_draft(s, acme.id, PRINTER_SERVICE)

    async with sessions() as s:
        failed = await issue(s, await s.get_one(Invoice, first.id))
        assert failed.number == "INV-000001"
        await s.rollback()  # e.g. the commit failed: nothing of the issue remains

    async with session_scope(sessions) as s:
        assert (await issue(s, await s.get_one(Invoice, second.id))).number == "INV-000001"
        assert (await issue(s, await s.get_one(Invoice, first.id))).number == "INV-000002"


async def test_an_invoice_of_twelve_cents_is_issued(session: AsyncSession) -> None:
    acme = await customer(session, "ACME")
    draft = await manual_draft(session, acme.id, [("Copy", "1", "ea", "0.10")])  # tax 0.019 → 0.02
    invoice = await issue(session, draft)
    assert (invoice.net_amount, invoice.tax_amount, invoice.gross_amount) == (D("0.10"), D("0.02"), D("0.12"))


async def test_an_invoice_of_zero_is_paid_when_issued(session: AsyncSession) -> None:
    acme = await customer(session, "ACME")
    invoice = await issue(session, await manual_draft(session, acme.id, [("Goodwill visit", "1", "ea", "0")]))
    assert (invoice.status, invoice.paid_on, invoice.gross_amount) == ("paid", dt.date(2026, 12, 1), D("0.00"))


async def test_deleting_a_run_draft_gives_its_items_and_usage_back_to_billing(session: AsyncSession) -> None:
    run = await run_like_draft(session)
    assert (run.invoice.net_amount, run.invoice.tax_amount, run.invoice.gross_amount) == (
        D("334.75"),
        D("63.60"),
        D("398.35"),
    )
    fee_key = run.fee_line.source_key

    await delete_draft(session, CLARA, run.invoice.id)

    assert await session.get(Invoice, run.invoice.id) is None
    assert (await session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == run.invoice.id))).all() == []
    assert (await session.scalar(select(BillableItem.status).where(BillableItem.id == run.item.id))) == "open"
    assert (await session.scalars(select(UsagePeriod).where(UsagePeriod.contract_id == run.contract.id))).all() == []
    # The fee's key is free: the next run can bill November's fee again.
    again = await manual_draft(session, run.invoice.customer_id, [])
    session.add(_keyed_line(again, fee_key))
    await session.flush()


async def test_voiding_an_unsettled_invoice_releases_its_sources_and_is_audited(session: AsyncSession) -> None:
    run = await run_like_draft(session)
    invoice = await issue(session, run.invoice)

    voided = (
        await void_invoice(
            session, CLARA, invoice.id, InvoiceVoid(version=invoice.version, reason="wrong customer"), clock=CLOCK
        )
    ).invoice

    assert (voided.status, voided.void_reason, voided.number) == ("void", "wrong customer", "INV-000001")
    lines = await lines_of(session, invoice.id)
    assert [line.source_key for line in lines] == [None, None, None]
    assert [line.released_source_key for line in lines] == [
        f"fee:{run.contract.id}:2026-11-01",
        f"usage:{run.contract.id}:2026-11-01",
        f"item:{run.item.id}",
    ]
    assert (await session.scalar(select(BillableItem.status).where(BillableItem.id == run.item.id))) == "open"
    assert (await session.scalars(select(UsagePeriod).where(UsagePeriod.contract_id == run.contract.id))).all() == []
    actions = (
        await session.execute(
            select(audit_log.c.action, audit_log.c.actor_name).where(audit_log.c.entity_id == str(invoice.id))
        )
    ).all()
    assert ("void", "clara") in [tuple(row) for row in actions]
    # Billed again by the next run: the released keys no longer block the unique constraint.
    again = await manual_draft(session, invoice.customer_id, [])
    session.add(_keyed_line(again, f"item:{run.item.id}"))
    await session.flush()


async def test_a_source_key_is_billed_once_while_its_invoice_stands(session: AsyncSession) -> None:
    run = await run_like_draft(session)
    await issue(session, run.invoice)
    other = await manual_draft(session, run.invoice.customer_id, [])
    session.add(_keyed_line(other, run.fee_line.source_key))
    with pytest.raises(IntegrityError):
        await session.flush()


async def test_void_is_refused_once_something_settled_it_and_for_drafts(session: AsyncSession) -> None:
    acme = await customer(session, "ACME")
    draft = await manual_draft(session, acme.id, PRINTER_SERVICE)
    with pytest.raises(Conflict) as refused:
        await void_invoice(session, CLARA, draft.id, InvoiceVoid(version=draft.version, reason="x"), clock=CLOCK)
    assert refused.value.code == "invoice_not_editable"

    invoice = await issue(session, draft)
    await _pay(session, invoice, D("100.00"))
    with pytest.raises(Conflict) as settled:
        await void_invoice(session, CLARA, invoice.id, InvoiceVoid(version=invoice.version, reason="x"), clock=CLOCK)
    assert settled.value.code == "invoice_has_settlements"


async def test_an_invoice_with_a_credit_note_cannot_be_voided(session: AsyncSession) -> None:
    acme = await customer(session, "ACME")
    invoice = await issued_invoice(session, acme.id, PRINTER_SERVICE)
    await create_credit_note(session, CLARA, invoice.id, CreditNoteCreate(reason="price error"))
    with pytest.raises(Conflict) as refused:
        await void_invoice(session, CLARA, invoice.id, InvoiceVoid(version=invoice.version, reason="x"), clock=CLOCK)
    assert refused.value.code == "invoice_has_settlements"


async def test_a_whole_credit_note_negates_the_invoice_and_settles_it_when_issued(session: AsyncSession) -> None:
    acme = await customer(session, "ACME")
    invoice = await issued_invoice(session, acme.id, PRINTER_SERVICE)

    draft = (
        await create_credit_note(session, CLARA, invoice.id, CreditNoteCreate(reason="Service not rendered"))
    ).invoice

    assert (draft.kind, draft.status, draft.corrects_invoice_id, draft.notes) == (
        "credit_note",
        "draft",
        invoice.id,
        "Service not rendered",
    )
    credit_lines = await lines_of(session, draft.id)
    originals = await lines_of(session, invoice.id)
    assert [(c.source, c.corrects_line_id) for c in credit_lines] == [("credit", o.id) for o in originals]
    assert [(c.quantity, c.unit_price, c.net_amount, c.tax_amount) for c in credit_lines] == [
        (D("-3"), D("33.33"), D("-99.99"), D("-19.00")),
        (D("-1.5"), D("98.00"), D("-147.00"), D("-27.93")),
    ]
    assert (draft.net_amount, draft.tax_amount, draft.gross_amount) == (D("-246.99"), D("-46.93"), D("-293.92"))

    note = await issue(session, draft)

    assert (note.number, note.status, note.settled_amount) == ("CN-000001", "issued", D("293.92"))
    await session.refresh(invoice)
    assert (invoice.status, invoice.settled_amount, invoice.paid_on) == ("paid", D("293.92"), dt.date(2026, 12, 1))
    with pytest.raises(Invalid) as nothing_left:
        await create_credit_note(session, CLARA, invoice.id, CreditNoteCreate(reason="again"))
    assert nothing_left.value.code == "credit_exceeds_invoice"


async def test_partial_credits_never_exceed_what_is_left_of_a_line(session: AsyncSession) -> None:
    acme = await customer(session, "ACME")
    invoice = await issued_invoice(session, acme.id, PRINTER_SERVICE)
    pm, labour = await lines_of(session, invoice.id)

    first = (
        await create_credit_note(
            session,
            CLARA,
            invoice.id,
            CreditNoteCreate(reason="one visit missed", lines=[CreditLineRequest(line_id=pm.id, amount=D("33.33"))]),
        )
    ).invoice
    [credit] = await lines_of(session, first.id)
    assert (credit.quantity, credit.unit, credit.unit_price, credit.net_amount, credit.tax_amount) == (
        D("-1"),
        "ea",
        D("33.33"),
        D("-33.33"),
        D("-6.33"),  # 33.33 × 19 % = 6.3327 → 6.33
    )
    assert first.gross_amount == D("-39.66")

    # 99.99 − 33.33 = 66.66 is left of the PM line (the draft counts); 66.67 is a cent too many.
    too_much = CreditNoteCreate(
        reason="x",
        lines=[
            CreditLineRequest(line_id=labour.id, amount=D("10.00")),
            CreditLineRequest(line_id=pm.id, amount=D("66.67")),
        ],
    )
    with pytest.raises(Invalid) as refused:
        await create_credit_note(session, CLARA, invoice.id, too_much)
    assert (refused.value.code, refused.value.field) == ("credit_exceeds_invoice", "lines[1].amount")
    assert refused.value.extra == {"creditable": "66.66"}

    rest = (
        await create_credit_note(
            session, CLARA, invoice.id, CreditNoteCreate(reason="rest", lines=[CreditLineRequest(line_id=pm.id)])
        )
    ).invoice
    assert rest.net_amount == D("-66.66")
    view = await get_invoice(session, invoice.id, scope=CustomerScope.everyone())
    assert [view.creditable(line) for line in view.lines] == [D("0.00"), D("147.00")]


async def test_credit_note_lines_must_belong_to_the_invoice_once_each(session: AsyncSession) -> None:
    acme = await customer(session, "ACME")
    invoice = await issued_invoice(session, acme.id, PRINTER_SERVICE)
    other = await issued_invoice(session, acme.id, PRINTER_SERVICE)
    [line, _] = await lines_of(session, invoice.id)
    [foreign, _] = await lines_of(session, other.id)
    for lines, code, field in (
        ([CreditLineRequest(line_id=foreign.id)], "unknown_invoice_line", "lines[0].line_id"),
        (
            [CreditLineRequest(line_id=line.id), CreditLineRequest(line_id=line.id)],
            "duplicate_invoice_line",
            "lines[1].line_id",
        ),
        ([CreditLineRequest(line_id=line.id, amount=D("0.001"))], "invalid_amount", "lines[0].amount"),
        ([CreditLineRequest(line_id=line.id, amount=D("-1"))], "invalid_amount", "lines[0].amount"),
    ):
        with pytest.raises(Invalid) as refused:
            await create_credit_note(session, CLARA, invoice.id, CreditNoteCreate(reason="x", lines=lines))
        assert (refused.value.code, refused.value.field) == (code, field)


async def test_a_credit_note_for_a_paid_invoice_stays_as_the_customers_credit(session: AsyncSession) -> None:
    acme = await customer(session, "ACME")
    invoice = await issued_invoice(session, acme.id, PRINTER_SERVICE)
    await _pay(session, invoice, D("293.92"))
    assert invoice.status == "paid"
    labour = (await lines_of(session, invoice.id))[1]

    draft = (
        await create_credit_note(
            session, CLARA, invoice.id, CreditNoteCreate(reason="labour", lines=[CreditLineRequest(line_id=labour.id)])
        )
    ).invoice
    note = await issue(session, draft)

    assert (note.status, note.gross_amount, note.settled_amount) == ("issued", D("-174.93"), D("0.00"))
    assert (invoice.status, invoice.settled_amount) == ("paid", D("293.92"))


async def test_a_credit_note_settles_only_what_is_open_of_a_partly_paid_invoice(session: AsyncSession) -> None:
    acme = await customer(session, "ACME")
    invoice = await issued_invoice(session, acme.id, PRINTER_SERVICE)
    await _pay(session, invoice, D("200.00"))
    assert invoice.status == "partially_paid"

    note = await issue(
        session, (await create_credit_note(session, CLARA, invoice.id, CreditNoteCreate(reason="all"))).invoice
    )

    assert (note.gross_amount, note.settled_amount) == (D("-293.92"), D("93.92"))  # the rest, 200.00, is credit
    assert (invoice.status, invoice.settled_amount) == ("paid", D("293.92"))


async def test_drafts_cannot_be_credited_and_credit_notes_take_no_manual_lines(session: AsyncSession) -> None:
    acme = await customer(session, "ACME")
    draft = await manual_draft(session, acme.id, PRINTER_SERVICE)
    with pytest.raises(Conflict):
        await create_credit_note(session, CLARA, draft.id, CreditNoteCreate(reason="x"))
    invoice = await issue(session, draft)
    note = (await create_credit_note(session, CLARA, invoice.id, CreditNoteCreate(reason="x"))).invoice
    with pytest.raises(Conflict):
        await add_line(
            session,
            CLARA,
            note.id,
            InvoiceLineCreate(description="x", quantity=D(1), unit="ea", unit_price=D(1)),
            BILLING,
        )


async def test_an_exempt_bill_to_is_taxed_at_zero_with_its_reason(session: AsyncSession) -> None:
    globex = await customer(session, "Globex", country="CH")
    await exempt_profile(session, globex.id, "Export of services: not taxable in Germany")
    invoice = await issued_invoice(session, globex.id, [("Depot repair flat rate", "1", "ea", "250.00")])
    [line] = await lines_of(session, invoice.id)
    assert (line.tax_rate, line.tax_exemption_reason, line.tax_amount) == (
        D("0.00"),
        "Export of services: not taxable in Germany",
        D("0.00"),
    )
    assert (invoice.gross_amount, invoice.due_on) == (D("250.00"), dt.date(2026, 12, 15))  # 14 days net


async def test_a_subsidiary_billed_to_its_parent_gets_drafts_in_the_parents_name(session: AsyncSession) -> None:
    group = await customer(session, "Group")
    child = await customer(session, "Child", parent_id=group.id)
    profile = await exempt_profile(session, child.id, "n/a")
    profile.bill_to_customer_id, profile.tax_exemption_reason, profile.tax_rate = group.id, None, D("19.00")
    await session.flush()
    draft = await manual_draft(session, child.id, PRINTER_SERVICE)
    assert draft.customer_id == group.id


async def test_lists_filter_and_customers_see_only_their_own_issued_invoices(session: AsyncSession) -> None:
    acme = await customer(session, "ACME")
    globex = await customer(session, "Globex")
    mine = await issued_invoice(session, acme.id, PRINTER_SERVICE)
    await manual_draft(session, acme.id, PRINTER_SERVICE)  # a draft: not the customer's business yet
    theirs = await issued_invoice(session, globex.id, PRINTER_SERVICE)

    everything = await list_invoices(session, InvoiceFilter(), PageRequest(), scope=CustomerScope.everyone())
    assert everything.total == 3
    drafts = await list_invoices(
        session, InvoiceFilter(status=InvoiceStatus.DRAFT), PageRequest(), scope=CustomerScope.everyone()
    )
    assert drafts.total == 1
    acme_sees = await list_invoices(session, InvoiceFilter(), PageRequest(), scope=CustomerScope.only({acme.id}))
    assert [i.id for i in acme_sees.items] == [mine.id]
    dated = await list_invoices(
        session, InvoiceFilter(issued_from=dt.date(2026, 12, 2)), PageRequest(), scope=CustomerScope.everyone()
    )
    assert dated.total == 0
    with pytest.raises(NotFound):
        await get_invoice(session, theirs.id, scope=CustomerScope.only({acme.id}))


async def test_an_unknown_invoice_is_not_found(session: AsyncSession) -> None:
    with pytest.raises(NotFound):
        await issue_invoice(session, CLARA, uuid.uuid4(), InvoiceIssue(version=1), BILLING, clock=CLOCK)


async def _pay(session: AsyncSession, invoice: Invoice, amount: Decimal) -> None:
    payment = Payment(
        number=await next_number(session, "payment"),
        customer_id=invoice.customer_id,
        amount=amount,
        currency=invoice.currency,
        received_on=dt.date(2026, 12, 5),
        allocated_amount=amount,
        recorded_by="clara",
    )
    session.add(payment)
    await session.flush()
    await allocate(session, CLARA, invoice, amount, on=dt.date(2026, 12, 5), payment_id=payment.id)


def _keyed_line(invoice: Invoice, key: str | None) -> InvoiceLine:
    return InvoiceLine(
        invoice_id=invoice.id,
        position=1,
        source=InvoiceLineSource.CONTRACT_FEE.value,
        source_key=key,
        description="Monthly fee",
        quantity=D(1),
        unit="mo",
        unit_price=D("120.00"),
        net_amount=D("120.00"),
        tax_rate=D("19.00"),
        tax_amount=D("22.80"),
        details={},
    )


@pytest.mark.postgres_only
async def test_two_credit_notes_at_once_cannot_both_take_what_is_left(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(sessions) as s:
        acme = await customer(s, "ACME")
        invoice = await issued_invoice(s, acme.id, PRINTER_SERVICE)

    async def credit_all() -> str:
        try:
            async with session_scope(sessions) as s:
                await create_credit_note(s, CLARA, invoice.id, CreditNoteCreate(reason="at once"))
                await asyncio.sleep(0.2)  # hold the invoice's lock while the other one waits
            return "created"
        except Invalid as refused:
            return refused.code

    outcomes = await asyncio.gather(credit_all(), credit_all())

    assert sorted(outcomes) == ["created", "credit_exceeds_invoice"]


@pytest.mark.postgres_only
async def test_drafts_issued_at_once_get_consecutive_numbers(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as s:
        acme = await customer(s, "ACME")
        drafts = [await manual_draft(s, acme.id, PRINTER_SERVICE) for _ in range(6)]

    async def issue_one(draft: Invoice) -> str:
        async with session_scope(sessions) as s:
            number = (await issue(s, await s.get_one(Invoice, draft.id))).number
            assert number is not None
            return number

    numbers = await asyncio.gather(*(issue_one(draft) for draft in drafts))

    assert sorted(numbers) == [f"INV-{n:06d}" for n in range(1, 7)]
