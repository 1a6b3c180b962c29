"""Explanations of a plan: each assignment's cost breakdown and the best other engineer for it.

The alternative comes from the exact insertion evaluator: the task is tried at every position of
every other engineer's shifts; the extra cost compares that insertion with what the task adds where
it is now, priced by the same evaluator at its own place (``InsertionIndex.where_it_is``), so both
sides carry the solver's objective: travel, lateness, overtime, territory, the engineer's cost rate on
the working span and stability ("B would add 34 min travel and be 12 min late").
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from scheduling.insertion import InsertionIndex
from scheduling.plan import CostBreakdown, Plan, Route, Visit
from scheduling.problem import Problem, Task


@dataclass(frozen=True, slots=True)
class Alternative:
    engineer_id: str
    day: int
    start: int
    extra_cost: int  # compared with the current assignment; may be negative after manual moves
    extra_travel_seconds: int
    late_seconds: int
    text: str


@dataclass(frozen=True, slots=True)
class Explanation:
    task_id: str
    engineer_id: str
    day: int
    cost: CostBreakdown
    alternative: Alternative | None
    text: str


def explain(problem: Problem, plan: Plan, index: InsertionIndex | None = None) -> list[Explanation]:
    index = index or InsertionIndex(problem, plan)
    tasks = {t.id: t for t in problem.tasks}
    out: list[Explanation] = []
    for route in plan.routes:
        for position, visit in enumerate(route.visits):
            out.append(_explain_one(problem, tasks, index, route, position, visit))
    return out


def explain_task(problem: Problem, plan: Plan, task_id: str, index: InsertionIndex | None = None) -> Explanation | None:
    """``explain`` for one task (its lead's visit): what the dispatch board asks about a single card,
    without pricing the alternatives of every other visit. None if the task is not in the plan.

    A pinned task is priced elsewhere as if it were not pinned: who else could take it is the question
    of whether to unpin and move it."""
    for route in plan.routes:
        for position, visit in enumerate(route.visits):
            if visit.task_id == task_id:
                index = index or InsertionIndex(problem, plan)
                tasks = {t.id: t for t in problem.tasks}
                tasks[task_id] = replace(tasks[task_id], pin=None)
                return _explain_one(problem, tasks, index, route, position, visit)
    return None


def _explain_one(
    problem: Problem, tasks: dict[str, Task], index: InsertionIndex, route: Route, position: int, visit: Visit
) -> Explanation:
    task = tasks[visit.task_id]
    # what the task adds where it is, priced by the evaluator that prices the alternative: the same
    # objective as the solver's on both sides (cost rate on the working span, stability included)
    here = index.where_it_is(route, task)
    if here is not None:
        detour, own_cost = here.added_travel_seconds, here.cost
    else:
        detour = _detour_seconds(problem, tasks, route, position)
        own_cost = problem.policy.travel_per_second * detour + visit.cost.total - visit.cost.travel
    best = index.best(task, limit=1, exclude=frozenset({route.engineer_id}))
    alternative = None
    if best:
        alt = best[0]
        extra_travel = alt.added_travel_seconds - detour
        alternative = Alternative(
            engineer_id=alt.engineer_id,
            day=alt.day,
            start=alt.start,
            extra_cost=alt.cost - own_cost,
            extra_travel_seconds=extra_travel,
            late_seconds=alt.late_seconds,
            text=_sentence(alt.engineer_id, extra_travel, alt.late_seconds, alt.cost - own_cost),
        )
    text = (
        f"{route.engineer_id}: {_minutes(visit.travel_seconds)} min travel to it"
        + (f", {_minutes(visit.late_seconds)} min late" if visit.late_seconds else "")
        + (f", {_minutes(visit.cost.overtime_seconds)} min overtime" if visit.cost.overtime_seconds else "")
        + (f"; {alternative.text}" if alternative else "; no other engineer could take it")
    )
    return Explanation(task.id, route.engineer_id, route.day, visit.cost, alternative, text)


def _detour_seconds(problem: Problem, tasks: dict[str, Task], route: Route, position: int) -> int:
    """Travel the task adds to its route: in and out legs minus the direct leg it replaced."""
    engineer = problem.engineer(route.engineer_id)
    before = engineer.start if position == 0 else tasks[route.visits[position - 1].task_id].location
    after = (
        engineer.end_location
        if position == len(route.visits) - 1
        else tasks[route.visits[position + 1].task_id].location
    )
    here = tasks[route.visits[position].task_id].location
    m = problem.travel.matrices([before, here, after])
    return m.seconds[0][1] + m.seconds[1][2] - m.seconds[0][2]


def _minutes(seconds: int) -> int:
    return round(seconds / 60)


def _sentence(engineer_id: str, extra_travel: int, late: int, extra_cost: int) -> str:
    travel = (
        f"add {_minutes(extra_travel)} min travel"
        if extra_travel >= 0
        else f"save {_minutes(-extra_travel)} min travel"
    )
    lateness = f" and be {_minutes(late)} min late" if late else ""
    return f"{engineer_id} would {travel}{lateness} (cost {extra_cost:+d})"
