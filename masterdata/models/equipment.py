"""The installed base: serialized equipment, its component tree and its history."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity, VersionedEntity, sql_in
from masterdata.choices import EquipmentEventKind, EquipmentStatus
from masterdata.models.custom_fields import custom_column, custom_index


class Equipment(VersionedEntity):
    __tablename__ = "equipment"
    __table_args__ = (
        UniqueConstraint("product_id", "serial_number", name="uq_equipment_product_serial"),
        CheckConstraint(f"status IN {sql_in(EquipmentStatus)}", name="status_valid"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        custom_index("equipment"),
    )

    product_id: Mapped[UUID] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"), index=True)
    serial_number: Mapped[str] = mapped_column(String(80), index=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    site_id: Mapped[UUID | None] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    parent_id: Mapped[UUID | None] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"), index=True)
    position: Mapped[str | None] = mapped_column(String(80))
    install_date: Mapped[dt.date | None]
    ship_date: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(String(16), default=EquipmentStatus.IN_SERVICE.value)
    notes: Mapped[str | None] = mapped_column(Text)
    custom: Mapped[dict[str, Any]] = custom_column()


class EquipmentEvent(Entity):
    """One line of an equipment's history; never updated."""

    __tablename__ = "equipment_events"
    __table_args__ = (
        CheckConstraint(f"kind IN {sql_in(EquipmentEventKind)}", name="kind_valid"),
        Index("ix_equipment_events_equipment_at", "equipment_id", "at"),
    )

    equipment_id: Mapped[UUID] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"))
    at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(String(24))
    actor_name: Mapped[str] = mapped_column(String(150))
    from_site_id: Mapped[UUID | None] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"))
    to_site_id: Mapped[UUID | None] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"))
    related_equipment_id: Mapped[UUID | None] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"))
    old_serial: Mapped[str | None] = mapped_column(String(80))
    new_serial: Mapped[str | None] = mapped_column(String(80))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
