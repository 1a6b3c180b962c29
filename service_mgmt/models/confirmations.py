"""What technicians report from the field: status steps, time, parts, and the confirmation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity, sql_in
from service_mgmt.choices import TimeEntryKind


class TaskStatusEvent(Entity):
    """A technician's status step on a task (en route, on site, completed), with the device time.

    `at` is when it happened on the phone, which may be long before `created_at` (the sync)."""

    __tablename__ = "task_status_events"
    __table_args__ = (Index("ix_task_status_events_task_at", "task_id", "at"),)

    task_id: Mapped[UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    engineer_id: Mapped[UUID] = mapped_column(ForeignKey("engineers.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime]
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    note: Mapped[str | None] = mapped_column(Text)


class Confirmation(Entity):
    """The technician's report of a task: one per task, written once at completion."""

    __tablename__ = "confirmations"
    __table_args__ = (UniqueConstraint("task_id", name="uq_confirmations_task"),)

    task_id: Mapped[UUID] = mapped_column(ForeignKey("tasks.id", ondelete="RESTRICT"))
    work_order_id: Mapped[UUID] = mapped_column(ForeignKey("work_orders.id", ondelete="RESTRICT"), index=True)
    engineer_id: Mapped[UUID] = mapped_column(ForeignKey("engineers.id", ondelete="RESTRICT"))
    completed_at: Mapped[dt.datetime]  # device time of completion
    findings: Mapped[str | None] = mapped_column(Text)
    resolution_code: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    # [{"counter_id": ..., "reading_id": ..., "value": "..."}]: readings taken on site
    readings: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    # checklist answers: [{"item": "...", "done": true, "note": null}]
    checklist: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    signed_by: Mapped[str | None] = mapped_column(String(200))
    signed_at: Mapped[dt.datetime | None]
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)


class TimeEntry(Entity):
    __tablename__ = "time_entries"
    __table_args__ = (
        CheckConstraint(f"kind IN {sql_in(TimeEntryKind)}", name="kind_valid"),
        CheckConstraint("ended_at > started_at", name="ends_after_start"),
        Index("ix_time_entries_engineer_started", "engineer_id", "started_at"),
    )

    confirmation_id: Mapped[UUID] = mapped_column(ForeignKey("confirmations.id", ondelete="CASCADE"), index=True)
    work_order_id: Mapped[UUID] = mapped_column(ForeignKey("work_orders.id", ondelete="RESTRICT"), index=True)
    engineer_id: Mapped[UUID] = mapped_column(ForeignKey("engineers.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(8))
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime]


class PartConsumption(Entity):
    """A part used on a task; a serialized component swap names the serials in and out."""

    __tablename__ = "part_consumptions"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    confirmation_id: Mapped[UUID] = mapped_column(ForeignKey("confirmations.id", ondelete="CASCADE"), index=True)
    work_order_id: Mapped[UUID] = mapped_column(ForeignKey("work_orders.id", ondelete="RESTRICT"), index=True)
    product_id: Mapped[UUID] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    serial_in: Mapped[str | None] = mapped_column(String(100))  # installed
    serial_out: Mapped[str | None] = mapped_column(String(100))  # removed
    # the installed-base units of a component replacement (parent, removed, installed)
    equipment_id: Mapped[UUID | None] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"))
    removed_equipment_id: Mapped[UUID | None] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"))
    installed_equipment_id: Mapped[UUID | None] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"))
