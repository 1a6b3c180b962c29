"""Wire shapes of inventory: locations, levels, serials, moves, reservations, availability.

Quantities travel as decimal strings with 3 places ("2.000"), never JSON numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta

QuantityText = Annotated[str, Meta(pattern=r"^-?[0-9]+\.[0-9]{3}$", examples=["2.000"])]
Quantity = Annotated[Decimal, Meta(description='a decimal string, > 0, at most 3 decimal places, e.g. "2"')]
Serial = Annotated[str, Meta(min_length=1, max_length=100)]
Reason = Annotated[str, Meta(min_length=1, max_length=2000)]
ReferenceKind = Annotated[str, Meta(pattern=r"^[a-z_]{1,20}$")]
ReferenceRef = Annotated[str, Meta(min_length=1, max_length=40)]


def qty(value: Any) -> str:
    return f"{Decimal(value):.3f}"


# --- input -------------------------------------------------------------------------------------


class ReceiptIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    location_id: UUID
    product_id: UUID
    quantity: Quantity
    serial_number: Serial | None = None
    reason: Reason | None = None


class TransferIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    from_location_id: UUID
    to_location_id: UUID
    product_id: UUID
    quantity: Quantity
    serial_number: Serial | None = None
    reason: Reason | None = None


class ReturnIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    location_id: UUID
    product_id: UUID
    quantity: Quantity
    reference_kind: ReferenceKind | None = None
    reference_id: UUID | None = None
    reference_ref: ReferenceRef | None = None
    serial_number: Serial | None = None
    reason: Reason | None = None


class ScrapIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    location_id: UUID
    product_id: UUID
    quantity: Quantity
    reason: Reason
    serial_number: Serial | None = None


class AdjustmentIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    location_id: UUID
    product_id: UUID
    delta: Annotated[Decimal, Meta(description='signed: "+3" adds, "-2" takes away; at most 3 decimal places')]
    reason: Reason
    serial_number: Serial | None = None


class ReservationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    location_id: UUID
    product_id: UUID
    quantity: Quantity
    reference_kind: Annotated[str, Meta(description="task or repair_order")]
    reference_id: UUID


class TaskReservationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    location_id: UUID | None = None  # default: the van of the task's assigned engineer


class AvailabilityLineIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    product_id: UUID
    quantity: Quantity


class AvailabilityIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    lines: Annotated[list[AvailabilityLineIn], Meta(min_length=1, max_length=200)]
    location_id: UUID | None = None


# --- output ------------------------------------------------------------------------------------


class LocationOut(msgspec.Struct, kw_only=True):
    id: UUID
    code: str
    name: str
    kind: str
    engineer_id: UUID | None
    address: str | None
    active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def location_out(row: Any) -> LocationOut:
    return LocationOut(
        id=row.id,
        code=row.code,
        name=row.name,
        kind=row.kind,
        engineer_id=row.engineer_id,
        address=row.address,
        active=row.active,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class LevelOut(msgspec.Struct, kw_only=True):
    location_id: UUID
    product_id: UUID
    on_hand: QuantityText
    reserved: QuantityText
    available: QuantityText


def level_out(row: Any) -> LevelOut:
    return LevelOut(
        location_id=row.location_id,
        product_id=row.product_id,
        on_hand=qty(row.on_hand),
        reserved=qty(row.reserved),
        available=qty(Decimal(row.on_hand) - Decimal(row.reserved)),
    )


class SerialOut(msgspec.Struct, kw_only=True):
    id: UUID
    product_id: UUID
    serial_number: str
    location_id: UUID | None
    status: str
    equipment_id: UUID | None


def serial_out(row: Any) -> SerialOut:
    return SerialOut(
        id=row.id,
        product_id=row.product_id,
        serial_number=row.serial_number,
        location_id=row.location_id,
        status=row.status,
        equipment_id=row.equipment_id,
    )


class MoveOut(msgspec.Struct, kw_only=True):
    id: UUID
    kind: str
    product_id: UUID
    quantity: QuantityText
    from_location_id: UUID | None
    to_location_id: UUID | None
    serial_number: str | None
    reason: str | None
    reference_kind: str | None
    reference_id: UUID | None
    reference_ref: str | None
    moved_at: dt.datetime
    actor_name: str


def move_out(row: Any) -> MoveOut:
    return MoveOut(
        id=row.id,
        kind=row.kind,
        product_id=row.product_id,
        quantity=qty(row.quantity),
        from_location_id=row.from_location_id,
        to_location_id=row.to_location_id,
        serial_number=row.serial_number,
        reason=row.reason,
        reference_kind=row.reference_kind,
        reference_id=row.reference_id,
        reference_ref=row.reference_ref,
        moved_at=row.moved_at,
        actor_name=row.actor_name,
    )


class ReservationOut(msgspec.Struct, kw_only=True):
    id: UUID
    location_id: UUID
    product_id: UUID
    quantity: QuantityText
    reference_kind: str
    reference_id: UUID
    status: str
    created_at: dt.datetime


def reservation_out(row: Any) -> ReservationOut:
    return ReservationOut(
        id=row.id,
        location_id=row.location_id,
        product_id=row.product_id,
        quantity=qty(row.quantity),
        reference_kind=row.reference_kind,
        reference_id=row.reference_id,
        status=row.status,
        created_at=row.created_at,
    )


class LocationStockOut(msgspec.Struct, kw_only=True):
    location_id: UUID
    location_code: str
    location_kind: str
    on_hand: QuantityText
    reserved: QuantityText
    available: QuantityText


def location_stock_out(row: Any) -> LocationStockOut:
    return LocationStockOut(
        location_id=row.location_id,
        location_code=row.location_code,
        location_kind=row.location_kind,
        on_hand=qty(row.on_hand),
        reserved=qty(row.reserved),
        available=qty(row.available),
    )


class ProductAvailabilityOut(msgspec.Struct, kw_only=True):
    product_id: UUID
    locations: list[LocationStockOut]
    available: QuantityText  # the sum over the locations listed


class LineAvailabilityOut(msgspec.Struct, kw_only=True):
    product_id: UUID
    quantity: QuantityText
    available: QuantityText | None  # at the named location; null when none was named
    short: QuantityText
    enough: bool
    elsewhere: list[LocationStockOut]


def line_out(row: Any) -> LineAvailabilityOut:
    return LineAvailabilityOut(
        product_id=row.product_id,
        quantity=qty(row.quantity),
        available=qty(row.available) if row.available is not None else None,
        short=qty(row.short),
        enough=row.available is not None and row.short == 0,
        elsewhere=[location_stock_out(s) for s in row.elsewhere],
    )


class AvailabilityCheckOut(msgspec.Struct, kw_only=True):
    location_id: UUID | None
    lines: list[LineAvailabilityOut]
