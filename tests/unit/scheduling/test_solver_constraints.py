"""One test per solver constraint, each on an instance small enough to check by hand.

Sites lie on a line; one metre takes one second of travel. Engineers start at x=0 at 08:00.
"""

from __future__ import annotations

from scheduling.plan import Reason
from scheduling.policy import Priority, balanced, min_travel, sla_first
from scheduling.problem import LunchBreak, Pin

from .builders import H, engineer, engineer_of, problem, reason_of, solved, start_of, task


def test_required_skill_goes_to_the_engineer_who_has_it():
    near = engineer("near", 0)
    skilled = engineer("skilled", 3000, skills={"hvac": 1})
    plan = solved(problem([near, skilled], [task("t", 100, skills={"hvac": 1})]))
    assert engineer_of(plan, "t") == "skilled"


def test_skill_level_below_the_minimum_does_not_count():
    junior = engineer("junior", 0, skills={"hvac": 1})
    senior = engineer("senior", 3000, skills={"hvac": 3})
    plan = solved(problem([junior, senior], [task("t", 100, skills={"hvac": 2})]))
    assert engineer_of(plan, "t") == "senior"


def test_certification_must_be_valid_on_the_day_of_the_visit():
    expiring = engineer("expiring", 0, certifications={"gas": 0}, days=(0, 1))
    valid = engineer("valid", 3000, certifications={"gas": 30}, days=(0, 1))
    day1 = (86_400 + 8 * H, 86_400 + 16 * H)
    plan = solved(problem([expiring, valid], [task("t", 100, certifications=("gas",), windows=(day1,))], days=2))
    assert engineer_of(plan, "t") == "valid"


def test_service_starts_inside_its_time_window():
    plan = solved(problem([engineer("a")], [task("t", 100, windows=((13 * H, 14 * H),))]))
    assert 13 * H <= start_of(plan, "t") <= 14 * H


def test_of_two_windows_the_reachable_one_is_used():
    # an hour away: the 08:00-08:30 window cannot be reached from 08:00, the afternoon one can
    t = task("t", 3600, windows=((8 * H, 8 * H + 1800), (13 * H, 14 * H)))
    plan = solved(problem([engineer("a")], [t]))
    assert 13 * H <= start_of(plan, "t") <= 14 * H


def test_task_outside_every_shift_is_left_out_with_a_reason():
    plan = solved(problem([engineer("a")], [task("t", 100, windows=((18 * H, 19 * H),))]))
    assert reason_of(plan, "t") == Reason.NO_AVAILABILITY


def test_absent_day_has_no_shift():
    day1 = (86_400 + 8 * H, 86_400 + 16 * H)
    plan = solved(problem([engineer("a", days=(0,))], [task("t", 100, windows=(day1,))], days=2))
    assert reason_of(plan, "t") == Reason.NO_AVAILABILITY


def test_dependent_task_starts_after_its_predecessor_ends_across_engineers():
    first = task("first", 100, duration=2 * H, skills={"mech": 1})
    then = task("then", 200, duration=H, skills={"elec": 1}, after=("first",))
    plan = solved(problem([engineer("m", skills={"mech": 1}), engineer("e", skills={"elec": 1})], [first, then]))
    assert engineer_of(plan, "first") == "m"
    assert engineer_of(plan, "then") == "e"
    assert start_of(plan, "then") >= start_of(plan, "first") + 2 * H


def test_van_capacity_limits_the_load_of_a_shift():
    tasks = [task("a", 100, demand=6), task("b", 200, demand=6)]
    plan = solved(problem([engineer("van", capacity=10)], tasks))
    assert len(plan.unassigned) == 1
    assert plan.unassigned[0].reason == Reason.CAPACITY_OR_COST


def test_load_above_every_capacity_is_rejected_before_solving():
    plan = solved(problem([engineer("van", capacity=10)], [task("a", 100, demand=11)]))
    assert reason_of(plan, "a") == Reason.CAPACITY


def test_pinned_engineer_is_kept_even_if_another_is_closer():
    t = task("t", 100, pin=Pin(engineer_id="far"))
    plan = solved(problem([engineer("near", 0), engineer("far", 5000)], [t]))
    assert engineer_of(plan, "t") == "far"


def test_pinned_start_is_kept():
    t = task("t", 100, windows=((9 * H, 10 * H),), pin=Pin(start=15 * H))
    plan = solved(problem([engineer("a")], [t]))
    assert start_of(plan, "t") == 15 * H


def test_in_progress_work_is_first_on_its_route():
    started = task("started", 3000, pin=Pin(engineer_id="a", start=8 * H + 3000, in_progress=True))
    plan = solved(problem([engineer("a")], [task("near", 100), started]))
    route = plan.routes[0]
    assert route.visits[0].task_id == "started"
    assert route.visits[0].start == 8 * H + 3000


