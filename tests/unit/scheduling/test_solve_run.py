"""The solve as a run: progress, cancellation, statistics and KPIs; never 'no plan'."""

from __future__ import annotations

import time

from scheduling.solver import SolveParams, solve

from .builders import H, engineer, problem, solved, task


def _instance():
    return problem([engineer("a"), engineer("b", 1000)], [task(f"t{i}", 150 * i, duration=H) for i in range(8)])


def test_progress_reports_a_falling_objective():
    seen = []
    plan = solve(_instance(), SolveParams(time_limit_seconds=0.5), on_progress=lambda s, obj: seen.append(obj))
    assert seen and seen == sorted(seen, reverse=True)
    assert plan.stats.progress[-1][1] == seen[-1]
    assert plan.stats.objective <= seen[0]


def test_stop_callback_cancels_the_search_and_still_returns_a_plan():
    began = time.monotonic()
    plan = solve(_instance(), SolveParams(time_limit_seconds=30), stop=lambda: True)
    assert time.monotonic() - began < 5
    assert len(plan.routes) >= 1
    assert not plan.unassigned


def test_kpis_add_up():
    plan = solved(_instance())
    assert plan.kpis.tasks_assigned == 8
    assert plan.kpis.travel_seconds == sum(r.travel_seconds for r in plan.routes) > 0
    assert plan.kpis.service_seconds == 8 * H
    assert 0 < plan.kpis.utilization <= 1


def test_nothing_to_solve_is_still_a_plan():
    plan = solved(problem([engineer("a")], [task("t", skills={"x": 1})]))
    assert plan.routes == ()
    assert plan.stats.status == "nothing_to_solve"
    assert plan.kpis.unassigned_by_priority == {3: 1}
