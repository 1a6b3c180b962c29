"""Response shape for contacts."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec


class ContactOut(msgspec.Struct, kw_only=True):
    id: UUID
    customer_id: UUID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    role: str | None
    is_primary: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def contact_out(contact: Any) -> ContactOut:
    return ContactOut(
        id=contact.id,
        customer_id=contact.customer_id,
        first_name=contact.first_name,
        last_name=contact.last_name,
        email=contact.email,
        phone=contact.phone,
        role=contact.role,
        is_primary=contact.is_primary,
        version=contact.version,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )
