"""Voiding an issued invoice (or credit note) that nothing has settled yet.

Once a payment or a credit note has been set against an invoice, or a credit note has been
drafted or issued for it, voiding would rewrite what the customer already acted on: 409
`invoice_has_settlements`, and a credit note is the way. A void invoice keeps its number (numbers
are never reused) and its lines; each line's `source_key` moves to `released_source_key`, so
the next billing run bills those fees and items again, billable items go back to `open` and the
usage periods it billed are forgotten (see `invoice_sources` for what usage does not rewind).
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import InvoiceStatus
from contracts.errors import Code
from contracts.models import Invoice, PaymentAllocation
from contracts.services.invoice_queries import InvoiceView, view_of
from contracts.services.invoice_sources import release_keys, release_sources
from contracts.services.invoice_totals import lines_of
from contracts.services.invoices import InvoiceVoid
from contracts.services.settlement import locked_invoice
from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.editing import check_version
from core.errors import Conflict, Invalid


async def void_invoice(
    session: AsyncSession, actor: Principal, invoice_id: UUID, data: InvoiceVoid, *, clock: Clock = SYSTEM_CLOCK
) -> InvoiceView:
    invoice = await locked_invoice(session, invoice_id)
    check_version("invoice", invoice, data.version)
    reason = data.reason.strip()
    if not reason:
        raise Invalid(Code.REASON_REQUIRED, "voiding an invoice needs a reason", field="reason")
    await _check_voidable(session, invoice)
    now = clock.now()
    before = audit.snapshot(invoice)
    lines = await lines_of(session, invoice.id)
    await release_sources(session, lines)
    release_keys(lines)
    invoice.status = InvoiceStatus.VOID.value
    invoice.voided_at = now
    invoice.void_reason = reason
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(invoice))
    released = [line.released_source_key for line in lines if line.released_source_key]
    await audit.record(
        session, actor, "invoice", invoice.id, "void", before=old, after=new | {"released_sources": released}, at=now
    )
    return await view_of(session, invoice)


async def _check_voidable(session: AsyncSession, invoice: Invoice) -> None:
    if invoice.status in (InvoiceStatus.DRAFT.value, InvoiceStatus.VOID.value):
        hint = "delete the draft instead" if invoice.status == InvoiceStatus.DRAFT.value else "it is void already"
        raise Conflict(
            Code.INVOICE_NOT_EDITABLE,
            f"invoice {invoice.number or invoice.id} is {invoice.status}; {hint}",
            extra={"current_status": invoice.status},
        )
    allocations = await session.scalar(
        select(func.count())
        .select_from(PaymentAllocation)
        .where((PaymentAllocation.invoice_id == invoice.id) | (PaymentAllocation.credit_note_id == invoice.id))
    )
    credit_notes = await session.scalar(
        select(func.count())
        .select_from(Invoice)
        .where(Invoice.corrects_invoice_id == invoice.id, Invoice.status != InvoiceStatus.VOID.value)
    )
    # A zero invoice is paid the moment it is issued, though nothing settled it: it may be voided.
    unsettled = invoice.status == InvoiceStatus.ISSUED.value or (
        invoice.status == InvoiceStatus.PAID.value and invoice.gross_amount == 0
    )
    if not unsettled or invoice.settled_amount or allocations or credit_notes:
        raise Conflict(
            Code.INVOICE_HAS_SETTLEMENTS,
            f"invoice {invoice.number} has payments or credit notes set against it; issue a credit note instead",
            extra={
                "current_status": invoice.status,
                "settled_amount": str(invoice.settled_amount),
                "credit_notes": int(credit_notes or 0),
            },
        )
