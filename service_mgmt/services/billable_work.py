"""Billable items of a work order: what its confirmations record, priced, minus what the
entitlement covers. `record_billable_items` runs once, at completion
(`work_completion.after_completion`), before the service report is queued, so the report can
show the coverage applied. Billing invoices the items with `amount > 0`; fully covered items
(amount 0, covered_amount > 0) are recorded all the same, so billing and the service report
can show "covered by warranty / contract".

Items (source_kind `work_order`, source_ref the work order number, service_date the day of
completion in UTC), one per line key:

- Labour, `labour:<engineer_id>`: each engineer's `work` time entries over all tasks, summed
  and then rounded half-up to 0.01 h, at the list price per hour of the service product
  `SVC-LABOUR`.
- Travel, `travel:<task_id>`: each confirmed task is one visit. If an active service product
  `SVC-TRAVEL-FLAT` exists, every visit is charged its flat price once (whatever travel time
  was recorded); otherwise the task's `travel` time entries, summed and rounded to 0.01 h, at
  the labour rate (no item for a visit without travel time).
- Parts, `part:<part_consumption_id>`: the part's list price × the quantity used.

Prices. A work order needing `SVC-LABOUR` when no active service product has that SKU fails
its completion with 409 `price_missing` (naming the SKU): we rather stop a completion, which
can be repeated once the price exists, than invoice work at 0. Demo data and the test fixtures
carry both SKUs; a missing `SVC-TRAVEL-FLAT` is no error (travel is then timed).

Currency. All items of a work order share one currency: the covering contract's, else the
customer's credit account's, else that of the first item. A product priced in another
currency fails with 409 `currency_mismatch` (naming the SKU and both currencies).

Coverage. The request's snapshot decides (labour / parts / travel %; no request or
`covered_by: none` means 0 %). A warranty has no quotas. A contract line with quotas has them
consumed once per work order, at completion (so in the quota period of the service date):
`consume(line, work order number, visits=1, hours=<work hours>, parts_value=<parts value>)`,
idempotent per (line, work order), and covers only what was granted:

- hours: the granted hours go to the engineers in the order they started work; a labour item
  reaching past them is split into the granted hours at the line's labour % (`labour:<id>`)
  and the rest at 0 % (`labour:<id>:beyond_quota`);
- parts value (each part's value rounded to the cent): granted to the parts in the order they
  were recorded; a part reaching past it stays one item whose covered base is the granted
  rest of its value (its `coverage_pct` shows the resulting share, rounded to 0.01 %);
- visits: without a granted visit (the visit quota ran out since the call was logged), travel
  is billed at 0 %. Travel time never counts against the hours quota.

Rounding, one rule, both steps half-up to the cent: gross = quantity × unit price;
covered_amount = covered base × coverage % / 100, where the covered base is the item's gross
(or, for a part straddling the parts quota, the granted rest of it); amount = gross −
covered_amount. So covered_amount + amount = round(quantity × unit_price) exactly.

Idempotence and locks. The work order row is locked first (lock order: work order → service
contract → contract line → entitlement usage), then existing items are looked up: a second
call, concurrent or later, returns the items of the first and consumes nothing more. The
unique constraint (source_kind, source_id, line_key) stands behind it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import BillableKind, BillableSource, BillableStatus, CoveredBy
from contracts.models import BillableItem, ContractLine, CreditAccount, ServiceContract
from contracts.services.entitlement_usage import consume
from core import audit
from core.auth import Principal
from core.errors import Conflict, NotFound
from core.listing import Page, PageRequest, paginate
from masterdata.choices import ProductKind
from masterdata.models import Engineer, Product
from masterdata.services.visibility import customer_scope
from service_mgmt.choices import TimeEntryKind
from service_mgmt.errors import Code
from service_mgmt.models import Confirmation, PartConsumption, ServiceRequest, Task, TimeEntry, WorkOrder

# The same labour-hour product the credit estimate of a call prices (service_requests.LABOUR_SKU).
LABOUR_SKU = "SVC-LABOUR"
TRAVEL_FLAT_SKU = "SVC-TRAVEL-FLAT"
BEYOND_QUOTA = "beyond_quota"
CENT = Decimal("0.01")
HOUR_STEP = Decimal("0.01")
PCT_STEP = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)
SECONDS_PER_HOUR = Decimal(3600)
_KIND_ORDER = {kind.value: n for n, kind in enumerate(BillableKind)}


# --- the pricing rule (pure) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Price:
    product_id: UUID
    sku: str
    name: str
    unit: str
    unit_price: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class EngineerWork:
    engineer_id: UUID
    name: str
    hours: Decimal
    first_start: dt.datetime


@dataclass(frozen=True, slots=True)
class Visit:
    """A confirmed task, with the travel time recorded for it."""

    task_id: UUID
    task_name: str
    travel_hours: Decimal


@dataclass(frozen=True, slots=True)
class PartUse:
    id: UUID
    price: Price
    quantity: Decimal
    serial_in: str | None = None

    @property
    def value(self) -> Decimal:
        return cents(self.quantity * self.price.unit_price)


@dataclass(frozen=True, slots=True)
class WorkDone:
    """A work order's confirmations, summed as the rule needs them."""

    work: tuple[EngineerWork, ...]
    visits: tuple[Visit, ...]
    parts: tuple[PartUse, ...]

    @property
    def work_hours(self) -> Decimal:
        return sum((w.hours for w in self.work), ZERO)

    @property
    def parts_value(self) -> Decimal:
        return sum((p.value for p in self.parts), ZERO)


