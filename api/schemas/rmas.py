"""Response shapes for RMAs and their events; customers get a narrower view than staff."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from masterdata.custom_fields.records import CustomView
from returns.models import Rma, RmaEvent


class ShipToOut(msgspec.Struct, kw_only=True):
    name: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None


class RmaOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    customer_id: UUID
    contact_id: UUID | None
    equipment_id: UUID
    serial_number: str
    rma_type: str
    reason_code: str
    problem_description: str
    status: str
    requested_at: dt.datetime
    covered_by: str
    labour_pct: Decimal
    parts_pct: Decimal
    rejection_reason: str | None
    ship_to: ShipToOut
    expected_ship_on: dt.date | None
    received_at: dt.datetime | None
    received_serial: str | None
    on_hold: bool
    replacement_equipment_id: UUID | None
    replacement_shipped_at: dt.datetime | None
    return_due_on: dt.date | None
    shipped_at: dt.datetime | None
    carrier_tracking: str | None
    closed_at: dt.datetime | None
    custom: dict[str, Any] = msgspec.field(default_factory=dict)
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    # staff only (None for customers): why the depot holds it, the full entitlement decision, who created it
    hold_reason: str | None = None
    entitlement: dict[str, Any] | None = None
    created_by: str | None = None


class RmaEventOut(msgspec.Struct, kw_only=True):
    id: UUID
    at: dt.datetime
    kind: str
    from_status: str | None
    to_status: str | None
    customer_visible: bool
    message: str | None
    # staff only (None for customers)
    actor_name: str | None = None
    internal_note: str | None = None
    detail: dict[str, Any] | None = None


def _ship_to(value: dict[str, Any]) -> ShipToOut:
    return ShipToOut(**{k: value.get(k) for k in ("name", "street", "postal_code", "city", "country")})


def rma_out(rma: Rma, *, staff: bool = True, custom: CustomView | None = None) -> RmaOut:
    """`custom`: the custom fields the reader may see (none given: no custom values shown)."""
    return RmaOut(
        custom=custom.read(rma.custom) if custom is not None else {},
        id=rma.id,
        number=rma.number,
        customer_id=rma.customer_id,
        contact_id=rma.contact_id,
        equipment_id=rma.equipment_id,
        serial_number=rma.serial_number,
        rma_type=rma.rma_type,
        reason_code=rma.reason_code,
        problem_description=rma.problem_description,
        status=rma.status,
        requested_at=rma.requested_at,
        covered_by=rma.covered_by,
        labour_pct=rma.labour_pct,
        parts_pct=rma.parts_pct,
        rejection_reason=rma.rejection_reason,
        ship_to=_ship_to(rma.ship_to or {}),
        expected_ship_on=rma.expected_ship_on,
        received_at=rma.received_at,
        received_serial=rma.received_serial,
        on_hold=rma.on_hold,
        replacement_equipment_id=rma.replacement_equipment_id,
        replacement_shipped_at=rma.replacement_shipped_at,
        return_due_on=rma.return_due_on,
        shipped_at=rma.shipped_at,
        carrier_tracking=rma.carrier_tracking,
        closed_at=rma.closed_at,
        version=rma.version,
        created_at=rma.created_at,
        updated_at=rma.updated_at,
        hold_reason=rma.hold_reason if staff else None,
        entitlement=rma.entitlement if staff else None,
        created_by=rma.created_by if staff else None,
    )


def rma_event_out(event: RmaEvent, *, staff: bool = True) -> RmaEventOut:
    return RmaEventOut(
        id=event.id,
        at=event.at,
        kind=event.kind,
        from_status=event.from_status,
        to_status=event.to_status,
        customer_visible=event.customer_visible,
        message=event.message,
        actor_name=event.actor_name if staff else None,
        internal_note=event.internal_note if staff else None,
        detail=event.detail if staff else None,
    )
