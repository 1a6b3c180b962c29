"""The invoice (or credit note) PDF, stored as a document and mailed by the outbox.

What it prints: the seller (`BillingSettings`: name, address, tax id, IBAN, e-mail), the
bill-to as frozen at issue, number, issue and due dates, payment reference, the lines
(reference, description, service period, quantity, unit, unit price, net, tax %), a tax
summary per rate with the exemption reason, totals, and on a credit note the invoice it
corrects. Amounts come from the stored lines and totals; nothing is recomputed here.

An issued invoice's PDF is rendered once (on delivery by the outbox, or on the first
download, whichever comes first) and stored under `invoice:<id>`; later downloads serve the
stored bytes. A draft renders as a preview marked DRAFT and is never stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from contracts.choices import InvoiceKind, InvoiceStatus
from contracts.invoice_math import totals
from contracts.models import Invoice, InvoiceLine
from contracts.services.bill_to import bill_to_of
from contracts.services.invoice_document_queue import KIND, title_of
from contracts.services.invoice_queries import find_invoice
from contracts.services.invoice_totals import lines_of, taxed_lines
from core.documents import Document
from core.errors import NotFound
from core.mailer import Attachment, compose
from core.outbox import OutboxMessage
from core.outbox_dispatch import Delivery, PermanentFailure
from core.pdf import render_pdf_async, render_template
from core.settings import BillingSettings
from masterdata.services.visibility import CustomerScope

CONTENT_TYPE = "application/pdf"
PACKAGE = "contracts"
TEMPLATE = "invoice.html"
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class PdfFile:
    filename: str
    content_type: str
    content: bytes


def document_key(invoice_id: UUID) -> str:
    return f"invoice:{invoice_id}"


def filename_of(invoice: Invoice) -> str:
    return f"{invoice.number or 'draft-' + str(invoice.id)}.pdf"


# --- use cases ---------------------------------------------------------------------------------


async def render_invoice(session: AsyncSession, invoice: Invoice, settings: BillingSettings) -> bytes:
    lines = await lines_of(session, invoice.id)
    corrects = await session.get(Invoice, invoice.corrects_invoice_id) if invoice.corrects_invoice_id else None
    bill_to = invoice.bill_to or await _current_bill_to(session, invoice, settings)
    html = render_template(PACKAGE, TEMPLATE, document_data(invoice, lines, bill_to, settings, corrects))
    return await render_pdf_async(html)


async def stored_invoice_document(session: AsyncSession, invoice: Invoice, settings: BillingSettings) -> Document:
    """The stored PDF of an issued invoice, rendered and stored now if it is not yet."""
    key = document_key(invoice.id)
    document = await session.scalar(select(Document).where(Document.key == key))
    if document is not None:
        return document
    pdf = await render_invoice(session, invoice, settings)
    document = Document(
        key=key,
        kind=KIND,
        filename=filename_of(invoice),
        content_type=CONTENT_TYPE,
        content=pdf,
        size_bytes=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
    )
    session.add(document)
    await session.flush()
    # A plain UPDATE: storing the PDF is not an edit, so it must not bump the invoice's version
    # (someone about to void it with the version they read would get a needless 409).
    await session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id)
        .values(document_key=key)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(invoice, "document_key", key)
    return document


async def invoice_pdf_for(
    session: AsyncSession,
    invoice_id: UUID,
    settings: BillingSettings,
    *,
    scope: CustomerScope,
) -> PdfFile:
    """The PDF for someone allowed to see the invoice: stored once issued, a preview for a draft."""
    invoice = await find_invoice(session, invoice_id, scope=scope)
    if invoice.status == InvoiceStatus.DRAFT.value:
        return PdfFile(filename_of(invoice), CONTENT_TYPE, await render_invoice(session, invoice, settings))
    document = await stored_invoice_document(session, invoice, settings)
    return PdfFile(document.filename, document.content_type, document.content)


async def deliver_invoice_document(
    session: AsyncSession, message: OutboxMessage, *, settings: BillingSettings | None = None
) -> Delivery:
    """Outbox handler for `invoice_document`: render and store the PDF, mail it attached.

    `settings`: the seller printed on the PDF (the worker binds the loaded billing settings).
    """
    try:
        invoice_id = UUID(str(message.payload["invoice_id"]))
    except (KeyError, ValueError) as exc:
        raise PermanentFailure(f"payload names no invoice: {message.payload!r}") from exc
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None:
        raise PermanentFailure(str(NotFound("invoice", invoice_id)))
    if invoice.status == InvoiceStatus.DRAFT.value:
        raise PermanentFailure(f"invoice {invoice_id} is a draft; only issued invoices are sent")
    settings = settings or BillingSettings()
    document = await stored_invoice_document(session, invoice, settings)
    if not message.recipient:
        return Delivery(note="no recipient: invoice rendered and stored, not mailed")
    title = title_of(invoice)
    email = compose(
        to=message.recipient,
        subject=message.subject or title,
        body=_mail_body(invoice, title, settings),
        attachments=[Attachment(document.filename, document.content_type, document.content)],
    )
    return Delivery(email=email)


def _mail_body(invoice: Invoice, title: str, settings: BillingSettings) -> str:
    name = (invoice.bill_to or {}).get("name") or "customer"
    if invoice.kind == InvoiceKind.CREDIT_NOTE.value:
        what = f"attached is our {title.lower()} of {_money(-invoice.gross_amount)} {invoice.currency}."
    else:
        what = (
            f"attached is our {title.lower()} of {_money(invoice.gross_amount)} {invoice.currency}, "
            f"due on {invoice.due_on}. Please quote {invoice.payment_reference} with your payment."
        )
    return f"Dear {name},\n\n{what}\n\nKind regards,\n{settings.seller_name}\n"


async def _current_bill_to(session: AsyncSession, invoice: Invoice, settings: BillingSettings) -> dict[str, Any]:
    # A draft has no frozen bill-to yet: the preview shows what issuing it now would print.
    found = await bill_to_of(session, [invoice.customer_id], settings)
    return found[invoice.customer_id].snapshot() if invoice.customer_id in found else {}


# --- what the template sees ----------------------------------------------------------------------


def document_data(
    invoice: Invoice,
    lines: list[InvoiceLine],
    bill_to: dict[str, Any],
    settings: BillingSettings,
    corrects: Invoice | None,
) -> dict[str, Any]:
    credit_note = invoice.kind == InvoiceKind.CREDIT_NOTE.value
    summary = totals(taxed_lines(lines))
    place = " ".join(part for part in (bill_to.get("postal_code"), bill_to.get("city")) if part)
    return {
        "title": "Credit note" if credit_note else "Invoice",
        "draft": invoice.status == InvoiceStatus.DRAFT.value,
        "number": invoice.number or "DRAFT",
        "issued_on": invoice.issued_on.isoformat() if invoice.issued_on else "-",
        "due_on": invoice.due_on.isoformat() if invoice.due_on else "-",
        "payment_reference": invoice.payment_reference or "-",
        "currency": invoice.currency,
        "billing_period": invoice.billing_period,
        "corrects": corrects.number if corrects is not None else None,
        "notes": invoice.notes,
        "seller": {
            "name": settings.seller_name,
            "address": settings.seller_address,
            "tax_id": settings.seller_tax_id,
            "iban": settings.seller_iban,
            "email": settings.seller_email,
        },
        "bill_to": {
            "customer_number": bill_to.get("customer_number"),
            "name": bill_to.get("name") or "",
            "address": [part for part in (bill_to.get("street"), place, bill_to.get("country")) if part],
            "tax_id": bill_to.get("tax_id"),
            "email": bill_to.get("email"),
        },
        "lines": [_line(line) for line in lines],
        "tax_summary": [
            {
                "rate": _percent(rate.rate.percent),
                "exemption_reason": rate.rate.exemption_reason,
                "net": _money(rate.net),
                "tax": _money(rate.tax),
            }
            for rate in summary.by_rate
        ],
        # The stored totals: apply_totals keeps them equal to the lines' sum.
        "net": _money(invoice.net_amount),
        "tax": _money(invoice.tax_amount),
        "gross": _money(invoice.gross_amount),
        "payment_terms_days": bill_to.get("payment_terms_days"),
        "credit_note": credit_note,
    }


def _line(line: InvoiceLine) -> dict[str, Any]:
    period = None
    if line.service_from and line.service_to:
        period = f"{line.service_from.isoformat()} – {line.service_to.isoformat()}"
    elif line.service_from or line.service_to:
        period = (line.service_from or line.service_to).isoformat()  # type: ignore[union-attr]
    return {
        "position": line.position,
        "reference": line.reference or "",
        "description": line.description,
        "period": period,
        "quantity": _plain(line.quantity),
        "unit": line.unit,
        "unit_price": _unit_price(line.unit_price),
        "net": _money(line.net_amount),
        "tax_rate": _percent(line.tax_rate),
    }


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(CENT):,.2f}"


def _unit_price(price: Decimal) -> str:
    """At least cents, more places only where the price has them (0.0125 per page)."""
    plain = price.normalize()
    return f"{price.quantize(CENT):,.2f}" if plain == plain.quantize(CENT) else f"{plain:,f}"


def _plain(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


def _percent(rate: Decimal) -> str:
    return f"{rate.quantize(CENT):f} %"
