"""Pricing depot repairs, and handing what the customer pays to billing.

One pricing rule serves the quote (an estimate, before the repair) and the billable items (the
work recorded, after it), and it is the work-order rule of `service_mgmt.services.billable_work`:

- Labour: hours × the list price of the service product `SVC-LABOUR` (the same labour hour as
  field work; we price by the hour rather than a depot flat rate so that a quick fix costs less
  than a board swap). Recorded labour is summed over the repair order and rounded half-up to
  0.01 h, once.
- Parts: each part's list price × quantity.
- Coverage: the RMA's entitlement snapshot (`labour_pct`, `parts_pct`; `covered_by: none` is
  0 %). Contract quotas are not consumed by depot repairs (the snapshot's percentages apply).
- Rounding, half-up to the cent: gross = quantity × unit price; covered = gross × pct / 100;
  amount = gross − covered.

Billable items (table `billable_items`) are written once per source and line key:
- source `repair_order` (source_ref the DR number), at QA pass: `labour` and `part:<repair part
  id>`; what was recorded is billed, at the prices of the day (the quote was an estimate).
- source `inspection_fee`, line `inspection-fee`, when the customer declines the quote and the
  repair order carries an inspection fee.
All items of a repair order share one currency: the `SVC-LABOUR` price's. A part priced in
another currency is refused with 409 `currency_mismatch`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import BillableKind, BillableSource, BillableStatus, CoveredBy
from contracts.models import BillableItem
from core import audit
from core.auth import Principal
from core.errors import Conflict, Invalid
from masterdata.choices import ProductKind
from masterdata.models import Product
from returns.errors import Code
from returns.models import RepairLabour, RepairOrder, RepairPart, Rma
from service_mgmt.services.billable_work import HOUR_STEP, ZERO, Line, Price, billable_item, cents, priced

LABOUR_SKU = "SVC-LABOUR"
# The default inspection fee of a declined quote is this product's list price (when it exists).
INSPECTION_SKU = "SVC-INSPECTION"
INSPECTION_LINE = "inspection-fee"
MINUTES_PER_HOUR = Decimal(60)


@dataclass(frozen=True, slots=True)
class RepairCover:
    labour_pct: Decimal
    parts_pct: Decimal


@dataclass(frozen=True, slots=True)
class PartLine:
    """A part to price: `key` is unique within the repair order (a part id, or its position)."""

    key: str
    product: Product
    quantity: Decimal
    serial_number: str | None = None


def cover_of(rma: Rma) -> RepairCover:
    if rma.covered_by == CoveredBy.NONE.value:
        return RepairCover(ZERO, ZERO)
    return RepairCover(Decimal(rma.labour_pct), Decimal(rma.parts_pct))


def price_of(product: Product) -> Price:
    return Price(product.id, product.sku, product.name, product.unit, Decimal(product.list_price), product.currency)


def repair_lines(labour: Price | None, hours: Decimal, parts: Iterable[PartLine], cover: RepairCover) -> list[Line]:
    """Labour and parts lines, coverage applied (pure)."""
    lines: list[Line] = []
    if hours > 0:
        if labour is None:
            raise price_missing(LABOUR_SKU)
        lines.append(priced("labour", BillableKind.LABOUR, labour, "Depot labour", hours, cover.labour_pct))
    for part in parts:
        price = price_of(part.product)
        description = f"{price.name} ({price.sku})" + (f", serial {part.serial_number}" if part.serial_number else "")
        lines.append(priced(part.key, BillableKind.PARTS, price, description, part.quantity, cover.parts_pct))
    if labour is not None:
        for line in lines:
            if line.currency != labour.currency:
                raise Conflict(
                    Code.CURRENCY_MISMATCH,
                    f"{line.sku} is priced in {line.currency}, the depot bills in {labour.currency}",
                    extra={"sku": line.sku, "currency": line.currency, "expected_currency": labour.currency},
                )
    return lines


def total(lines: Iterable[Line]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


def line_json(line: Line) -> dict[str, Any]:
    """A priced line as stored on the repair order (`quote_lines`) and shown on the quote PDF."""
    return {
        "line_key": line.line_key,
        "kind": line.kind.value,
        "sku": line.sku,
        "description": line.description,
        "quantity": str(line.quantity),
        "unit": line.unit,
        "unit_price": str(line.unit_price),
        "currency": line.currency,
        "coverage_pct": str(line.coverage_pct),
        "covered_amount": str(line.covered_amount),
        "amount": str(line.amount),
    }


def price_missing(sku: str) -> Conflict:
    return Conflict(
        Code.PRICE_MISSING,
        f"no active service product {sku} to price this repair; create it with a list price and try again",
        extra={"sku": sku},
    )


async def service_price(session: AsyncSession, sku: str) -> Price | None:
    product = await session.scalar(
        select(Product).where(Product.sku == sku, Product.kind == ProductKind.SERVICE.value, Product.active.is_(True))
    )
    return None if product is None else price_of(product)


async def labour_price(session: AsyncSession) -> Price:
    price = await service_price(session, LABOUR_SKU)
    if price is None:
        raise price_missing(LABOUR_SKU)
    return price


async def products_by_id(session: AsyncSession, ids: Iterable[UUID]) -> dict[UUID, Product]:
    wanted = set(ids)
    if not wanted:
        return {}
    found = {p.id: p for p in await session.scalars(select(Product).where(Product.id.in_(wanted)))}
    for product_id in wanted - found.keys():
        raise Invalid("product_not_found", f"product {product_id} not found", field="product_id")
    return found


# --- billable items -------------------------------------------------------------------------------


async def record_repair_billable_items(
    session: AsyncSession, actor: Principal, rma: Rma, repair_order: RepairOrder, now: dt.datetime
) -> list[BillableItem]:
    """The repair order's items (labour and parts minus coverage), written on the first call only.

    The caller holds the RMA and repair order locks; the unique (source, line key) stands behind it."""
    existing = await items_of(session, BillableSource.REPAIR_ORDER, repair_order.id)
    if existing:
        return existing
    minutes = sum((entry.minutes for entry in await _labour(session, repair_order.id)), 0)
    hours = (Decimal(minutes) / MINUTES_PER_HOUR).quantize(HOUR_STEP)
    parts = list(await session.scalars(_parts_query(repair_order.id)))
    products = await products_by_id(session, (p.product_id for p in parts))
    labour = await labour_price(session)
    lines = repair_lines(
        labour,
        hours,
        [PartLine(f"part:{p.id}", products[p.product_id], Decimal(p.quantity), p.serial_number) for p in parts],
        cover_of(rma),
    )
    items = [_item(BillableSource.REPAIR_ORDER, rma, repair_order, line, now.date()) for line in lines]
    session.add_all(items)
    await session.flush()
    await audit.record(
        session,
        actor,
        "repair_order",
        repair_order.id,
        "billable_items",
        after={"items": len(items), "amount": str(total(lines)), "currency": labour.currency},
        at=now,
    )
    return items


async def record_inspection_fee(
    session: AsyncSession, actor: Principal, rma: Rma, repair_order: RepairOrder, now: dt.datetime
) -> BillableItem | None:
    """One `inspection_fee` item for a declined quote, when the repair order carries a fee above 0."""
    fee = repair_order.inspection_fee
    if fee is None or fee <= 0:
        return None
    existing = await items_of(session, BillableSource.INSPECTION_FEE, repair_order.id)
    if existing:
        return existing[0]
    product = await service_price(session, INSPECTION_SKU)
    currency = repair_order.quote_currency or (await labour_price(session)).currency
    amount = cents(Decimal(fee))
    item = BillableItem(
        source_kind=BillableSource.INSPECTION_FEE.value,
        source_id=repair_order.id,
        source_ref=repair_order.number,
        line_key=INSPECTION_LINE,
        customer_id=rma.customer_id,
        kind=BillableKind.FEE.value,
        product_id=product.product_id if product else None,
        description=f"Inspection fee, {rma.number} (quote declined)",
        quantity=Decimal(1),
        unit="ea",
        unit_price=amount,
        currency=currency,
        coverage_pct=ZERO,
        covered_amount=ZERO,
        amount=amount,
        service_date=now.date(),
        status=BillableStatus.OPEN.value,
    )
    session.add(item)
    await session.flush()
    await audit.record(
        session, actor, "repair_order", repair_order.id, "inspection_fee", after={"amount": str(amount)}, at=now
    )
    return item


async def items_of(session: AsyncSession, source: BillableSource, repair_order_id: UUID) -> list[BillableItem]:
    rows = await session.scalars(
        select(BillableItem)
        .where(BillableItem.source_kind == source.value, BillableItem.source_id == repair_order_id)
        .order_by(BillableItem.line_key)
    )
    return list(rows.all())


def _item(source: BillableSource, rma: Rma, repair_order: RepairOrder, line: Line, day: dt.date) -> BillableItem:
    return billable_item(source, repair_order.id, repair_order.number, rma.customer_id, line, day)


async def _labour(session: AsyncSession, repair_order_id: UUID) -> Sequence[RepairLabour]:
    rows = await session.scalars(
        select(RepairLabour)
        .where(RepairLabour.repair_order_id == repair_order_id)
        .order_by(RepairLabour.created_at, RepairLabour.id)
    )
    return rows.all()


def _parts_query(repair_order_id: UUID) -> Any:
    return (
        select(RepairPart)
        .where(RepairPart.repair_order_id == repair_order_id)
        .order_by(RepairPart.created_at, RepairPart.id)
    )
