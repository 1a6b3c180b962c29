"""Invoices and payments as CSV for an accounting system.

The columns and their order are fixed (accounting imports map them by position as often as by
name), amounts are plain decimal strings with two places ("1190.00", "-50.00"), dates ISO 8601,
and the file is written with Python's `csv` module (RFC 4180 quoting, CRLF line ends).

Rows are streamed from the database in batches, so a year of invoices never sits in memory:
- invoices (and credit notes) issued between the two dates, inclusive, drafts excluded and
  voided ones included with their status, by issue date and number;
- payments received between the two dates, inclusive, with their allocations as
  "INV-000001:100.00;INV-000002:50.00", by receipt date and number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from contracts.choices import InvoiceStatus
from contracts.errors import Code
from contracts.models import Invoice, Payment, PaymentAllocation
from core.errors import Invalid
from masterdata.models import Customer

CENT = Decimal("0.01")
BATCH = 500
MAX_RANGE = dt.timedelta(days=3660)  # ten years in one file is plenty

INVOICE_COLUMNS = (
    "number",
    "kind",
    "customer_number",
    "customer_name",
    "issued_on",
    "due_on",
    "currency",
    "net",
    "tax",
    "gross",
    "settled",
    "status",
    "corrects_number",
    "payment_reference",
)
PAYMENT_COLUMNS = (
    "number",
    "customer_number",
    "received_on",
    "currency",
    "amount",
    "allocated",
    "unallocated",
    "method",
    "reference",
    "allocations",
)


def check_range(date_from: dt.date, date_to: dt.date) -> None:
    """Refuse a reversed or absurd range before the first byte is sent."""
    if date_to < date_from:
        raise Invalid(Code.ENDS_BEFORE_STARTS, f"to ({date_to}) lies before from ({date_from})", field="to")
    if date_to - date_from > MAX_RANGE:
        raise Invalid(Code.INVALID_EXPORT_RANGE, f"export at most {MAX_RANGE.days} days at once", field="to")


async def invoice_rows(session: AsyncSession, date_from: dt.date, date_to: dt.date) -> AsyncIterator[list[str]]:
    corrected = aliased(Invoice)
    stmt = (
        select(Invoice, Customer.number, Customer.name, corrected.number)
        .join(Customer, Customer.id == Invoice.customer_id)
        .outerjoin(corrected, corrected.id == Invoice.corrects_invoice_id)
        .where(
            Invoice.status != InvoiceStatus.DRAFT.value,
            Invoice.issued_on >= date_from,
            Invoice.issued_on <= date_to,
        )
        .order_by(Invoice.issued_on, Invoice.number)
        .execution_options(yield_per=BATCH)
    )
    result = await session.stream(stmt)
    async for invoice, customer_number, customer_name, corrects_number in result:
        printed = invoice.bill_to or {}
        yield [
            invoice.number or "",
            invoice.kind,
            printed.get("customer_number") or customer_number,
            printed.get("name") or customer_name,  # the name as printed on the invoice
            _date(invoice.issued_on),
            _date(invoice.due_on),
            invoice.currency,
            money(invoice.net_amount),
            money(invoice.tax_amount),
            money(invoice.gross_amount),
            money(invoice.settled_amount),
            invoice.status,
            corrects_number or "",
            invoice.payment_reference or "",
        ]


async def payment_rows(session: AsyncSession, date_from: dt.date, date_to: dt.date) -> AsyncIterator[list[str]]:
    # One query, one row per allocation (or one for a payment without any), grouped back here:
    # no second query while the cursor is open.
    stmt = (
        select(Payment, Customer.number, Invoice.number, PaymentAllocation.amount)
        .join(Customer, Customer.id == Payment.customer_id)
        .outerjoin(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
        .outerjoin(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(Payment.received_on >= date_from, Payment.received_on <= date_to)
        .order_by(Payment.received_on, Payment.number, PaymentAllocation.created_at, PaymentAllocation.id)
        .execution_options(yield_per=BATCH)
    )
    result = await session.stream(stmt)
    current: Payment | None = None
    customer_number = ""
    allocations: list[str] = []
    async for payment, number, invoice_number, amount in result:
        if current is not None and payment.id != current.id:
            yield _payment_row(current, customer_number, allocations)
            allocations = []
        current, customer_number = payment, number
        if invoice_number is not None:
            allocations.append(f"{invoice_number}:{money(amount)}")
    if current is not None:
        yield _payment_row(current, customer_number, allocations)


def _payment_row(payment: Payment, customer_number: str, allocations: list[str]) -> list[str]:
    return [
        payment.number,
        customer_number,
        _date(payment.received_on),
        payment.currency,
        money(payment.amount),
        money(payment.allocated_amount),
        money(payment.amount - payment.allocated_amount),
        payment.method,
        payment.reference or "",
        ";".join(allocations),
    ]


async def csv_text(header: Sequence[str], rows: AsyncIterator[list[str]], batch: int = BATCH) -> AsyncIterator[str]:
    """The CSV in pieces of about ``batch`` rows, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    count = 0
    async for row in rows:
        writer.writerow(row)
        count += 1
        if count % batch == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def money(value: Any) -> str:
    return f"{Decimal(value).quantize(CENT):f}"


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else ""