def test_crew_of_two_starts_together_with_two_engineers():
    plan = solved(problem([engineer("a", 0), engineer("b", 500)], [task("lift", 1000, crew_size=2)]))
    visits = plan.visits_of("lift")
    assert {r.engineer_id for r, _ in visits} == {"a", "b"}
    assert len({v.start for _, v in visits}) == 1


def test_crew_larger_than_the_qualified_engineers_is_rejected():
    plan = solved(problem([engineer("a"), engineer("b")], [task("lift", 1000, crew_size=3)]))
    assert reason_of(plan, "lift") == Reason.CREW_TOO_LARGE


def test_lunch_break_is_taken_inside_its_window_between_visits():
    lunch = LunchBreak(duration=H, earliest=11 * H, latest=13 * H)
    tasks = [task(f"t{i}", 100 * i, duration=6300) for i in range(1, 5)]  # 7 h work + 1 h lunch in a 9 h shift
    plan = solved(problem([engineer("a", lunch=lunch)], tasks))
    route = plan.routes[0]
    assert route.lunch_start is not None
    assert 11 * H <= route.lunch_start <= 12 * H
    assert not plan.unassigned
    for visit in route.visits:
        assert visit.end <= route.lunch_start or visit.start >= route.lunch_start + H


def test_overtime_is_a_soft_end_with_a_cost():
    late_job = task("t", 100, duration=2 * H, windows=((16 * H, 16 * H),))
    plan = solved(problem([engineer("a", overtime_max=2 * H)], [late_job]))
    route = plan.routes[0]
    assert route.overtime_seconds == H + 100
    assert route.visits[0].cost.overtime > 0
    without = solved(problem([engineer("a")], [late_job]))
    assert reason_of(without, "t") == Reason.NO_AVAILABILITY


def test_soft_sla_serves_the_task_late_at_a_cost():
    t = task("t", 7200, priority=Priority.P2, sla_deadline=9 * H)  # cannot end before 11:00
    plan = solved(problem([engineer("a")], [t], policy=min_travel()))
    visit = plan.visits_of("t")[0][1]
    assert visit.late_seconds == visit.end - 9 * H > 0
    assert visit.cost.lateness > 0
    assert plan.kpis.tasks_late == 1


def test_hard_sla_leaves_the_task_out_when_it_cannot_be_met():
    t = task("t", 7200, priority=Priority.P2, sla_deadline=9 * H)
    plan = solved(problem([engineer("a")], [t], policy=sla_first()))
    assert reason_of(plan, "t") is not None
    assert not plan.routes


def test_hard_sla_is_met_when_it_can_be():
    tasks = [task("urgent", 1000, sla_deadline=10 * H, priority=Priority.P1), task("other", 500, duration=2 * H)]
    plan = solved(problem([engineer("a")], tasks, policy=sla_first()))
    assert plan.visits_of("urgent")[0][1].end <= 10 * H


def test_p1_is_never_dropped_when_it_can_be_served():
    # a 9-hour day: either the four near P4s (8 h) or the far P1 (6 h + 2 x 50 min driving), not both
    p4s = [task(f"p4-{i}", 10 * i, duration=2 * H, priority=Priority.P4) for i in range(1, 5)]
    p1 = task("p1", 3000, duration=6 * H, priority=Priority.P1)
    plan = solved(problem([engineer("a")], [*p4s, p1]))
    assert engineer_of(plan, "p1") == "a"
    assert plan.kpis.unassigned_by_priority.get(1, 0) == 0


def test_every_unassigned_task_has_a_reason():
    tasks = [
        task("no-skill", 100, skills={"laser": 5}),
        task("no-slot", 100, windows=((20 * H, 21 * H),)),
        task("orphan", 100, after=("ghost",)),
        task("waits-for-no-skill", 100, after=("no-skill",)),
        task("too-big", 100, duration=12 * H),
        task("ok", 100),
    ]
    plan = solved(problem([engineer("a")], tasks))
    assert {u.task_id for u in plan.unassigned} == {t.id for t in tasks} - {"ok"}
    assert all(u.reason and u.text for u in plan.unassigned)
    assert reason_of(plan, "no-skill") == Reason.NO_SKILL
    assert "laser" in next(u.text for u in plan.unassigned if u.task_id == "no-skill")
    assert reason_of(plan, "orphan") == Reason.DEPENDENCY_UNKNOWN
    assert reason_of(plan, "waits-for-no-skill") == Reason.DEPENDENCY_INFEASIBLE


def test_balanced_policy_spreads_work_over_engineers():
    tasks = [task(f"t{i}", 100 + i, duration=2 * H) for i in range(4)]
    plan = solved(problem([engineer("a"), engineer("b")], tasks, policy=balanced()))
    assert {len(r.visits) for r in plan.routes} == {2}


def test_multi_day_horizon_uses_the_second_day_when_the_first_is_full():
    tasks = [task("d0", 100, duration=8 * H), task("d1", 200, duration=8 * H)]
    plan = solved(problem([engineer("a", days=(0, 1))], tasks, days=2))
    assert sorted(r.day for r in plan.routes) == [0, 1]
