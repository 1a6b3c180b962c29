"""Response shapes for coverage calendars and service levels."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec


class CalendarWindowOut(msgspec.Struct, kw_only=True):
    weekday: int
    start: str
    end: str


class CoverageCalendarOut(msgspec.Struct, kw_only=True):
    id: UUID
    code: str
    name: str
    time_zone: str | None
    windows: list[CalendarWindowOut]
    holiday_country: str | None
    holiday_subdivision: str | None
    closures: list[dt.date]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class TargetOut(msgspec.Struct, kw_only=True):
    priority: str
    response_minutes: int
    resolution_minutes: int


class ServiceLevelOut(msgspec.Struct, kw_only=True):
    id: UUID
    code: str
    name: str
    calendar_id: UUID
    pause_on_customer_wait: bool
    targets: list[TargetOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def calendar_out(record: Any) -> CoverageCalendarOut:
    return CoverageCalendarOut(
        id=record.id,
        code=record.code,
        name=record.name,
        time_zone=record.time_zone,
        windows=[CalendarWindowOut(weekday=w["weekday"], start=w["start"], end=w["end"]) for w in record.windows],
        holiday_country=record.holiday_country,
        holiday_subdivision=record.holiday_subdivision,
        closures=[dt.date.fromisoformat(day) for day in record.closures],
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def service_level_out(view: Any) -> ServiceLevelOut:
    """From a `contracts.services.service_levels.ServiceLevelView` (the level with its targets)."""
    level = view.level
    return ServiceLevelOut(
        id=level.id,
        code=level.code,
        name=level.name,
        calendar_id=level.calendar_id,
        pause_on_customer_wait=level.pause_on_customer_wait,
        targets=[
            TargetOut(priority=t.priority, response_minutes=t.response_minutes, resolution_minutes=t.resolution_minutes)
            for t in view.targets
        ],
        version=level.version,
        created_at=level.created_at,
        updated_at=level.updated_at,
    )
