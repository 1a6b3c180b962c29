"""Entitlement: load the facts for one request, decide with the pure rule, consume quota.

A check is on the path of every call an agent logs, so the facts come in two statements
whatever the customer holds: the unit's warranties (with their terms, the service level of
each for the requested priority, and the latest reading of a counter that limits one), and
the customer's contract lines (with their contract, service level, whether the unit is
listed, and the quota used around the current period). Service levels are read for the
requested priority only: the decision needs no other target.

Lock order for consumption (documented in docs/architecture.md): contract → line → usage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Date, Select, String, and_, bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from contracts.choices import ContractStatus, Priority, QuotaPeriod
from contracts.entitlement_rule import (
    ContractLineFacts,
    Coverage,
    Decision,
    EntitlementRequest,
    Quotas,
    ServiceLevelFacts,
    ServiceObject,
    Target,
    WarrantyFacts,
    decide,
)
from contracts.models import (
    ContractLine,
    ContractLineEquipment,
    CoverageCalendarRecord,
    EntitlementUsage,
    ServiceContract,
    ServiceLevel,
    ServiceLevelTarget,
    Warranty,
    WarrantyTerm,
)
from contracts.quota_periods import period_start
from contracts.services.calendars import calendar_from
from core.calendars import CoverageCalendar
from masterdata.models import Counter, CounterReading

# The current quota period of a yearly or monthly quota started less than this before the day
# of the request; a term quota's (and a not yet started contract's) period starts with the contract.
_PERIOD_REACH = dt.timedelta(days=367)


@dataclass(frozen=True, slots=True)
class ObjectFacts:
    """What service_mgmt knows about the object of a request (contracts cannot look it up)."""

    customer_id: UUID
    equipment_id: UUID | None
    site_id: UUID | None
    product_family: str | None
    time_zone: str  # the site's zone; calendars without a zone of their own run in it
    # Readings by counter name; None: the latest reading of each counter a warranty is limited by.
    counters: Mapping[str, Decimal] | None = None


async def check_entitlement(
    session: AsyncSession, obj: ObjectFacts, service_type: str, priority: Priority, moment: dt.datetime
) -> Decision:
    day = moment.astimezone(dt.UTC).date()
    levels = _Levels(obj.time_zone, priority)
    # Plain columns, read on the session's connection: Session.execute would take them through
    # the ORM, whose per-statement work costs about as much as the database answering. Pending
    # changes are flushed first, as autoflush would.
    await session.flush()
    connection = await session.connection()
    warranties, readings = await _warranties(connection, obj.equipment_id, levels)
    lines = await _lines(connection, obj, day, levels)
    request = EntitlementRequest(
        object=ServiceObject(
            customer_id=obj.customer_id,
            equipment_id=obj.equipment_id,
            site_id=obj.site_id,
            product_family=obj.product_family,
            counters=readings if obj.counters is None else obj.counters,
        ),
        service_type=service_type,
        priority=priority,
        moment=moment,
    )
    return decide(request, warranties, lines)


# -- loading facts ----------------------------------------------------------------------------
# The two statements are built once: building and hashing a statement of this size costs more
# Python time than the database spends answering it, and a prebuilt statement finds its
# compiled form in SQLAlchemy's cache at once.


def _with_level(stmt: Select[Any], level_id: InstrumentedAttribute[UUID | None]) -> Select[Any]:
    """`stmt` with the level, its calendar and its target for the requested priority outer-joined."""
    return (
        stmt.outerjoin(ServiceLevel, ServiceLevel.id == level_id)
        .outerjoin(CoverageCalendarRecord, CoverageCalendarRecord.id == ServiceLevel.calendar_id)
        .outerjoin(
            ServiceLevelTarget,
            and_(
                ServiceLevelTarget.service_level_id == ServiceLevel.id,
                ServiceLevelTarget.priority == bindparam("priority", type_=String),
            ),
        )
    )


_LEVEL_COLUMNS = (
    ServiceLevel.id.label("level_id"),
    ServiceLevel.name.label("level_name"),
    CoverageCalendarRecord.time_zone.label("calendar_time_zone"),
    CoverageCalendarRecord.windows,
    CoverageCalendarRecord.holiday_country,
    CoverageCalendarRecord.holiday_subdivision,
    CoverageCalendarRecord.closures,
    ServiceLevelTarget.response_minutes,
    ServiceLevelTarget.resolution_minutes,
)
_EQUIPMENT_ID = bindparam("equipment_id", type_=Warranty.equipment_id.type)

_LATEST_READING = (
    select(CounterReading.value)
    .join(Counter, Counter.id == CounterReading.counter_id)
    .where(Counter.equipment_id == Warranty.equipment_id, Counter.name == Warranty.counter_name)
    .order_by(CounterReading.read_at.desc(), CounterReading.id.desc())
    .limit(1)
    .scalar_subquery()
)
_WARRANTIES = (
    _with_level(
        select(
            Warranty.id,
            Warranty.equipment_id,
            Warranty.kind,
            Warranty.starts_on,
            Warranty.ends_on,
            Warranty.counter_name,
            Warranty.counter_limit,
            WarrantyTerm.labour_pct,
            WarrantyTerm.parts_pct,
            WarrantyTerm.travel_pct,
            _LATEST_READING.label("reading"),
            *_LEVEL_COLUMNS,
        ).join(WarrantyTerm, WarrantyTerm.id == Warranty.term_id),
        WarrantyTerm.service_level_id,
    )
    .where(Warranty.equipment_id == _EQUIPMENT_ID, Warranty.void.is_(False))
    .order_by(Warranty.starts_on, Warranty.id)
)

# A line comes back once per usage row near the current period (or once, without usage);
# the rows of the period the day falls in are summed in `_line_facts`.
_NEAR_PERIOD = or_(
    EntitlementUsage.period_start == ServiceContract.starts_on,
    EntitlementUsage.period_start.between(bindparam("reach_from", type_=Date), bindparam("day", type_=Date)),
)
_LISTED = exists().where(
    ContractLineEquipment.line_id == ContractLine.id, ContractLineEquipment.equipment_id == _EQUIPMENT_ID
)
_LINES = (
    _with_level(
        select(
            ContractLine.id,
            ContractLine.site_id,
            ContractLine.product_family,
            ContractLine.labour_pct,
            ContractLine.parts_pct,
            ContractLine.travel_pct,
            ContractLine.quota_period,
            ContractLine.quota_visits,
            ContractLine.quota_hours,
            ContractLine.quota_parts_value,
            ContractLine.excluded_service_types,
            ServiceContract.id.label("contract_id"),
            ServiceContract.number,
            ServiceContract.status,
            ServiceContract.customer_id,
            ServiceContract.starts_on,
            ServiceContract.ends_on,
            _LISTED.label("listed"),
            EntitlementUsage.period_start.label("used_in"),
            EntitlementUsage.visits.label("used_visits"),
            EntitlementUsage.hours.label("used_hours"),
            EntitlementUsage.parts_value.label("used_parts"),
            *_LEVEL_COLUMNS,
        )
        .join(ServiceContract, ServiceContract.id == ContractLine.contract_id)
        .outerjoin(EntitlementUsage, and_(EntitlementUsage.line_id == ContractLine.id, _NEAR_PERIOD)),
        ContractLine.service_level_id,
    )
    .where(
        ServiceContract.customer_id == bindparam("customer_id", type_=ServiceContract.customer_id.type),
        # A draft can never cover anything, so it is no candidate. ("Not draft" rather than an
        # IN list of the others: an IN list is rendered anew for every execution.)
        ServiceContract.status != ContractStatus.DRAFT.value,
    )
    .order_by(ServiceContract.number, ContractLine.created_at, ContractLine.id)
)


class _Levels:
    """Service levels from joined columns, built once per level and check."""

    def __init__(self, time_zone: str, priority: Priority) -> None:
        self.time_zone = time_zone
        self.priority = priority
        self.built: dict[UUID, ServiceLevelFacts] = {}

    def facts(self, row: Any) -> ServiceLevelFacts | None:
        if row.level_id is None:
            return None
        if row.level_id not in self.built:
            targets = {}
            if row.response_minutes is not None:
                targets[self.priority] = Target(
                    response=dt.timedelta(minutes=row.response_minutes),
                    resolution=dt.timedelta(minutes=row.resolution_minutes),
                )
            self.built[row.level_id] = ServiceLevelFacts(
                id=row.level_id, name=row.level_name, calendar=self._calendar(row), targets=targets
            )
        return self.built[row.level_id]

    def _calendar(self, row: Any) -> CoverageCalendar:
        return calendar_from(
            row.calendar_time_zone or self.time_zone,
            tuple((int(w["weekday"]), str(w["start"]), str(w["end"])) for w in row.windows),
            row.holiday_country,
            row.holiday_subdivision,
            tuple(row.closures),
        )


async def _warranties(
    connection: AsyncConnection, equipment_id: UUID | None, levels: _Levels
) -> tuple[list[WarrantyFacts], dict[str, Decimal]]:
    """The unit's warranties as facts, and the latest reading of each counter that limits one."""
    if equipment_id is None:
        return [], {}
    rows = await connection.execute(_WARRANTIES, {"equipment_id": equipment_id, "priority": levels.priority.value})
    warranties: list[WarrantyFacts] = []
    readings: dict[str, Decimal] = {}
    for row in rows:
        warranties.append(
            WarrantyFacts(
                id=row.id,
                equipment_id=row.equipment_id,
                kind=row.kind,
                starts_on=row.starts_on,
                ends_on=row.ends_on,
                coverage=Coverage(row.labour_pct, row.parts_pct, row.travel_pct),
                service_level=levels.facts(row),
                counter_name=row.counter_name,
                counter_limit=row.counter_limit,
            )
        )
        if row.counter_name is not None and row.reading is not None:
            readings[row.counter_name] = Decimal(row.reading)
    return warranties, readings


