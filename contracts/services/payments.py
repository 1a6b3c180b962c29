"""Payments received from customers, and their allocation to open invoices.

A payment is recorded with explicit allocations, or allocated automatically to the customer's
open invoices in its currency, the oldest due date first. Whatever is not allocated stays on
the payment as the customer's credit (an over-payment) and can be allocated later.

Rules chosen here:

- Explicit allocations are applied in the order given; ``auto_allocate`` then spreads the rest
  (it defaults to true only when no explicit allocation is sent).
- An allocation is dated the later of the payment's value date (``received_on``) and the
  invoice's issue date: the money settled the invoice from then on, which is what the
  invoice's ``paid_on`` and the days-to-pay figure should say, however late it was booked.
- Rows are locked payment first, then invoices by (due date, id), the order every settler uses
  (`contracts.services.settlement`), so concurrent payments for one customer cannot deadlock.
- Everything happens in the caller's transaction: a refused allocation leaves no payment, no
  number and no allocation behind once the caller rolls back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import OPEN_INVOICE_STATUSES, InvoiceKind, PaymentMethod
from contracts.errors import Code
from contracts.models import Invoice, Payment, PaymentAllocation
from contracts.services.settlement import allocate, locked_invoice, open_amount
from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import Invalid, NotFound
from core.fields import CurrencyCode, LongText, Money
from core.listing import Page, PageRequest, paginate
from core.numbering import next_number
from masterdata.models import Customer
from masterdata.services.visibility import CustomerScope

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)
MAX_ALLOCATIONS = 500


Reference = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class AllocationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    invoice_id: UUID
    amount: Money


class PaymentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    customer_id: UUID
    amount: Money
    currency: CurrencyCode
    received_on: dt.date
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER
    reference: Reference | None = None
    notes: LongText | None = None
    allocations: Annotated[list[AllocationIn], msgspec.Meta(max_length=MAX_ALLOCATIONS)] = []
    # None: allocate automatically exactly when no explicit allocation is given.
    auto_allocate: bool | None = None


class AllocationsCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Allocate (part of) a payment's unallocated rest: to these invoices, or oldest due first."""

    allocations: Annotated[list[AllocationIn], msgspec.Meta(max_length=MAX_ALLOCATIONS)] = []
    auto_allocate: bool | None = None


class PaymentFilter(msgspec.Struct, kw_only=True):
    customer_id: UUID | None = None
    currency: str | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    unallocated: bool | None = None  # True: only payments with a rest (the customer's credit)


@dataclass(frozen=True, slots=True)
class AllocationView:
    allocation: PaymentAllocation
    invoice_number: str | None


@dataclass(frozen=True, slots=True)
class PaymentView:
    payment: Payment
    allocations: Sequence[AllocationView]

    @property
    def unallocated_amount(self) -> Decimal:
        return self.payment.amount - self.payment.allocated_amount


SORTABLE = {
    "received_on": Payment.received_on,
    "number": Payment.number,
    "amount": Payment.amount,
    "created_at": Payment.created_at,
}


# --- recording and allocating ---------------------------------------------------------------


async def record_payment(
    session: AsyncSession, actor: Principal, data: PaymentCreate, *, clock: Clock = SYSTEM_CLOCK
) -> PaymentView:
    amount = _money(data.amount, "amount")
    if data.received_on > clock.now().date():
        raise Invalid(
            Code.RECEIVED_IN_FUTURE, f"received_on {data.received_on} lies in the future", field="received_on"
        )
    if await session.scalar(select(Customer.id).where(Customer.id == data.customer_id)) is None:
        raise NotFound("customer", data.customer_id, field="customer_id")
    # Refuse bad allocations before a number is taken or anything is written.
    await _explicit_targets(session, data.customer_id, data.currency, data.allocations)
    _check_requested(data.allocations, amount, data.currency, "the payment")
    payment = Payment(
        number=await next_number(session, "payment"),
        customer_id=data.customer_id,
        amount=amount,
        currency=data.currency,
        received_on=data.received_on,
        method=data.method.value,
        reference=data.reference,
        allocated_amount=ZERO,
        recorded_by=actor.username,
        notes=data.notes,
    )
    session.add(payment)
    await session.flush()
    await audit.record(session, actor, "payment", payment.id, "create", after=audit.snapshot(payment))
    auto = not data.allocations if data.auto_allocate is None else data.auto_allocate
    await _allocate(session, actor, payment, data.allocations, auto=auto)
    return await _view(session, payment)


