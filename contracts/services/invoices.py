"""Draft invoices made by hand: create one, add lines, delete it.

A manual draft is billed to the customer's bill-to (`bill_to_of`: a subsidiary whose billing
profile names its parent is invoiced to the parent). Its lines are `manual`: no source key,
so nothing stops the same thing being billed by a run too; that is the administrator's call.
Every line is taxed at the bill-to's rate when it is added (`invoice_math`: net = quantity ×
unit price, half-up to cents; tax per line), and every change ends with the totals
recomputed from the lines (`invoice_totals`).

Deleting a draft (a run's or a manual one) deletes its lines and gives their sources back to
billing (`invoice_sources`). Issuing is `invoice_issue`, voiding `invoice_void`, credit notes
`credit_notes`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import InvoiceKind, InvoiceLineSource, InvoiceStatus
from contracts.errors import Code
from contracts.invoice_math import line_net, taxed
from contracts.models import Invoice, InvoiceLine
from contracts.services.bill_to import BillTo, bill_to_of
from contracts.services.invoice_queries import InvoiceView, view_of
from contracts.services.invoice_sources import release_sources
from contracts.services.invoice_totals import lines_of, refresh_totals
from contracts.services.settlement import locked_invoice
from core import audit
from core.auth import Principal
from core.errors import Conflict, Invalid, NotFound
from core.fields import CurrencyCode, Money, Version
from core.settings import BillingSettings

ZERO = Decimal(0)
MAX_QUANTITY = Decimal("1000000000")  # Numeric(14, 3) holds up to 10^11
MAX_UNIT_PRICE = Decimal("10000000")  # Numeric(14, 6) holds up to 10^8
MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)

Description = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Unit = Annotated[str, msgspec.Meta(min_length=1, max_length=8, pattern=r"^\S+$")]
Reference = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
Notes = Annotated[str, msgspec.Meta(max_length=2000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class InvoiceCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    customer_id: UUID
    currency: CurrencyCode
    notes: Notes | None = None


class InvoiceLineCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    description: Description
    quantity: Money
    unit: Unit
    unit_price: Money
    reference: Reference | None = None
    service_from: dt.date | None = None
    service_to: dt.date | None = None


class InvoiceIssue(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version


class InvoiceVoid(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    reason: Reason


async def create_draft(
    session: AsyncSession, actor: Principal, data: InvoiceCreate, settings: BillingSettings
) -> InvoiceView:
    """An empty draft for the customer's bill-to, in the given currency."""
    bill_to = await _bill_to(session, data.customer_id, settings)
    invoice = Invoice(
        kind=InvoiceKind.INVOICE.value,
        status=InvoiceStatus.DRAFT.value,
        customer_id=bill_to.customer_id,
        currency=data.currency,
        notes=data.notes,
        bill_to={},
    )
    session.add(invoice)
    await session.flush()
    await audit.record(session, actor, "invoice", invoice.id, "create", after=audit.snapshot(invoice))
    return await view_of(session, invoice)


async def add_line(
    session: AsyncSession,
    actor: Principal,
    invoice_id: UUID,
    data: InvoiceLineCreate,
    settings: BillingSettings,
) -> InvoiceView:
    """A manual line at the end of a draft invoice, taxed at the bill-to's rate."""
    invoice = await locked_draft(session, invoice_id)
    if invoice.kind != InvoiceKind.INVOICE.value:
        raise Conflict(
            Code.INVOICE_NOT_EDITABLE,
            "a credit note's lines come from the invoice it corrects; add lines to invoices only",
            extra={"kind": invoice.kind},
        )
    _check_line(data)
    bill_to = await _bill_to(session, invoice.customer_id, settings)
    line = taxed(line_net(data.quantity, data.unit_price), bill_to.tax)
    # Checked before anything is written: past Numeric(14, 2) PostgreSQL would refuse the row.
    if invoice.gross_amount + line.gross > MAX_AMOUNT:
        raise Invalid(Code.INVALID_AMOUNT, f"the invoice would total more than {MAX_AMOUNT}", field="quantity")
    position = (
        await session.scalar(select(func.max(InvoiceLine.position)).where(InvoiceLine.invoice_id == invoice.id))
    ) or 0
    row = InvoiceLine(
        invoice_id=invoice.id,
        position=position + 1,
        source=InvoiceLineSource.MANUAL.value,
        reference=data.reference,
        description=data.description,
        service_from=data.service_from,
        service_to=data.service_to,
        quantity=data.quantity,
        unit=data.unit,
        unit_price=data.unit_price,
        net_amount=line.net,
        tax_rate=line.rate.percent,
        tax_exemption_reason=line.rate.exemption_reason,
        tax_amount=line.tax,
        details={"added_by": actor.username},
    )
    session.add(row)
    await session.flush()
    await refresh_totals(session, invoice)
    await audit.record(session, actor, "invoice_line", row.id, "create", after=audit.snapshot(row))
    return await view_of(session, invoice)


async def delete_draft(session: AsyncSession, actor: Principal, invoice_id: UUID) -> None:
    """Delete a draft and its lines; the items and usage it billed go back to billing."""
    invoice = await locked_draft(session, invoice_id)
    lines = await lines_of(session, invoice.id)
    before = audit.snapshot(invoice)
    await release_sources(session, lines)
    await session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
    await session.delete(invoice)
    await session.flush()
    await audit.record(session, actor, "invoice", invoice_id, "delete", before=before | {"lines": len(lines)})


async def locked_draft(session: AsyncSession, invoice_id: UUID) -> Invoice:
    """The invoice, locked, if it is still a draft; 409 once it is issued."""
    invoice = await locked_invoice(session, invoice_id)
    if invoice.status != InvoiceStatus.DRAFT.value:
        raise Conflict(
            Code.INVOICE_NOT_EDITABLE,
            f"invoice {invoice.number} is {invoice.status}; only drafts change (issued ones: void or credit note)",
            extra={"current_status": invoice.status},
        )
    return invoice


async def _bill_to(session: AsyncSession, customer_id: UUID, settings: BillingSettings) -> BillTo:
    found = await bill_to_of(session, [customer_id], settings)
    if customer_id not in found:
        raise NotFound("customer", customer_id, field="customer_id")
    return found[customer_id]


def _check_line(data: InvoiceLineCreate) -> None:
    if not data.quantity.is_finite() or not ZERO < data.quantity <= MAX_QUANTITY:
        raise Invalid(Code.INVALID_QUANTITY, f"quantity must be above 0 and at most {MAX_QUANTITY}", field="quantity")
    if _places(data.quantity) > 3:
        raise Invalid(Code.INVALID_QUANTITY, "quantity has at most 3 decimal places", field="quantity")
    if not data.unit_price.is_finite() or not ZERO <= data.unit_price < MAX_UNIT_PRICE:
        # Discounts are not negative lines: correct an issued invoice with a credit note.
        raise Invalid(Code.INVALID_AMOUNT, f"unit price must be from 0 to below {MAX_UNIT_PRICE}", field="unit_price")
    if _places(data.unit_price) > 6:
        raise Invalid(Code.INVALID_AMOUNT, "unit price has at most 6 decimal places", field="unit_price")
    if not data.description.strip():
        raise Invalid("invalid_description", "a line needs a description", field="description")
    if data.service_from and data.service_to and data.service_to < data.service_from:
        raise Invalid(Code.ENDS_BEFORE_STARTS, "the service period ends before it starts", field="service_to")


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
