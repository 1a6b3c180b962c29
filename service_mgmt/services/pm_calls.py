"""Maintenance calls from plans: generated ahead of time, triggered by counter readings, forecast.

Time-based calls (`generate_calls`, run daily by the `generate_pm_calls` job). For each active
plan and each unit it covers, the due dates on the plan's grid (`pm_schedule.due_dates`, from
`starts_on`, or from the unit's last counter-triggered call: the schedule restarts there) that
fall due by today + `call_horizon_days` become calls. A unit's first call is for a due date on
or after the day of generation (a plan set up late does not bring a backlog); after that every
due date after the unit's last call counts, and of those already past (a worker that was down,
a plan reactivated) only the latest one becomes a call: one overdue visit, not one per interval.
Nothing is generated before `starts_on` or after `ends_on`, for units out of service, or on a
line plan for a day its contract is not active.

Counter-triggered calls (`calls_after_reading`, called at the end of `record_reading`). The
counter's baseline is the threshold of the unit's last call that recorded one, else the value
of the first reading on or after `starts_on`; a reset or meter replacement later than that call
restarts the baseline at the reset's value. A regular reading at or above baseline + N units
makes a call due on the reading's (UTC) day for the highest threshold it reached, in the same
transaction. If a call of the plan and unit is already due that day (a time-based one), that call
takes the threshold instead and nothing more is created. A time-based call generated earlier for
a later date stays; the planner may cancel its work order if the counter visit covers it.

Every call is a row in `pm_calls` made by INSERT … ON CONFLICT DO NOTHING on (plan, unit, due
date), then a work order from the plan's job template, both inside a savepoint: a due date makes
one call whatever runs at the same time (a second inserter waits for the first to commit, then
inserts nothing), and a call whose work order cannot be made (template retired, unit without a
site) is skipped with its reason while the others go ahead. Calls are made in the order of plan
number, unit serial and due date, so two concurrent runs meet their conflicts in the same order.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import Priority, ServiceType
from contracts.models import ContractLine, ServiceContract
from core import audit
from core.auth import SYSTEM, Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.db import upsert_insert
from core.errors import DomainError, Invalid
from core.listing import Page, PageRequest, paginate
from masterdata.choices import ReadingKind
from masterdata.models import Counter, CounterReading, Equipment, Product
from service_mgmt.choices import PmTrigger
from service_mgmt.errors import Code
from service_mgmt.models import PmCall, PmPlan
from service_mgmt.services.pm_plans import (
    SERVICEABLE,
    Unit,
    contract_in_force,
    covered_units,
    find_plan,
    line_covers_unit,
    plan_contract,
    unit_facts,
)
from service_mgmt.services.pm_schedule import due_dates, next_threshold, threshold_reached
from service_mgmt.services.work_orders import WindowKind, WorkOrderCreate, create_work_order, window_json

log = logging.getLogger("service_mgmt.pm")

# How far a forecast or a generation run may look ahead of today, and back.
MAX_LOOKAHEAD = dt.timedelta(days=3 * 366)
MAX_LOOKBACK = dt.timedelta(days=366)
CALLS_SORTABLE = {"due_on": PmCall.due_on, "created_at": PmCall.created_at}


class GenerationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    today: dt.date | None = None  # default: today (UTC)
    plan_id: UUID | None = None  # default: every active plan


@dataclass(frozen=True, slots=True)
class DueCall:
    plan: PmPlan
    unit: Unit
    due_on: dt.date
    trigger: PmTrigger
    counter_value: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    plan_id: UUID
    plan_number: str
    equipment_id: UUID
    due_on: dt.date | None
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class MadeCall:
    call: PmCall
    plan_number: str
    work_order_number: str


@dataclass(slots=True)
class GenerationReport:
    today: dt.date
    created: list[MadeCall] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CounterOutlook:
    equipment_id: UUID
    counter_name: str
    latest_value: Decimal | None
    next_threshold: Decimal | None  # None until the counter has a reading on or after starts_on


@dataclass(frozen=True, slots=True)
class Forecast:
    plan: PmPlan
    today: dt.date
    until: dt.date
    due: list[DueCall]
    skipped: list[Skipped]
    counters: list[CounterOutlook]


@dataclass(frozen=True, slots=True)
class _History:
    last_due: dt.date | None
    last_counter_due: dt.date | None


# --- planning (no writes) --------------------------------------------------------------------


async def _plans(session: AsyncSession, plan_id: UUID | None) -> list[PmPlan]:
    stmt = select(PmPlan).where(PmPlan.active.is_(True))
    if plan_id is not None:
        stmt = stmt.where(PmPlan.id == plan_id)
    return list((await session.scalars(stmt.order_by(PmPlan.number))).all())


async def _histories(session: AsyncSession, plan_id: UUID) -> dict[UUID, _History]:
    counter_due = case((PmCall.trigger == PmTrigger.COUNTER.value, PmCall.due_on))
    rows = await session.execute(
        select(PmCall.equipment_id, func.max(PmCall.due_on), func.max(counter_due))
        .where(PmCall.plan_id == plan_id)
        .group_by(PmCall.equipment_id)
    )
    return {equipment_id: _History(last, last_counter) for equipment_id, last, last_counter in rows.tuples()}


def time_dues(plan: PmPlan, history: _History, today: dt.date, until: dt.date) -> list[dt.date]:
    """The time-based due dates of one unit still to call, up to `until` (see the module doc)."""
    if plan.interval_months is None:
        return []
    anchor = plan.starts_on
    if history.last_counter_due is not None and history.last_counter_due > anchor:
        anchor = history.last_counter_due
    last = until if plan.ends_on is None else min(until, plan.ends_on)
    if history.last_due is None:
        return list(due_dates(anchor, plan.interval_months, after=today, until=last))
    dues = list(due_dates(anchor, plan.interval_months, after=history.last_due + dt.timedelta(days=1), until=last))
    missed = [due for due in dues if due < today]
    return missed[-1:] + [due for due in dues if due >= today]


async def _planned(
    session: AsyncSession, plan: PmPlan, today: dt.date, until: dt.date
) -> tuple[list[DueCall], list[Skipped]]:
    due: list[DueCall] = []
    skipped: list[Skipped] = []
    if plan.interval_months is None:
        return due, skipped
    contract = await plan_contract(session, plan)
    histories = await _histories(session, plan.id)
    for unit in await covered_units(session, plan):
        dues = time_dues(plan, histories.get(unit.id, _History(None, None)), today, until)
        if not dues:
            continue
        if unit.status not in SERVICEABLE:
            skipped.append(_skip(plan, unit, None, "unit_not_in_service", f"{unit.serial_number} is {unit.status}"))
            continue
        for day in dues:
            if contract_in_force(contract, day):
                due.append(DueCall(plan, unit, day, PmTrigger.TIME))
            else:
                assert contract is not None
                detail = f"contract {contract.number} is not active on {day.isoformat()}"
                skipped.append(_skip(plan, unit, day, Code.CONTRACT_NOT_IN_FORCE, detail))
    return due, skipped


def _skip(plan: PmPlan, unit: Unit, day: dt.date | None, reason: str, detail: str) -> Skipped:
    return Skipped(plan.id, plan.number, unit.id, day, str(reason), detail)


def _check_day(name: str, day: dt.date, today: dt.date) -> None:
    if not today - MAX_LOOKBACK <= day <= today + MAX_LOOKAHEAD:
        raise Invalid(
            Code.DATE_OUT_OF_RANGE,
            f"{name} must lie between {(today - MAX_LOOKBACK).isoformat()} and {(today + MAX_LOOKAHEAD).isoformat()}",
            field=name,
        )


async def forecast(
    session: AsyncSession, principal: Principal, plan_id: UUID, until: dt.date | None, *, clock: Clock = SYSTEM_CLOCK
) -> Forecast:
    """The calls the plan would make from today until `until` (default: a year), creating nothing.

    Counter-triggered calls cannot be dated ahead; the outlook gives each unit's latest reading
    and the threshold its next call will be triggered at.
    """
    plan = await find_plan(session, principal, plan_id)
    today = clock.now().date()
    until = until or today + dt.timedelta(days=365)
    _check_day("until", until, today)
    due, skipped = await _planned(session, plan, today, until) if plan.active else ([], [])
    counters = await _outlook(session, plan)
    return Forecast(plan, today, until, due, skipped, counters)


async def _outlook(session: AsyncSession, plan: PmPlan) -> list[CounterOutlook]:
    if plan.interval_units is None or plan.counter_name is None:
        return []
    outlook = []
    for unit in await covered_units(session, plan):
        counter = await _counter_of(session, unit.id, plan.counter_name)
        if counter is None:
            continue
        latest = await session.scalar(
            select(CounterReading.value)
            .where(CounterReading.counter_id == counter.id)
            .order_by(CounterReading.read_at.desc(), CounterReading.id.desc())
            .limit(1)
        )
        baseline = await counter_baseline(session, plan, unit.id, counter.id)
        threshold = None if baseline is None else next_threshold(baseline, plan.interval_units, latest)
        outlook.append(CounterOutlook(unit.id, counter.name, latest, threshold))
    return outlook


# --- generating ------------------------------------------------------------------------------


async def generate_calls(
    session: AsyncSession,
    today: dt.date,
    *,
    plan_id: UUID | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> GenerationReport:
    """Make the time-based calls due by today + each plan's horizon (idempotent; see the module doc)."""
    report = GenerationReport(today)
    for plan in await _plans(session, plan_id):
        due, skipped = await _planned(session, plan, today, today + dt.timedelta(days=plan.call_horizon_days))
        report.skipped.extend(skipped)
        for call in due:
            await _make(session, call, report, clock)
    return report


