"""Response shapes for engineers, their absences and availability."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

import msgspec

from masterdata.availability import DayAvailability
from masterdata.models import Absence
from masterdata.services.absences import EngineerAvailability
from masterdata.services.engineers import EngineerView


class SkillOut(msgspec.Struct, kw_only=True):
    skill: str
    level: int


class CertificationOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    issued_on: dt.date | None
    expires_on: dt.date
    valid: bool


class WorkingHoursOut(msgspec.Struct, kw_only=True):
    weekday: int
    starts: str
    ends: str


class EngineerOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    name: str
    user_id: UUID | None
    email: str | None
    phone: str | None
    home_latitude: float
    home_longitude: float
    home_address: str | None
    territory: str | None
    time_zone: str
    cost_rate: Decimal
    currency: str
    active: bool
    lunch_minutes: int | None
    lunch_window_start: str | None
    lunch_window_end: str | None
    max_overtime_minutes: int
    overtime_rate_multiplier: Decimal
    skills: list[SkillOut]
    certifications: list[CertificationOut]
    working_hours: list[WorkingHoursOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class AbsenceOut(msgspec.Struct, kw_only=True):
    id: UUID
    engineer_id: UUID
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str
    created_at: dt.datetime


class IntervalOut(msgspec.Struct, kw_only=True):
    starts: dt.datetime
    ends: dt.datetime


class DayOut(msgspec.Struct, kw_only=True):
    date: dt.date
    minutes: int
    intervals: list[IntervalOut]


class AvailabilityOut(msgspec.Struct, kw_only=True):
    engineer_id: UUID
    time_zone: str
    first: dt.date = msgspec.field(name="from")
    last: dt.date = msgspec.field(name="to")
    days: list[DayOut]


def wall_time(value: dt.time) -> str:
    return value.isoformat(timespec="minutes" if value.second == 0 else "seconds")


def engineer_out(view: EngineerView) -> EngineerOut:
    e = view.engineer
    return EngineerOut(
        id=e.id,
        number=e.number,
        name=e.name,
        user_id=e.user_id,
        email=e.email,
        phone=e.phone,
        home_latitude=e.home_latitude,
        home_longitude=e.home_longitude,
        home_address=e.home_address,
        territory=e.territory,
        time_zone=e.time_zone,
        cost_rate=e.cost_rate,
        currency=e.currency,
        active=e.active,
        lunch_minutes=e.lunch_minutes,
        lunch_window_start=wall_time(e.lunch_window_start) if e.lunch_window_start is not None else None,
        lunch_window_end=wall_time(e.lunch_window_end) if e.lunch_window_end is not None else None,
        max_overtime_minutes=e.max_overtime_minutes,
        overtime_rate_multiplier=e.overtime_rate_multiplier,
        skills=[SkillOut(skill=s.skill, level=s.level) for s in view.skills],
        certifications=[
            CertificationOut(
                id=c.certification.id,
                name=c.certification.name,
                issued_on=c.certification.issued_on,
                expires_on=c.certification.expires_on,
                valid=c.valid,
            )
            for c in view.certifications
        ],
        working_hours=[
            WorkingHoursOut(weekday=h.weekday, starts=wall_time(h.starts), ends=wall_time(h.ends))
            for h in view.working_hours
        ],
        version=e.version,
        created_at=e.created_at,
        updated_at=e.updated_at,
    )


def absence_out(absence: Absence) -> AbsenceOut:
    return AbsenceOut(
        id=absence.id,
        engineer_id=absence.engineer_id,
        starts_at=absence.starts_at,
        ends_at=absence.ends_at,
        reason=absence.reason,
        created_at=absence.created_at,
    )


def _day_out(day: DayAvailability) -> DayOut:
    return DayOut(
        date=day.day,
        minutes=int(day.working_time.total_seconds() // 60),
        intervals=[IntervalOut(starts=i.starts, ends=i.ends) for i in day.intervals],
    )


def availability_out(result: EngineerAvailability) -> AvailabilityOut:
    return AvailabilityOut(
        engineer_id=result.engineer.id,
        time_zone=result.engineer.time_zone,
        first=result.first,
        last=result.last,
        days=[_day_out(day) for day in result.days],
    )