@dataclass(frozen=True, slots=True)
class Cover:
    """What the entitlement pays: its percentages and the quota granted (None: no limit)."""

    labour_pct: Decimal = ZERO
    parts_pct: Decimal = ZERO
    travel_pct: Decimal = ZERO
    hours: Decimal | None = None
    parts_value: Decimal | None = None
    visit: bool = True


NO_COVER = Cover()


@dataclass(frozen=True, slots=True)
class Line:
    """A priced billable line; `covered_amount + amount` is the gross, exactly."""

    line_key: str
    kind: BillableKind
    product_id: UUID
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    currency: str
    coverage_pct: Decimal
    covered_amount: Decimal
    amount: Decimal
    sku: str


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def hours_of(seconds: Decimal) -> Decimal:
    return (seconds / SECONDS_PER_HOUR).quantize(HOUR_STEP, rounding=ROUND_HALF_UP)


def priced(
    key: str,
    kind: BillableKind,
    price: Price,
    description: str,
    quantity: Decimal,
    pct: Decimal,
    *,
    covered_base: Decimal | None = None,
) -> Line:
    """One line by the rounding rule; `covered_base` (default: the gross) is what `pct` applies to."""
    gross = cents(quantity * price.unit_price)
    base = gross if covered_base is None else min(covered_base, gross)
    covered = cents(base * pct / HUNDRED)
    effective = pct if base == gross or gross == 0 else (covered * HUNDRED / gross).quantize(PCT_STEP, ROUND_HALF_UP)
    return Line(
        line_key=key,
        kind=kind,
        product_id=price.product_id,
        description=description,
        quantity=quantity,
        unit=price.unit,
        unit_price=price.unit_price,
        currency=price.currency,
        coverage_pct=effective,
        covered_amount=covered,
        amount=gross - covered,
        sku=price.sku,
    )


def labour_lines(work: Iterable[EngineerWork], price: Price, cover: Cover) -> list[Line]:
    left = cover.hours
    lines: list[Line] = []
    for w in sorted(work, key=lambda w: (w.first_start, str(w.engineer_id))):
        if w.hours <= 0:
            continue
        granted = w.hours if left is None else max(ZERO, min(w.hours, left))
        if left is not None:
            left -= granted
        key, name = f"labour:{w.engineer_id}", f"Labour, {w.name}"
        if granted == w.hours or cover.labour_pct == 0:
            lines.append(priced(key, BillableKind.LABOUR, price, name, w.hours, cover.labour_pct))
        elif granted == 0:
            lines.append(priced(key, BillableKind.LABOUR, price, f"{name}, beyond the included hours", w.hours, ZERO))
        else:
            lines.append(priced(key, BillableKind.LABOUR, price, f"{name}, included hours", granted, cover.labour_pct))
            lines.append(
                priced(
                    f"{key}:{BEYOND_QUOTA}",
                    BillableKind.LABOUR,
                    price,
                    f"{name}, beyond the included hours",
                    w.hours - granted,
                    ZERO,
                )
            )
    return lines


