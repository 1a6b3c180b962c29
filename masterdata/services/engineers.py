"""Engineers as resources: master data, skills, certifications and the weekly working pattern.

Skills, certifications and working hours are edited with their engineer: a create or PATCH
body carries them as lists, and a list that is sent replaces the old one. A technician sees
only its own engineer record; any other answers 404.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta
from sqlalchemy import Select, delete, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal, Role
from core.clock import SYSTEM_CLOCK, Clock
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, Invalid, NotFound
from core.fields import CurrencyCode, Email, Latitude, Longitude, Name, Phone, Version
from core.listing import Page, PageRequest, paginate
from core.numbering import next_number
from core.time_zones import checked_zone
from masterdata.errors import Code
from masterdata.models import Certification, Engineer, EngineerSkill, User, WorkingHours

SkillCode = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="lowercase snake_case, e.g. hvac")]
SkillLevel = Annotated[int, Meta(ge=1, le=5, description="1 (trainee) to 5 (expert)")]
Weekday = Annotated[int, Meta(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
WallTime = Annotated[
    str, Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$", description="local time HH:MM in the engineer's zone")
]
TimeZoneName = Annotated[str, Meta(min_length=1, max_length=64, description="IANA zone, e.g. Europe/Berlin")]
Territory = Annotated[str, Meta(min_length=1, max_length=64)]
Address = Annotated[str, Meta(max_length=300)]
CertificationName = Annotated[str, Meta(min_length=1, max_length=100)]
CostRate = Annotated[Decimal, Meta(description='hourly cost as a decimal string, e.g. "55.00"; at least 0')]

MAX_COST_RATE = Decimal("99999999.99")  # Numeric(10, 2)
LunchMinutes = Annotated[int, Meta(ge=1, le=240, description="length of the daily lunch break")]
OvertimeMinutes = Annotated[int, Meta(ge=0, le=720, description="overtime allowed per day beyond the shift")]
OvertimeRate = Annotated[
    Decimal, Meta(description='overtime cost as a multiple of the normal rate, "1.00" to "10.00", e.g. "1.50"')
]
LUNCH_FIELDS = ("lunch_minutes", "lunch_window_start", "lunch_window_end")
WALL_TIMES = frozenset({"lunch_window_start", "lunch_window_end"})


class SkillIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    skill: SkillCode
    level: SkillLevel


class CertificationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: CertificationName
    issued_on: dt.date | None = None
    expires_on: dt.date


class WorkingHoursIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    weekday: Weekday
    starts: WallTime
    ends: WallTime


Skills = Annotated[list[SkillIn], Meta(max_length=100)]
Certifications = Annotated[list[CertificationIn], Meta(max_length=100)]
Hours = Annotated[list[WorkingHoursIn], Meta(max_length=50)]


class EngineerCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    home_latitude: Latitude
    home_longitude: Longitude
    time_zone: TimeZoneName
    cost_rate: CostRate
    currency: CurrencyCode
    user_id: UUID | None = None
    email: Email | None = None
    phone: Phone | None = None
    home_address: Address | None = None
    territory: Territory | None = None
    active: bool = True
    lunch_minutes: LunchMinutes | None = None
    lunch_window_start: WallTime | None = None
    lunch_window_end: WallTime | None = None
    max_overtime_minutes: OvertimeMinutes = 0
    overtime_rate_multiplier: OvertimeRate = Decimal("1.00")
    skills: Skills = msgspec.field(default_factory=list)
    certifications: Certifications = msgspec.field(default_factory=list)
    working_hours: Hours = msgspec.field(default_factory=list)


class EngineerUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    name: Name | msgspec.UnsetType = msgspec.UNSET
    home_latitude: Latitude | msgspec.UnsetType = msgspec.UNSET
    home_longitude: Longitude | msgspec.UnsetType = msgspec.UNSET
    time_zone: TimeZoneName | msgspec.UnsetType = msgspec.UNSET
    cost_rate: CostRate | msgspec.UnsetType = msgspec.UNSET
    currency: CurrencyCode | msgspec.UnsetType = msgspec.UNSET
    user_id: UUID | msgspec.UnsetType | None = msgspec.UNSET
    email: Email | msgspec.UnsetType | None = msgspec.UNSET
    phone: Phone | msgspec.UnsetType | None = msgspec.UNSET
    home_address: Address | msgspec.UnsetType | None = msgspec.UNSET
    territory: Territory | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    lunch_minutes: LunchMinutes | msgspec.UnsetType | None = msgspec.UNSET
    lunch_window_start: WallTime | msgspec.UnsetType | None = msgspec.UNSET
    lunch_window_end: WallTime | msgspec.UnsetType | None = msgspec.UNSET
    max_overtime_minutes: OvertimeMinutes | msgspec.UnsetType = msgspec.UNSET
    overtime_rate_multiplier: OvertimeRate | msgspec.UnsetType = msgspec.UNSET
    skills: Skills | msgspec.UnsetType = msgspec.UNSET
    certifications: Certifications | msgspec.UnsetType = msgspec.UNSET
    working_hours: Hours | msgspec.UnsetType = msgspec.UNSET


class EngineerFilter(msgspec.Struct, kw_only=True):
    q: str | None = None
    territory: str | None = None
    skill: str | None = None
    min_level: int | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True)
class CertificationView:
    certification: Certification
    valid: bool  # issued and not expired on the engineer's local today


@dataclass(frozen=True, slots=True)
class EngineerView:
    """An engineer with its skills, certifications and weekly pattern, as the API shows it."""

    engineer: Engineer
    skills: Sequence[EngineerSkill]
    certifications: Sequence[CertificationView]
    working_hours: Sequence[WorkingHours]


NESTED = frozenset({"skills", "certifications", "working_hours"})
SORTABLE = {"number": Engineer.number, "name": Engineer.name}


def engineer_zone(name: str, field: str = "time_zone") -> ZoneInfo:
    return checked_zone(name, field)


def certification_valid(certification: Certification, today: dt.date) -> bool:
    issued = certification.issued_on is None or certification.issued_on <= today
    return issued and today <= certification.expires_on


async def find_engineer(
    session: AsyncSession, principal: Principal, engineer_id: UUID, *, lock: bool = False
) -> Engineer:
    """The engineer row if the principal may see it (technicians: only their own), else 404."""
    if not _may_see(principal, engineer_id):
        raise NotFound("engineer", engineer_id)
    engineer = await session.get(Engineer, engineer_id, with_for_update=lock or None)
    if engineer is None:
        raise NotFound("engineer", engineer_id)
    return engineer


def _may_see(principal: Principal, engineer_id: UUID) -> bool:
    if principal.is_customer:
        return False
    return not principal.is_technician or principal.engineer_id == engineer_id


def _scope(stmt: Select[Any], principal: Principal) -> Select[Any]:
    if principal.is_customer:
        return stmt.where(false())
    if principal.is_technician:
        return stmt.where(Engineer.id == principal.engineer_id) if principal.engineer_id else stmt.where(false())
    return stmt


async def get_engineer(
    session: AsyncSession, principal: Principal, engineer_id: UUID, *, clock: Clock = SYSTEM_CLOCK
) -> EngineerView:
    engineer = await find_engineer(session, principal, engineer_id)
    return (await _views(session, [engineer], clock))[0]


async def list_engineers(
    session: AsyncSession,
    principal: Principal,
    filters: EngineerFilter,
    page: PageRequest,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> Page[EngineerView]:
    stmt = _scope(select(Engineer), principal)
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        stmt = stmt.where(or_(func.lower(Engineer.name).like(pattern), func.lower(Engineer.number).like(pattern)))
    if filters.territory:
        stmt = stmt.where(Engineer.territory == filters.territory)
    if filters.active is not None:
        stmt = stmt.where(Engineer.active.is_(filters.active))
    stmt = _filter_skill(stmt, filters)
    found = await paginate(session, stmt, page, sortable=SORTABLE, default_sort="number", tie_breaker=Engineer.id)
    views = await _views(session, list(found.items), clock)
    return Page(items=views, total=found.total, limit=found.limit, offset=found.offset)


def _filter_skill(stmt: Select[Any], filters: EngineerFilter) -> Select[Any]:
    if filters.skill is None:
        if filters.min_level is not None:
            raise Invalid(Code.MIN_LEVEL_WITHOUT_SKILL, "min_level needs a skill to apply to", field="min_level")
        return stmt
    has_skill = exists().where(EngineerSkill.engineer_id == Engineer.id, EngineerSkill.skill == filters.skill)
    if filters.min_level is not None:
        has_skill = has_skill.where(EngineerSkill.level >= filters.min_level)
    return stmt.where(has_skill)


async def create_engineer(
    session: AsyncSession, actor: Principal, data: EngineerCreate, *, clock: Clock = SYSTEM_CLOCK
) -> EngineerView:
    engineer_zone(data.time_zone)
    _check_cost_rate(data.cost_rate)
    fields = _wall_times({name: getattr(data, name) for name in data.__struct_fields__ if name not in NESTED})
    _check_dispatch_rules(fields)
    hours = _checked_hours(data.working_hours)
    _check_skills(data.skills)
    _check_certifications(data.certifications)
    if data.user_id is not None:
        await _check_user(session, data.user_id, engineer_id=None)
    engineer = Engineer(
        number=await next_number(session, "engineer"),
        **fields,
    )
    session.add(engineer)
    await session.flush()
    _add_children(session, engineer.id, skills=data.skills, certifications=data.certifications, hours=hours)
    await session.flush()
    view = (await _views(session, [engineer], clock))[0]
    await audit.record(
        session, actor, "engineer", engineer.id, "create", after=audit.snapshot(engineer) | _children_snapshot(view)
    )
    return view


async def update_engineer(
    session: AsyncSession, actor: Principal, engineer_id: UUID, data: EngineerUpdate, *, clock: Clock = SYSTEM_CLOCK
) -> EngineerView:
    engineer = await find_engineer(session, actor, engineer_id, lock=True)
    check_version("engineer", engineer, data.version)
    changes = sent_fields(data)
    hours = await _validate_changes(session, engineer, changes)
    before_view = (await _views(session, [engineer], clock))[0]
    before = audit.snapshot(engineer) | _children_snapshot(before_view)
    nested = {name: changes.pop(name) for name in NESTED & changes.keys()}
    apply(engineer, changes)
    if nested:
        await _replace_children(session, engineer.id, nested, hours)
        # Nested rows live in other tables; touching the engineer bumps its version, so a
        # concurrent editor of the same lists gets a stale-version conflict.
        engineer.updated_at = clock.now()
    await session.flush()
    view = (await _views(session, [engineer], clock))[0]
    old, new = audit.changed(before, audit.snapshot(engineer) | _children_snapshot(view))
    await audit.record(session, actor, "engineer", engineer.id, "update", before=old, after=new)
    return view


async def _validate_changes(
    session: AsyncSession, engineer: Engineer, changes: dict[str, Any]
) -> list[tuple[int, dt.time, dt.time]] | None:
    if "time_zone" in changes:
        engineer_zone(changes["time_zone"])
    if "cost_rate" in changes:
        _check_cost_rate(changes["cost_rate"])
    if "skills" in changes:
        _check_skills(changes["skills"])
    if "certifications" in changes:
        _check_certifications(changes["certifications"])
    if changes.get("user_id") is not None and changes["user_id"] != engineer.user_id:
        await _check_user(session, changes["user_id"], engineer_id=engineer.id)
    changes.update(_wall_times({k: v for k, v in changes.items() if k in WALL_TIMES}))
    if changes.keys() & {*LUNCH_FIELDS, "overtime_rate_multiplier"}:
        current = {name: getattr(engineer, name) for name in (*LUNCH_FIELDS, "overtime_rate_multiplier")}
        _check_dispatch_rules(current | {k: v for k, v in changes.items() if k in current})
    return _checked_hours(changes["working_hours"]) if "working_hours" in changes else None


def _check_cost_rate(value: Decimal) -> None:
    if not value.is_finite() or value < 0 or value > MAX_COST_RATE or value != value.quantize(Decimal("0.01")):
        raise Invalid(
            Code.INVALID_AMOUNT,
            f"cost_rate must be an amount from 0 to {MAX_COST_RATE} with at most 2 decimals",
            field="cost_rate",
        )


def _wall_times(fields: dict[str, Any]) -> dict[str, Any]:
    """The lunch window's "HH:MM" texts as times (the column type)."""
    return fields | {k: dt.time.fromisoformat(v) for k, v in fields.items() if k in WALL_TIMES and v is not None}


