"""Issuing a draft: number, dates, the bill-to frozen, and the PDF e-mailed through the outbox.

The number comes from the gap-free series (`core.numbering`: INV-… for invoices, CN-… for
credit notes) inside this transaction, so an issue that rolls back hands the same number to
the next one. Issue date = today (the clock's UTC date), due date = issue date + the bill-to's
payment terms. The bill-to as it is now (name, address, e-mail, tax id, tax rate, terms) is
stored on the invoice and printed from there, whatever changes later. The payment reference
is the number.

An invoice totalling zero is paid the moment it is issued. A credit note settles the invoice
it corrects (`settlement.allocate`) up to what is still open there; what it cannot settle
stays as the customer's credit (receivables count it). Credit notes keep the status `issued`:
their `settled_amount` says how much of them has been used.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import OPEN_INVOICE_STATUSES, InvoiceKind, InvoiceStatus
from contracts.errors import Code
from contracts.models import Invoice
from contracts.services.bill_to import BillTo, bill_to_of
from contracts.services.invoice_document_queue import queue_invoice_document
from contracts.services.invoice_queries import InvoiceView, view_of
from contracts.services.invoice_totals import apply_totals, lines_of
from contracts.services.invoices import InvoiceIssue, locked_draft
from contracts.services.settlement import allocate, locked_invoice, open_amount
from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.editing import check_version
from core.errors import Conflict, Invalid, NotFound
from core.numbering import next_number
from core.settings import BillingSettings

ZERO = Decimal("0.00")
SERIES = {InvoiceKind.INVOICE.value: "invoice", InvoiceKind.CREDIT_NOTE.value: "credit_note"}


async def issue_invoice(
    session: AsyncSession,
    actor: Principal,
    invoice_id: UUID,
    data: InvoiceIssue,
    settings: BillingSettings,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> InvoiceView:
    invoice = await locked_draft(session, invoice_id)
    check_version("invoice", invoice, data.version)
    bill_to = (await bill_to_of(session, [invoice.customer_id], settings)).get(invoice.customer_id)
    await issue_locked_draft(session, actor, invoice, bill_to, now=clock.now())
    return await view_of(session, invoice)


async def issue_locked_draft(
    session: AsyncSession, actor: Principal, invoice: Invoice, bill_to: BillTo | None, *, now: dt.datetime
) -> Invoice:
    """Issue a draft the caller has locked, to the bill-to the caller resolved (the bulk issue
    resolves a whole chunk's bill-tos in one lookup)."""
    lines = await lines_of(session, invoice.id)
    if not lines:
        raise Invalid(Code.INVOICE_EMPTY, "an invoice without lines cannot be issued", field="lines")
    apply_totals(invoice, lines)  # the stored totals are the lines' sum, whatever wrote them
    if bill_to is None:
        raise NotFound("customer", invoice.customer_id)
    issued_on = now.date()
    before = audit.snapshot(invoice)

    invoice.number = await next_number(session, SERIES[invoice.kind])
    invoice.status = InvoiceStatus.ISSUED.value
    invoice.issued_on = issued_on
    invoice.due_on = bill_to.terms.due_on(issued_on)
    invoice.issued_at = now
    invoice.issued_by = actor.username
    invoice.bill_to = bill_to.snapshot()
    invoice.payment_reference = invoice.number
    invoice.open_draft_key = None
    if invoice.gross_amount == ZERO:
        invoice.status, invoice.paid_on = InvoiceStatus.PAID.value, issued_on
    await session.flush()

    if invoice.kind == InvoiceKind.CREDIT_NOTE.value:
        await _settle_corrected_invoice(session, actor, invoice, issued_on)
    old, new = audit.changed(before, audit.snapshot(invoice))
    await audit.record(session, actor, "invoice", invoice.id, "issue", before=old, after=new, at=now)
    await queue_invoice_document(session, invoice, now)
    return invoice


async def _settle_corrected_invoice(session: AsyncSession, actor: Principal, credit_note: Invoice, on: dt.date) -> None:
    # Lock order: credit note (locked as the draft being issued), then the invoice.
    assert credit_note.corrects_invoice_id is not None  # a check constraint holds it
    corrected = await locked_invoice(session, credit_note.corrects_invoice_id)
    if corrected.status == InvoiceStatus.VOID.value:
        raise Conflict(
            Code.INVOICE_NOT_EDITABLE,
            f"invoice {corrected.number} is void; a credit note for it cannot be issued (delete the draft)",
            extra={"current_status": corrected.status},
        )
    if InvoiceStatus(corrected.status) not in OPEN_INVOICE_STATUSES:
        return  # paid already: the whole credit note stays as the customer's credit
    amount = min(open_amount(corrected), open_amount(credit_note))
    if amount > ZERO:
        await allocate(session, actor, corrected, amount, on=on, credit_note=credit_note)
