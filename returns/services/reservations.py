"""Reservations: stock held at a location for a planned use (a task's parts, a repair order's parts).

available = on hand − reserved. A reservation is changed only while its level row is locked
(`stock_levels.locked_levels`), so reserving, releasing and issuing the same stock serialise.
An issue for the reference consumes its reservation (`stock.issue`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal
from core.errors import Conflict, Invalid, NotFound
from core.listing import Page, PageRequest, paginate
from masterdata.models import Product
from returns.choices import ReservationStatus
from returns.errors import Code
from returns.models import StockLevel, StockLocation, StockReservation
from returns.services.stock import visible_location
from returns.services.stock_levels import available, checked_quantity, locked_levels
from returns.services.stock_locations import get_location, van_of
from service_mgmt.models import Task, TaskAssignment, TaskPart

REFERENCE_KINDS = frozenset({"task", "repair_order"})


async def reserve(
    session: AsyncSession,
    actor: Principal,
    *,
    location_id: UUID,
    product_id: UUID,
    quantity: Decimal,
    reference_kind: str,
    reference_id: UUID,
    now: dt.datetime,
) -> StockReservation:
    """Hold `quantity` for the reference; reserving again for the same reference, product and
    location sets the held quantity to the new one (not on top)."""
    quantity = checked_quantity(quantity)
    if reference_kind not in REFERENCE_KINDS:
        raise Invalid(
            "invalid_reference_kind", f"reference_kind must be one of {sorted(REFERENCE_KINDS)}", field="reference_kind"
        )
    location = await get_location(session, location_id, field="location_id")
    product = await session.get(Product, product_id)
    if product is None:
        raise NotFound("product", product_id, field="product_id")
    level = (await locked_levels(session, [(location.id, product.id)]))[(location.id, product.id)]
    existing = await session.scalar(
        select(StockReservation)
        .where(
            StockReservation.reference_kind == reference_kind,
            StockReservation.reference_id == reference_id,
            StockReservation.product_id == product.id,
            StockReservation.location_id == location.id,
        )
        .execution_options(populate_existing=True)
    )
    held = Decimal(existing.quantity) if existing and existing.status == ReservationStatus.ACTIVE.value else Decimal(0)
    free = available(level) + held
    if free < quantity:
        raise Conflict(
            Code.INSUFFICIENT_STOCK,
            f"only {free} {product.unit} of {product.sku} available at {location.code}; {quantity} requested",
            field="quantity",
            extra={
                "available": str(free),
                "on_hand": str(Decimal(level.on_hand)),
                "reserved": str(Decimal(level.reserved) - held),
                "requested": str(quantity),
                "location": location.code,
                "location_id": str(location.id),
                "product": product.sku,
                "product_id": str(product.id),
            },
        )
    level.reserved = Decimal(level.reserved) - held + quantity
    if existing is None:
        existing = StockReservation(
            location_id=location.id,
            product_id=product.id,
            quantity=quantity,
            reference_kind=reference_kind,
            reference_id=reference_id,
        )
        session.add(existing)
    else:
        existing.quantity = quantity
        existing.status = ReservationStatus.ACTIVE.value
    await session.flush()
    await audit.record(
        session, actor, "stock_reservation", existing.id, "reserve", after=audit.snapshot(existing), at=now
    )
    return existing


async def release(
    session: AsyncSession, actor: Principal, reservation_id: UUID, *, now: dt.datetime
) -> StockReservation:
    reservation = await session.get(StockReservation, reservation_id)
    if reservation is None:
        raise NotFound("stock_reservation", reservation_id)
    level = (await locked_levels(session, [(reservation.location_id, reservation.product_id)]))[
        (reservation.location_id, reservation.product_id)
    ]
    await session.refresh(reservation)  # as of the lock
    if reservation.status != ReservationStatus.ACTIVE.value:
        raise Conflict(
            Code.RESERVATION_NOT_ACTIVE,
            f"the reservation is {reservation.status}, not active",
            field="status",
            extra={"current_status": reservation.status},
        )
    _release(level, reservation)
    await session.flush()
    await audit.record(session, actor, "stock_reservation", reservation.id, "release", at=now)
    return reservation


async def release_for(
    session: AsyncSession, actor: Principal, *, reference_kind: str, reference_id: UUID, now: dt.datetime
) -> list[StockReservation]:
    """Release every active reservation of a reference (a cancelled task or repair order)."""
    rows = list(
        await session.scalars(
            select(StockReservation).where(
                StockReservation.reference_kind == reference_kind,
                StockReservation.reference_id == reference_id,
                StockReservation.status == ReservationStatus.ACTIVE.value,
            )
        )
    )
    levels = await locked_levels(session, [(r.location_id, r.product_id) for r in rows])
    released = []
    for reservation in rows:
        await session.refresh(reservation)
        if reservation.status == ReservationStatus.ACTIVE.value:
            _release(levels[(reservation.location_id, reservation.product_id)], reservation)
            released.append(reservation)
            await audit.record(session, actor, "stock_reservation", reservation.id, "release", at=now)
    await session.flush()
    return released


def _release(level: StockLevel, reservation: StockReservation) -> None:
    level.reserved = Decimal(level.reserved) - Decimal(reservation.quantity)
    reservation.status = ReservationStatus.RELEASED.value


async def reserve_task_parts(
    session: AsyncSession, actor: Principal, task_id: UUID, *, now: dt.datetime, location_id: UUID | None = None
) -> list[StockReservation]:
    """Reserve a task's planned parts at `location_id`, by default the van of its assigned (lead)
    engineer; 422 `no_stock_location` when there is neither."""
    task = await session.get(Task, task_id)
    if task is None:
        raise NotFound("task", task_id)
    location = await _task_location(session, task, location_id)
    parts = list(await session.scalars(select(TaskPart).where(TaskPart.task_id == task.id).order_by(TaskPart.id)))
    wanted: dict[UUID, Decimal] = {}
    for part in parts:
        wanted[part.product_id] = wanted.get(part.product_id, Decimal(0)) + Decimal(part.quantity)
    # sorted by product: the level rows of one location are then locked in (location, product) order
    return [
        await reserve(
            session,
            actor,
            location_id=location.id,
            product_id=product_id,
            quantity=quantity,
            reference_kind="task",
            reference_id=task.id,
            now=now,
        )
        for product_id, quantity in sorted(wanted.items())
    ]


async def _task_location(session: AsyncSession, task: Task, location_id: UUID | None) -> StockLocation:
    if location_id is not None:
        return await get_location(session, location_id, field="location_id")
    engineer_id = await session.scalar(
        select(TaskAssignment.engineer_id)
        .where(TaskAssignment.task_id == task.id)
        .order_by(TaskAssignment.lead.desc(), TaskAssignment.id)
        .limit(1)
    )
    van = await van_of(session, engineer_id) if engineer_id is not None else None
    if van is None:
        raise Invalid(
            Code.NO_STOCK_LOCATION,
            "the task has no assigned engineer with a van: name the location to reserve at",
            field="location_id",
        )
    return van


# --- reading and availability -----------------------------------------------------------------


class ReservationFilter(msgspec.Struct, kw_only=True):
    product_id: UUID | None = None
    location_id: UUID | None = None
    reference_kind: str | None = None
    reference_id: UUID | None = None
    status: ReservationStatus | None = None


async def list_reservations(
    session: AsyncSession, viewer: Principal, filters: ReservationFilter, page: PageRequest
) -> Page[StockReservation]:
    stmt = select(StockReservation)
    if filters.product_id is not None:
        stmt = stmt.where(StockReservation.product_id == filters.product_id)
    if filters.location_id is not None:
        stmt = stmt.where(StockReservation.location_id == filters.location_id)
    if filters.reference_kind is not None:
        stmt = stmt.where(StockReservation.reference_kind == filters.reference_kind)
    if filters.reference_id is not None:
        stmt = stmt.where(StockReservation.reference_id == filters.reference_id)
    if filters.status is not None:
        stmt = stmt.where(StockReservation.status == filters.status.value)
    own = await visible_location(session, viewer)
    if own is not None:
        stmt = stmt.where(StockReservation.location_id == own)
    sortable = {"created_at": StockReservation.created_at}
    return await paginate(
        session, stmt, page, sortable=sortable, default_sort="-created_at", tie_breaker=StockReservation.id
    )


@dataclass(frozen=True, slots=True)
class LocationStock:
    location_id: UUID
    location_code: str
    location_kind: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


@dataclass(frozen=True, slots=True)
class LineAvailability:
    product_id: UUID
    quantity: Decimal
    available: Decimal | None  # at the asked location; None when no location was named
    short: Decimal  # how much is missing there (0: enough)
    elsewhere: list[LocationStock]  # other active locations with something available


async def stock_of(
    session: AsyncSession, viewer: Principal, product_id: UUID, location_id: UUID | None = None
) -> list[LocationStock]:
    """Where a product is, per active location (one location if named)."""
    stmt = (
        select(StockLevel, StockLocation)
        .join(StockLocation, StockLocation.id == StockLevel.location_id)
        .where(StockLevel.product_id == product_id, StockLocation.active.is_(True))
        .order_by(StockLocation.code)
    )
    if location_id is not None:
        stmt = stmt.where(StockLevel.location_id == location_id)
    own = await visible_location(session, viewer)
    if own is not None:
        stmt = stmt.where(StockLevel.location_id == own)
    rows = (await session.execute(stmt)).tuples().all()
    return [
        LocationStock(
            location_id=location.id,
            location_code=location.code,
            location_kind=location.kind,
            on_hand=Decimal(level.on_hand),
            reserved=Decimal(level.reserved),
            available=available(level),
        )
        for level, location in rows
    ]


async def check_lines(
    session: AsyncSession, viewer: Principal, lines: list[tuple[UUID, Decimal]], location_id: UUID | None = None
) -> list[LineAvailability]:
    """Per line: enough at the location? If not (or no location named), where else it is."""
    if location_id is not None:
        await get_location(session, location_id, field="location_id")
    answers = []
    for index, (product_id, raw_quantity) in enumerate(lines):
        quantity = checked_quantity(raw_quantity, f"lines[{index}].quantity")
        if await session.get(Product, product_id) is None:
            raise NotFound("product", product_id, field=f"lines[{index}].product_id")
        everywhere = await stock_of(session, viewer, product_id)
        here = next((s for s in everywhere if s.location_id == location_id), None)
        free_here = (here.available if here else Decimal("0.000")) if location_id is not None else None
        short = max(quantity - free_here, Decimal("0.000")) if free_here is not None else Decimal("0.000")
        elsewhere = [s for s in everywhere if s.location_id != location_id and s.available > 0]
        answers.append(LineAvailability(product_id, quantity, free_here, short, elsewhere))
    return answers