def travel_lines(visits: Iterable[Visit], flat: Price | None, labour: Price | None, cover: Cover) -> list[Line]:
    pct = cover.travel_pct if cover.visit else ZERO
    lines: list[Line] = []
    for visit in visits:
        key = f"travel:{visit.task_id}"
        if flat is not None:
            lines.append(priced(key, BillableKind.TRAVEL, flat, f"{flat.name}, {visit.task_name}", Decimal(1), pct))
        elif visit.travel_hours > 0:
            if labour is None:  # _prices refuses this case; the guard keeps the rule total
                raise _price_missing(LABOUR_SKU)
            lines.append(
                priced(key, BillableKind.TRAVEL, labour, f"Travel, {visit.task_name}", visit.travel_hours, pct)
            )
    return lines


def part_lines(parts: Iterable[PartUse], cover: Cover) -> list[Line]:
    left = cover.parts_value
    lines: list[Line] = []
    for part in parts:
        value = part.value
        granted = value if left is None else max(ZERO, min(value, left))
        if left is not None:
            left -= granted
        description = f"{part.price.name} ({part.price.sku})"
        if part.serial_in:
            description += f", serial {part.serial_in}"
        lines.append(
            priced(
                f"part:{part.id}",
                BillableKind.PARTS,
                part.price,
                description,
                part.quantity,
                cover.parts_pct,
                covered_base=granted,
            )
        )
    return lines


def price_work(done: WorkDone, labour: Price | None, flat: Price | None, cover: Cover) -> list[Line]:
    """Labour, travel and parts lines of the work done, under the cover given."""
    if labour is None and done.work_hours > 0:
        raise _price_missing(LABOUR_SKU)
    lines = labour_lines(done.work, labour, cover) if labour is not None else []
    return lines + travel_lines(done.visits, flat, labour, cover) + part_lines(done.parts, cover)


def _price_missing(sku: str) -> Conflict:
    return Conflict(
        Code.PRICE_MISSING,
        f"no active service product {sku} to price this work; create it with a list price and complete again",
        extra={"sku": sku},
    )


# --- recording ------------------------------------------------------------------------------


async def record_billable_items(
    session: AsyncSession, actor: Principal, work_order: WorkOrder, now: dt.datetime
) -> list[BillableItem]:
    """The work order's billable items, computed and stored on the first call (see the module doc)."""
    await session.execute(select(WorkOrder.id).where(WorkOrder.id == work_order.id).with_for_update())
    existing = await _items_of(session, work_order.id)
    if existing:
        return existing
    done = await _work_done(session, work_order.id)
    if not done.visits:  # nothing was confirmed on site: nothing to bill, no quota to consume
        return []
    moment = (work_order.completed_at or now).astimezone(dt.UTC)
    labour, flat = await _service_prices(session, done)
    request = await session.get(ServiceRequest, work_order.request_id) if work_order.request_id else None
    line = await _winning_line(session, request)
    # Priced without cover first, so a price or currency problem is refused before quota is taken.
    await _check_currency(session, work_order, line, price_work(done, labour, flat, NO_COVER))
    cover = await _cover(session, actor, work_order, request, line, done, moment)
    items = [
        billable_item(
            BillableSource.WORK_ORDER, work_order.id, work_order.number, work_order.customer_id, line, moment.date()
        )
        for line in price_work(done, labour, flat, cover)
    ]
    session.add_all(items)
    await session.flush()
    await audit.record(
        session,
        actor,
        "work_order",
        work_order.id,
        "billable_items",
        after={
            "items": len(items),
            "covered_amount": str(sum((i.covered_amount for i in items), ZERO)),
            "amount": str(sum((i.amount for i in items), ZERO)),
            "currency": items[0].currency if items else None,
        },
        at=now,
    )
    return _ordered(items)


def billable_item(
    source: BillableSource, source_id: UUID, source_ref: str, customer_id: UUID, line: Line, service_date: dt.date
) -> BillableItem:
    """The row for one priced line of any source (work orders here, repair orders in returns)."""
    return BillableItem(
        source_kind=source.value,
        source_id=source_id,
        source_ref=source_ref,
        line_key=line.line_key,
        customer_id=customer_id,
        kind=line.kind.value,
        product_id=line.product_id,
        description=line.description[:300],
        quantity=line.quantity,
        unit=line.unit[:8],
        unit_price=line.unit_price,
        currency=line.currency,
        coverage_pct=line.coverage_pct,
        covered_amount=line.covered_amount,
        amount=line.amount,
        service_date=service_date,
        status=BillableStatus.OPEN.value,
    )


