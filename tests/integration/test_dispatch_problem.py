"""The dispatch adapter: database rows become the right scheduling problem, and the published plan
reads back as a plan the checker accepts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from scheduling import Pin, Priority, SkillRequirement, TimeWindow, balanced, check_plan
from service_mgmt.dispatch.insertion import ranked
from service_mgmt.dispatch.problem_builder import HorizonSpec, build_problem
from service_mgmt.dispatch.published import load_published, published_plan
from tests.integration.dispatch_fixtures import engineer, job, site, window

UTC = dt.UTC
HOUR = 3600
# Saturday 28 March 2026; Europe/Berlin springs forward on Sunday the 29th at 02:00.
SATURDAY = dt.date(2026, 3, 28)
BEFORE = dt.datetime(2026, 3, 27, 12, 0, tzinfo=UTC)


async def test_shifts_are_local_hours_across_the_dst_change_minus_absences(session: AsyncSession) -> None:
    # absent Monday 12:00-17:00 Berlin (CEST, UTC+2)
    erik = await engineer(
        session,
        "Erik",
        {"printers": 3},
        absent=(dt.datetime(2026, 3, 30, 10, 0, tzinfo=UTC), dt.datetime(2026, 3, 30, 15, 0, tzinfo=UTC)),
    )
    built = await build_problem(session, HorizonSpec(SATURDAY, 3), policy=balanced(), now=BEFORE)

    # second 0 is Saturday's local midnight: Friday 23:00 UTC
    assert built.frame.origin == dt.datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    (problem_erik,) = built.problem.engineers
    assert problem_erik.id == str(erik.id)
    assert problem_erik.skills == {"printers": 3}
    spans = [(s.day, s.start / HOUR, s.end / HOUR) for s in problem_erik.shifts]
    # Saturday 08-17 CET; Sunday's midnight is still CET (24 h later), 08:00 CEST is only 7 h after it;
    # Monday the absence leaves the morning.
    assert spans == [(0, 8, 17), (1, 24 + 7, 24 + 16), (2, 48 + 7, 48 + 11)]
    assert built.problem.days == 3


async def test_no_shift_starts_before_now(session: AsyncSession) -> None:
    await engineer(session, "Erik", {})
    now = dt.datetime(2026, 3, 28, 10, 30, tzinfo=UTC)  # 11:30 in Berlin
    built = await build_problem(session, HorizonSpec(SATURDAY, 1), policy=balanced(), now=now)
    (shift,) = built.problem.engineers[0].shifts
    assert shift.start == built.frame.seconds(now) and shift.end == 17 * HOUR


async def test_tasks_carry_skills_windows_sla_priority_and_pins(session: AsyncSession) -> None:
    erik = await engineer(session, "Erik", {"printers": 3})
    at = await site(session, "ACME", (52.5, 13.3))
    nowhere = await site(session, "Nowhere", None)
    origin = dt.datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    appointment = await job(
        session,
        at,
        minutes=90,
        skills={"printers": 2},
        priority="P1",
        windows=[
            window(origin + dt.timedelta(hours=9), origin + dt.timedelta(hours=11)),
            window(BEFORE, origin + dt.timedelta(hours=15), "sla"),
        ],
    )
    dispatched = await job(session, at, status="dispatched", planned=origin + dt.timedelta(hours=13), crew=[erik.id])
    on_site = await job(session, at, status="on_site", planned=BEFORE, crew=[erik.id])
    no_coordinates = await job(session, nowhere)
    next_month = await job(
        session,
        at,
        windows=[window(dt.datetime(2026, 4, 20, 8, tzinfo=UTC), dt.datetime(2026, 4, 20, 9, tzinfo=UTC))],
    )
    on_hold = await job(session, at, order_status="on_hold")

    built = await build_problem(session, HorizonSpec(SATURDAY, 1), policy=balanced(), now=BEFORE)
    tasks = {t.id: t for t in built.problem.tasks}

    first = tasks[str(appointment.id)]
    assert first.duration == 90 * 60
    assert first.skills == (SkillRequirement("printers", 2),)
    assert first.windows == (TimeWindow(9 * HOUR, 11 * HOUR),)
    assert first.sla_deadline == 15 * HOUR
    assert first.priority is Priority.P1
    assert first.pin is None
    assert tasks[str(dispatched.id)].pin == Pin(engineer_id=str(erik.id), start=13 * HOUR)
    assert tasks[str(on_site.id)].pin == Pin(engineer_id=str(erik.id), in_progress=True)
    assert str(next_month.id) not in tasks and str(on_hold.id) not in tasks
    assert [(o.task_id, o.text) for o in built.left_out] == [(str(no_coordinates.id), "site has no coordinates")]
    assert built.task_versions[str(appointment.id)] == appointment.version


async def test_a_filter_keeps_other_engineers_work_out_of_the_problem(session: AsyncSession) -> None:
    north = await engineer(session, "Nora", {}, territory="north")
    south = await engineer(session, "Sam", {}, territory="south")
    at = await site(session, "ACME", (52.5, 13.3))
    origin = dt.datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    sams = await job(session, at, status="scheduled", planned=origin + dt.timedelta(hours=10), crew=[south.id])
    free = await job(session, at)

    built = await build_problem(
        session, HorizonSpec(SATURDAY, 1, territories=("north",)), policy=balanced(), now=BEFORE
    )

    assert [e.id for e in built.problem.engineers] == [str(north.id)]
    assert {t.id for t in built.problem.tasks} == {str(free.id)}
    assert str(sams.id) not in built.task_versions


async def test_the_published_plan_reads_back_and_the_checker_accepts_it(session: AsyncSession) -> None:
    erik = await engineer(session, "Erik", {})
    at = await site(session, "ACME", (52.5, 13.3))
    origin = dt.datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    later = await job(session, at, status="scheduled", planned=origin + dt.timedelta(hours=13), crew=[erik.id])
    earlier = await job(session, at, status="scheduled", planned=origin + dt.timedelta(hours=9), crew=[erik.id])
    open_one = await job(session, at)

    built = await build_problem(session, HorizonSpec(SATURDAY, 1), policy=balanced(), now=BEFORE)
    plan = published_plan(built)

    (route,) = plan.routes
    assert [v.task_id for v in route.visits] == [str(earlier.id), str(later.id)]
    assert [v.start for v in route.visits] == [9 * HOUR, 13 * HOUR]
    assert [u.task_id for u in plan.unassigned] == [str(open_one.id)]
    assert check_plan(built.problem, plan) == []


async def test_pruned_insertion_ranking_equals_the_full_scan(session: AsyncSession) -> None:
    origin = dt.datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    people = [await engineer(session, f"E{i}", {"printers": 1 + i % 3}, home=(52.4 + 0.03 * i, 13.3)) for i in range(6)]
    for i in range(18):
        at = await site(session, f"S{i}", (52.35 + 0.01 * i, 13.2 + 0.02 * (i % 7)))
        await job(
            session,
            at,
            status="scheduled",
            planned=origin + dt.timedelta(hours=8 + 2 * (i // 6)),
            crew=[people[i % 6].id],
        )
    urgent = [
        await job(
            session, await site(session, f"U{i}", (52.3 + 0.04 * i, 13.25 + 0.05 * i)), skills={"printers": i % 3 + 1}
        )
        for i in range(5)
    ]
    published = await load_published(session, HorizonSpec(SATURDAY, 2), balanced(), BEFORE)

    for row in urgent:
        task = published.built.problem.task(str(row.id))
        assert ranked(published, task, 5, batch=2) == published.index.best(task, limit=5)
