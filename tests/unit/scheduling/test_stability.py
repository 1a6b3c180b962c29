"""Stability: a re-optimization keeps what was communicated unless a change forces a move.

Sites lie on a line; one metre takes one second of travel. Engineers start at x=0 or x=10000 at 08:00.
"""

from __future__ import annotations

from dataclasses import replace

from scheduling.policy import min_travel
from scheduling.problem import Previous

from .builders import H, engineer, engineer_of, problem, solved, start_of, task, with_previous

WINDOWS = ((9 * H, 12 * H), (10 * H, 15 * H), (8 * H, 17 * H))


def _day() -> tuple[list, list]:
    engineers = [engineer("a", 0), engineer("b", 10_000)]
    tasks = [task(f"a{i}", 300 * i, duration=45 * 60, windows=(WINDOWS[i % 3],)) for i in range(1, 5)]
    tasks += [task(f"b{i}", 10_000 + 300 * i, duration=45 * 60, windows=(WINDOWS[i % 3],)) for i in range(1, 5)]
    return engineers, tasks


def test_an_unchanged_problem_keeps_every_engineer_and_start():
    engineers, tasks = _day()
    first = solved(problem(engineers, tasks))
    again = solved(with_previous(problem(engineers, tasks), first))
    for t in tasks:
        assert engineer_of(again, t.id) == engineer_of(first, t.id)
        assert start_of(again, t.id) == start_of(first, t.id)
    assert all(v.cost.stability == 0 for r in again.routes for v in r.visits)


def test_a_sick_engineer_moves_only_their_own_tasks():
    engineers, tasks = _day()
    first = solved(problem(engineers, tasks))
    sick = with_previous(problem(engineers[:1], tasks), first)  # b is off sick
    again = solved(sick)
    for t in tasks:
        assert engineer_of(again, t.id) == "a" or t.id.startswith("b")
        if engineer_of(first, t.id) == "a":
            assert start_of(again, t.id) == start_of(first, t.id), t.id  # a's own day stays as promised
    moved = [v for r in again.routes for v in r.visits if v.cost.engineer_changed]
    assert {v.task_id for v in moved} == {t.id for t in tasks if engineer_of(first, t.id) == "b"} & {
        v.task_id for r in again.routes for v in r.visits
    }
    assert all(v.cost.stability >= min_travel().stability_engineer_change for v in moved)


def test_stability_outweighs_a_small_saving():
    """Two equal engineers; the previous plan gave the task to the one slightly farther away.
    Without stability the nearer one takes it; with it, the communicated engineer keeps it."""
    near, far = engineer("near", 0), engineer("far", 300)
    t = task("t", 100, windows=((10 * H, 11 * H),))
    previous = replace(t, previous=Previous("far", 10 * H))
    fresh = solved(problem([near, far], [t]))
    assert engineer_of(fresh, "t") == "near"
    kept = solved(problem([near, far], [previous]))
    assert engineer_of(kept, "t") == "far"
    assert start_of(kept, "t") == 10 * H
    loose = solved(problem([near, far], [previous], policy=replace(min_travel(), stability_engineer_change=0)))
    assert engineer_of(loose, "t") == "near"


def test_a_start_moves_only_as_far_as_a_new_window_forces_it():
    base = task("t", 100, windows=((13 * H, 15 * H),))
    moved = replace(base, previous=Previous("a", 10 * H))  # the customer now wants the afternoon
    plan = solved(problem([engineer("a")], [moved]))
    assert start_of(plan, "t") == 13 * H
    assert plan.routes[0].visits[0].cost.moved_seconds == 3 * H