async def run_generation(
    session: AsyncSession, actor: Principal, data: GenerationRequest, *, clock: Clock = SYSTEM_CLOCK
) -> GenerationReport:
    """Generation on demand (a planner's "run it now"), for one plan or all, for a chosen day."""
    now_day = clock.now().date()
    today = data.today or now_day
    _check_day("today", today, now_day)
    if data.plan_id is not None:
        await find_plan(session, actor, data.plan_id)
    return await generate_calls(session, today, plan_id=data.plan_id, clock=clock)


async def _make(session: AsyncSession, call: DueCall, report: GenerationReport, clock: Clock) -> MadeCall | None:
    try:
        made = await _create_call(session, call, clock)
    except DomainError as error:
        # The savepoint is rolled back: no call row, no work order; the next run tries again.
        log.warning("PM %s: no call for %s due %s: %s", call.plan.number, call.unit.serial_number, call.due_on, error)
        report.skipped.append(_skip(call.plan, call.unit, call.due_on, error.code, error.detail))
        return None
    if made is not None:
        report.created.append(made)
    return made


async def _create_call(session: AsyncSession, call: DueCall, clock: Clock) -> MadeCall | None:
    """The call and its work order, or None when the due date was called already."""
    plan, unit = call.plan, call.unit
    async with session.begin_nested():
        call_id = await _insert_call(session, call)
        if call_id is None:
            return None
        if unit.site_id is None:
            raise Invalid(Code.SITE_REQUIRED, f"{unit.serial_number} stands at no site", field="equipment_id")
        view = await create_work_order(
            session,
            SYSTEM,
            WorkOrderCreate(
                template_id=plan.template_id,
                customer_id=unit.customer_id,
                site_id=unit.site_id,
                equipment_id=unit.id,
                service_type=ServiceType.MAINTENANCE,
                priority=Priority(plan.priority),
                description=_description(call),
            ),
            clock=clock,
        )
        window = _window(call, clock.now())
        if window is not None:
            for task in view.tasks:
                task.task.time_windows = [*task.task.time_windows, window]
        await session.execute(update(PmCall).where(PmCall.id == call_id).values(work_order_id=view.work_order.id))
        made = await session.get(PmCall, call_id, populate_existing=True)
        assert made is not None
        await audit.record(
            session,
            SYSTEM,
            "pm_plan",
            plan.id,
            "call",
            after={
                "call_id": call_id,
                "equipment_id": unit.id,
                "due_on": call.due_on,
                "trigger": call.trigger.value,
                "counter_value": call.counter_value,
                "work_order_id": view.work_order.id,
                "work_order_number": view.work_order.number,
            },
            at=clock.now(),
        )
    return MadeCall(made, plan.number, view.work_order.number)