def _check_dispatch_rules(fields: dict[str, Any]) -> None:
    """Lunch: all three fields or none, a window that holds the break; overtime rate 1.00-10.00."""
    lunch = [fields.get(name) for name in LUNCH_FIELDS]
    if any(v is not None for v in lunch) and any(v is None for v in lunch):
        missing = next(name for name, v in zip(LUNCH_FIELDS, lunch, strict=True) if v is None)
        raise Invalid(
            Code.LUNCH_INCOMPLETE,
            "a lunch break needs lunch_minutes, lunch_window_start and lunch_window_end (or none of them)",
            field=missing,
        )
    minutes, starts, ends = lunch
    if minutes is not None and starts is not None and ends is not None:
        if ends <= starts:
            raise Invalid(
                Code.ENDS_BEFORE_STARTS, "the lunch window must end after it starts", field="lunch_window_end"
            )
        span = (dt.datetime.combine(dt.date.min, ends) - dt.datetime.combine(dt.date.min, starts)).total_seconds()
        if span < minutes * 60:
            raise Invalid(
                Code.LUNCH_WINDOW_TOO_SHORT,
                f"a {minutes}-minute lunch does not fit in its window",
                field="lunch_window_end",
            )
    rate = fields.get("overtime_rate_multiplier")
    if rate is not None and (
        not rate.is_finite() or not Decimal(1) <= rate <= Decimal(10) or rate != rate.quantize(Decimal("0.01"))
    ):
        raise Invalid(
            Code.INVALID_AMOUNT,
            "overtime_rate_multiplier must be from 1.00 to 10.00 with at most 2 decimals",
            field="overtime_rate_multiplier",
        )


