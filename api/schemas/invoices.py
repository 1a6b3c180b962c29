"""Response shapes for invoices, credit notes and their lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec

from contracts.models import Invoice, InvoiceLine
from contracts.services.credit_note_applications import CreditNoteApplied
from contracts.services.invoice_bulk_issue import BulkIssueResult
from contracts.services.invoice_queries import InvoiceView


class InvoiceLineOut(msgspec.Struct, kw_only=True):
    id: UUID
    position: int
    source: str
    source_key: str | None
    released_source_key: str | None
    billable_item_id: UUID | None
    contract_id: UUID | None
    corrects_line_id: UUID | None
    reference: str | None
    description: str
    service_from: dt.date | None
    service_to: dt.date | None
    quantity: Decimal
    unit: str
    unit_price: Decimal
    net_amount: Decimal
    tax_rate: Decimal
    tax_exemption_reason: str | None
    tax_amount: Decimal
    # What credit notes (not void) have taken of this line, and what is left to credit.
    credited_amount: Decimal
    creditable_amount: Decimal
    details: dict[str, Any]


class InvoiceOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str | None
    kind: str
    status: str
    customer_id: UUID
    currency: str
    billing_period: str | None
    billing_run_id: UUID | None
    corrects_invoice_id: UUID | None
    net_amount: Decimal
    tax_amount: Decimal
    gross_amount: Decimal
    settled_amount: Decimal
    open_amount: Decimal
    issued_on: dt.date | None
    due_on: dt.date | None
    issued_at: dt.datetime | None
    issued_by: str | None
    paid_on: dt.date | None
    voided_at: dt.datetime | None
    void_reason: str | None
    payment_reference: str | None
    bill_to: dict[str, Any]
    notes: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class InvoiceDetailOut(InvoiceOut, kw_only=True):
    lines: list[InvoiceLineOut]


def _fields(invoice: Invoice, *, staff: bool) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "number": invoice.number,
        "kind": invoice.kind,
        "status": invoice.status,
        "customer_id": invoice.customer_id,
        "currency": invoice.currency,
        "billing_period": invoice.billing_period,
        "billing_run_id": invoice.billing_run_id if staff else None,
        "corrects_invoice_id": invoice.corrects_invoice_id,
        "net_amount": invoice.net_amount,
        "tax_amount": invoice.tax_amount,
        "gross_amount": invoice.gross_amount,
        "settled_amount": invoice.settled_amount,
        "open_amount": abs(invoice.gross_amount) - invoice.settled_amount
        if invoice.status not in ("draft", "void")
        else Decimal("0.00"),
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "issued_at": invoice.issued_at,
        "issued_by": invoice.issued_by if staff else None,
        "paid_on": invoice.paid_on,
        "voided_at": invoice.voided_at,
        "void_reason": invoice.void_reason,
        "payment_reference": invoice.payment_reference,
        "bill_to": invoice.bill_to or {},
        "notes": invoice.notes,
        "version": invoice.version,
        "created_at": invoice.created_at,
        "updated_at": invoice.updated_at,
    }


def invoice_out(invoice: Invoice, *, staff: bool = True) -> InvoiceOut:
    return InvoiceOut(**_fields(invoice, staff=staff))


def invoice_detail_out(view: InvoiceView, *, staff: bool = True) -> InvoiceDetailOut:
    return InvoiceDetailOut(
        **_fields(view.invoice, staff=staff), lines=[_line_out(view, line, staff=staff) for line in view.lines]
    )


def _line_out(view: InvoiceView, line: InvoiceLine, *, staff: bool) -> InvoiceLineOut:
    credited = view.credited.get(line.id, Decimal("0.00"))
    return InvoiceLineOut(
        id=line.id,
        position=line.position,
        source=line.source,
        # Source keys and billing details are internal bookkeeping; customers see the printed line.
        source_key=line.source_key if staff else None,
        released_source_key=line.released_source_key if staff else None,
        billable_item_id=line.billable_item_id,
        contract_id=line.contract_id,
        corrects_line_id=line.corrects_line_id,
        reference=line.reference,
        description=line.description,
        service_from=line.service_from,
        service_to=line.service_to,
        quantity=line.quantity,
        unit=line.unit,
        unit_price=line.unit_price,
        net_amount=line.net_amount,
        tax_rate=line.tax_rate,
        tax_exemption_reason=line.tax_exemption_reason,
        tax_amount=line.tax_amount,
        credited_amount=credited,
        creditable_amount=view.creditable(line),
        details=(line.details or {}) if staff else {},
    )


# --- month-end bulk issue and credit note applications ---------------------------------------


class DraftsIssue(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    period: Annotated[
        str, msgspec.Meta(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"], description="the month whose drafts to issue")
    ]


class IssuedTotalsOut(msgspec.Struct, kw_only=True):
    invoices: int
    net: Decimal
    tax: Decimal
    gross: Decimal


class DraftsIssuedOut(msgspec.Struct, kw_only=True):
    period: str
    drafts: int
    issued: int
    skipped: int
    empty: int
    first_number: str | None
    last_number: str | None
    totals: dict[str, IssuedTotalsOut]


def drafts_issued_out(result: BulkIssueResult) -> DraftsIssuedOut:
    return DraftsIssuedOut(
        period=result.period,
        drafts=result.drafts,
        issued=result.issued,
        skipped=result.skipped,
        empty=result.empty,
        first_number=result.first_number,
        last_number=result.last_number,
        totals={
            currency: IssuedTotalsOut(invoices=t.invoices, net=t.net, tax=t.tax, gross=t.gross)
            for currency, t in result.totals.items()
        },
    )


class CreditNoteApplicationOut(msgspec.Struct, kw_only=True):
    id: UUID  # the allocation
    credit_note_id: UUID
    invoice_id: UUID
    amount: Decimal
    allocated_on: dt.date
    allocated_by: str
    credit_note: InvoiceOut  # what it has settled now, and what is left of it
    invoice: InvoiceOut


def credit_note_application_out(applied: CreditNoteApplied) -> CreditNoteApplicationOut:
    allocation = applied.allocation
    return CreditNoteApplicationOut(
        id=allocation.id,
        credit_note_id=applied.credit_note.id,
        invoice_id=applied.invoice.id,
        amount=allocation.amount,
        allocated_on=allocation.allocated_on,
        allocated_by=allocation.allocated_by,
        credit_note=invoice_out(applied.credit_note),
        invoice=invoice_out(applied.invoice),
    )
