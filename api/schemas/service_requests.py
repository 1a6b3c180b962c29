"""Response shapes for service requests and their events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from masterdata.custom_fields.records import CustomView


class ServiceRequestOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    customer_id: UUID
    contact_id: UUID | None
    equipment_id: UUID | None
    site_id: UUID | None
    symptom: str
    symptom_code: str | None
    priority: str
    service_type: str
    channel: str
    status: str
    reported_at: dt.datetime
    covered_by: str
    labour_pct: Decimal
    parts_pct: Decimal
    travel_pct: Decimal
    response_due: dt.datetime | None
    resolution_due: dt.datetime | None
    # The entitlement decision as it was at logging (or at the last priority change).
    entitlement: dict[str, Any]
    estimated_amount: Decimal | None
    credit_outcome: str | None
    # The credit check's reasons and figures; staff only (a customer sees the outcome).
    credit: dict[str, Any] | None
    escalation_level: int
    waiting_for_customer_since: dt.datetime | None
    paused_seconds: int
    responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    resolution_code: str | None
    resolution_notes: str | None
    logged_by: str
    custom: dict[str, Any] = msgspec.field(default_factory=dict)
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ServiceRequestEventOut(msgspec.Struct, kw_only=True):
    id: UUID
    request_id: UUID
    at: dt.datetime
    kind: str
    actor_name: str
    from_status: str | None
    to_status: str | None
    detail: dict[str, Any]


def service_request_out(
    request: Any, *, for_customer: bool = False, view: CustomView | None = None
) -> ServiceRequestOut:
    """`view`: the custom fields the reader may see (none given: no custom values shown)."""
    return ServiceRequestOut(
        custom=view.read(request.custom) if view is not None else {},
        id=request.id,
        number=request.number,
        customer_id=request.customer_id,
        contact_id=request.contact_id,
        equipment_id=request.equipment_id,
        site_id=request.site_id,
        symptom=request.symptom,
        symptom_code=request.symptom_code,
        priority=request.priority,
        service_type=request.service_type,
        channel=request.channel,
        status=request.status,
        reported_at=request.reported_at,
        covered_by=request.covered_by,
        labour_pct=request.labour_pct,
        parts_pct=request.parts_pct,
        travel_pct=request.travel_pct,
        response_due=request.response_due,
        resolution_due=request.resolution_due,
        entitlement=request.entitlement,
        estimated_amount=request.estimated_amount,
        credit_outcome=request.credit_outcome,
        credit=None if for_customer else request.credit,
        escalation_level=request.escalation_level,
        waiting_for_customer_since=request.waiting_for_customer_since,
        paused_seconds=request.paused_seconds,
        responded_at=request.responded_at,
        resolved_at=request.resolved_at,
        closed_at=request.closed_at,
        resolution_code=request.resolution_code,
        resolution_notes=request.resolution_notes,
        logged_by=request.logged_by,
        version=request.version,
        created_at=request.created_at,
        updated_at=request.updated_at,
    )


def service_request_event_out(event: Any) -> ServiceRequestEventOut:
    return ServiceRequestEventOut(
        id=event.id,
        request_id=event.request_id,
        at=event.at,
        kind=event.kind,
        actor_name=event.actor_name,
        from_status=event.from_status,
        to_status=event.to_status,
        detail=event.detail,
    )
