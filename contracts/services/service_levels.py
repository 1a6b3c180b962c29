"""Service levels: response and resolution targets per priority, counted in a coverage calendar.

A service level always has a target for each of P1–P4, so that an entitlement answer never
lacks due times for a request that is covered. `load_service_level_facts` turns stored levels
into the plain facts the entitlement rule works on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, NoReturn
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import Priority
from contracts.entitlement_rule import ServiceLevelFacts, Target
from contracts.errors import Code
from contracts.models import ContractLine, CoverageCalendarRecord, ServiceLevel, ServiceLevelTarget, WarrantyTerm
from contracts.services.calendars import RecordCode, to_calendar
from core import audit
from core.auth import Principal
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, Invalid, NotFound
from core.fields import Name, Version
from core.listing import Page, PageRequest, paginate

# A target longer than a year of business time is a typo, and would make due-time searches slow.
MAX_TARGET_MINUTES = 366 * 24 * 60
# Where neither the calendar nor the caller names a zone, the SLA clock runs in UTC.
DEFAULT_TIME_ZONE = "UTC"


class TargetIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    priority: Priority
    response_minutes: Annotated[int, Meta(description="business minutes until the first response, > 0")]
    resolution_minutes: Annotated[int, Meta(description="business minutes until resolution, >= response_minutes")]


Targets = Annotated[list[TargetIn], Meta(max_length=10, description="one target for each of P1, P2, P3, P4")]


class ServiceLevelCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: RecordCode
    name: Name
    calendar_id: UUID
    targets: Targets
    pause_on_customer_wait: bool = True


class ServiceLevelUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Targets, when sent, replace all four targets."""

    version: Version
    code: RecordCode | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    calendar_id: UUID | msgspec.UnsetType = msgspec.UNSET
    targets: Targets | msgspec.UnsetType = msgspec.UNSET
    pause_on_customer_wait: bool | msgspec.UnsetType = msgspec.UNSET


@dataclass(frozen=True, slots=True)
class ServiceLevelView:
    """A service level with its targets, P1 first (the model has no relationship to load them)."""

    level: ServiceLevel
    targets: Sequence[ServiceLevelTarget]


SORTABLE = {"code": ServiceLevel.code, "name": ServiceLevel.name, "created_at": ServiceLevel.created_at}
_PRIORITY_ORDER = {priority.value: rank for rank, priority in enumerate(Priority)}


# --- reading ------------------------------------------------------------------------------


async def get_service_level(session: AsyncSession, level_id: UUID) -> ServiceLevelView:
    level = await _level(session, level_id)
    return ServiceLevelView(level, (await _targets_of(session, [level.id]))[level.id])


async def list_service_levels(
    session: AsyncSession, q: str | None, calendar_id: UUID | None, page: PageRequest
) -> Page[ServiceLevelView]:
    stmt = select(ServiceLevel)
    if q:
        pattern = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(ServiceLevel.code).like(pattern), func.lower(ServiceLevel.name).like(pattern)))
    if calendar_id is not None:
        stmt = stmt.where(ServiceLevel.calendar_id == calendar_id)
    found = await paginate(session, stmt, page, sortable=SORTABLE, default_sort="code", tie_breaker=ServiceLevel.id)
    targets = await _targets_of(session, [level.id for level in found.items])
    views = [ServiceLevelView(level, targets[level.id]) for level in found.items]
    return Page(items=views, total=found.total, limit=found.limit, offset=found.offset)


async def load_service_level_facts(
    session: AsyncSession, ids: Iterable[UUID], time_zone_for_site: str | None = None
) -> dict[UUID, ServiceLevelFacts]:
    """The levels as rule facts, keyed by id; unknown ids are left out.

    A calendar without its own time zone runs in `time_zone_for_site` (the zone of the site
    the request is about), or in UTC when that is not known either. Two queries, whatever
    the number of levels.
    """
    wanted = set(ids)
    if not wanted:
        return {}
    rows = (
        await session.execute(
            select(ServiceLevel, CoverageCalendarRecord)
            .join(CoverageCalendarRecord, CoverageCalendarRecord.id == ServiceLevel.calendar_id)
            .where(ServiceLevel.id.in_(wanted))
        )
    ).all()
    targets = await _targets_of(session, [level.id for level, _record in rows])
    fallback = time_zone_for_site or DEFAULT_TIME_ZONE
    return {
        level.id: ServiceLevelFacts(
            id=level.id,
            name=level.name,
            calendar=to_calendar(record, fallback),
            targets={
                Priority(t.priority): Target(
                    response=dt.timedelta(minutes=t.response_minutes),
                    resolution=dt.timedelta(minutes=t.resolution_minutes),
                )
                for t in targets[level.id]
            },
        )
        for level, record in rows
    }


async def _level(session: AsyncSession, level_id: UUID) -> ServiceLevel:
    level = await session.get(ServiceLevel, level_id)
    if level is None:
        raise NotFound("service_level", level_id)
    return level


async def _targets_of(session: AsyncSession, level_ids: list[UUID]) -> dict[UUID, list[ServiceLevelTarget]]:
    found: dict[UUID, list[ServiceLevelTarget]] = {level_id: [] for level_id in level_ids}
    if not level_ids:
        return found
    rows = await session.scalars(select(ServiceLevelTarget).where(ServiceLevelTarget.service_level_id.in_(level_ids)))
    for target in rows:
        found[target.service_level_id].append(target)
    for targets in found.values():
        targets.sort(key=lambda t: _PRIORITY_ORDER[t.priority])
    return found