def _check_skills(skills: Sequence[SkillIn]) -> None:
    seen: set[str] = set()
    for index, item in enumerate(skills):
        if item.skill in seen:
            raise Invalid(Code.DUPLICATE_SKILL, f"skill {item.skill!r} is listed twice", field=f"skills[{index}].skill")
        seen.add(item.skill)


def _check_certifications(certifications: Sequence[CertificationIn]) -> None:
    for index, item in enumerate(certifications):
        if item.issued_on is not None and item.expires_on < item.issued_on:
            raise Invalid(
                Code.ENDS_BEFORE_STARTS,
                f"certification {item.name!r} expires before it was issued",
                field=f"certifications[{index}].expires_on",
            )


def _checked_hours(hours: Sequence[WorkingHoursIn]) -> list[tuple[int, dt.time, dt.time]]:
    """The pattern as (weekday, starts, ends); every interval positive, none overlapping on a weekday."""
    parsed = [(item.weekday, dt.time.fromisoformat(item.starts), dt.time.fromisoformat(item.ends)) for item in hours]
    for index, (_, starts, ends) in enumerate(parsed):
        if ends <= starts:
            raise Invalid(
                Code.ENDS_BEFORE_STARTS,
                "working hours must end after they start (split a night shift at midnight)",
                field=f"working_hours[{index}].ends",
            )
    ordered = sorted(range(len(parsed)), key=lambda i: (parsed[i][0], parsed[i][1]))
    for previous, current in itertools.pairwise(ordered):
        (day_a, _, ends_a), (day_b, starts_b, _) = parsed[previous], parsed[current]
        if day_a == day_b and starts_b < ends_a:
            raise Invalid(
                Code.OVERLAPPING_HOURS,
                f"working_hours[{current}] overlaps working_hours[{previous}] on weekday {day_a}",
                field=f"working_hours[{current}]",
            )
    return parsed


