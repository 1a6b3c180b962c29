"""Posting one stock move: validate, lock the level rows, change them, write one ledger line.

Every change of stock goes through `post_move`, so the ledger (`stock_moves`, append-only by
trigger) and the levels always agree: the move row and the level updates are written in the
same transaction, under the level locks (see `stock_levels` for the lock order).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal
from core.errors import Conflict, Invalid, NotFound
from masterdata.models import Product
from returns.choices import ReservationStatus, SerialStatus, StockMoveKind
from returns.errors import Code
from returns.models import StockLevel, StockLocation, StockMove, StockReservation, StockSerial
from returns.services.stock_levels import available, checked_quantity, locked_levels
from service_mgmt.models import Task

# Serial statuses of a unit that is physically on a shelf and may leave it.
_ON_SHELF = frozenset({SerialStatus.IN_STOCK.value, SerialStatus.RESERVED.value})


@dataclass(frozen=True, slots=True)
class MoveSpec:
    kind: StockMoveKind
    product_id: UUID
    quantity: Decimal
    now: dt.datetime
    from_location_id: UUID | None = None
    to_location_id: UUID | None = None
    serial_number: str | None = None
    reason: str | None = None
    reference_kind: str | None = None
    reference_id: UUID | None = None
    reference_ref: str | None = None
    # issue only: consume the reference's active reservation first
    consume_reservation: bool = False


async def post_move(session: AsyncSession, actor: Principal, spec: MoveSpec) -> StockMove:
    quantity = checked_quantity(spec.quantity)
    product = await _product(session, spec.product_id)
    serial_number = _checked_serial(product, spec.serial_number, quantity)
    source = await _location(
        session, spec.from_location_id, "from_location_id" if spec.to_location_id else "location_id"
    )
    target = await _location(session, spec.to_location_id, "to_location_id" if spec.from_location_id else "location_id")
    if source is not None and target is not None and source.id == target.id:
        raise Invalid(Code.SAME_LOCATION, "from and to are the same location", field="to_location_id")
    if target is not None and not target.active:
        raise Conflict(Code.LOCATION_INACTIVE, f"stock location {target.code} is inactive", field="to_location_id")

    keys = [(loc.id, product.id) for loc in (source, target) if loc is not None]
    levels = await locked_levels(session, keys)

    if source is not None:
        level = levels[(source.id, product.id)]
        reservations = await _consumable_reservations(session, spec, source.id) if spec.consume_reservation else []
        held = sum((Decimal(r.quantity) for r in reservations), Decimal(0))
        if available(level) + held < quantity:
            raise _insufficient(level, source, product, quantity, held)
        _consume(level, reservations, quantity)
        level.on_hand = Decimal(level.on_hand) - quantity
    if target is not None:
        level = levels[(target.id, product.id)]
        level.on_hand = Decimal(level.on_hand) + quantity

    if serial_number is not None:
        await _move_serial(session, spec.kind, product, serial_number, source, target)

    move = StockMove(
        kind=spec.kind.value,
        product_id=product.id,
        quantity=quantity,
        from_location_id=source.id if source else None,
        to_location_id=target.id if target else None,
        serial_number=serial_number,
        reason=spec.reason,
        reference_kind=spec.reference_kind,
        reference_id=spec.reference_id,
        reference_ref=spec.reference_ref,
        moved_at=spec.now,
        actor_name=actor.username,
    )
    session.add(move)
    await session.flush()
    return move


def _insufficient(
    level: StockLevel, location: StockLocation, product: Product, quantity: Decimal, held: Decimal
) -> Conflict:
    free = available(level) + held
    return Conflict(
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


async def _consumable_reservations(session: AsyncSession, spec: MoveSpec, location_id: UUID) -> list[StockReservation]:
    """Active reservations an issue for this reference may use: the reference's own, and for a
    work order also those of its tasks (task parts are reserved per task)."""
    if spec.reference_kind is None or spec.reference_id is None:
        return []
    matches = (StockReservation.reference_kind == spec.reference_kind) & (
        StockReservation.reference_id == spec.reference_id
    )
    if spec.reference_kind == "work_order":
        task_ids = select(Task.id).where(Task.work_order_id == spec.reference_id)
        matches = matches | ((StockReservation.reference_kind == "task") & StockReservation.reference_id.in_(task_ids))
    rows = await session.scalars(
        select(StockReservation)
        .where(
            matches,
            StockReservation.location_id == location_id,
            StockReservation.product_id == spec.product_id,
            StockReservation.status == ReservationStatus.ACTIVE.value,
        )
        .order_by(StockReservation.created_at, StockReservation.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


def _consume(level: StockLevel, reservations: list[StockReservation], quantity: Decimal) -> None:
    left = quantity
    for reservation in reservations:
        if left <= 0:
            break
        used = min(Decimal(reservation.quantity), left)
        level.reserved = Decimal(level.reserved) - used
        left -= used
        if used == Decimal(reservation.quantity):
            reservation.status = ReservationStatus.CONSUMED.value
        else:  # partly used: the rest stays held
            reservation.quantity = Decimal(reservation.quantity) - used


def _checked_serial(product: Product, serial_number: str | None, quantity: Decimal) -> str | None:
    serial = serial_number.strip() if serial_number else None
    if product.serialized:
        if not serial:
            raise Invalid(
                Code.SERIAL_REQUIRED, f"{product.sku} is serialized: name the serial number", field="serial_number"
            )
        if quantity != 1:
            raise Invalid(Code.INVALID_QUANTITY, "a serialized unit moves one at a time (quantity 1)", field="quantity")
        return serial
    if serial:
        raise Invalid(
            Code.SERIAL_NOT_ALLOWED,
            f"{product.sku} is not serialized: leave out the serial number",
            field="serial_number",
        )
    return None


async def _move_serial(
    session: AsyncSession,
    kind: StockMoveKind,
    product: Product,
    serial_number: str,
    source: StockLocation | None,
    target: StockLocation | None,
) -> None:
    unit = await session.scalar(
        select(StockSerial)
        .where(StockSerial.product_id == product.id, StockSerial.serial_number == serial_number)
        .with_for_update()
    )
    if source is not None:
        if unit is None or unit.location_id != source.id or unit.status not in _ON_SHELF:
            raise Conflict(
                Code.SERIAL_NOT_AVAILABLE,
                f"{product.sku} serial {serial_number} is not in stock at {source.code}",
                field="serial_number",
            )
        if target is not None:
            unit.location_id = target.id  # transfer
        else:
            unit.location_id = None
            unit.status = (SerialStatus.ISSUED if kind is StockMoveKind.ISSUE else SerialStatus.SCRAPPED).value
        await session.flush()
        return
    assert target is not None
    if unit is None:
        session.add(StockSerial(product_id=product.id, serial_number=serial_number, location_id=target.id))
    elif unit.status in _ON_SHELF:
        raise Conflict(
            Code.SERIAL_ALREADY_IN_STOCK,
            f"{product.sku} serial {serial_number} is already in stock",
            field="serial_number",
        )
    else:  # back from a customer, a repair, or a write-off that was wrong
        unit.location_id = target.id
        unit.status = SerialStatus.IN_STOCK.value
    await session.flush()


async def _product(session: AsyncSession, product_id: UUID) -> Product:
    product = await session.get(Product, product_id)
    if product is None:
        raise NotFound("product", product_id, field="product_id")
    return product


async def _location(session: AsyncSession, location_id: UUID | None, field: str) -> StockLocation | None:
    if location_id is None:
        return None
    location = await session.get(StockLocation, location_id)
    if location is None:
        raise NotFound("stock_location", location_id, field=field)
    return location
