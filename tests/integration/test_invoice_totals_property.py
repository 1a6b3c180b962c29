"""Property: whatever manual lines and credit notes are made, every invoice's stored totals are
the sum of its stored lines, and no line is ever credited beyond its net amount."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.invoice_math import ZERO
from contracts.models import Invoice
from contracts.services.credit_notes import CreditLineRequest, CreditNoteCreate, create_credit_note
from contracts.services.invoice_issue import issue_invoice
from contracts.services.invoice_queries import get_invoice
from contracts.services.invoice_totals import lines_of
from contracts.services.invoices import InvoiceIssue
from core.errors import Invalid
from masterdata.services.visibility import CustomerScope
from tests.integration.invoice_fixtures import (
    BILLING,
    CLARA,
    CLOCK,
    customer,
    exempt_profile,
    manual_draft,
)

quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("500"), places=3)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=4)
lines = st.lists(st.tuples(quantities, prices), min_size=1, max_size=6)
# A credit: for each chosen line index, None (all that is left) or a share of the line in percent.
credits = st.lists(
    st.lists(st.tuples(st.integers(0, 5), st.none() | st.integers(1, 100)), min_size=0, max_size=3), max_size=4
)


async def assert_totals_are_the_sum_of_lines(session: AsyncSession, invoice: Invoice) -> None:
    stored = await lines_of(session, invoice.id)
    net = sum((line.net_amount for line in stored), ZERO)
    tax = sum((line.tax_amount for line in stored), ZERO)
    await session.refresh(invoice)
    assert (invoice.net_amount, invoice.tax_amount, invoice.gross_amount) == (net, tax, net + tax)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lines=lines, credits=credits, exempt=st.booleans())
async def test_stored_totals_equal_the_sum_of_lines_after_manual_lines_and_credit_notes(
    session: AsyncSession,
    lines: list[tuple[Decimal, Decimal]],
    credits: list[list[tuple[int, int | None]]],
    exempt: bool,
) -> None:
    buyer = await customer(session, "Buyer", country="DE")
    if exempt:
        await exempt_profile(session, buyer.id, "Exempt")
    draft = await manual_draft(
        session, buyer.id, [(f"line {i}", str(q), "ea", str(p)) for i, (q, p) in enumerate(lines)]
    )
    await assert_totals_are_the_sum_of_lines(session, draft)
    invoice = (
        await issue_invoice(session, CLARA, draft.id, InvoiceIssue(version=draft.version), BILLING, clock=CLOCK)
    ).invoice
    invoice_lines = await lines_of(session, invoice.id)

    for chosen in credits:
        view = await get_invoice(session, invoice.id, scope=CustomerScope.everyone())
        requests = []
        for index, share in {i % len(invoice_lines): s for i, s in chosen}.items():
            line = invoice_lines[index]
            amount = None if share is None else (view.creditable(line) * share / 100).quantize(Decimal("0.01"))
            requests.append(CreditLineRequest(line_id=line.id, amount=amount))
        try:
            note = (
                await create_credit_note(
                    session, CLARA, invoice.id, CreditNoteCreate(reason="property", lines=requests or None)
                )
            ).invoice
        except Invalid as refused:  # nothing (left) to credit on a line: refused, nothing written
            assert refused.code in {"credit_exceeds_invoice", "invalid_amount"}
            continue
        await assert_totals_are_the_sum_of_lines(session, note)
        note = (
            await issue_invoice(session, CLARA, note.id, InvoiceIssue(version=note.version), BILLING, clock=CLOCK)
        ).invoice
        await assert_totals_are_the_sum_of_lines(session, note)

    view = await get_invoice(session, invoice.id, scope=CustomerScope.everyone())
    for line in view.lines:
        assert ZERO <= view.creditable(line) <= line.net_amount
    await session.refresh(invoice)
    assert ZERO <= invoice.settled_amount <= invoice.gross_amount