async def _check_user(session: AsyncSession, user_id: UUID, *, engineer_id: UUID | None) -> None:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("user", user_id, field="user_id")
    if user.role != Role.TECHNICIAN:
        raise Invalid(
            Code.USER_NOT_TECHNICIAN, f"user {user.username} has role {user.role}, not technician", field="user_id"
        )
    holder = await session.scalar(
        select(Engineer.number).where(Engineer.user_id == user_id, Engineer.id != engineer_id)
    )
    if holder is not None:
        raise Conflict(
            Code.USER_ALREADY_LINKED, f"user {user.username} is already linked to engineer {holder}", field="user_id"
        )


def _add_children(
    session: AsyncSession,
    engineer_id: UUID,
    *,
    skills: Sequence[SkillIn] | None = None,
    certifications: Sequence[CertificationIn] | None = None,
    hours: Sequence[tuple[int, dt.time, dt.time]] | None = None,
) -> None:
    session.add_all(EngineerSkill(engineer_id=engineer_id, skill=s.skill, level=s.level) for s in skills or [])
    session.add_all(
        Certification(engineer_id=engineer_id, name=c.name, issued_on=c.issued_on, expires_on=c.expires_on)
        for c in certifications or []
    )
    session.add_all(
        WorkingHours(engineer_id=engineer_id, weekday=day, starts=starts, ends=ends)
        for day, starts, ends in hours or []
    )


