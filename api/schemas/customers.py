"""Response shapes for customers, contacts and sites."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec

from masterdata.custom_fields.records import CustomView


class CustomerOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    name: str
    parent_id: UUID | None
    status: str
    blocked_reason: str | None
    email: str | None
    phone: str | None
    country: str | None
    notes: str | None
    custom: dict[str, Any] = msgspec.field(default_factory=dict)
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def customer_out(customer: Any, view: CustomView | None = None) -> CustomerOut:
    """`view`: the custom fields the reader may see (none given: no custom values shown)."""
    return CustomerOut(
        custom=view.read(customer.custom) if view is not None else {},
        id=customer.id,
        number=customer.number,
        name=customer.name,
        parent_id=customer.parent_id,
        status=customer.status,
        blocked_reason=customer.blocked_reason,
        email=customer.email,
        phone=customer.phone,
        country=customer.country,
        notes=customer.notes,
        version=customer.version,
        created_at=customer.created_at,
        updated_at=customer.updated_at,
    )