async def allocate_payment(
    session: AsyncSession, actor: Principal, payment_id: UUID, data: AllocationsCreate
) -> PaymentView:
    """Allocate what a payment still has to these invoices (or oldest due first)."""
    payment = await session.scalar(
        select(Payment).where(Payment.id == payment_id).with_for_update().execution_options(populate_existing=True)
    )
    if payment is None:
        raise NotFound("payment", payment_id)
    auto = not data.allocations if data.auto_allocate is None else data.auto_allocate
    if payment.amount - payment.allocated_amount <= ZERO:
        raise Invalid(
            Code.ALLOCATION_EXCEEDS_PAYMENT, f"payment {payment.number} is allocated in full", field="allocations"
        )
    made = await _allocate(session, actor, payment, data.allocations, auto=auto)
    if not made:
        raise Invalid(
            Code.NOTHING_TO_ALLOCATE,
            f"the customer has no open invoice in {payment.currency} to allocate payment {payment.number} to",
            field="allocations",
        )
    return await _view(session, payment)


async def _allocate(
    session: AsyncSession, actor: Principal, payment: Payment, wanted: Sequence[AllocationIn], *, auto: bool
) -> list[PaymentAllocation]:
    """Explicit allocations first (validated before anything moves), then oldest due first."""
    made: list[PaymentAllocation] = []
    targets = await _explicit_targets(session, payment.customer_id, payment.currency, wanted)
    _check_requested(wanted, payment.amount - payment.allocated_amount, payment.currency, f"payment {payment.number}")
    candidates = await _open_invoices(session, payment) if auto else []
    # Lock in the one order (due date, id) whatever order the caller listed them in. With
    # explicit and automatic allocation together, the candidates are locked up front as well,
    # so no invoice is locked after one that sorts behind it.
    order = {invoice.id: (invoice.due_on, invoice.id) for invoice in targets.values()}
    if wanted and auto:
        order |= {invoice_id: (due_on, invoice_id) for invoice_id, due_on in candidates}
    for invoice_id in sorted(order, key=lambda i: (order[i][0] or dt.date.max, str(order[i][1]))):
        await locked_invoice(session, invoice_id)
    for index, item in enumerate(wanted):
        invoice = await locked_invoice(session, item.invoice_id)
        made.append(await _settle(session, actor, payment, invoice, item.amount, field=f"allocations[{index}].amount"))
    if auto:
        made += await _auto_allocate(session, actor, payment, [invoice_id for invoice_id, _ in candidates])
    if made:
        await audit.record(
            session,
            actor,
            "payment",
            payment.id,
            "allocate",
            after={
                "allocations": [{"invoice_id": a.invoice_id, "amount": a.amount} for a in made],
                "allocated_amount": payment.allocated_amount,
            },
        )
    return made


async def _explicit_targets(
    session: AsyncSession, customer_id: UUID, currency: str, wanted: Sequence[AllocationIn]
) -> dict[UUID, Invoice]:
    ids = {item.invoice_id for item in wanted}
    if not ids:
        return {}
    found = {invoice.id: invoice for invoice in await session.scalars(select(Invoice).where(Invoice.id.in_(ids)))}
    for index, item in enumerate(wanted):
        field = f"allocations[{index}].invoice_id"
        invoice = found.get(item.invoice_id)
        if invoice is None:
            raise NotFound("invoice", item.invoice_id, field=field)
        if invoice.customer_id != customer_id:
            raise Invalid(
                Code.CUSTOMER_MISMATCH,
                f"invoice {invoice.number or invoice.id} is billed to another customer than the payment's",
                field=field,
            )
        if invoice.currency != currency:
            raise Invalid(
                Code.CURRENCY_MISMATCH,
                f"invoice {invoice.number or invoice.id} is in {invoice.currency}, the payment in {currency}",
                field=field,
            )
    return found


def _check_requested(wanted: Sequence[AllocationIn], available: Decimal, currency: str, what: str) -> None:
    requested = sum((_money(item.amount, f"allocations[{i}].amount") for i, item in enumerate(wanted)), ZERO)
    if requested > available:
        raise Invalid(
            Code.ALLOCATION_EXCEEDS_PAYMENT,
            f"allocations of {requested} exceed the {available} {currency} left on {what}",
            field="allocations",
        )


async def _open_invoices(session: AsyncSession, payment: Payment) -> list[tuple[UUID, dt.date | None]]:
    """The customer's open invoices in the payment's currency, oldest due first (not locked yet)."""
    rows = await session.execute(
        select(Invoice.id, Invoice.due_on)
        .where(
            Invoice.customer_id == payment.customer_id,
            Invoice.currency == payment.currency,
            Invoice.kind == InvoiceKind.INVOICE.value,
            Invoice.status.in_([s.value for s in OPEN_INVOICE_STATUSES]),
        )
        .order_by(Invoice.due_on, Invoice.id)
    )
    return [(row.id, row.due_on) for row in rows]


async def _auto_allocate(
    session: AsyncSession, actor: Principal, payment: Payment, candidates: list[UUID]
) -> list[PaymentAllocation]:
    made: list[PaymentAllocation] = []
    for invoice_id in candidates:
        rest = payment.amount - payment.allocated_amount
        if rest <= ZERO:
            break
        invoice = await locked_invoice(session, invoice_id)
        # Read again under the lock: another payment may have settled it meanwhile.
        if InvoiceKind(invoice.kind) is not InvoiceKind.INVOICE or invoice.status not in OPEN_INVOICE_STATUSES:
            continue
        share = min(rest, open_amount(invoice))
        if share > ZERO:
            made.append(await _settle(session, actor, payment, invoice, share, field="amount"))
    return made


async def _settle(
    session: AsyncSession, actor: Principal, payment: Payment, invoice: Invoice, amount: Decimal, *, field: str
) -> PaymentAllocation:
    if amount > payment.amount - payment.allocated_amount:
        raise Invalid(
            Code.ALLOCATION_EXCEEDS_PAYMENT,
            f"payment {payment.number} has {payment.amount - payment.allocated_amount} {payment.currency} left",
            field=field,
        )
    on = max(payment.received_on, invoice.issued_on or payment.received_on)
    allocation = await allocate(session, actor, invoice, amount, on=on, payment_id=payment.id, field=field)
    payment.allocated_amount += amount
    await session.flush()
    return allocation


# --- reading --------------------------------------------------------------------------------


async def get_payment(session: AsyncSession, payment_id: UUID, *, scope: CustomerScope) -> PaymentView:
    """One payment with its allocations; customers outside the scope answer 404."""
    payment = await session.get(Payment, payment_id)
    if payment is None or not scope.allows(payment.customer_id):
        raise NotFound("payment", payment_id)
    return await _view(session, payment)


async def list_payments(
    session: AsyncSession,
    filters: PaymentFilter,
    page: PageRequest,
    *,
    scope: CustomerScope,
) -> Page[PaymentView]:
    stmt = select(Payment)
    stmt = scope.restrict(stmt, Payment.customer_id)
    if filters.customer_id is not None:
        stmt = stmt.where(Payment.customer_id == filters.customer_id)
    if filters.currency:
        stmt = stmt.where(Payment.currency == filters.currency)
    if filters.received_from is not None:
        stmt = stmt.where(Payment.received_on >= filters.received_from)
    if filters.received_to is not None:
        stmt = stmt.where(Payment.received_on <= filters.received_to)
    if filters.unallocated is True:
        stmt = stmt.where(Payment.allocated_amount < Payment.amount)
    elif filters.unallocated is False:
        stmt = stmt.where(Payment.allocated_amount >= Payment.amount)
    found = await paginate(session, stmt, page, sortable=SORTABLE, default_sort="-received_on", tie_breaker=Payment.id)
    allocations = await _allocations_of(session, [p.id for p in found.items])
    views = [PaymentView(p, allocations.get(p.id, [])) for p in found.items]
    return Page(items=views, total=found.total, limit=found.limit, offset=found.offset)


async def _view(session: AsyncSession, payment: Payment) -> PaymentView:
    return PaymentView(payment, (await _allocations_of(session, [payment.id])).get(payment.id, []))


async def _allocations_of(session: AsyncSession, payment_ids: list[UUID]) -> dict[UUID, list[AllocationView]]:
    if not payment_ids:
        return {}
    rows = await session.execute(
        select(PaymentAllocation, Invoice.number)
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.payment_id.in_(payment_ids))
        .order_by(PaymentAllocation.created_at, PaymentAllocation.id)
    )
    found: dict[UUID, list[AllocationView]] = {}
    for allocation, number in rows:
        assert allocation.payment_id is not None
        found.setdefault(allocation.payment_id, []).append(AllocationView(allocation, number))
    return found


def _money(value: Decimal, field: str) -> Decimal:
    if not value.is_finite() or value <= ZERO or value > MAX_AMOUNT or value != value.quantize(CENT):
        raise Invalid(
            Code.INVALID_AMOUNT,
            f"{field} must be an amount above 0 and up to {MAX_AMOUNT}, with at most 2 decimals",
            field=field,
        )
    return value.quantize(CENT)
