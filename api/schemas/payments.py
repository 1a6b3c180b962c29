"""Response shapes for payments, receivables (aging) and open items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

import msgspec

from contracts.invoice_math import AgingBucket
from contracts.services.payments import AllocationView, PaymentView
from contracts.services.receivables import AgingLine, AgingReport, ReceivableItem


class AllocationOut(msgspec.Struct, kw_only=True):
    id: UUID
    invoice_id: UUID
    invoice_number: str | None
    amount: Decimal
    allocated_on: dt.date
    allocated_by: str


class PaymentOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    customer_id: UUID
    amount: Decimal
    currency: str
    received_on: dt.date
    method: str
    reference: str | None
    notes: str | None
    allocated_amount: Decimal
    unallocated_amount: Decimal  # the customer's credit from this payment
    allocations: list[AllocationOut]
    recorded_by: str
    version: int
    created_at: dt.datetime


def _allocation_out(view: AllocationView) -> AllocationOut:
    allocation = view.allocation
    return AllocationOut(
        id=allocation.id,
        invoice_id=allocation.invoice_id,
        invoice_number=view.invoice_number,
        amount=allocation.amount,
        allocated_on=allocation.allocated_on,
        allocated_by=allocation.allocated_by,
    )


def payment_out(view: PaymentView) -> PaymentOut:
    payment = view.payment
    return PaymentOut(
        id=payment.id,
        number=payment.number,
        customer_id=payment.customer_id,
        amount=payment.amount,
        currency=payment.currency,
        received_on=payment.received_on,
        method=payment.method,
        reference=payment.reference,
        notes=payment.notes,
        allocated_amount=payment.allocated_amount,
        unallocated_amount=view.unallocated_amount,
        allocations=[_allocation_out(a) for a in view.allocations],
        recorded_by=payment.recorded_by,
        version=payment.version,
        created_at=payment.created_at,
    )


class AgingBucketsOut(
    msgspec.Struct,
    kw_only=True,
    rename={"days_1_30": "1-30", "days_31_60": "31-60", "days_61_90": "61-90", "over_90": "90+"},
):
    current: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    over_90: Decimal


class AgingLineOut(msgspec.Struct, kw_only=True):
    customer_id: UUID | None
    customer_number: str | None
    customer_name: str | None
    currency: str
    buckets: AgingBucketsOut
    total: Decimal


class AgingOut(msgspec.Struct, kw_only=True):
    on: dt.date
    customers: list[AgingLineOut]
    totals: list[AgingLineOut]  # one per currency, over the customers listed


def _line_out(line: AgingLine) -> AgingLineOut:
    b = line.buckets
    return AgingLineOut(
        customer_id=line.customer_id,
        customer_number=line.customer_number,
        customer_name=line.customer_name,
        currency=line.currency,
        buckets=AgingBucketsOut(
            current=b[AgingBucket.CURRENT],
            days_1_30=b[AgingBucket.DAYS_1_30],
            days_31_60=b[AgingBucket.DAYS_31_60],
            days_61_90=b[AgingBucket.DAYS_61_90],
            over_90=b[AgingBucket.OVER_90],
        ),
        total=line.total,
    )


def aging_out(report: AgingReport) -> AgingOut:
    return AgingOut(
        on=report.on,
        customers=[_line_out(line) for line in report.customers],
        totals=[_line_out(line) for line in report.totals],
    )


class OpenItemOut(msgspec.Struct, kw_only=True):
    kind: str  # invoice, credit_note, payment
    id: UUID
    number: str
    customer_id: UUID
    currency: str
    dated_on: dt.date
    due_on: dt.date
    amount: Decimal
    open_amount: Decimal  # negative for credit notes and unallocated payments


def open_item_out(item: ReceivableItem) -> OpenItemOut:
    return OpenItemOut(
        kind=item.kind,
        id=item.id,
        number=item.number,
        customer_id=item.customer_id,
        currency=item.currency,
        dated_on=item.dated_on,
        due_on=item.due_on,
        amount=item.amount,
        open_amount=item.open_amount,
    )
