"""Maintenance calls on SQLite and PostgreSQL: generation within the horizon, once per due date,
counter thresholds, whichever comes first, contract lines covering several units."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth import SYSTEM
from core.clock import FixedClock
from core.db import session_scope
from service_mgmt.models import PmCall, PmPlan, Task, WorkOrder
from service_mgmt.services import pm_calls
from service_mgmt.services.pm_plans import PmPlanDeactivate, deactivate_plan
from tests.integration.contract_fixtures import contract_for, installed_printer
from tests.integration.pm_fixtures import another_unit, hours_counter, line_plan, pm_template, read, unit_plan

CLOCK = FixedClock(dt.datetime(2026, 2, 20, 6, 0, tzinfo=dt.UTC))


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), dt.UTC)


async def generate(session: AsyncSession, today: str) -> pm_calls.GenerationReport:
    return await pm_calls.generate_calls(session, dt.date.fromisoformat(today), clock=CLOCK)


async def calls_of(session: AsyncSession, plan_id: UUID) -> list[tuple[str, str, Decimal | None]]:
    rows = await session.execute(
        select(PmCall.due_on, PmCall.trigger, PmCall.counter_value)
        .where(PmCall.plan_id == plan_id)
        .order_by(PmCall.due_on, PmCall.equipment_id)
    )
    return [(due.isoformat(), trigger, value) for due, trigger, value in rows.tuples()]


async def count(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# --- time-based ------------------------------------------------------------------------------


async def test_generation_makes_a_maintenance_order_for_each_due_date_inside_the_horizon(session: AsyncSession) -> None:
    it = await installed_printer(session)
    template = await pm_template(session)
    await unit_plan(
        session, it.equipment_id, template.id, interval_months=1, starts_on=dt.date(2026, 1, 31), priority="P2"
    )

    report = await generate(session, "2026-02-20")  # horizon 14 days: up to Mar 6

    assert [(m.call.due_on.isoformat(), m.call.trigger) for m in report.created] == [("2026-02-28", "time")]
    order = await session.get(WorkOrder, report.created[0].call.work_order_id)
    assert order is not None
    assert (order.service_type, order.priority, order.template_id, order.equipment_id) == (
        "maintenance",
        "P2",
        template.id,
        it.equipment_id,
    )
    assert [c["item"] for c in order.checklist] == ["clean the paper path", "replace the filter"]
    task = await session.scalar(select(Task).where(Task.work_order_id == order.id))
    assert task is not None and task.name == "Maintain"
    # The window ends when the due day ends at the site (Berlin: 23:00 UTC in winter).
    assert task.time_windows == [{"start": CLOCK.now().isoformat(), "end": "2026-02-28T23:00:00+00:00", "kind": "sla"}]

    later = await generate(session, "2026-03-20")  # up to Apr 3: Mar 31 (not Mar 28: no drift)
    assert [m.call.due_on.isoformat() for m in later.created] == ["2026-03-31"]


async def test_a_second_run_on_the_same_day_creates_nothing_more(session: AsyncSession) -> None:
    it = await installed_printer(session)
    template = await pm_template(session)
    plan_id = await unit_plan(session, it.equipment_id, template.id, interval_months=1, call_horizon_days=30)

    first = await generate(session, "2026-02-20")
    second = await generate(session, "2026-02-20")
    third = await generate(session, "2026-02-21")

    assert [m.call.due_on.isoformat() for m in first.created] == ["2026-03-01"]
    assert second.created == [] and third.created == []
    assert await calls_of(session, plan_id) == [("2026-03-01", "time", None)]
    assert await count(session, WorkOrder) == 1


async def test_no_calls_outside_the_plan_dates_nor_for_a_decommissioned_unit(session: AsyncSession) -> None:
    it = await installed_printer(session)
    template = await pm_template(session)
    dated = await unit_plan(
        session,
        it.equipment_id,
        template.id,
        interval_months=1,
        starts_on=dt.date(2026, 4, 15),
        ends_on=dt.date(2026, 6, 20),
        call_horizon_days=365,
    )
    retired = await another_unit(session, it, "SN-OLD", status="decommissioned")
    unused = await unit_plan(session, retired, template.id, interval_months=1, call_horizon_days=365)

    report = await generate(session, "2026-02-20")

    assert await calls_of(session, dated) == [("2026-05-15", "time", None), ("2026-06-15", "time", None)]
    assert await calls_of(session, unused) == []
    assert [(s.equipment_id, s.reason) for s in report.skipped] == [(retired, "unit_not_in_service")]


async def test_a_unit_gets_no_backlog_and_a_late_run_catches_up_with_one_overdue_call(session: AsyncSession) -> None:
    it = await installed_printer(session)
    template = await pm_template(session)
    # Started a year ago: the twelve past due dates are history, not calls.
    plan_id = await unit_plan(
        session, it.equipment_id, template.id, interval_months=1, starts_on=dt.date(2025, 2, 10), call_horizon_days=0
    )
    await generate(session, "2026-02-10")
    assert await calls_of(session, plan_id) == [("2026-02-10", "time", None)]

    # Nobody ran the job for three months: one overdue visit, then on schedule again.
    report = await generate(session, "2026-05-20")

    assert [m.call.due_on.isoformat() for m in report.created] == ["2026-05-10"]


async def test_a_deactivated_plan_makes_no_more_calls(session: AsyncSession) -> None:
    it = await installed_printer(session)
    template = await pm_template(session)
    plan_id = await unit_plan(session, it.equipment_id, template.id, interval_months=1)
    await deactivate_plan(session, SYSTEM, plan_id, PmPlanDeactivate())

    assert (await generate(session, "2026-02-20")).created == []


async def test_a_retired_template_skips_the_call_with_its_reason_and_the_others_go_ahead(
    session: AsyncSession,
) -> None:
    it = await installed_printer(session)
    good, retired = await pm_template(session, "PM-A"), await pm_template(session, "PM-B")
    plan_a = await unit_plan(session, it.equipment_id, good.id, interval_months=1, name="A")
    plan_b = await unit_plan(session, it.equipment_id, retired.id, interval_months=1, name="B")
    retired.active = False

    report = await generate(session, "2026-02-25")

    assert [m.plan_number for m in report.created] == [(await session.get(PmPlan, plan_a)).number]  # type: ignore[union-attr]
    assert [(s.reason, s.due_on) for s in report.skipped] == [("template_inactive", dt.date(2026, 3, 1))]
    assert await calls_of(session, plan_b) == []  # rolled back to its savepoint: tried again tomorrow


# --- contract lines --------------------------------------------------------------------------


async def test_a_line_plan_calls_every_unit_the_line_covers(session: AsyncSession) -> None:
    it = await installed_printer(session)
    template = await pm_template(session)
    _, line = await contract_for(session, it)  # lists the first printer
    line.site_id = it.site_id  # … and covers everything at the site
    second = await another_unit(session, it, "SN-2")
    stranger = await installed_printer(session, "OTHER")  # another customer's printer: not covered
    plan_id = await line_plan(session, line.id, template.id, interval_months=3)

    report = await generate(session, "2026-03-25")

    assert sorted((m.call.equipment_id, m.call.due_on.isoformat()) for m in report.created) == sorted(
        [(it.equipment_id, "2026-04-01"), (second, "2026-04-01")]
    )
    assert stranger.equipment_id not in {m.call.equipment_id for m in report.created}
    orders = (await session.scalars(select(WorkOrder).order_by(WorkOrder.number))).all()
    assert {o.equipment_id for o in orders} == {it.equipment_id, second}
    assert len(await calls_of(session, plan_id)) == 2


async def test_a_line_plan_calls_nothing_for_days_its_contract_is_not_active(session: AsyncSession) -> None:
    it = await installed_printer(session)
    template = await pm_template(session)
    contract, line = await contract_for(session, it)  # runs until 2026-12-31
    plan_id = await line_plan(session, line.id, template.id, interval_months=1, call_horizon_days=20)

    ending = await generate(session, "2026-12-20")  # Jan 1 2027 lies beyond the contract
    contract.status = "suspended"
    suspended = await generate(session, "2026-11-25")

    assert await calls_of(session, plan_id) == []
    assert [(s.reason, s.due_on) for s in ending.skipped] == [("contract_not_in_force", dt.date(2027, 1, 1))]
    assert [s.reason for s in suspended.skipped] == ["contract_not_in_force"]


# --- counters --------------------------------------------------------------------------------


async def test_a_reading_that_crosses_the_threshold_orders_the_next_visit_once(session: AsyncSession) -> None:
    it = await installed_printer(session)
    template = await pm_template(session)
    counter = await hours_counter(session, it.equipment_id)
    plan_id = await unit_plan(
        session, it.equipment_id, template.id, interval_units=Decimal(500), counter_name="Operating Hours"
    )

    await read(session, counter, 100, at("2026-01-10"))  # the baseline: first reading since starts_on
    await read(session, counter, 550, at("2026-02-01"))  # below 600
    await read(session, counter, 620, at("2026-02-10"))  # crosses 600: a call right away
    await read(session, counter, 700, at("2026-02-11"))  # the same threshold again: nothing
    await read(session, counter, 1150, at("2026-03-01"))  # crosses 1100

    assert await calls_of(session, plan_id) == [
        ("2026-02-10", "counter", Decimal(600)),
        ("2026-03-01", "counter", Decimal(1100)),
    ]
    assert await count(session, WorkOrder) == 2


async def test_a_reset_restarts_the_counter_grid_from_the_reset_value(session: AsyncSession) -> None:
    it = await installed_printer(session)
    template = await pm_template(session)
    counter = await hours_counter(session, it.equipment_id)
    plan_id = await unit_plan(
        session, it.equipment_id, template.id, interval_units=Decimal(500), counter_name="operating hours"
    )

    await read(session, counter, 0, at("2026-01-10"))
    await read(session, counter, 510, at("2026-02-10"))  # call at 500
    await read(session, counter, 20, at("2026-02-20"), kind="reset")  # the meter starts again
    await read(session, counter, 400, at("2026-03-10"))  # nothing yet: 520 is next
    await read(session, counter, 530, at("2026-04-10"))

    assert await calls_of(session, plan_id) == [
        ("2026-02-10", "counter", Decimal(500)),
        ("2026-04-10", "counter", Decimal(520)),
    ]


async def test_whichever_comes_first_and_the_time_schedule_restarts_after_a_counter_call(
    session: AsyncSession,
) -> None:
    it = await installed_printer(session)
    template = await pm_template(session)
    counter = await hours_counter(session, it.equipment_id)
    plan_id = await unit_plan(
        session,
        it.equipment_id,
        template.id,
        interval_months=3,
        interval_units=Decimal(500),
        counter_name="operating hours",
    )
    await read(session, counter, 0, at("2026-01-05"))
    await read(session, counter, 520, at("2026-02-10"))  # the counter comes first (before Apr 1)

    await generate(session, "2026-03-25")  # Apr 1 is no longer due: the quarter counts from Feb 10
    await generate(session, "2026-05-01")  # May 10 is

    assert await calls_of(session, plan_id) == [
        ("2026-02-10", "counter", Decimal(500)),
        ("2026-05-10", "time", None),
    ]


async def test_a_crossing_on_a_day_already_called_marks_that_call_and_creates_nothing(session: AsyncSession) -> None:
    it = await installed_printer(session)
    template = await pm_template(session)
    counter = await hours_counter(session, it.equipment_id)
    plan_id = await unit_plan(
        session,
        it.equipment_id,
        template.id,
        interval_months=3,
        interval_units=Decimal(500),
        counter_name="operating hours",
    )
    await read(session, counter, 0, at("2026-01-05"))
    await generate(session, "2026-03-25")  # the time call for Apr 1

    await read(session, counter, 505, at("2026-04-01"))  # crosses on the very day
    await read(session, counter, 900, at("2026-04-02"))  # next threshold is 1000 now

    assert await calls_of(session, plan_id) == [("2026-04-01", "time", Decimal(500))]
    assert await count(session, WorkOrder) == 1


async def test_a_line_plan_counts_on_each_covered_unit_of_its_own(session: AsyncSession) -> None:
    it = await installed_printer(session)
    template = await pm_template(session)
    _, line = await contract_for(session, it)
    second = await another_unit(session, it, "SN-2")
    line.product_family = "printers"
    plan_id = await line_plan(
        session, line.id, template.id, interval_units=Decimal(1000), counter_name="operating hours"
    )
    first_counter = await hours_counter(session, it.equipment_id)
    second_counter = await hours_counter(session, second)

    for counter in (first_counter, second_counter):
        await read(session, counter, 0, at("2026-01-05"))
    await read(session, second_counter, 1200, at("2026-03-01"))

    calls = (await session.execute(select(PmCall.equipment_id).where(PmCall.plan_id == plan_id))).scalars().all()
    assert calls == [second]


# --- forecast --------------------------------------------------------------------------------


async def test_the_forecast_lists_due_dates_and_the_next_threshold_without_creating_anything(
    session: AsyncSession,
) -> None:
    it = await installed_printer(session)
    template = await pm_template(session)
    counter = await hours_counter(session, it.equipment_id)
    plan_id = await unit_plan(
        session,
        it.equipment_id,
        template.id,
        interval_months=2,
        interval_units=Decimal(500),
        counter_name="operating hours",
    )
    await read(session, counter, 40, at("2026-01-05"))
    await read(session, counter, 300, at("2026-02-05"))

    outlook = await pm_calls.forecast(session, SYSTEM, plan_id, dt.date(2026, 9, 30), clock=CLOCK)

    assert [d.due_on.isoformat() for d in outlook.due] == ["2026-03-01", "2026-05-01", "2026-07-01", "2026-09-01"]
    assert [(c.latest_value, c.next_threshold) for c in outlook.counters] == [(Decimal(300), Decimal(540))]
    assert await count(session, PmCall) == 0 and await count(session, WorkOrder) == 0


# --- concurrency -----------------------------------------------------------------------------


@pytest.mark.postgres_only
async def test_two_concurrent_runs_make_one_work_order_per_due_date(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(sessions) as session:
        it = await installed_printer(session)
        template = await pm_template(session)
        _, line = await contract_for(session, it)
        line.site_id = it.site_id
        for serial in ("SN-2", "SN-3"):
            await another_unit(session, it, serial)
        plan_id = await line_plan(session, line.id, template.id, interval_months=1, call_horizon_days=70)

    async def run() -> int:
        async with session_scope(sessions) as session:
            report = await generate(session, "2026-02-20")
            return len(report.created)

    created = await asyncio.gather(*(run() for _ in range(4)))

    async with sessions() as session:
        calls = await calls_of(session, plan_id)
        orders = await count(session, WorkOrder)
    assert sum(created) == 9  # 3 units × Mar 1, Apr 1, May 1
    assert len(calls) == 9 and orders == 9
    assert len(set(calls)) == 3  # every (date, trigger) once per unit: 3 distinct dates
