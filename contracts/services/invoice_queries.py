"""Reading invoices and credit notes: the list with its filters, one invoice with its lines.

A customer user sees the invoices billed to its own customer or to one below it
(the caller's `CustomerScope`), and only once they are issued: a draft is
still the contract administrator's work in progress. Anything else answers 404, as if it did
not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import InvoiceKind, InvoiceLineSource, InvoiceStatus
from contracts.models import Invoice, InvoiceLine
from contracts.services.invoice_totals import lines_of
from core.errors import NotFound
from core.listing import Page, PageRequest, paginate
from masterdata.services.visibility import CustomerScope

ZERO = Decimal("0.00")

SORTABLE = {
    "created_at": Invoice.created_at,
    "issued_on": Invoice.issued_on,
    "due_on": Invoice.due_on,
    "number": Invoice.number,
    "gross_amount": Invoice.gross_amount,
}


class InvoiceFilter(msgspec.Struct, kw_only=True):
    customer_id: UUID | None = None
    status: InvoiceStatus | None = None
    kind: InvoiceKind | None = None
    billing_period: str | None = None
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None  # inclusive


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """An invoice with its lines, and per line what credit notes (not void) have taken of it."""

    invoice: Invoice
    lines: list[InvoiceLine]
    credited: dict[UUID, Decimal]

    def creditable(self, line: InvoiceLine) -> Decimal:
        return line.net_amount - self.credited.get(line.id, ZERO)


async def list_invoices(
    session: AsyncSession,
    filters: InvoiceFilter,
    page: PageRequest,
    *,
    scope: CustomerScope,
) -> Page[Invoice]:
    stmt = select(Invoice)
    condition = scope.condition(Invoice.customer_id)
    if condition is not None:  # a customer sees its issued invoices, never drafts
        stmt = stmt.where(condition, Invoice.status != InvoiceStatus.DRAFT.value)
    if filters.customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == filters.customer_id)
    if filters.status is not None:
        stmt = stmt.where(Invoice.status == str(filters.status))
    if filters.kind is not None:
        stmt = stmt.where(Invoice.kind == str(filters.kind))
    if filters.billing_period is not None:
        stmt = stmt.where(Invoice.billing_period == filters.billing_period)
    if filters.issued_from is not None:
        stmt = stmt.where(Invoice.issued_on >= filters.issued_from)
    if filters.issued_to is not None:
        stmt = stmt.where(Invoice.issued_on <= filters.issued_to)
    return await paginate(session, stmt, page, sortable=SORTABLE, default_sort="-created_at", tie_breaker=Invoice.id)


async def find_invoice(session: AsyncSession, invoice_id: UUID, *, scope: CustomerScope) -> Invoice:
    """The invoice if the caller may see it; 404 otherwise (unknown, another customer's, a draft)."""
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None or not is_visible(invoice, scope):
        raise NotFound("invoice", invoice_id)
    return invoice


def is_visible(invoice: Invoice, scope: CustomerScope) -> bool:
    if scope.is_everyone:
        return True
    return scope.allows(invoice.customer_id) and invoice.status != InvoiceStatus.DRAFT.value


async def get_invoice(session: AsyncSession, invoice_id: UUID, *, scope: CustomerScope) -> InvoiceView:
    invoice = await find_invoice(session, invoice_id, scope=scope)
    return await view_of(session, invoice)


async def view_of(session: AsyncSession, invoice: Invoice) -> InvoiceView:
    lines = await lines_of(session, invoice.id)
    return InvoiceView(invoice, lines, await credited_by_line(session, [line.id for line in lines]))


async def credited_by_line(session: AsyncSession, line_ids: Iterable[UUID]) -> dict[UUID, Decimal]:
    """Net amounts credited so far per invoice line (positive), by credit notes that are not void.

    Draft credit notes count too, so two drafts cannot together credit more than the line."""
    ids = list(line_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(InvoiceLine.corrects_line_id, InvoiceLine.net_amount)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            InvoiceLine.source == InvoiceLineSource.CREDIT.value,
            InvoiceLine.corrects_line_id.in_(ids),
            Invoice.status != InvoiceStatus.VOID.value,
        )
    )
    # Summed here rather than with SUM(): SQLite would add the amounts as floats.
    credited: dict[UUID, Decimal] = {}
    for line_id, net in rows:
        credited[line_id] = credited.get(line_id, ZERO) - net
    return credited
