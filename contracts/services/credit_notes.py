"""Credit notes: drafting the correction of an issued (or partly or fully paid) invoice.

Whole, or chosen lines with an optional partial net amount each. A line can be credited up
to what is still creditable: its net minus what earlier credit notes (drafts included, void
ones not) took of it; more is 422 `credit_exceeds_invoice` naming `lines[i].amount`. Each
credit line is the negative of the amount, at the invoice line's own tax rate, taxed per line
by the one rule (`invoice_math.taxed`); crediting a line in full negates its quantity and
keeps its unit price, so a whole credit note is exactly the invoice negated. The result is a
draft credit note (its reason in `notes`), issued like any invoice (`invoice_issue`), which
then settles the corrected invoice as far as it is open.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import InvoiceKind, InvoiceLineSource, InvoiceStatus
from contracts.errors import Code
from contracts.invoice_math import taxed, to_cents
from contracts.models import Invoice, InvoiceLine
from contracts.services.invoice_queries import InvoiceView, view_of
from contracts.services.invoice_totals import line_tax_rate, refresh_totals
from contracts.services.invoices import Reason
from contracts.services.settlement import locked_invoice
from core import audit
from core.auth import Principal
from core.errors import Conflict, Invalid
from core.fields import Money

ZERO = Decimal("0.00")
CREDITABLE = frozenset({InvoiceStatus.ISSUED.value, InvoiceStatus.PARTIALLY_PAID.value, InvoiceStatus.PAID.value})
PARTIAL_UNIT = "ea"  # a partial credit is one lump sum of the amount credited


class CreditLineRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    line_id: UUID
    amount: Annotated[Money, msgspec.Meta(description="net amount to credit; omitted: all that is left")] | None = None


class CreditNoteCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Reason
    lines: list[CreditLineRequest] | None = None  # omitted: credit the whole invoice (what is left of it)


async def create_credit_note(
    session: AsyncSession, actor: Principal, invoice_id: UUID, data: CreditNoteCreate
) -> InvoiceView:
    # The invoice stays locked until commit, so two credit notes for it cannot both take the same rest.
    invoice = await locked_invoice(session, invoice_id)
    if invoice.kind != InvoiceKind.INVOICE.value or invoice.status not in CREDITABLE:
        raise Conflict(
            Code.INVOICE_NOT_EDITABLE,
            f"{invoice.kind.replace('_', ' ')} {invoice.number or invoice.id} is {invoice.status}; "
            "only issued invoices (paid or not) can be credited",
            extra={"current_status": invoice.status, "kind": invoice.kind},
        )
    reason = data.reason.strip()
    if not reason:
        raise Invalid(Code.REASON_REQUIRED, "a credit note needs a reason", field="reason")
    view = await view_of(session, invoice)
    chosen = _whole(view) if data.lines is None else _chosen(view, data.lines)

    credit_note = Invoice(
        kind=InvoiceKind.CREDIT_NOTE.value,
        status=InvoiceStatus.DRAFT.value,
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        billing_period=invoice.billing_period,
        corrects_invoice_id=invoice.id,
        notes=reason,
        bill_to={},
    )
    session.add(credit_note)
    await session.flush()
    for position, (line, amount) in enumerate(chosen, start=1):
        session.add(_credit_line(credit_note, position, invoice, line, amount))
    await session.flush()
    result = await refresh_totals(session, credit_note)
    if result.gross > ZERO:
        raise Invalid(
            Code.CREDIT_EXCEEDS_INVOICE, "these lines would make a credit note that charges the customer", field="lines"
        )
    await audit.record(
        session,
        actor,
        "invoice",
        credit_note.id,
        "create_credit_note",
        after=audit.snapshot(credit_note) | {"corrects": invoice.number},
    )
    return await view_of(session, credit_note)


def _whole(view: InvoiceView) -> list[tuple[InvoiceLine, Decimal]]:
    chosen = [(line, view.creditable(line)) for line in view.lines if view.creditable(line) != ZERO]
    if not chosen:
        raise Invalid(
            Code.CREDIT_EXCEEDS_INVOICE,
            f"invoice {view.invoice.number} is credited in full already",
            field="lines",
        )
    return chosen


def _chosen(view: InvoiceView, requests: list[CreditLineRequest]) -> list[tuple[InvoiceLine, Decimal]]:
    if not requests:
        raise Invalid(Code.CREDIT_EXCEEDS_INVOICE, "name at least one line, or leave `lines` out", field="lines")
    by_id = {line.id: line for line in view.lines}
    seen: set[UUID] = set()
    chosen = []
    for i, request in enumerate(requests):
        line = by_id.get(request.line_id)
        if line is None:
            raise Invalid(
                Code.UNKNOWN_INVOICE_LINE,
                f"line {request.line_id} is not a line of invoice {view.invoice.number}",
                field=f"lines[{i}].line_id",
            )
        if line.id in seen:
            raise Invalid(Code.DUPLICATE_INVOICE_LINE, "each line may be named once", field=f"lines[{i}].line_id")
        seen.add(line.id)
        left = view.creditable(line)
        amount = left if request.amount is None else request.amount
        if request.amount is not None and (not amount.is_finite() or amount <= ZERO or amount != to_cents(amount)):
            raise Invalid(Code.INVALID_AMOUNT, "a credited amount is above 0 and in cents", field=f"lines[{i}].amount")
        if amount == ZERO or (request.amount is not None and amount > left):
            raise Invalid(
                Code.CREDIT_EXCEEDS_INVOICE,
                f"line {line.position} of {view.invoice.number} has {left} {view.invoice.currency} left to credit",
                field=f"lines[{i}].amount",
                extra={"creditable": str(left)},
            )
        chosen.append((line, amount))
    return chosen


def _credit_line(
    credit_note: Invoice, position: int, invoice: Invoice, line: InvoiceLine, amount: Decimal
) -> InvoiceLine:
    credit = taxed(-amount, line_tax_rate(line))
    in_full = amount == line.net_amount
    return InvoiceLine(
        invoice_id=credit_note.id,
        position=position,
        source=InvoiceLineSource.CREDIT.value,
        corrects_line_id=line.id,
        contract_id=line.contract_id,
        reference=line.reference,
        description=line.description,
        service_from=line.service_from,
        service_to=line.service_to,
        quantity=-line.quantity if in_full else Decimal(-1),
        unit=line.unit if in_full else PARTIAL_UNIT,
        unit_price=line.unit_price if in_full else amount,
        net_amount=credit.net,
        tax_rate=credit.rate.percent,
        tax_exemption_reason=credit.rate.exemption_reason,
        tax_amount=credit.tax,
        details={"corrects": {"invoice": invoice.number, "position": line.position}, "in_full": in_full},
    )
