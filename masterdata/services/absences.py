"""Absences of engineers, and their availability: the weekly pattern minus absences, per day.

Absences are UTC instants. Two absences of one engineer never overlap; the engineer row is
locked while one is added, so two planners adding at the same moment cannot both pass the check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal
from core.errors import Conflict, Invalid, NotFound
from core.listing import Page, PageRequest, paginate
from masterdata.availability import DayAvailability, Interval, WeeklyInterval, availability, local_day_bounds
from masterdata.errors import Code
from masterdata.models import Absence, Engineer, WorkingHours
from masterdata.services.engineers import engineer_zone, find_engineer

AwareDateTime = Annotated[dt.datetime, Meta(tz=True, description="with a UTC offset, e.g. 2025-03-03T08:00:00Z")]
Reason = Annotated[str, Meta(min_length=1, max_length=200)]

MAX_DAYS = 31
SORTABLE = {"starts_at": Absence.starts_at, "ends_at": Absence.ends_at}


class AbsenceCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    starts_at: AwareDateTime
    ends_at: AwareDateTime
    reason: Reason


@dataclass(frozen=True, slots=True)
class EngineerAvailability:
    engineer: Engineer
    first: dt.date
    last: dt.date
    days: list[DayAvailability]


async def list_absences(
    session: AsyncSession, principal: Principal, engineer_id: UUID, ends_after: dt.datetime | None, page: PageRequest
) -> Page[Absence]:
    await find_engineer(session, principal, engineer_id)
    stmt = select(Absence).where(Absence.engineer_id == engineer_id)
    if ends_after is not None:
        if ends_after.tzinfo is None:
            raise Invalid("validation_failed", "ends_after needs a UTC offset, e.g. ...T08:00:00Z", field="ends_after")
        stmt = stmt.where(Absence.ends_at > ends_after)
    return await paginate(session, stmt, page, sortable=SORTABLE, default_sort="starts_at", tie_breaker=Absence.id)


async def add_absence(session: AsyncSession, actor: Principal, engineer_id: UUID, data: AbsenceCreate) -> Absence:
    if data.ends_at <= data.starts_at:
        raise Invalid(Code.ENDS_BEFORE_STARTS, "an absence must end after it starts", field="ends_at")
    engineer = await find_engineer(session, actor, engineer_id, lock=True)
    clash = await session.scalar(
        select(Absence)
        .where(Absence.engineer_id == engineer.id, Absence.starts_at < data.ends_at, Absence.ends_at > data.starts_at)
        .order_by(Absence.starts_at)
        .limit(1)
    )
    if clash is not None:
        raise Conflict(
            Code.OVERLAPPING_ABSENCE,
            f"engineer {engineer.number} is already absent from {clash.starts_at.isoformat()} "
            f"to {clash.ends_at.isoformat()} ({clash.reason})",
            field="starts_at",
            extra={"absence_id": str(clash.id)},
        )
    absence = Absence(
        engineer_id=engineer.id,
        starts_at=data.starts_at.astimezone(dt.UTC),
        ends_at=data.ends_at.astimezone(dt.UTC),
        reason=data.reason,
    )
    session.add(absence)
    await session.flush()
    await audit.record(session, actor, "absence", absence.id, "create", after=audit.snapshot(absence))
    return absence


async def remove_absence(session: AsyncSession, actor: Principal, engineer_id: UUID, absence_id: UUID) -> None:
    await find_engineer(session, actor, engineer_id)
    absence = await session.get(Absence, absence_id)
    if absence is None or absence.engineer_id != engineer_id:
        raise NotFound("absence", absence_id)
    before = audit.snapshot(absence)
    await session.delete(absence)
    await session.flush()
    await audit.record(session, actor, "absence", absence_id, "delete", before=before)


async def engineer_availability(
    session: AsyncSession, principal: Principal, engineer_id: UUID, first_day: str | None, last_day: str | None
) -> EngineerAvailability:
    """Working intervals per local day of the engineer, from `first_day` to `last_day` inclusive.

    The days come as the query strings `from` and `to` (YYYY-MM-DD), parsed here so that an
    error names the parameter the client sent.
    """
    first, last = _day(first_day, "from"), _day(last_day, "to")
    _check_range(first, last)
    engineer = await find_engineer(session, principal, engineer_id)
    zone = engineer_zone(engineer.time_zone)
    window = local_day_bounds(first, last, zone)
    hours = (await session.scalars(select(WorkingHours).where(WorkingHours.engineer_id == engineer.id))).all()
    absences = (
        await session.scalars(
            select(Absence).where(
                Absence.engineer_id == engineer.id, Absence.starts_at < window.ends, Absence.ends_at > window.starts
            )
        )
    ).all()
    days = availability(
        [WeeklyInterval(h.weekday, h.starts, h.ends) for h in hours],
        [Interval(a.starts_at, a.ends_at) for a in absences],
        zone,
        first,
        last,
    )
    return EngineerAvailability(engineer=engineer, first=first, last=last, days=days)


def _day(value: str | None, field: str) -> dt.date:
    if value is None:
        raise Invalid("validation_failed", f"the query parameter {field!r} is required (YYYY-MM-DD)", field=field)
    try:
        if len(value) != 10:  # fromisoformat would also take "20250101"
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid("validation_failed", f"{field}: {value!r} is not a date YYYY-MM-DD", field=field) from None


def _check_range(first: dt.date, last: dt.date) -> None:
    if last < first:
        raise Invalid(Code.ENDS_BEFORE_STARTS, "'to' must not be before 'from'", field="to")
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid(Code.DATE_RANGE_TOO_LONG, f"ask for at most {MAX_DAYS} days at a time", field="to")
