"""Service requests (calls, tickets) with their entitlement and credit snapshots and events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity, VersionedEntity, sql_in
from masterdata.models.custom_fields import custom_column, custom_index
from service_mgmt.choices import Channel, RequestStatus


class ServiceRequest(VersionedEntity):
    __tablename__ = "service_requests"
    __table_args__ = (
        UniqueConstraint("number", name="uq_service_requests_number"),
        CheckConstraint(f"status IN {sql_in(RequestStatus)}", name="status_valid"),
        CheckConstraint(f"channel IN {sql_in(Channel)}", name="channel_valid"),
        CheckConstraint("priority IN ('P1', 'P2', 'P3', 'P4')", name="priority_valid"),
        CheckConstraint(
            "service_type IN ('repair', 'maintenance', 'installation', 'inspection')", name="service_type_valid"
        ),
        CheckConstraint("equipment_id IS NOT NULL OR site_id IS NOT NULL", name="has_an_object"),
        CheckConstraint("escalation_level >= 0", name="escalation_not_negative"),
        Index("ix_service_requests_customer_status", "customer_id", "status"),
        Index("ix_service_requests_status_response_due", "status", "response_due"),
        custom_index("service_requests"),
    )

    number: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    contact_id: Mapped[UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="RESTRICT"))
    equipment_id: Mapped[UUID | None] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"), index=True)
    site_id: Mapped[UUID | None] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"))
    symptom: Mapped[str] = mapped_column(Text)
    symptom_code: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(2))
    service_type: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.NEW.value)
    reported_at: Mapped[dt.datetime]
    # The entitlement decision as it was when the call was logged; later contract changes
    # do not rewrite it.
    entitlement: Mapped[dict[str, Any]] = mapped_column(JsonB)
    covered_by: Mapped[str] = mapped_column(String(16))
    labour_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    parts_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    travel_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    response_due: Mapped[dt.datetime | None]
    resolution_due: Mapped[dt.datetime | None]
    estimated_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    credit: Mapped[dict[str, Any] | None] = mapped_column(JsonB)
    credit_outcome: Mapped[str | None] = mapped_column(String(8))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    waiting_for_customer_since: Mapped[dt.datetime | None]
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    responded_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    resolution_code: Mapped[str | None] = mapped_column(String(40))
    resolution_notes: Mapped[str | None] = mapped_column(Text)
    logged_by: Mapped[str] = mapped_column(String(150))
    custom: Mapped[dict[str, Any]] = custom_column()


class ServiceRequestEvent(Entity):
    """One step in a request's life (status changes, escalations, notes); never updated."""

    __tablename__ = "service_request_events"
    __table_args__ = (Index("ix_service_request_events_request_at", "request_id", "at"),)

    request_id: Mapped[UUID] = mapped_column(ForeignKey("service_requests.id", ondelete="RESTRICT"))
    at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(String(32))
    actor_name: Mapped[str] = mapped_column(String(150))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
