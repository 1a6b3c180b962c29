"""Coverage calendars: weekly hours in a time zone, public holidays of a region, closure days.

A stored calendar becomes a `core.calendars.CoverageCalendar` through `to_calendar`; a calendar
without a time zone runs in the zone of the site served, so one "8×5" fits every country.
Every mistake in the input is refused with the entry it is in (`windows[2].end`), because a
calendar that cannot be built would only fail later, inside an SLA due-time computation.
"""

from __future__ import annotations

import datetime as dt
from functools import cache, lru_cache
from typing import Annotated, Any
from uuid import UUID

import holidays
import msgspec
from msgspec import Meta
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.errors import Code
from contracts.models import CoverageCalendarRecord, ServiceLevel
from core import audit
from core.auth import Principal
from core.calendars import CoverageCalendar, WorkingWindow
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, Invalid, NotFound
from core.fields import CountryCode, Name, Version
from core.listing import Page, PageRequest, paginate
from core.time_zones import checked_zone
from core.weekly_hours import WeeklyFields, sorted_entries

RecordCode = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="short unique key, e.g. 8X5-DE (letters, digits, _ . -)",
    ),
]
TimeZoneName = Annotated[str, Meta(min_length=1, max_length=64, description="IANA time zone, e.g. Europe/Berlin")]
HolidaySubdivision = Annotated[
    str, Meta(pattern=r"^[A-Z0-9]{1,10}$", description="subdivision of holiday_country, e.g. BY for Bavaria")
]


