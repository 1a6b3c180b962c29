"""Ruin and recreate after OR-Tools: where it applies, and that what it returns is a valid, cheaper plan."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from bench._instances import read, to_problem
from scheduling import _routing, ruin_recreate
from scheduling.checker import check_plan
from scheduling.feasibility import check
from scheduling.plan import Plan, SolverStats
from scheduling.policy import Priority, balanced, min_travel
from scheduling.problem import LunchBreak, Pin, Previous, Problem
from scheduling.solver import SolveParams, _plan, solve

from .builders import WORK, H, at, engineer, problem, task


def _model(p: Problem) -> _routing.Model:
    return _routing.build(p, check(p))


def _plain() -> Problem:
    return problem([engineer("a"), engineer("b", 5000)], [task("t1", 100), task("t2", 4000)])


def test_a_travel_only_problem_qualifies():
    p = _plain()
    assert ruin_recreate.applies(p, _model(p))


@pytest.mark.parametrize("change", ["crew", "previous plan"])
def test_rules_the_kernel_does_not_know_keep_it_out(change: str):
    p = _plain()
    first = p.tasks[0]
    if change == "crew":
        p = replace(p, tasks=(replace(first, crew_size=2), *p.tasks[1:]))
    elif change == "previous plan":
        p = replace(p, tasks=(replace(first, previous=Previous("a", 9 * H)), *p.tasks[1:]))
    assert not ruin_recreate.applies(p, _model(p))


def test_lunch_deadlines_overtime_territories_and_balance_are_known():
    p = _random_problem(0, field_rules=True)
    assert ruin_recreate.applies(p, _model(p))


def _random_problem(seed: int, *, field_rules: bool = False) -> Problem:
    """Three engineers over two days, skills, vans, one or two windows per task, mixed priorities;
    ``field_rules`` adds lunch breaks, soft SLA deadlines, paid overtime, territories, workload
    balance (the ``balanced`` policy), hourly costs, work under way, a pinned visit and dependencies."""
    rng = random.Random(seed)
    lunch = LunchBreak(1800, 11 * H + 1800, 14 * H) if field_rules else None
    overtime = H if field_rules else 0
    engineers = [
        engineer("a", 0, skills={"gas": 1}, days=(0, 1), capacity=6, lunch=lunch, overtime_max=overtime),
        engineer("b", 20_000, days=(0, 1), capacity=8, lunch=lunch, territory="north" if field_rules else None),
        engineer(
            "c", 10_000, skills={"gas": 1}, days=(1,), overtime_max=overtime, territory="south" if field_rules else None
        ),
    ]
    tasks = []
    for n in range(30):
        day = rng.randrange(2) * 86_400
        opens = day + rng.randrange(8 * H, 15 * H)
        windows = [(opens, opens + rng.choice((1800, 2 * H, 4 * H)))]
        if rng.random() < 0.4:
            later = windows[0][1] + rng.randrange(H, 3 * H)
            windows.append((later, later + H))
        tasks.append(
            task(
                f"t{n}",
                rng.uniform(0, 30_000),
                rng.uniform(-5000, 5000),
                duration=rng.choice((900, 1800, 3600)),
                skills={"gas": 1} if rng.random() < 0.3 else None,
                windows=tuple(windows),
                priority=rng.choice(list(Priority)),
                demand=rng.randrange(0, 3),
                sla_deadline=day + rng.randrange(10 * H, 18 * H) if field_rules and rng.random() < 0.5 else None,
                territory=rng.choice(("north", "south")) if field_rules else None,
            )
        )
    if field_rules:
        # a costs 2 a second of its working day, c 1
        engineers = [replace(engineers[0], cost_rate=2), engineers[1], replace(engineers[2], cost_rate=1)]
        # work under way where b starts, and a visit pinned to a at 10:00
        tasks[0] = replace(tasks[0], location=at(20_000), windows=(), sla_deadline=None, skills=(), demand=0)
        tasks[0] = replace(tasks[0], pin=Pin(engineer_id="b", start=8 * H, in_progress=True))
        tasks[1] = replace(tasks[1], windows=(), sla_deadline=None, skills=(), demand=0)
        tasks[1] = replace(tasks[1], location=at(5000), pin=Pin(engineer_id="a", start=10 * H))
        # t3 and t4 wait for t2 (a second visit after the first, on any engineer)
        tasks[2] = replace(tasks[2], windows=(), sla_deadline=None)
        tasks[3] = replace(tasks[3], windows=(), sla_deadline=None, after=("t2",))
        tasks[4] = replace(tasks[4], windows=(), sla_deadline=None, after=("t2",))
    return problem(engineers, tasks, policy=balanced() if field_rules else min_travel(), days=2)


def _improved(p: Problem, solutions: int, iterations: int) -> tuple[int, _routing.RawSolution, Plan]:
    """OR-Tools' plan after ``solutions`` solutions, then ``iterations`` of ruin and recreate (work, not
    seconds: the same plans however busy the machine)."""
    feasibility = check(p)
    model = _routing.build(p, feasibility)
    params = _routing.SearchParams(
        0, "LOCAL_CHEAPEST_INSERTION", "GUIDED_LOCAL_SEARCH", solution_limit=solutions, branch_limit=WORK.branches
    )
    raw = _routing.search(model, params, None, None)
    knobs = ruin_recreate.RuinRecreateParams(max_iterations=iterations)
    out = ruin_recreate.improve(p, feasibility, model, raw, 0, seed=1, params=knobs)
    return raw.objective, out, _plan(p, feasibility, model, out.routes or [], SolverStats(status="test"))


@pytest.mark.parametrize("field_rules", [False, True], ids=["routing", "field rules"])
@pytest.mark.parametrize("seed", range(6))
def test_improved_plans_keep_every_rule_and_cost_what_they_claim(seed: int, field_rules: bool):
    p = _random_problem(seed, field_rules=field_rules)
    before, out, plan = _improved(p, 2, 2000)
    assert check_plan(p, plan) == []
    assert out.objective <= before
    # the objective is what the plan's visits cost (travel, lateness, overtime, territory), the drive
    # home, work above the fair share, and the penalty of every task left out
    policy = p.policy
    penalties = _routing.unassigned_penalties(p, [t for t in p.tasks if t.id in check(p).eligible])
    costs = sum(
        v.cost.travel + v.cost.lateness + v.cost.overtime + v.cost.territory for r in plan.routes for v in r.visits
    )
    costs += sum(policy.travel_per_second * r.return_travel_seconds for r in plan.routes)
    costs += sum(policy.travel_per_metre * r.return_travel_metres for r in plan.routes)
    vehicles = sum(len(e.shifts) for e in p.engineers)
    fair = -(-sum(t.duration for t in p.tasks if t.id in penalties) // vehicles)
    work = [sum(v.end - v.start for v in r.visits) for r in plan.routes]
    costs += sum(policy.balance_per_second * max(0, w - fair) for w in work)
    rates = {e.id: e.cost_rate for e in p.engineers}
    costs += sum(rates[r.engineer_id] * (r.return_at - r.departure) for r in plan.routes)
    left_out = sum(penalties[u.task_id] for u in plan.unassigned if u.task_id in penalties)
    assert out.objective == costs + left_out


@pytest.mark.parametrize("seed", range(3))
def test_work_under_way_stays_first_and_pins_stay_put(seed: int):
    p = _random_problem(seed, field_rules=True)
    _, _, plan = _improved(p, 2, 2000)
    assert check_plan(p, plan) == []
    under_way = next(r for r in plan.routes if any(v.task_id == "t0" for v in r.visits))
    assert (under_way.engineer_id, under_way.visits[0].task_id, under_way.visits[0].start) == ("b", "t0", 8 * H)
    pinned = next(r for r in plan.routes if any(v.task_id == "t1" for v in r.visits))
    assert pinned.engineer_id == "a" and next(v.start for v in pinned.visits if v.task_id == "t1") == 10 * H


@pytest.mark.parametrize("seed", range(4))
def test_a_task_waiting_for_another_is_served_only_after_it(seed: int):
    p = _random_problem(seed, field_rules=True)
    _, _, plan = _improved(p, 2, 2000)
    assert check_plan(p, plan) == []  # the checker's dependency rule: served only after t2 ends
    visits = {v.task_id: v for r in plan.routes for v in r.visits}
    for waiting in ("t3", "t4"):
        if waiting in visits:
            assert "t2" in visits and visits[waiting].start >= visits["t2"].end


def _solomon_like(path: Path, customers: int = 100, seed: int = 3) -> Path:
    """A random instance in Solomon's text format: a central depot, windows on a 1,000-unit day."""
    rng = random.Random(seed)
    lines = [
        "RANDOM",
        "",
        "VEHICLE",
        "NUMBER     CAPACITY",
        "  25         200",
        "",
        "CUSTOMER",
        "CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME",
        "",
        "    0      50         50          0          0       1000          0",
    ]
    for n in range(1, customers + 1):
        ready = rng.randrange(0, 650)  # every customer reachable from the depot and back in time
        lines.append(
            f"{n:5d} {rng.randrange(0, 101):6d} {rng.randrange(0, 101):6d} {rng.randrange(1, 30):6d} "
            f"{ready:8d} {ready + rng.randrange(80, 200):8d} {10:8d}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def test_it_shortens_what_guided_local_search_settled_on(tmp_path: Path):
    p = to_problem(read(_solomon_like(tmp_path / "random.txt")))
    before, out, plan = _improved(p, 20, 5000)
    assert check_plan(p, plan) == [] and not plan.unassigned
    assert out.objective < before
    assert out.progress[-1][1] == out.objective  # the improvements are reported as progress


def test_a_stop_request_ends_it_at_once():
    p = _random_problem(1)
    feasibility = check(p)
    model = _routing.build(p, feasibility)
    params = _routing.SearchParams(0, "SAVINGS", "GUIDED_LOCAL_SEARCH", solution_limit=2, branch_limit=WORK.branches)
    raw = _routing.search(model, params, None, None)
    out = ruin_recreate.improve(p, feasibility, model, raw, 30.0, stop=lambda: True)
    assert out is raw


def test_a_work_limited_solve_gives_the_same_plan_every_time():
    p = _random_problem(2)
    first, again = (solve(p, SolveParams(work_limit=WORK)) for _ in range(2))
    assert check_plan(p, first) == []
    assert again.routes == first.routes and again.stats.objective == first.stats.objective


def test_a_time_limited_solve_still_gives_a_checked_plan():
    # production's path: how far the search gets depends on the machine, the plan's soundness does not
    p = _random_problem(2)
    assert check_plan(p, solve(p, SolveParams(time_limit_seconds=0.3))) == []


def test_a_share_of_zero_leaves_or_tools_alone():
    p = _random_problem(3)
    plan = solve(p, SolveParams(ruin_recreate_share=0, work_limit=WORK))
    assert check_plan(p, plan) == []


def test_a_ruin_walks_the_nearest_tasks_first_and_never_the_task_itself():
    import numpy as np

    line = np.array([0, 10, 11, 30, 31, 50])
    closeness = np.abs(line[:, None] - line[None, :]).astype(np.int64)
    np.fill_diagonal(closeness, np.iinfo(np.int64).max)

    assert ruin_recreate._nearest(closeness, 2).tolist() == [[1, 2], [2, 0], [1, 0], [4, 2], [3, 5], [4, 3]]
    assert ruin_recreate._nearest(closeness, 99)[0].tolist() == [1, 2, 3, 4, 5]
