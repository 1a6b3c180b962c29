"""Response shapes of calendar feeds."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec

from service_mgmt.models import CalendarFeed


class CalendarFeedOut(msgspec.Struct, kw_only=True):
    id: UUID
    kind: str
    engineer_id: UUID | None
    customer_id: UUID | None
    label: str | None
    owner_id: UUID
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: UUID | None


class CreatedFeedOut(CalendarFeedOut, kw_only=True):
    # shown once: only a hash of the token is kept, so a lost URL means a new feed
    url: str
    path: str


def calendar_feed_out(feed: CalendarFeed) -> CalendarFeedOut:
    return CalendarFeedOut(**_fields(feed))


def created_feed_out(feed: CalendarFeed, path: str, base_url: str) -> CreatedFeedOut:
    return CreatedFeedOut(**_fields(feed), url=f"{base_url.rstrip('/')}{path}", path=path)


def _fields(feed: CalendarFeed) -> dict[str, Any]:
    return {
        "id": feed.id,
        "kind": feed.kind,
        "engineer_id": feed.engineer_id,
        "customer_id": feed.customer_id,
        "label": feed.label,
        "owner_id": feed.owner_id,
        "created_at": feed.created_at,
        "revoked_at": feed.revoked_at,
        "revoked_by": feed.revoked_by,
    }
