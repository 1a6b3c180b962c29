"""Receivables: what customers owe at a date, its aging, and how fast they pay.

Open items at a date ``on`` are computed from the allocations dated up to ``on``, so the same
query answers "now" (the credit check) and "at the end of last month" (the aging report):

- an issued invoice (issued on or before ``on``): gross minus what payments and credit notes
  settled by then, aged by its due date;
- an issued credit note: minus what it has not settled yet, aged by its issue date;
- a payment (received on or before ``on``): minus its unallocated rest, aged by the day it
  was received (an over-payment is the customer's credit).

Negative items are summed into their bucket as they are (`contracts.invoice_math.aging`).
Void invoices never count: they are only voided before anything settled them.
Average days to pay: the mean of (paid_on − issued_on) over fully paid invoices with an amount
above 0 (an invoice of 0 is paid on issue and says nothing about the customer), one decimal,
half up; None when the customer has paid none yet.

Everything here is set-based: one query for invoices and credit notes, one for payments, one
for days to pay, whatever the number of customers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import InvoiceKind, InvoiceStatus
from contracts.invoice_math import AgingBucket, OpenItem, aging
from contracts.models import Invoice, Payment, PaymentAllocation
from core.db import in_chunks
from masterdata.models import Customer
from masterdata.services.visibility import CustomerScope

ZERO = Decimal("0.00")
TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class ReceivableItem:
    """One open item; ``open_amount`` is negative for credit notes and unallocated payments."""

    kind: str  # "invoice", "credit_note" or "payment"
    id: UUID
    number: str
    customer_id: UUID
    currency: str
    dated_on: dt.date  # issued or received
    due_on: dt.date  # the date it ages from
    amount: Decimal  # signed: the invoice's gross, a credit note's (negative) gross, minus the payment
    open_amount: Decimal


@dataclass(frozen=True, slots=True)
class AgingLine:
    customer_id: UUID | None  # None on the totals
    customer_number: str | None
    customer_name: str | None
    currency: str
    buckets: dict[AgingBucket, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)


@dataclass(frozen=True, slots=True)
class AgingReport:
    on: dt.date
    customers: list[AgingLine] = field(default_factory=list)  # by customer number, then currency
    totals: list[AgingLine] = field(default_factory=list)  # one per currency


@dataclass(frozen=True, slots=True)
class Balance:
    """A customer's receivables in one currency at a date."""

    open_amount: Decimal = ZERO
    overdue_amount: Decimal = ZERO  # open amounts of invoices past their due date
    oldest_overdue_due_on: dt.date | None = None


# --- open items -----------------------------------------------------------------------------


async def open_items(session: AsyncSession, on: dt.date, scope: CustomerScope) -> list[ReceivableItem]:
    """Every open item at ``on`` of the customers in scope, oldest due first."""
    customer_ids = scope.customer_ids
    if customer_ids is None:
        items = await _invoice_items(session, on, None) + await _payment_items(session, on, None)
    else:
        items = []
        for chunk in in_chunks(sorted(set(customer_ids))):
            items += await _invoice_items(session, on, chunk) + await _payment_items(session, on, chunk)
    return sorted(items, key=lambda item: (item.due_on, item.number))


async def _invoice_items(session: AsyncSession, on: dt.date, customer_ids: list[UUID] | None) -> list[ReceivableItem]:
    settled = _allocated_to(PaymentAllocation.invoice_id == Invoice.id, on)
    used = _allocated_to(PaymentAllocation.credit_note_id == Invoice.id, on)
    is_invoice = Invoice.kind == InvoiceKind.INVOICE.value
    # An invoice is owed its gross less what was settled; a credit note owes back what it has not settled.
    open_expr = case((is_invoice, Invoice.gross_amount - settled), else_=Invoice.gross_amount + used)
    inner = (
        select(Invoice.id, Invoice.kind, Invoice.number, Invoice.customer_id, Invoice.currency, Invoice.issued_on)
        .add_columns(Invoice.due_on, Invoice.gross_amount, open_expr.label("open_amount"))
        .where(
            Invoice.status.notin_([InvoiceStatus.DRAFT.value, InvoiceStatus.VOID.value]),
            Invoice.issued_on <= on,
        )
    )
    if customer_ids is not None:
        inner = inner.where(Invoice.customer_id.in_(customer_ids))
    found = inner.subquery()
    stmt = select(found).where(found.c.open_amount != 0)
    items = [
        ReceivableItem(
            kind=row.kind,
            id=row.id,
            number=row.number,
            customer_id=row.customer_id,
            currency=row.currency,
            dated_on=row.issued_on,
            due_on=row.due_on if row.kind == InvoiceKind.INVOICE.value else row.issued_on,
            amount=row.gross_amount,
            open_amount=_cents(row.open_amount),
        )
        for row in await session.execute(stmt)
    ]
    # SQLite sums decimals as floats: drop what is 0 once back in cents.
    return [item for item in items if item.open_amount != ZERO]


async def _payment_items(session: AsyncSession, on: dt.date, customer_ids: list[UUID] | None) -> list[ReceivableItem]:
    rest = Payment.amount - _allocated_to(PaymentAllocation.payment_id == Payment.id, on)
    inner = select(Payment.id, Payment.number, Payment.customer_id, Payment.currency, Payment.received_on).add_columns(
        Payment.amount, rest.label("rest")
    )
    inner = inner.where(Payment.received_on <= on)
    if customer_ids is not None:
        inner = inner.where(Payment.customer_id.in_(customer_ids))
    found = inner.subquery()
    stmt = select(found).where(found.c.rest > 0)
    items = [
        ReceivableItem(
            kind="payment",
            id=row.id,
            number=row.number,
            customer_id=row.customer_id,
            currency=row.currency,
            dated_on=row.received_on,
            due_on=row.received_on,
            amount=-row.amount,
            open_amount=-_cents(row.rest),
        )
        for row in await session.execute(stmt)
    ]
    return [item for item in items if item.open_amount != ZERO]


def _allocated_to(correlation: ColumnElement[bool], on: dt.date) -> Any:
    """What was allocated to / from the outer row by ``on``: a correlated sum (indexed per row)."""
    return (
        select(func.coalesce(func.sum(PaymentAllocation.amount), 0))
        .where(correlation, PaymentAllocation.allocated_on <= on)
        .scalar_subquery()
    )


# --- balances (the credit check) ------------------------------------------------------------


async def balances(session: AsyncSession, customer_ids: Iterable[UUID], on: dt.date) -> dict[tuple[UUID, str], Balance]:
    """Per (customer, currency): open amount, overdue amount and the oldest overdue due date."""
    found: dict[tuple[UUID, str], Balance] = {}
    for item in await open_items(session, on, CustomerScope.only(set(customer_ids))):
        key = (item.customer_id, item.currency)
        balance = found.get(key, Balance())
        overdue = item.kind == InvoiceKind.INVOICE.value and item.due_on < on and item.open_amount > ZERO
        found[key] = Balance(
            open_amount=balance.open_amount + item.open_amount,
            overdue_amount=balance.overdue_amount + (item.open_amount if overdue else ZERO),
            oldest_overdue_due_on=(
                min(d for d in (balance.oldest_overdue_due_on, item.due_on) if d is not None)
                if overdue
                else balance.oldest_overdue_due_on
            ),
        )
    return found


# --- aging ----------------------------------------------------------------------------------


async def aging_report(session: AsyncSession, on: dt.date, scope: CustomerScope) -> AgingReport:
    """Aging buckets per customer and currency at ``on`` for the customers in scope, and totals per currency."""
    items = await open_items(session, on, scope)
    by_customer: dict[tuple[UUID, str], list[OpenItem]] = {}
    by_currency: dict[str, list[OpenItem]] = {}
    for item in items:
        open_item = OpenItem(item.number, item.due_on, item.open_amount)
        by_customer.setdefault((item.customer_id, item.currency), []).append(open_item)
        by_currency.setdefault(item.currency, []).append(open_item)
    names = await _customer_names(session, {customer_id for customer_id, _ in by_customer})
    lines = []
    for (customer_id, currency), group in by_customer.items():
        number, name = names.get(customer_id, (None, None))
        lines.append(AgingLine(customer_id, number, name, currency, aging(group, on)))
    lines.sort(key=lambda line: (line.customer_number or "", line.currency))
    totals = [
        AgingLine(None, None, None, currency, aging(group, on)) for currency, group in sorted(by_currency.items())
    ]
    return AgingReport(on=on, customers=lines, totals=totals)


async def _customer_names(session: AsyncSession, ids: set[UUID]) -> dict[UUID, tuple[str | None, str | None]]:
    found: dict[UUID, tuple[str | None, str | None]] = {}
    for chunk in in_chunks(sorted(ids)):
        rows = await session.execute(select(Customer.id, Customer.number, Customer.name).where(Customer.id.in_(chunk)))
        found |= {row.id: (row.number, row.name) for row in rows}
    return found


# --- payment behaviour ----------------------------------------------------------------------


async def average_days_to_pay(session: AsyncSession, customer_ids: Iterable[UUID]) -> dict[UUID, Decimal]:
    """Mean days from issue to full payment per customer; customers who paid nothing are absent."""
    days = _days_between(session, Invoice.paid_on, Invoice.issued_on)
    found: dict[UUID, Decimal] = {}
    for chunk in in_chunks(sorted(set(customer_ids))):
        rows = await session.execute(
            select(Invoice.customer_id, func.sum(days).label("days"), func.count().label("invoices"))
            .where(
                Invoice.customer_id.in_(chunk),
                Invoice.kind == InvoiceKind.INVOICE.value,
                Invoice.status == InvoiceStatus.PAID.value,
                Invoice.paid_on.is_not(None),
                Invoice.gross_amount > 0,
            )
            .group_by(Invoice.customer_id)
        )
        for row in rows:
            total = Decimal(round(row.days))  # whole days; SQLite's julianday difference is a float
            found[row.customer_id] = (total / row.invoices).quantize(TENTH, rounding=ROUND_HALF_UP)
    return found


def _days_between(session: AsyncSession, later: Any, earlier: Any) -> ColumnElement[Any]:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    if dialect == "postgresql":
        difference: ColumnElement[Any] = later - earlier  # date - date is an integer number of days
        return difference
    return func.julianday(later) - func.julianday(earlier)


# --- helpers --------------------------------------------------------------------------------


def _cents(value: Any) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))