def _ordered(items: Iterable[BillableItem]) -> list[BillableItem]:
    return sorted(items, key=lambda i: (_KIND_ORDER.get(i.kind, 99), i.line_key))


async def _items_of(session: AsyncSession, work_order_id: UUID) -> list[BillableItem]:
    rows = await session.scalars(
        select(BillableItem).where(
            BillableItem.source_kind == BillableSource.WORK_ORDER.value, BillableItem.source_id == work_order_id
        )
    )
    return _ordered(rows.all())


def _seconds(delta: dt.timedelta) -> Decimal:
    return Decimal(delta.days * 86_400 + delta.seconds) + Decimal(delta.microseconds) / 1_000_000


async def _work_done(session: AsyncSession, work_order_id: UUID) -> WorkDone:
    confirmed = (
        await session.execute(
            select(Task.id, Task.name)
            .join(Confirmation, Confirmation.task_id == Task.id)
            .where(Confirmation.work_order_id == work_order_id)
            .order_by(Task.sequence)
        )
    ).all()
    entries = (
        await session.execute(
            select(
                TimeEntry.engineer_id,
                TimeEntry.kind,
                TimeEntry.started_at,
                TimeEntry.ended_at,
                Confirmation.task_id,
                Engineer.name,
            )
            .join(Confirmation, Confirmation.id == TimeEntry.confirmation_id)
            .join(Engineer, Engineer.id == TimeEntry.engineer_id)
            .where(TimeEntry.work_order_id == work_order_id)
        )
    ).all()
    work_seconds: dict[UUID, Decimal] = {}
    first_start: dict[UUID, dt.datetime] = {}
    names: dict[UUID, str] = {}
    travel_seconds: dict[UUID, Decimal] = {}
    for entry in entries:
        seconds = _seconds(entry.ended_at - entry.started_at)
        if entry.kind == TimeEntryKind.WORK.value:
            work_seconds[entry.engineer_id] = work_seconds.get(entry.engineer_id, ZERO) + seconds
            names[entry.engineer_id] = entry.name
            start = first_start.get(entry.engineer_id)
            first_start[entry.engineer_id] = entry.started_at if start is None else min(start, entry.started_at)
        else:
            travel_seconds[entry.task_id] = travel_seconds.get(entry.task_id, ZERO) + seconds
    parts = (
        await session.execute(
            select(PartConsumption, Product)
            .join(Product, Product.id == PartConsumption.product_id)
            .where(PartConsumption.work_order_id == work_order_id)
            .order_by(PartConsumption.created_at, PartConsumption.id)
        )
    ).all()
    return WorkDone(
        work=tuple(
            EngineerWork(engineer_id, names[engineer_id], hours_of(seconds), first_start[engineer_id])
            for engineer_id, seconds in work_seconds.items()
        ),
        visits=tuple(Visit(row.id, row.name, hours_of(travel_seconds.get(row.id, ZERO))) for row in confirmed),
        parts=tuple(PartUse(use.id, _price(product), Decimal(use.quantity), use.serial_in) for use, product in parts),
    )


def _price(product: Product) -> Price:
    return Price(product.id, product.sku, product.name, product.unit, Decimal(product.list_price), product.currency)


async def _service_prices(session: AsyncSession, done: WorkDone) -> tuple[Price | None, Price | None]:
    """The labour-hour and flat-travel prices; 409 `price_missing` when labour is needed but unpriced."""
    products = {
        p.sku: _price(p)
        for p in await session.scalars(
            select(Product).where(
                Product.sku.in_([LABOUR_SKU, TRAVEL_FLAT_SKU]),
                Product.kind == ProductKind.SERVICE.value,
                Product.active.is_(True),
            )
        )
    }
    labour, flat = products.get(LABOUR_SKU), products.get(TRAVEL_FLAT_SKU)
    timed_travel = flat is None and any(v.travel_hours > 0 for v in done.visits)
    if labour is None and (done.work_hours > 0 or timed_travel):
        raise _price_missing(LABOUR_SKU)
    return labour, flat


