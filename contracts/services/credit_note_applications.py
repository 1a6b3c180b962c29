"""Applying what is left of an issued credit note to another open invoice of the customer.

Issuing a credit note settles the invoice it corrects as far as that is open; the rest stays
as the customer's credit (receivables count it). The contract administrator can later apply
that rest, or part of it, to any open invoice of the same customer (the bill-to) in the same
currency: an allocation from the credit note, through `settlement.allocate`, the one place
settled amounts and statuses move.

Rows are locked in the order every settler uses: the credit note, then the invoice. Another
customer's invoice or another currency is 422 (`customer_mismatch`, `currency_mismatch` on
`invoice_id`); more than the credit note has left (`allocation_exceeds_payment`) or than the
invoice has open (`allocation_exceeds_open`) is 422 on `amount`. A credit note that is not
issued (a draft, void) or an invoice that is not open answers 409 `invoice_not_editable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import InvoiceKind, InvoiceStatus
from contracts.errors import Code
from contracts.invoice_math import to_cents
from contracts.models import Invoice, PaymentAllocation
from contracts.services.settlement import allocate, locked_invoice
from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import Conflict, Invalid, NotFound
from core.fields import Money

ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)


class CreditNoteApplication(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    invoice_id: UUID
    amount: Money


@dataclass(frozen=True, slots=True)
class CreditNoteApplied:
    allocation: PaymentAllocation
    credit_note: Invoice
    invoice: Invoice


async def apply_credit_note(
    session: AsyncSession,
    actor: Principal,
    credit_note_id: UUID,
    data: CreditNoteApplication,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> CreditNoteApplied:
    """Settle `amount` of an open invoice from an issued credit note's unsettled rest."""
    amount = data.amount
    # Bounded before quantizing: a huge Decimal would not quantize to cents at all.
    if not amount.is_finite() or not ZERO < amount <= MAX_AMOUNT or amount != to_cents(amount):
        raise Invalid(
            Code.INVALID_AMOUNT, f"the amount to apply is above 0, at most {MAX_AMOUNT} and in cents", field="amount"
        )
    credit_note = await locked_invoice(session, credit_note_id)
    if credit_note.kind != InvoiceKind.CREDIT_NOTE.value or credit_note.status != InvoiceStatus.ISSUED.value:
        raise Conflict(
            Code.INVOICE_NOT_EDITABLE,
            f"{credit_note.kind.replace('_', ' ')} {credit_note.number or credit_note.id} is {credit_note.status}; "
            "only an issued credit note can be applied to an invoice",
            extra={"current_status": credit_note.status, "kind": credit_note.kind},
        )
    try:
        invoice = await locked_invoice(session, data.invoice_id)
    except NotFound:
        raise NotFound("invoice", data.invoice_id, field="invoice_id") from None
    _check_same_account(credit_note, invoice)
    before = {"settled_amount": credit_note.settled_amount}
    allocation = await allocate(
        session, actor, invoice, amount, on=clock.now().date(), credit_note=credit_note, field="amount"
    )
    await audit.record(
        session,
        actor,
        "invoice",
        credit_note.id,
        "apply_credit_note",
        before=before,
        after={
            "settled_amount": credit_note.settled_amount,
            "applied_to": invoice.number,
            "invoice_id": invoice.id,
            "amount": amount,
        },
    )
    return CreditNoteApplied(allocation, credit_note, invoice)


def _check_same_account(credit_note: Invoice, invoice: Invoice) -> None:
    if invoice.customer_id != credit_note.customer_id:
        raise Invalid(
            Code.CUSTOMER_MISMATCH,
            f"invoice {invoice.number or invoice.id} is billed to another customer than "
            f"credit note {credit_note.number}",
            field="invoice_id",
        )
    if invoice.currency != credit_note.currency:
        raise Invalid(
            Code.CURRENCY_MISMATCH,
            f"invoice {invoice.number or invoice.id} is in {invoice.currency}, credit note {credit_note.number} "
            f"in {credit_note.currency}",
            field="invoice_id",
        )
