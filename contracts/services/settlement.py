"""Settling invoices: an allocation of a payment or a credit note moves an invoice along.

The one place an invoice's `settled_amount`, status (issued → partially paid → paid) and
`paid_on` change. Callers lock the invoice (`locked_invoice`) before allocating; rows are
locked in this order everywhere: payment, then credit note, then invoice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import OPEN_INVOICE_STATUSES, InvoiceKind, InvoiceStatus
from contracts.errors import Code
from contracts.models import Invoice, PaymentAllocation
from core.auth import Principal
from core.errors import Conflict, Invalid, NotFound

ZERO = Decimal("0.00")


async def locked_invoice(session: AsyncSession, invoice_id: UUID) -> Invoice:
    """The invoice, row-locked for the rest of the transaction (SQLite: the writer lock holds it)."""
    invoice = await session.scalar(
        select(Invoice).where(Invoice.id == invoice_id).with_for_update().execution_options(populate_existing=True)
    )
    if invoice is None:
        raise NotFound("invoice", invoice_id)
    return invoice


def open_amount(invoice: Invoice) -> Decimal:
    """What is still to be settled: positive for an invoice, and for a credit note what it can still settle."""
    return abs(invoice.gross_amount) - invoice.settled_amount


async def allocate(
    session: AsyncSession,
    actor: Principal,
    invoice: Invoice,
    amount: Decimal,
    *,
    on: dt.date,
    payment_id: UUID | None = None,
    credit_note: Invoice | None = None,
    field: str = "amount",
) -> PaymentAllocation:
    """Settle `amount` of an open invoice from a payment or an issued credit note.

    The payment's own allocated amount is the caller's (it locked the payment); the credit
    note's settled amount moves here. Amounts beyond what is open answer 422."""
    if invoice.kind != InvoiceKind.INVOICE or InvoiceStatus(invoice.status) not in OPEN_INVOICE_STATUSES:
        raise Conflict(
            Code.INVOICE_NOT_EDITABLE,
            f"invoice {invoice.number or invoice.id} is {invoice.status}; only issued, unpaid invoices take payments",
            extra={"current_status": invoice.status},
        )
    if amount <= ZERO:
        raise Invalid(Code.INVALID_AMOUNT, "an allocation must be above 0", field=field)
    if amount > open_amount(invoice):
        raise Invalid(
            Code.ALLOCATION_EXCEEDS_OPEN,
            f"invoice {invoice.number} has {open_amount(invoice)} {invoice.currency} open; {amount} is more",
            field=field,
        )
    if credit_note is not None:
        if amount > open_amount(credit_note):
            raise Invalid(
                Code.ALLOCATION_EXCEEDS_PAYMENT,
                f"credit note {credit_note.number} has {open_amount(credit_note)} left to settle",
                field=field,
            )
        credit_note.settled_amount += amount
    allocation = PaymentAllocation(
        invoice_id=invoice.id,
        payment_id=payment_id,
        credit_note_id=credit_note.id if credit_note is not None else None,
        amount=amount,
        allocated_on=on,
        allocated_by=actor.username,
    )
    session.add(allocation)
    invoice.settled_amount += amount
    _move_by_settlement(invoice, on)
    await session.flush()
    return allocation


def _move_by_settlement(invoice: Invoice, on: dt.date) -> None:
    if invoice.settled_amount >= invoice.gross_amount:
        invoice.status, invoice.paid_on = InvoiceStatus.PAID.value, on
    elif invoice.settled_amount > ZERO:
        invoice.status, invoice.paid_on = InvoiceStatus.PARTIALLY_PAID.value, None
    else:
        invoice.status, invoice.paid_on = InvoiceStatus.ISSUED.value, None