async def _winning_line(session: AsyncSession, request: ServiceRequest | None) -> ContractLine | None:
    """The contract line the request's snapshot names as covering it, if it still exists."""
    if request is None or request.covered_by != CoveredBy.CONTRACT_LINE.value:
        return None
    winner = (request.entitlement or {}).get("winner") or {}
    try:
        line_id = UUID(str(winner.get("id")))
    except ValueError:
        return None
    return await session.get(ContractLine, line_id)


async def _check_currency(
    session: AsyncSession, work_order: WorkOrder, line: ContractLine | None, lines: Sequence[Line]
) -> None:
    expected: str | None = None
    basis = ""
    if line is not None:
        expected = await session.scalar(select(ServiceContract.currency).where(ServiceContract.id == line.contract_id))
        basis = "the covering contract's currency"
    if expected is None:
        expected = await session.scalar(
            select(CreditAccount.currency).where(CreditAccount.customer_id == work_order.customer_id)
        )
        basis = "the currency of the customer's credit account"
    for priced_line in lines:
        if expected is None:
            expected, basis = priced_line.currency, f"the currency of {priced_line.sku}"
        elif priced_line.currency != expected:
            raise Conflict(
                Code.CURRENCY_MISMATCH,
                f"{priced_line.sku} is priced in {priced_line.currency}, but work order {work_order.number} "
                f"is billed in {expected} ({basis})",
                extra={"sku": priced_line.sku, "currency": priced_line.currency, "expected_currency": expected},
            )


async def _cover(
    session: AsyncSession,
    actor: Principal,
    work_order: WorkOrder,
    request: ServiceRequest | None,
    line: ContractLine | None,
    done: WorkDone,
    moment: dt.datetime,
) -> Cover:
    if request is None or request.covered_by == CoveredBy.NONE.value:
        return NO_COVER
    cover = Cover(
        labour_pct=Decimal(request.labour_pct),
        parts_pct=Decimal(request.parts_pct),
        travel_pct=Decimal(request.travel_pct),
    )
    if line is None or (line.quota_visits is None and line.quota_hours is None and line.quota_parts_value is None):
        return cover  # a warranty, or a line without quotas: nothing to consume
    grant = await consume(
        session,
        actor,
        line.id,
        work_order.number,
        visits=1,
        hours=done.work_hours,
        parts_value=done.parts_value,
        moment=moment,
    )
    return replace(cover, hours=grant.hours, parts_value=grant.parts_value, visit=grant.visits >= 1)


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkOrderBilling:
    work_order: WorkOrder
    items: list[BillableItem]

    @property
    def currency(self) -> str | None:
        return self.items[0].currency if self.items else None

    @property
    def covered_amount(self) -> Decimal:
        return sum((Decimal(i.covered_amount) for i in self.items), ZERO)

    @property
    def amount(self) -> Decimal:
        return sum((Decimal(i.amount) for i in self.items), ZERO)


class BillableItemFilter(msgspec.Struct, kw_only=True):
    customer_id: UUID | None = None
    status: BillableStatus | None = None


SORTABLE = {
    "service_date": BillableItem.service_date,
    "source_ref": BillableItem.source_ref,
    "amount": BillableItem.amount,
    "created_at": BillableItem.created_at,
}


async def work_order_billable_items(
    session: AsyncSession, principal: Principal, work_order_id: UUID
) -> WorkOrderBilling:
    """A work order's items, for whoever may see the work order (others: 404)."""
    work_order = await session.get(WorkOrder, work_order_id)
    scope = await customer_scope(session, principal)
    if work_order is None or not scope.allows(work_order.customer_id):
        raise NotFound("work_order", work_order_id)
    return WorkOrderBilling(work_order, await _items_of(session, work_order.id))


async def list_billable_items(
    session: AsyncSession, principal: Principal, filters: BillableItemFilter, page: PageRequest
) -> Page[BillableItem]:
    stmt = select(BillableItem)
    scope = await customer_scope(session, principal)
    stmt = scope.restrict(stmt, BillableItem.customer_id)
    if filters.customer_id is not None:
        stmt = stmt.where(BillableItem.customer_id == filters.customer_id)
    if filters.status is not None:
        stmt = stmt.where(BillableItem.status == filters.status.value)
    return await paginate(
        session, stmt, page, sortable=SORTABLE, default_sort="-service_date", tie_breaker=BillableItem.id
    )
