"""The independent checker catches each kind of broken plan (built by hand, not by the solver)."""

from __future__ import annotations

from scheduling.checker import check_plan
from scheduling.plan import Plan, Reason, Route, Unassigned, Visit
from scheduling.problem import LunchBreak, Pin

from .builders import H, engineer, problem, task

EIGHT = 8 * H


def route(engineer_id, visits, *, departure=EIGHT, return_at=None, lunch_start=None, lunch=0):
    last = visits[-1].end if visits else departure
    return Route(
        engineer_id=engineer_id,
        day=0,
        shift_start=EIGHT,
        shift_end=17 * H,
        departure=departure,
        return_at=return_at if return_at is not None else last + 1000,
        visits=tuple(visits),
        lunch_start=lunch_start,
        lunch_duration=lunch,
    )


def visit(task_id, start, duration=H):
    return Visit(task_id, start, start, start + duration, 0, 0)


def codes(p, plan):
    return sorted({v.code for v in check_plan(p, plan)})


def test_a_correct_plan_has_no_violations():
    p = problem([engineer("a")], [task("t", 1000)])
    assert codes(p, Plan((route("a", [visit("t", EIGHT + 1000)]),), ())) == []


def test_missing_skill():
    p = problem([engineer("a")], [task("t", 1000, skills={"hvac": 1})])
    assert codes(p, Plan((route("a", [visit("t", EIGHT + 1000)]),), ())) == ["skill"]


def test_expired_certification():
    p = problem([engineer("a", certifications={"gas": -1})], [task("t", 1000, certifications=("gas",))])
    assert codes(p, Plan((route("a", [visit("t", EIGHT + 1000)]),), ())) == ["certification"]


def test_arriving_faster_than_travel_allows():
    p = problem([engineer("a")], [task("t", 1000)])
    assert codes(p, Plan((route("a", [visit("t", EIGHT + 999)]),), ())) == ["travel"]


def test_start_outside_every_window():
    p = problem([engineer("a")], [task("t", 1000, windows=((9 * H, 9 * H + 60), (14 * H, 15 * H)))])
    assert codes(p, Plan((route("a", [visit("t", 10 * H)]),), ())) == ["window"]


def test_back_after_shift_and_overtime():
    p = problem([engineer("a")], [task("t", 1000)])
    assert "after_shift" in codes(p, Plan((route("a", [visit("t", 16 * H + 1800)]),), ()))


def test_capacity_exceeded():
    p = problem([engineer("a", capacity=5)], [task("t", 1000, demand=3), task("u", 1000, demand=3)])
    plan = Plan((route("a", [visit("t", EIGHT + 1000), visit("u", 9 * H + 1000)]),), ())
    assert codes(p, plan) == ["capacity"]


def test_dependency_started_too_early_and_missing_predecessor():
    p = problem([engineer("a"), engineer("b")], [task("a1", 1000), task("b1", 1000, after=("a1",))])
    early = Plan((route("a", [visit("a1", 9 * H)]), route("b", [visit("b1", 9 * H + 1800)])), ())
    assert codes(p, early) == ["dependency"]
    alone = Plan((route("b", [visit("b1", 9 * H)]),), (Unassigned("a1", Reason.NO_SKILL, "x"),))
    assert codes(p, alone) == ["dependency"]


def test_crew_short_of_a_member_or_out_of_step():
    p = problem([engineer("a"), engineer("b")], [task("lift", 1000, crew_size=2)])
    short = Plan((route("a", [visit("lift", 9 * H)]),), ())
    assert codes(p, short) == ["crew"]
    apart = Plan((route("a", [visit("lift", 9 * H)]), route("b", [visit("lift", 9 * H + 60)])), ())
    assert codes(p, apart) == ["crew"]


def test_pins_moved():
    p = problem([engineer("a"), engineer("b")], [task("t", 1000, pin=Pin(engineer_id="b", start=9 * H))])
    assert codes(p, Plan((route("a", [visit("t", 10 * H)]),), ())) == ["pin"]


def test_lunch_overlapping_a_visit_or_missing():
    lunch = LunchBreak(1800, 11 * H, 14 * H)
    p = problem([engineer("a", lunch=lunch)], [task("t", 1000, duration=2 * H)])
    overlapping = Plan((route("a", [visit("t", 11 * H, 2 * H)], lunch_start=12 * H, lunch=1800),), ())
    assert codes(p, overlapping) == ["lunch"]
    missing = Plan((route("a", [visit("t", 11 * H, 2 * H)]),), ())
    assert codes(p, missing) == ["lunch"]
    back = 13 * H + 1800 + 1000  # lunch on site, then drive home
    fine = Plan((route("a", [visit("t", 11 * H, 2 * H)], lunch_start=13 * H, lunch=1800, return_at=back),), ())
    assert codes(p, fine) == []


def test_every_task_is_accounted_for_exactly_once():
    p = problem([engineer("a")], [task("t", 1000), task("u", 1000)])
    forgotten = Plan((route("a", [visit("t", EIGHT + 1000)]),), ())
    assert codes(p, forgotten) == ["missing"]
    both = Plan(
        (route("a", [visit("t", EIGHT + 1000)]),),
        (Unassigned("t", Reason.NO_SKILL, "x"), Unassigned("u", Reason.NO_SKILL, "")),
    )
    assert codes(p, both) == ["both", "no_reason"]