async def _replace_children(
    session: AsyncSession,
    engineer_id: UUID,
    nested: dict[str, Any],
    hours: Sequence[tuple[int, dt.time, dt.time]] | None,
) -> None:
    tables: dict[str, type[EngineerSkill | Certification | WorkingHours]] = {
        "skills": EngineerSkill,
        "certifications": Certification,
        "working_hours": WorkingHours,
    }
    for name in nested:
        model = tables[name]
        await session.execute(delete(model).where(model.engineer_id == engineer_id))
    # Deleted before inserting, so a kept (engineer, skill) or (weekday, starts) pair is not a duplicate.
    await session.flush()
    _add_children(
        session, engineer_id, skills=nested.get("skills"), certifications=nested.get("certifications"), hours=hours
    )


async def _views(session: AsyncSession, engineers: Sequence[Engineer], clock: Clock) -> list[EngineerView]:
    """Engineers with their nested rows, loaded in three queries for the whole page."""
    ids = [e.id for e in engineers]
    skills = await _grouped(
        session, select(EngineerSkill).where(EngineerSkill.engineer_id.in_(ids)).order_by(EngineerSkill.skill)
    )
    certifications = await _grouped(
        session,
        select(Certification)
        .where(Certification.engineer_id.in_(ids))
        .order_by(Certification.expires_on, Certification.name),
    )
    hours = await _grouped(
        session,
        select(WorkingHours)
        .where(WorkingHours.engineer_id.in_(ids))
        .order_by(WorkingHours.weekday, WorkingHours.starts),
    )
    now = clock.now()
    views = []
    for engineer in engineers:
        today = now.astimezone(ZoneInfo(engineer.time_zone)).date()
        views.append(
            EngineerView(
                engineer=engineer,
                skills=skills.get(engineer.id, []),
                certifications=[
                    CertificationView(c, certification_valid(c, today)) for c in certifications.get(engineer.id, [])
                ],
                working_hours=hours.get(engineer.id, []),
            )
        )
    return views


async def _grouped(session: AsyncSession, stmt: Select[Any]) -> dict[UUID, list[Any]]:
    grouped: dict[UUID, list[Any]] = {}
    for row in (await session.scalars(stmt)).all():
        grouped.setdefault(row.engineer_id, []).append(row)
    return grouped


def _children_snapshot(view: EngineerView) -> dict[str, Any]:
    return {
        "skills": [{"skill": s.skill, "level": s.level} for s in view.skills],
        "certifications": [
            {
                "name": c.certification.name,
                "issued_on": c.certification.issued_on,
                "expires_on": c.certification.expires_on,
            }
            for c in view.certifications
        ],
        "working_hours": [{"weekday": h.weekday, "starts": h.starts, "ends": h.ends} for h in view.working_hours],
    }