async def _lines(
    connection: AsyncConnection, obj: ObjectFacts, day: dt.date, levels: _Levels
) -> list[ContractLineFacts]:
    """The customer's contract lines as facts, with the quota used in each line's current period."""
    params = {
        "customer_id": obj.customer_id,
        "equipment_id": obj.equipment_id,  # None: no unit is listed (= NULL matches nothing)
        "priority": levels.priority.value,
        "day": day,
        "reach_from": day - _PERIOD_REACH,
    }
    by_line: dict[UUID, list[Any]] = {}
    for row in await connection.execute(_LINES, params):
        by_line.setdefault(row.id, []).append(row)
    listing = frozenset({obj.equipment_id}) if obj.equipment_id else frozenset()
    return [_line_facts(line_rows, listing, day, levels) for line_rows in by_line.values()]


def _line_facts(rows: Sequence[Any], listing: frozenset[UUID], day: dt.date, levels: _Levels) -> ContractLineFacts:
    line = rows[0]
    used = [Decimal(0), Decimal(0), Decimal(0)]
    if _has_quota(line):
        current = period_start(QuotaPeriod(line.quota_period), line.starts_on, day)
        for row in rows:
            if row.used_in == current:
                used[0] += row.used_visits
                used[1] += row.used_hours
                used[2] += row.used_parts
    visits, hours, parts = used
    return ContractLineFacts(
        id=line.id,
        contract_id=line.contract_id,
        contract_number=line.number,
        contract_status=ContractStatus(line.status),
        customer_id=line.customer_id,
        starts_on=line.starts_on,
        ends_on=line.ends_on,
        coverage=Coverage(line.labour_pct, line.parts_pct, line.travel_pct),
        service_level=levels.facts(line),
        equipment_ids=listing if line.listed else frozenset(),
        site_id=line.site_id,
        product_family=line.product_family,
        excluded_service_types=frozenset(line.excluded_service_types or []),
        remaining=Quotas(
            visits=None if line.quota_visits is None else Decimal(line.quota_visits) - visits,
            hours=None if line.quota_hours is None else line.quota_hours - hours,
            parts_value=None if line.quota_parts_value is None else line.quota_parts_value - parts,
        ),
    )


def _has_quota(line: Any) -> bool:
    return any(q is not None for q in (line.quota_visits, line.quota_hours, line.quota_parts_value))