class CalendarWindow(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Working hours on one weekday; checked by the service so that every mistake names its entry."""

    weekday: Annotated[int, Meta(description="0 = Monday … 6 = Sunday")]
    start: Annotated[str, Meta(description="HH:MM local time")]
    end: Annotated[str, Meta(description="HH:MM after start; 24:00 for midnight")]


Windows = Annotated[list[CalendarWindow], Meta(max_length=100)]
Closures = Annotated[list[dt.date], Meta(max_length=1000, description="extra closure days (ISO dates)")]


class CalendarCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: RecordCode
    name: Name
    time_zone: TimeZoneName | None = None
    windows: Windows
    holiday_country: CountryCode | None = None
    holiday_subdivision: HolidaySubdivision | None = None
    closures: Closures = msgspec.field(default_factory=list)


class CalendarUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    code: RecordCode | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    time_zone: TimeZoneName | msgspec.UnsetType | None = msgspec.UNSET
    windows: Windows | msgspec.UnsetType = msgspec.UNSET
    holiday_country: CountryCode | msgspec.UnsetType | None = msgspec.UNSET
    holiday_subdivision: HolidaySubdivision | msgspec.UnsetType | None = msgspec.UNSET
    closures: Closures | msgspec.UnsetType = msgspec.UNSET


SORTABLE = {
    "code": CoverageCalendarRecord.code,
    "name": CoverageCalendarRecord.name,
    "created_at": CoverageCalendarRecord.created_at,
}

# Names the zoneinfo directory holds that are not IANA zones anyone works in.
# --- reading ------------------------------------------------------------------------------


async def get_calendar(session: AsyncSession, calendar_id: UUID) -> CoverageCalendarRecord:
    record = await session.get(CoverageCalendarRecord, calendar_id)
    if record is None:
        raise NotFound("coverage_calendar", calendar_id)
    return record


async def list_calendars(session: AsyncSession, q: str | None, page: PageRequest) -> Page[CoverageCalendarRecord]:
    stmt = select(CoverageCalendarRecord)
    if q:
        pattern = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(CoverageCalendarRecord.code).like(pattern),
                func.lower(CoverageCalendarRecord.name).like(pattern),
            )
        )
    return await paginate(
        session, stmt, page, sortable=SORTABLE, default_sort="code", tie_breaker=CoverageCalendarRecord.id
    )


def to_calendar(record: CoverageCalendarRecord, fallback_time_zone: str) -> CoverageCalendar:
    """The rule-level calendar; `fallback_time_zone` (the site's zone) applies when the record has none."""
    return calendar_from(
        record.time_zone or fallback_time_zone,
        tuple((int(w["weekday"]), str(w["start"]), str(w["end"])) for w in record.windows),
        record.holiday_country,
        record.holiday_subdivision,
        tuple(record.closures),
    )


# Keyed by the whole content, so a changed calendar is simply another key: building one
# (parsing its windows, checking its zone) is a good part of an entitlement check's CPU time.
@lru_cache(maxsize=1024)
def calendar_from(
    time_zone: str,
    windows: tuple[tuple[int, str, str], ...],
    country: str | None,
    subdivision: str | None,
    closures: tuple[str, ...],
) -> CoverageCalendar:
    return CoverageCalendar(
        time_zone=time_zone,
        windows=tuple(WorkingWindow.of(*window) for window in windows),
        holiday_country=country,
        holiday_subdivision=subdivision,
        closures=frozenset(dt.date.fromisoformat(day) for day in closures),
    )


# --- changing -----------------------------------------------------------------------------


async def create_calendar(session: AsyncSession, actor: Principal, data: CalendarCreate) -> CoverageCalendarRecord:
    await _check_code_free(session, data.code)
    if data.time_zone is not None:
        check_time_zone(data.time_zone)
    _check_holiday_region(data.holiday_country, data.holiday_subdivision)
    record = CoverageCalendarRecord(
        code=data.code,
        name=data.name,
        time_zone=data.time_zone,
        windows=checked_windows(data.windows),
        holiday_country=data.holiday_country,
        holiday_subdivision=data.holiday_subdivision,
        closures=_stored_closures(data.closures),
    )
    session.add(record)
    await session.flush()
    await audit.record(session, actor, "coverage_calendar", record.id, "create", after=audit.snapshot(record))
    return record


async def update_calendar(
    session: AsyncSession, actor: Principal, calendar_id: UUID, data: CalendarUpdate
) -> CoverageCalendarRecord:
    record = await get_calendar(session, calendar_id)
    check_version("coverage_calendar", record, data.version)
    before = audit.snapshot(record)
    changes = sent_fields(data)
    if "code" in changes and changes["code"] != record.code:
        await _check_code_free(session, changes["code"])
    if changes.get("time_zone") is not None:
        check_time_zone(changes["time_zone"])
    if "windows" in changes:
        changes["windows"] = checked_windows(changes["windows"])
    if "closures" in changes:
        changes["closures"] = _stored_closures(changes["closures"])
    apply(record, changes)
    _check_holiday_region(record.holiday_country, record.holiday_subdivision)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(record))
    await audit.record(session, actor, "coverage_calendar", record.id, "update", before=old, after=new)
    return record


async def delete_calendar(session: AsyncSession, actor: Principal, calendar_id: UUID) -> None:
    record = await get_calendar(session, calendar_id)
    in_use = await session.scalar(select(func.count()).where(ServiceLevel.calendar_id == record.id))
    if in_use:
        dependents = {"service_levels": int(in_use)}
        raise Conflict(
            Code.IN_USE,
            f"coverage calendar {record.code} is still used by {in_use} service level(s)",
            extra={"dependents": dependents},
        )
    before = audit.snapshot(record)
    await session.delete(record)
    await session.flush()
    await audit.record(session, actor, "coverage_calendar", calendar_id, "delete", before=before)


async def _check_code_free(session: AsyncSession, code: str) -> None:
    taken = await session.scalar(select(CoverageCalendarRecord.id).where(CoverageCalendarRecord.code == code))
    if taken is not None:
        raise Conflict(Code.DUPLICATE_CODE, f"a coverage calendar with code {code!r} exists", field="code")


# --- checks -------------------------------------------------------------------------------


def check_time_zone(name: str, field: str = "time_zone") -> None:
    checked_zone(name, field)


@cache
def _holiday_regions() -> dict[str, frozenset[str]]:
    supported = holidays.list_supported_countries(include_aliases=False)
    return {country: frozenset(subdivisions) for country, subdivisions in supported.items() if len(country) == 2}


def _check_holiday_region(country: str | None, subdivision: str | None) -> None:
    if country is None:
        if subdivision is not None:
            raise Invalid(
                Code.INVALID_CALENDAR, "a holiday_subdivision needs a holiday_country", field="holiday_subdivision"
            )
        return
    regions = _holiday_regions()
    if country not in regions:
        raise Invalid(
            Code.INVALID_CALENDAR, f"no public holidays are known for country {country!r}", field="holiday_country"
        )
    if subdivision is not None and subdivision not in regions[country]:
        known = ", ".join(sorted(regions[country])) or "none"
        raise Invalid(
            Code.INVALID_CALENDAR,
            f"{subdivision!r} is not a subdivision of {country} (known: {known})",
            field="holiday_subdivision",
        )


_WINDOWS = WeeklyFields(list_name="windows", start="start", end="end", code=Code.INVALID_CALENDAR)


def checked_windows(windows: list[CalendarWindow]) -> list[dict[str, Any]]:
    """The windows as stored (sorted by weekday and start), after checking each and their overlaps."""
    if not windows:
        # A calendar with no working time would never let an SLA clock reach its target.
        raise Invalid(Code.INVALID_CALENDAR, "a calendar needs at least one working window", field="windows")
    order = sorted_entries([(w.weekday, w.start, w.end) for w in windows], _WINDOWS)
    return [{"weekday": windows[i].weekday, "start": windows[i].start, "end": windows[i].end} for i in order]


def _stored_closures(days: list[dt.date]) -> list[str]:
    return [day.isoformat() for day in sorted(set(days))]
