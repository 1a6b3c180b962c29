"""Issued invoices and credit notes as plain rows, for payment and receivables tests.

They are inserted directly (status issued, number, dates, totals by `apply_totals`), so these
tests do not depend on the invoice issuing service.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import count
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import InvoiceKind, InvoiceLineSource, InvoiceStatus
from contracts.invoice_math import TaxRate, taxed
from contracts.models import Invoice, InvoiceLine
from contracts.services.invoice_totals import apply_totals
from masterdata.models import Customer

_numbers = count(1)


async def customer(session: AsyncSession, name: str = "ACME Printing", number: str | None = None) -> UUID:
    row = Customer(number=number or f"C-{next(_numbers):06d}", name=name, status="active")
    session.add(row)
    await session.flush()
    return row.id


async def issued_invoice(
    session: AsyncSession,
    customer_id: UUID,
    net: str,
    *,
    issued_on: dt.date,
    due_on: dt.date | None = None,
    tax: str = "19.00",
    currency: str = "EUR",
    number: str | None = None,
) -> Invoice:
    """An issued invoice of one line; gross = net + tax per `invoice_math` (e.g. 100.00 → 119.00)."""
    number = number or f"INV-T{next(_numbers):05d}"
    invoice = Invoice(
        number=number,
        kind=InvoiceKind.INVOICE.value,
        status=InvoiceStatus.ISSUED.value,
        customer_id=customer_id,
        currency=currency,
        issued_on=issued_on,
        due_on=due_on or issued_on + dt.timedelta(days=30),
        issued_at=dt.datetime.combine(issued_on, dt.time(9), tzinfo=dt.UTC),
        issued_by="carla",
        payment_reference=number,
        bill_to={"customer_number": None, "name": None},
    )
    session.add(invoice)
    await session.flush()
    line = _line(invoice, net, tax)
    session.add(line)
    apply_totals(invoice, [line])
    await session.flush()
    return invoice


async def issued_credit_note(
    session: AsyncSession, invoice: Invoice, net: str, *, issued_on: dt.date, number: str | None = None
) -> Invoice:
    """An issued credit note of `net` (positive figure, stored negative) against `invoice`, not settled yet."""
    number = number or f"CN-T{next(_numbers):05d}"
    note = Invoice(
        number=number,
        kind=InvoiceKind.CREDIT_NOTE.value,
        status=InvoiceStatus.ISSUED.value,
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        corrects_invoice_id=invoice.id,
        issued_on=issued_on,
        due_on=issued_on,
        issued_at=dt.datetime.combine(issued_on, dt.time(9), tzinfo=dt.UTC),
        issued_by="carla",
        payment_reference=number,
        bill_to={},
    )
    session.add(note)
    await session.flush()
    line = _line(note, f"-{net}", "19.00", source=InvoiceLineSource.CREDIT)
    corrected = await session.scalar(select(InvoiceLine.id).where(InvoiceLine.invoice_id == invoice.id))
    line.corrects_line_id = corrected
    session.add(line)
    apply_totals(note, [line])
    await session.flush()
    return note


def _line(invoice: Invoice, net: str, tax: str, *, source: InvoiceLineSource = InvoiceLineSource.MANUAL) -> InvoiceLine:
    rate = TaxRate(Decimal(tax))
    line = taxed(Decimal(net), rate)
    return InvoiceLine(
        invoice_id=invoice.id,
        position=1,
        source=source.value,
        description="Service",
        quantity=Decimal("1.000"),
        unit="pc",
        unit_price=Decimal(net),
        net_amount=line.net,
        tax_rate=rate.percent,
        tax_amount=line.tax,
    )