async def _insert_call(session: AsyncSession, call: DueCall) -> UUID | None:
    insert = upsert_insert(session)
    stmt = (
        insert(PmCall)
        .values(
            plan_id=call.plan.id,
            equipment_id=call.unit.id,
            due_on=call.due_on,
            trigger=call.trigger.value,
            counter_value=call.counter_value,
        )
        .on_conflict_do_nothing(index_elements=["plan_id", "equipment_id", "due_on"])
        .returning(PmCall.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def _description(call: DueCall) -> str:
    why = (
        f"counter {call.plan.counter_name} reached {call.counter_value}"
        if call.trigger is PmTrigger.COUNTER
        else f"every {call.plan.interval_months} month(s)"
    )
    return (
        f"Preventive maintenance {call.plan.number} {call.plan.name}: {call.unit.serial_number}, "
        f"due {call.due_on.isoformat()} ({why})"
    )


def _window(call: DueCall, now: dt.datetime) -> dict[str, Any] | None:
    """From now to the end of the due day at the site: the latest the plan allows.

    A due day already over (a back-dated reading, a catch-up) gives no window: the work is
    overdue and the call's due date says so.
    """
    zone = ZoneInfo(call.unit.time_zone)
    day_after = call.due_on + dt.timedelta(days=1)
    end = dt.datetime(day_after.year, day_after.month, day_after.day, tzinfo=zone)
    if end <= now:
        return None
    return window_json(now, end, WindowKind.SLA)


# --- counter trigger -------------------------------------------------------------------------


async def calls_after_reading(
    session: AsyncSession, counter: Counter, reading: CounterReading, *, clock: Clock = SYSTEM_CLOCK
) -> list[MadeCall]:
    """The calls a new reading triggers on the plans counting on its counter (see the module doc).

    Never refuses the reading: a call that cannot be made is logged and left to the planner.
    """
    if reading.kind != ReadingKind.REGULAR.value:
        return []
    unit = await unit_facts(session, counter.equipment_id)
    if unit is None or unit.status not in SERVICEABLE:
        return []
    day = reading.read_at.astimezone(dt.UTC).date()
    report = GenerationReport(day)
    for plan in await _counter_plans(session, counter):
        if day < plan.starts_on or (plan.ends_on is not None and day > plan.ends_on):
            continue
        if not contract_in_force(await plan_contract(session, plan), day):
            continue
        assert plan.interval_units is not None
        baseline = await counter_baseline(session, plan, unit.id, counter.id)
        threshold = None if baseline is None else threshold_reached(baseline, plan.interval_units, reading.value)
        if threshold is None:
            continue
        due = DueCall(plan, unit, day, PmTrigger.COUNTER, threshold)
        skips = len(report.skipped)
        if await _make(session, due, report, clock) is None and len(report.skipped) == skips:
            await _absorb(session, due)  # not skipped: that day was called already
    return report.created


async def _counter_plans(session: AsyncSession, counter: Counter) -> list[PmPlan]:
    """Active counter plans on this counter's name: the unit's own and its contract lines'."""
    counts_on = (
        PmPlan.active.is_(True),
        PmPlan.interval_units.is_not(None),
        func.lower(PmPlan.counter_name) == counter.name.lower(),
    )
    own = select(PmPlan.id).where(PmPlan.equipment_id == counter.equipment_id, *counts_on)
    by_line = (
        select(PmPlan.id)
        .join(ContractLine, ContractLine.id == PmPlan.contract_line_id)
        .join(ServiceContract, ServiceContract.id == ContractLine.contract_id)
        .join(Equipment, Equipment.id == counter.equipment_id)
        .join(Product, Product.id == Equipment.product_id)
        .where(line_covers_unit(), *counts_on)
    )
    ids = own.union(by_line).subquery()
    stmt = select(PmPlan).where(PmPlan.id.in_(select(ids.c.id))).order_by(PmPlan.number)
    return list((await session.scalars(stmt)).all())


async def counter_baseline(session: AsyncSession, plan: PmPlan, equipment_id: UUID, counter_id: UUID) -> Decimal | None:
    """Where the unit's counter grid starts now (see the module doc); None before any reading."""
    since = dt.datetime.combine(plan.starts_on, dt.time(), dt.UTC)
    last_call = (
        await session.execute(
            select(PmCall.due_on, PmCall.counter_value)
            .where(PmCall.plan_id == plan.id, PmCall.equipment_id == equipment_id, PmCall.counter_value.is_not(None))
            .order_by(PmCall.due_on.desc(), PmCall.counter_value.desc())
            .limit(1)
        )
    ).one_or_none()
    reset = await session.scalar(
        select(CounterReading)
        .where(
            CounterReading.counter_id == counter_id,
            CounterReading.kind != ReadingKind.REGULAR.value,
            CounterReading.read_at >= since,
        )
        .order_by(CounterReading.read_at.desc(), CounterReading.id.desc())
        .limit(1)
    )
    if last_call is not None and (reset is None or last_call.due_on > reset.read_at.astimezone(dt.UTC).date()):
        return Decimal(last_call.counter_value)
    if reset is not None:
        return reset.value
    first: Decimal | None = await session.scalar(
        select(CounterReading.value)
        .where(CounterReading.counter_id == counter_id, CounterReading.read_at >= since)
        .order_by(CounterReading.read_at.asc(), CounterReading.id.asc())
        .limit(1)
    )
    return first


async def _absorb(session: AsyncSession, due: DueCall) -> None:
    """The call already due that day takes the threshold (and with it moves the baseline)."""
    await session.execute(
        update(PmCall)
        .where(
            PmCall.plan_id == due.plan.id,
            PmCall.equipment_id == due.unit.id,
            PmCall.due_on == due.due_on,
            PmCall.counter_value.is_(None),
        )
        .values(counter_value=due.counter_value)
    )


async def _counter_of(session: AsyncSession, equipment_id: UUID, name: str) -> Counter | None:
    counter: Counter | None = await session.scalar(
        select(Counter).where(Counter.equipment_id == equipment_id, func.lower(Counter.name) == name.lower())
    )
    return counter


# --- reading calls ---------------------------------------------------------------------------


async def list_calls(
    session: AsyncSession,
    principal: Principal,
    plan_id: UUID,
    page: PageRequest,
    *,
    equipment_id: UUID | None = None,
) -> Page[PmCall]:
    plan = await find_plan(session, principal, plan_id)
    stmt = select(PmCall).where(PmCall.plan_id == plan.id)
    if equipment_id is not None:
        stmt = stmt.where(PmCall.equipment_id == equipment_id)
    return await paginate(session, stmt, page, sortable=CALLS_SORTABLE, default_sort="-due_on", tie_breaker=PmCall.id)