# --- changing -----------------------------------------------------------------------------


async def create_service_level(session: AsyncSession, actor: Principal, data: ServiceLevelCreate) -> ServiceLevelView:
    await _check_code_free(session, data.code)
    await _check_calendar(session, data.calendar_id)
    _check_targets(data.targets)
    level = ServiceLevel(
        code=data.code,
        name=data.name,
        calendar_id=data.calendar_id,
        pause_on_customer_wait=data.pause_on_customer_wait,
    )
    session.add(level)
    await session.flush()
    targets = _add_targets(session, level, data.targets)
    await session.flush()
    await audit.record(session, actor, "service_level", level.id, "create", after=_snapshot(level, targets))
    return ServiceLevelView(level, targets)


async def update_service_level(
    session: AsyncSession, actor: Principal, level_id: UUID, data: ServiceLevelUpdate
) -> ServiceLevelView:
    view = await get_service_level(session, level_id)
    level = view.level
    check_version("service_level", level, data.version)
    before = _snapshot(level, view.targets)
    changes = sent_fields(data, exclude=frozenset({"version", "targets"}))
    if "code" in changes and changes["code"] != level.code:
        await _check_code_free(session, changes["code"])
    if "calendar_id" in changes:
        await _check_calendar(session, changes["calendar_id"])
    targets = list(view.targets)
    if not isinstance(data.targets, msgspec.UnsetType):
        _check_targets(data.targets)
        await session.execute(delete(ServiceLevelTarget).where(ServiceLevelTarget.service_level_id == level.id))
        targets = _add_targets(session, level, data.targets)
        # The targets live in their own rows; touching the level makes its version count the change.
        level.updated_at = dt.datetime.now(dt.UTC)
    apply(level, changes)
    await session.flush()
    old, new = audit.changed(before, _snapshot(level, targets))
    await audit.record(session, actor, "service_level", level.id, "update", before=old, after=new)
    return ServiceLevelView(level, targets)


async def delete_service_level(session: AsyncSession, actor: Principal, level_id: UUID) -> None:
    view = await get_service_level(session, level_id)
    dependents = await _dependents(session, level_id)
    if dependents:
        listed = ", ".join(f"{count} {name}" for name, count in dependents.items())
        raise Conflict(
            Code.IN_USE,
            f"service level {view.level.code} is still used by {listed}",
            extra={"dependents": dependents},
        )
    before = _snapshot(view.level, view.targets)
    await session.execute(delete(ServiceLevelTarget).where(ServiceLevelTarget.service_level_id == level_id))
    await session.delete(view.level)
    await session.flush()
    await audit.record(session, actor, "service_level", level_id, "delete", before=before)


async def _dependents(session: AsyncSession, level_id: UUID) -> dict[str, int]:
    checks = {"warranty_terms": WarrantyTerm.service_level_id, "contract_lines": ContractLine.service_level_id}
    found: dict[str, int] = {}
    for name, column in checks.items():
        count = await session.scalar(select(func.count()).where(column == level_id))
        if count:
            found[name] = int(count)
    return found


def _add_targets(session: AsyncSession, level: ServiceLevel, targets: list[TargetIn]) -> list[ServiceLevelTarget]:
    rows = [
        ServiceLevelTarget(
            service_level_id=level.id,
            priority=t.priority.value,
            response_minutes=t.response_minutes,
            resolution_minutes=t.resolution_minutes,
        )
        for t in sorted(targets, key=lambda t: _PRIORITY_ORDER[t.priority.value])
    ]
    session.add_all(rows)
    return rows


def _snapshot(level: ServiceLevel, targets: Sequence[ServiceLevelTarget]) -> dict[str, object]:
    return {
        **audit.snapshot(level),
        "targets": {t.priority: [t.response_minutes, t.resolution_minutes] for t in targets},
    }


async def _check_code_free(session: AsyncSession, code: str) -> None:
    if await session.scalar(select(ServiceLevel.id).where(ServiceLevel.code == code)) is not None:
        raise Conflict(Code.DUPLICATE_CODE, f"a service level with code {code!r} exists", field="code")


async def _check_calendar(session: AsyncSession, calendar_id: UUID) -> None:
    if await session.get(CoverageCalendarRecord, calendar_id) is None:
        raise NotFound("coverage_calendar", calendar_id, field="calendar_id")


def _check_targets(targets: list[TargetIn]) -> None:
    seen: set[Priority] = set()
    for index, target in enumerate(targets):
        field = f"targets[{index}]"
        if target.priority in seen:
            _refuse(f"{field}.priority", f"{target.priority.value} is given more than once")
        seen.add(target.priority)
        if not 0 < target.response_minutes <= MAX_TARGET_MINUTES:
            _refuse(f"{field}.response_minutes", f"must be between 1 and {MAX_TARGET_MINUTES}")
        if not target.response_minutes <= target.resolution_minutes <= MAX_TARGET_MINUTES:
            _refuse(
                f"{field}.resolution_minutes",
                f"must be at least response_minutes ({target.response_minutes}) and at most {MAX_TARGET_MINUTES}",
            )
    missing = [p.value for p in Priority if p not in seen]
    if missing:
        _refuse("targets", f"a target is needed for every priority; missing: {', '.join(missing)}")


def _refuse(field: str, problem: str) -> NoReturn:
    raise Invalid(Code.INVALID_TARGETS, f"{field}: {problem}", field=field)
