"""The dispatch adapter: database rows become the right scheduling problem, and the published plan
reads back as a plan the checker accepts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from scheduling import (
    Pin,
    Previous,
    Priority,
    SkillRequirement,
    SolveParams,
    TimeWindow,
    WorkLimit,
    balanced,
    check_plan,
    solve,
)
from service_mgmt.dispatch.problem_builder import HorizonSpec, build_problem, with_previous
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


async def test_a_task_takes_its_sites_territory(session: AsyncSession) -> None:
    await engineer(session, "Nora", {}, territory="north")
    northern = await job(session, await site(session, "ACME", (53.5, 10.0), territory="north"))
    anywhere = await job(session, await site(session, "Globex", (52.5, 13.3)))

    built = await build_problem(session, HorizonSpec(SATURDAY, 1), policy=balanced(), now=BEFORE)

    tasks = {t.id: t for t in built.problem.tasks}
    assert tasks[str(northern.id)].territory == "north"
    assert tasks[str(anywhere.id)].territory is None


async def test_a_territory_filter_keeps_its_own_and_territoryless_sites_open_tasks(session: AsyncSession) -> None:
    north = await engineer(session, "Nora", {}, territory="north")
    south = await engineer(session, "Sam", {}, territory="south")
    northern = await site(session, "ACME", (53.5, 10.0), territory="north")
    southern = await site(session, "Initech", (48.1, 11.6), territory="south")
    anywhere = await site(session, "Globex", (52.5, 13.3))
    origin = dt.datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    own = await job(session, northern)
    unclaimed = await job(session, anywhere)
    other = await job(session, southern)
    # planned work follows its crew, wherever the site is
    noras_trip = await job(
        session, southern, status="scheduled", planned=origin + dt.timedelta(hours=10), crew=[north.id]
    )
    sams_trip = await job(
        session, northern, status="scheduled", planned=origin + dt.timedelta(hours=10), crew=[south.id]
    )

    by_territory = await build_problem(
        session, HorizonSpec(SATURDAY, 1, territories=("north",)), policy=balanced(), now=BEFORE
    )
    by_engineer = await build_problem(
        session, HorizonSpec(SATURDAY, 1, engineer_ids=(north.id,)), policy=balanced(), now=BEFORE
    )
    everyone = await build_problem(session, HorizonSpec(SATURDAY, 1), policy=balanced(), now=BEFORE)

    assert {t.id for t in by_territory.problem.tasks} == {str(own.id), str(unclaimed.id), str(noras_trip.id)}
    assert str(other.id) not in by_territory.task_versions and str(sams_trip.id) not in by_territory.task_versions
    # an engineer filter does not look at sites' territories
    assert {t.id for t in by_engineer.problem.tasks} == {
        str(own.id),
        str(unclaimed.id),
        str(other.id),
        str(noras_trip.id),
    }
    assert len(everyone.problem.tasks) == 5


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
    # ``best`` prunes gaps by their detour; it must rank exactly as scoring every engineer one by one
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

    index = published.index
    everyone = frozenset(e.id for e in published.built.problem.engineers)
    for row in urgent:
        task = published.built.problem.task(str(row.id))
        one_by_one = [i for e in sorted(everyone) for i in index.best(task, limit=5, exclude=everyone - {e})]
        one_by_one.sort(key=lambda i: (i.cost, i.start, i.engineer_id))
        assert index.best(task, limit=5) == one_by_one[:5]


async def test_lunch_overtime_and_cost_rate_come_from_the_engineer(session: AsyncSession) -> None:
    await engineer(
        session, "Erik", {}, lunch=(30, "11:30", "13:30"), overtime=(90, "1.50"), cost_rate="72.00", territory="east"
    )
    await engineer(session, "Lena", {})
    built = await build_problem(session, HorizonSpec(SATURDAY, 2), policy=balanced(), now=BEFORE)
    erik, lena = built.problem.engineers

    assert erik.lunch is not None and lena.lunch is None
    assert erik.lunch.duration == 30 * 60
    # local 11:30-13:30 each day: Sunday's local midnight comes 24 h after Saturday's, but clocks
    # spring forward that night, so Sunday's 11:30 CEST is 23 + 11.5 h after Saturday's midnight
    assert erik.lunch.window_on(0) == (int(11.5 * HOUR), int(13.5 * HOUR))
    assert erik.lunch.window_on(1) == (int((23 + 11.5) * HOUR), int((23 + 13.5) * HOUR))
    assert (erik.overtime_max, erik.overtime_rate, lena.overtime_max) == (90 * 60, 1.5, 0)
    assert erik.overtime_cost(balanced()) == 5  # 3 per second x 1.5, rounded half up
    assert (erik.cost_rate, lena.cost_rate) == (2, 2)  # 72.00 and 60.00 an hour, in cents per second
    assert erik.territory == "east"


async def test_a_solved_day_with_lunch_passes_the_checker_and_reads_back_with_lunch(session: AsyncSession) -> None:
    erik = await engineer(session, "Erik", {}, lunch=(45, "11:30", "13:30"))
    at = await site(session, "ACME", (52.5, 13.3))
    origin = dt.datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    await job(session, at, status="scheduled", planned=origin + dt.timedelta(hours=9), crew=[erik.id])
    await job(session, at, status="scheduled", planned=origin + dt.timedelta(hours=14), crew=[erik.id])
    for _ in range(4):
        await job(session, at, minutes=90)

    built = await build_problem(session, HorizonSpec(SATURDAY, 1), policy=balanced(), now=BEFORE)
    published = published_plan(built)
    (route,) = published.routes
    assert route.lunch_start is not None and 11.5 * HOUR <= route.lunch_start <= 12.75 * HOUR
    assert check_plan(built.problem, published) == []

    plan = solve(built.problem, SolveParams(work_limit=WorkLimit()))
    assert check_plan(built.problem, plan) == []
    assert all(r.lunch_start is not None for r in plan.routes)


async def test_a_reoptimization_holds_planned_tasks_to_where_they_are(session: AsyncSession) -> None:
    erik = await engineer(session, "Erik", {})
    at = await site(session, "ACME", (52.5, 13.3))
    origin = dt.datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    planned = await job(session, at, status="scheduled", planned=origin + dt.timedelta(hours=10), crew=[erik.id])
    pinned = await job(
        session, at, status="scheduled", pinned=True, planned=origin + dt.timedelta(hours=14), crew=[erik.id]
    )
    free = await job(session, at)

    built = with_previous(await build_problem(session, HorizonSpec(SATURDAY, 1), policy=balanced(), now=BEFORE))
    tasks = {t.id: t for t in built.problem.tasks}

    assert tasks[str(planned.id)].previous == Previous(str(erik.id), 10 * HOUR)
    assert tasks[str(pinned.id)].previous is None  # a pin holds it already
    assert tasks[str(free.id)].previous is None


async def test_a_reoptimize_run_carries_the_previous_plan_and_a_full_run_does_not(session: AsyncSession) -> None:
    from core.auth import SYSTEM
    from core.clock import FixedClock
    from service_mgmt.choices import DispatchRunKind
    from service_mgmt.dispatch.runs import RunCreate, start_run

    erik = await engineer(session, "Erik", {})
    at = await site(session, "ACME", (52.5, 13.3))
    origin = dt.datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    planned = await job(session, at, status="scheduled", planned=origin + dt.timedelta(hours=10), crew=[erik.id])
    clock = FixedClock(BEFORE)

    def held(kind: DispatchRunKind) -> RunCreate:
        return RunCreate(kind=kind, first_day=SATURDAY, days=1, time_limit_seconds=1)

    again = await start_run(session, SYSTEM, held(DispatchRunKind.REOPTIMIZE), clock=clock)
    fresh = await start_run(session, SYSTEM, held(DispatchRunKind.FULL), clock=clock)

    assert again.built.problem.task(str(planned.id)).previous == Previous(str(erik.id), 10 * HOUR)
    assert fresh.built.problem.task(str(planned.id)).previous is None
