"""The solve as a run: progress, cancellation, statistics and KPIs; never 'no plan'."""

from __future__ import annotations

from scheduling import _routing
from scheduling.solver import SolveParams, solve
from scheduling.work_limit import WorkLimit

from .builders import WORK, H, engineer, problem, solved, task


def _instance():
    return problem([engineer("a"), engineer("b", 1000)], [task(f"t{i}", 150 * i, duration=H) for i in range(8)])


def test_progress_reports_a_falling_objective():
    seen = []
    plan = solve(_instance(), SolveParams(work_limit=WORK), on_progress=lambda s, obj: seen.append(obj))
    assert seen and seen == sorted(seen, reverse=True)
    assert plan.stats.progress[-1][1] == seen[-1]
    assert plan.stats.objective <= seen[0]


def test_stop_callback_cancels_the_search_and_still_returns_a_plan():
    # work enough for many improvements: stopped, the search keeps its first solution only
    endless = WorkLimit(solutions=10_000, ruin_recreate_iterations=10_000_000)
    plan = solve(_instance(), SolveParams(work_limit=endless), stop=lambda: True)
    assert len(plan.stats.progress) == 1
    assert len(plan.routes) >= 1
    assert not plan.unassigned


def test_a_search_that_finds_no_routes_claims_the_cost_of_leaving_every_task_out():
    """OR-Tools answering no solution at all, as it does when its time limit ends before the first
    one (a loaded machine, a short limit, a large problem). Here a first-solution strategy this model
    cannot run takes the same path without the clock. The plan leaves every task out and its objective
    says what that costs: an objective of 0 read as the cheapest plan of all."""
    p = _instance()
    plan = solve(p, SolveParams(first_solution="SWEEP", portfolio=(), work_limit=WORK))
    assert plan.routes == () and len(plan.unassigned) == len(p.tasks)
    penalties = _routing.unassigned_penalties(p, list(p.tasks))
    assert plan.stats.objective == sum(penalties.values()) > 0


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
