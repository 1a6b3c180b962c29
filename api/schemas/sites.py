"""Response shape for sites."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec

from masterdata.custom_fields.records import CustomView
from masterdata.services.sites import OpeningHours


class SiteOut(msgspec.Struct, kw_only=True):
    id: UUID
    customer_id: UUID
    name: str
    street: str | None
    postal_code: str | None
    city: str | None
    subdivision: str | None
    country: str
    latitude: float | None
    longitude: float | None
    time_zone: str
    territory: str | None
    access_notes: str | None
    opening_hours: list[OpeningHours]
    custom: dict[str, Any] = msgspec.field(default_factory=dict)
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def site_out(site: Any, view: CustomView | None = None) -> SiteOut:
    """`view`: the custom fields the reader may see (none given: no custom values shown)."""
    return SiteOut(
        custom=view.read(site.custom) if view is not None else {},
        id=site.id,
        customer_id=site.customer_id,
        name=site.name,
        street=site.street,
        postal_code=site.postal_code,
        city=site.city,
        subdivision=site.subdivision,
        country=site.country,
        latitude=site.latitude,
        longitude=site.longitude,
        time_zone=site.time_zone,
        territory=site.territory,
        access_notes=site.access_notes,
        opening_hours=[
            OpeningHours(weekday=entry["weekday"], opens=entry["opens"], closes=entry["closes"])
            for entry in site.opening_hours or []
        ],
        version=site.version,
        created_at=site.created_at,
        updated_at=site.updated_at,
    )
