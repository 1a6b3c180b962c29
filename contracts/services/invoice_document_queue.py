"""Queue an issued invoice's PDF: rendered, stored and e-mailed after commit by the outbox.

The recipient is the bill-to's e-mail as frozen on the invoice at issue, so the outbox row
shows whom it was meant for. Without an address the PDF is still rendered and stored.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import InvoiceKind
from contracts.models import Invoice
from core import outbox

KIND = "invoice_document"


def dedupe_key(invoice: Invoice) -> str:
    return f"{KIND}:{invoice.id}"


def title_of(invoice: Invoice) -> str:
    return f"{'Credit note' if invoice.kind == InvoiceKind.CREDIT_NOTE.value else 'Invoice'} {invoice.number}"


async def queue_invoice_document(session: AsyncSession, invoice: Invoice, now: dt.datetime) -> outbox.OutboxMessage:
    recipient = (invoice.bill_to or {}).get("email") or None
    return await outbox.enqueue(
        session,
        kind=KIND,
        dedupe_key=dedupe_key(invoice),
        now=now,
        recipient=recipient,
        subject=title_of(invoice),
        payload={"invoice_id": str(invoice.id)},
    )
