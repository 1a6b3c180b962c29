"""Return material authorizations and their customer-visible history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity, VersionedEntity, sql_in
from masterdata.models.custom_fields import custom_column, custom_index
from returns.choices import RmaStatus, RmaType


class Rma(VersionedEntity):
    __tablename__ = "rmas"
    __table_args__ = (
        UniqueConstraint("number", name="uq_rmas_number"),
        CheckConstraint(f"status IN {sql_in(RmaStatus)}", name="status_valid"),
        CheckConstraint(f"rma_type IN {sql_in(RmaType)}", name="type_valid"),
        CheckConstraint("status <> 'rejected' OR rejection_reason IS NOT NULL", name="rejection_has_reason"),
        Index("ix_rmas_customer_status", "customer_id", "status"),
        Index("ix_rmas_return_due", "status", "return_due_on"),
        custom_index("rmas"),
    )

    number: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    contact_id: Mapped[UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="RESTRICT"))
    equipment_id: Mapped[UUID] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"), index=True)
    serial_number: Mapped[str] = mapped_column(String(100))  # the serial the customer says it sends
    rma_type: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str] = mapped_column(String(40))
    problem_description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=RmaStatus.REQUESTED.value)
    requested_at: Mapped[dt.datetime]
    # the entitlement decision when the RMA was requested (as on service requests)
    entitlement: Mapped[dict[str, Any]] = mapped_column(JsonB)
    covered_by: Mapped[str] = mapped_column(String(16))
    labour_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    parts_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    # where the repaired / replacement unit goes: {"name", "street", "postal_code", "city", "country"}
    ship_to: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    expected_ship_on: Mapped[dt.date | None]
    # receipt: a unit whose serial differs from the RMA holds it until someone resolves it
    received_at: Mapped[dt.datetime | None]
    received_serial: Mapped[str | None] = mapped_column(String(100))
    on_hold: Mapped[bool] = mapped_column(default=False)
    hold_reason: Mapped[str | None] = mapped_column(Text)
    # advance exchange: the replacement ships first, the defective unit is due back by a date
    replacement_equipment_id: Mapped[UUID | None] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"))
    replacement_shipped_at: Mapped[dt.datetime | None]
    return_due_on: Mapped[dt.date | None]
    shipped_at: Mapped[dt.datetime | None]
    carrier_tracking: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(String(150))
    custom: Mapped[dict[str, Any]] = custom_column()


class RmaEvent(Entity):
    """One step of an RMA; `customer_visible` decides what public tracking shows. Never updated."""

    __tablename__ = "rma_events"
    __table_args__ = (Index("ix_rma_events_rma_at", "rma_id", "at"),)

    rma_id: Mapped[UUID] = mapped_column(ForeignKey("rmas.id", ondelete="RESTRICT"))
    at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    actor_name: Mapped[str] = mapped_column(String(150))
    customer_visible: Mapped[bool] = mapped_column(default=False)
    # customer-facing text; internal notes go to `internal_note`, never shown to customers
    message: Mapped[str | None] = mapped_column(Text)
    internal_note: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
