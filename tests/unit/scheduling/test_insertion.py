"""The exact insertion evaluator: hand-checked cases, then agreement with brute force."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.checker import check_plan
from scheduling.explain import explain
from scheduling.insertion import InsertionIndex
from scheduling.plan import Plan, Route, Visit
from scheduling.problem import LunchBreak, Priority, TimeWindow

from .builders import QUICK, H, engineer, problem, solved, task

EIGHT = 8 * H


def _route(engineer_id, stops, *, departure=EIGHT, lunch_start=None):
    visits, here, free = [], 0, departure
    for task_id, x, start in stops:
        visits.append(Visit(task_id, free + abs(x - here), start, start + H, abs(x - here), abs(x - here)))
        here, free = x, start + H
    return Route(engineer_id, 0, EIGHT, 17 * H, departure, free + here, tuple(visits), lunch_start)


def test_a_task_on_the_way_costs_no_extra_travel():
    p = problem([engineer("a")], [task("near", 1000), task("far", 3000)])
    plan = Plan((_route("a", [("near", 1000, EIGHT + 1000), ("far", 3000, 9 * H + 3000)]),), ())
    best = InsertionIndex(p, plan).best(task("new", 2000))[0]
    assert (best.engineer_id, best.position, best.added_travel_seconds) == ("a", 1, 0)
    assert best.start == 9 * H + 2000


def test_positions_that_break_a_later_window_are_refused():
    tight = task("tight", 3000, windows=((9 * H + 3000, 9 * H + 3000),))
    p = problem([engineer("a")], [task("near", 1000), tight])
    plan = Plan((_route("a", [("near", 1000, EIGHT + 1000), ("tight", 3000, 9 * H + 3000)]),), ())
    found = InsertionIndex(p, plan).best(task("new", 2000), limit=50)
    assert [i.position for i in found] == [2]  # only after the tight visit


def test_unqualified_engineers_and_empty_shifts():
    p = problem([engineer("a"), engineer("b", 5000, skills={"hvac": 1})], [])
    found = InsertionIndex(p, Plan((), ())).best(task("new", 4000, skills={"hvac": 1}), limit=50)
    assert {i.engineer_id for i in found} == {"b"}
    assert found[0].added_travel_seconds == 2000


def test_lunch_gap_keeps_room_for_the_break():
    lunch = LunchBreak(H, 12 * H, 13 * H)  # exactly 12:00-13:00
    p = problem([engineer("a", lunch=lunch)], [task("am", 0), task("pm", 0)])
    plan = Plan((_route("a", [("am", 0, 11 * H), ("pm", 0, 13 * H)], lunch_start=12 * H),), ())
    found = InsertionIndex(p, plan).best(task("new", 0, duration=1800), limit=50)
    assert all(not (11 * H < i.start < 13 * H) for i in found)


def test_lateness_is_priced_by_priority():
    p = problem([engineer("a")], [])
    late = task("new", 2 * H, priority=Priority.P1, sla_deadline=9 * H)
    best = InsertionIndex(p, Plan((), ())).best(late)[0]
    assert best.late_seconds == EIGHT + 2 * H + H - 9 * H
    assert best.cost == 2 * (2 * H) * p.policy.travel_per_second + 2 * (2 * H) * p.policy.travel_per_metre + (
        best.late_seconds * p.policy.lateness(Priority.P1)
    )


def test_explanation_names_the_alternative_with_its_extra_travel():
    p = problem([engineer("a", 0), engineer("b", 3000)], [task("t", 500)])
    plan = solved(p)
    (explanation,) = explain(p, plan)
    assert explanation.engineer_id == "a"
    assert explanation.alternative is not None
    assert explanation.alternative.engineer_id == "b"
    assert explanation.alternative.extra_travel_seconds == 2 * 2500 - 2 * 500
    assert "b would add 67 min travel" in explanation.alternative.text


# -- brute force ----------------------------------------------------------------------------------


def _earliest(p, eng, sequence):
    """Earliest schedule of a fixed sequence by plain simulation, or None if it does not fit."""
    shift = eng.shifts[0]
    here, free, visits = eng.start, shift.start, []
    seconds = p.travel.matrices
    for t in sequence:
        leg = seconds([here, t.location]).seconds[0][1]
        arrival = free + leg
        windows = t.windows or (TimeWindow(0, p.horizon_end),)
        start = min((max(arrival, w.start) for w in windows if w.end >= arrival), default=None)
        if start is None:
            return None
        visits.append(Visit(t.id, arrival, start, start + t.duration, leg, leg))
        here, free = t.location, start + t.duration
    back = seconds([here, eng.start]).seconds[0][1]
    if free + back > shift.end + eng.overtime_max:
        return None
    return visits, free + back


def _cost(p, eng, sequence, schedule):
    visits, ret = schedule
    travel = (
        sum(v.travel_seconds for v in visits)
        + p.travel.matrices([sequence[-1].location if sequence else eng.start, eng.start]).seconds[0][1]
    )
    late = sum(
        max(0, v.end - t.sla_deadline) * p.policy.lateness(t.priority)
        for v, t in zip(visits, sequence, strict=True)
        if t.sla_deadline is not None
    )
    overtime = max(0, ret - eng.shifts[0].end) * p.policy.overtime_per_second
    return travel * (p.policy.travel_per_second + p.policy.travel_per_metre) + late + overtime


coords = st.integers(0, 6000)


@st.composite
def instances(draw):
    def a_task(i):
        x = draw(coords)
        windows = ()
        if draw(st.booleans()):
            a = draw(st.integers(8 * H, 15 * H))
            windows = ((a, a + draw(st.integers(0, 2 * H))),)
            if draw(st.booleans()):
                b = a + draw(st.integers(3 * H, 5 * H))
                windows += ((b, b + draw(st.integers(0, H))),)
        deadline = draw(st.one_of(st.none(), st.integers(9 * H, 16 * H)))
        return task(
            f"t{i}",
            x,
            duration=draw(st.integers(600, 2 * H)),
            windows=windows,
            sla_deadline=deadline,
            priority=draw(st.sampled_from(list(Priority))),
        )

    engineers = [engineer(f"e{i}", draw(coords), overtime_max=draw(st.sampled_from([0, H]))) for i in range(2)]
    tasks = [a_task(i) for i in range(draw(st.integers(0, 5)))]
    return problem(engineers, tasks), a_task(99)


@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_insertion_agrees_with_brute_force(case):
    p, new = case
    plan = solved(p, QUICK)
    found = {(i.engineer_id, i.position): i.cost for i in InsertionIndex(p, plan).best(new, limit=10_000)}
    tasks = {t.id: t for t in p.tasks}
    expected = {}
    for eng in p.engineers:
        route = plan.route_of(eng.id, 0)
        sequence = [tasks[v.task_id] for v in route.visits] if route else []
        before = _earliest(p, eng, sequence)
        assert before is not None
        for position in range(len(sequence) + 1):
            trial = [*sequence[:position], new, *sequence[position:]]
            after = _earliest(p, eng, trial)
            if after is None:
                continue
            trial_plan = Plan(
                (
                    *tuple(r for r in plan.routes if r.engineer_id != eng.id),
                    Route(
                        eng.id,
                        0,
                        eng.shifts[0].start,
                        eng.shifts[0].end,
                        eng.shifts[0].start,
                        after[1],
                        tuple(after[0]),
                    ),
                ),
                plan.unassigned,
            )
            p_with = replace(p, tasks=(*p.tasks, new))
            assert check_plan(p_with, trial_plan) == []
            expected[eng.id, position] = _cost(p, eng, trial, after) - _cost(p, eng, sequence, before)
    assert found == expected
