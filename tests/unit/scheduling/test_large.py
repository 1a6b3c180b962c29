"""Large-problem machinery on small instances: shared depots, decomposition, id lookups."""

from __future__ import annotations

import random
from dataclasses import replace

from scheduling import decompose
from scheduling.checker import check_plan
from scheduling.policy import Priority, balanced
from scheduling.problem import Location
from scheduling.solver import SolveParams, solve

from .builders import WORK, H, engineer, problem, solved, task


def _scattered(n: int, vans: int, seed: int = 3):
    rng = random.Random(seed)
    tasks = [task(f"t{i}", rng.randint(-3000, 3000), rng.randint(-3000, 3000), duration=900) for i in range(n)]
    return problem([engineer(f"e{k}") for k in range(vans)], tasks)


def test_engineers_sharing_a_depot_and_swapped_homes_are_routed():
    a_to_b = replace(engineer("ab", 0), end=Location(5000, 0))
    b_to_a = replace(engineer("ba", 5000), end=Location(0, 0))
    depot_mates = [engineer("d1", 0), engineer("d2", 0)]
    p = problem([a_to_b, b_to_a, *depot_mates], [task(f"t{i}", 1000 * i) for i in range(6)])
    plan = solved(p)
    assert plan.unassigned == ()


def test_decomposition_keeps_every_task_and_only_lowers_the_objective():
    p = _scattered(60, 8)
    # without ruin and recreate, which takes the decomposition's place where it applies
    params = SolveParams(large_from=10, part_size=15, ruin_recreate_share=0, work_limit=WORK)
    seen: list[int] = []
    plan = solve(p, params, on_progress=lambda _t, objective: seen.append(objective))
    assert check_plan(p, plan) == []
    assert plan.unassigned == ()
    assert len(seen) > 1 and seen == sorted(seen, reverse=True)  # the parts improved it, never worsened it
    # the reported objective is the plan's real travel cost (min_travel: 3/s + 1/m)
    assert plan.stats.objective == 3 * plan.kpis.travel_seconds + plan.kpis.travel_metres


def test_rules_that_couple_routes_are_not_decomposed():
    p = _scattered(12, 2)
    assert decompose.decomposable(p)
    assert not decompose.decomposable(replace(p, policy=balanced()))
    crew = replace(p, tasks=(*p.tasks, task("crew", 0, crew_size=2)))
    after = replace(p, tasks=(*p.tasks, task("later", 0, after=("t0",))))
    assert not decompose.decomposable(crew)
    assert not decompose.decomposable(after)


def test_large_problems_without_decomposition_still_get_a_checked_plan():
    p = replace(_scattered(40, 6), policy=balanced())
    plan = solve(p, SolveParams(large_from=10, work_limit=WORK))
    assert check_plan(p, plan) == []
    assert plan.unassigned == ()


def test_lookups_by_id_follow_replace():
    p = _scattered(3, 1)
    urgent = replace(p.tasks[0], priority=Priority.P1)
    q = replace(p, tasks=(urgent, *p.tasks[1:]))
    assert q.task("t0").priority == Priority.P1
    assert p.task("t0").priority == Priority.P3
    assert q.engineer("e0").shifts[0].end == 17 * H


def test_an_overloaded_field_day_leaves_out_low_priorities_never_a_p1():
    """The field scenario's generator at 20 engineers × 160 tasks: more work than hours, mixed
    priorities, windows, lunches, SLAs. Lower priorities give way; every P1 gets served."""
    from bench.field_scenario import scenario

    p = scenario(20, 160, seed=7)
    plan = solve(p, SolveParams(large_from=100, work_limit=WORK))
    assert check_plan(p, plan) == []
    left_out = {u.task_id for u in plan.unassigned}
    assert len(left_out) > 10  # a real squeeze
    assert [t.id for t in p.tasks if t.priority == Priority.P1 and t.id in left_out] == []
