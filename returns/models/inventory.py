"""Inventory: stock locations, stock per product and location, serialized units, reservations,
and the append-only ledger of stock moves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity, VersionedEntity, sql_in
from returns.choices import ReservationStatus, SerialStatus, StockLocationKind, StockMoveKind


class StockLocation(VersionedEntity):
    """The central warehouse, a depot, or one engineer's van."""

    __tablename__ = "stock_locations"
    __table_args__ = (
        UniqueConstraint("code", name="uq_stock_locations_code"),
        UniqueConstraint("engineer_id", name="uq_stock_locations_engineer"),
        CheckConstraint(f"kind IN {sql_in(StockLocationKind)}", name="kind_valid"),
        CheckConstraint("(kind = 'van') = (engineer_id IS NOT NULL)", name="van_has_engineer"),
    )

    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))
    engineer_id: Mapped[UUID | None] = mapped_column(ForeignKey("engineers.id", ondelete="RESTRICT"))
    address: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)


class StockLevel(Entity):
    """On hand and reserved of one product at one location; available = on hand − reserved.

    The check constraints are the last line of defence: stock never goes negative and never more
    is reserved than is there, whatever the code does."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("location_id", "product_id", name="uq_stock_levels_location_product"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
    )

    location_id: Mapped[UUID] = mapped_column(ForeignKey("stock_locations.id", ondelete="RESTRICT"))
    product_id: Mapped[UUID] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"), index=True)
    on_hand: Mapped[Decimal] = mapped_column(Numeric(14, 3), default=Decimal(0))
    reserved: Mapped[Decimal] = mapped_column(Numeric(14, 3), default=Decimal(0))


class StockSerial(VersionedEntity):
    """A serialized spare part or unit in stock (installed units live in `equipment`)."""

    __tablename__ = "stock_serials"
    __table_args__ = (
        UniqueConstraint("product_id", "serial_number", name="uq_stock_serials_product_serial"),
        CheckConstraint(f"status IN {sql_in(SerialStatus)}", name="status_valid"),
    )

    product_id: Mapped[UUID] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    serial_number: Mapped[str] = mapped_column(String(100))
    location_id: Mapped[UUID | None] = mapped_column(ForeignKey("stock_locations.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=SerialStatus.IN_STOCK.value)
    equipment_id: Mapped[UUID | None] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"))


class StockReservation(Entity):
    """Stock held for a planned use (a task's parts, a repair order's parts)."""

    __tablename__ = "stock_reservations"
    __table_args__ = (
        UniqueConstraint(
            "reference_kind", "reference_id", "product_id", "location_id", name="uq_stock_reservations_reference"
        ),
        CheckConstraint(f"status IN {sql_in(ReservationStatus)}", name="status_valid"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_stock_reservations_location_product_status", "location_id", "product_id", "status"),
    )

    location_id: Mapped[UUID] = mapped_column(ForeignKey("stock_locations.id", ondelete="RESTRICT"))
    product_id: Mapped[UUID] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    reference_kind: Mapped[str] = mapped_column(String(20))  # task / repair_order
    reference_id: Mapped[UUID]
    status: Mapped[str] = mapped_column(String(10), default=ReservationStatus.ACTIVE.value)


class StockMove(Entity):
    """One line of the stock ledger; never updated or deleted (database triggers refuse it)."""

    __tablename__ = "stock_moves"
    __table_args__ = (
        CheckConstraint(f"kind IN {sql_in(StockMoveKind)}", name="kind_valid"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("from_location_id IS NOT NULL OR to_location_id IS NOT NULL", name="has_a_location"),
        CheckConstraint("kind <> 'adjustment' OR reason IS NOT NULL", name="adjustment_has_reason"),
        Index("ix_stock_moves_product_moved_at", "product_id", "moved_at"),
        Index("ix_stock_moves_reference", "reference_kind", "reference_id"),
    )

    kind: Mapped[str] = mapped_column(String(12))
    product_id: Mapped[UUID] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    from_location_id: Mapped[UUID | None] = mapped_column(ForeignKey("stock_locations.id", ondelete="RESTRICT"))
    to_location_id: Mapped[UUID | None] = mapped_column(ForeignKey("stock_locations.id", ondelete="RESTRICT"))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    reference_kind: Mapped[str | None] = mapped_column(String(20))  # work_order / repair_order / rma
    reference_id: Mapped[UUID | None]
    reference_ref: Mapped[str | None] = mapped_column(String(40))  # WO-000123, for people
    moved_at: Mapped[dt.datetime]
    actor_name: Mapped[str] = mapped_column(String(150))
