"""Tiny hand-checkable instances: a line of sites on a plane where one metre takes one second."""

from __future__ import annotations

from scheduling.checker import check_plan
from scheduling.plan import Plan
from scheduling.policy import Policy, min_travel
from scheduling.problem import (
    Engineer,
    Location,
    LunchBreak,
    Pin,
    Priority,
    Problem,
    Shift,
    SkillRequirement,
    Task,
    TimeWindow,
)
from scheduling.solver import SolveParams, solve
from scheduling.travel import EuclideanTravel
from scheduling.work_limit import WorkLimit

H = 3600
DAY_SHIFT = (8 * H, 17 * H)

# Solves in tests stop after a fixed amount of work, never at a time limit: the same plan on an idle
# laptop and on a loaded CI runner (a time limit cut OR-Tools before its first solution there)
WORK = WorkLimit()
QUICK = WorkLimit(solutions=5, ruin_recreate_iterations=1000)


def at(x: float, y: float = 0) -> Location:
    return Location(x, y)


def engineer(
    engineer_id: str,
    x: float = 0,
    *,
    skills: dict[str, int] | None = None,
    certifications: dict[str, int] | None = None,
    days: tuple[int, ...] = (0,),
    hours: tuple[int, int] = DAY_SHIFT,
    lunch: LunchBreak | None = None,
    overtime_max: int = 0,
    capacity: int | None = None,
    territory: str | None = None,
) -> Engineer:
    return Engineer(
        id=engineer_id,
        start=at(x),
        shifts=tuple(Shift(d, d * 86_400 + hours[0], d * 86_400 + hours[1]) for d in days),
        skills=skills or {},
        certifications=certifications or {},
        lunch=lunch,
        overtime_max=overtime_max,
        capacity=capacity,
        territory=territory,
    )


def task(
    task_id: str,
    x: float = 0,
    y: float = 0,
    *,
    duration: int = H,
    skills: dict[str, int] | None = None,
    certifications: tuple[str, ...] = (),
    windows: tuple[tuple[int, int], ...] = (),
    priority: Priority = Priority.P3,
    sla_deadline: int | None = None,
    after: tuple[str, ...] = (),
    crew_size: int = 1,
    demand: int = 0,
    pin: Pin | None = None,
    territory: str | None = None,
) -> Task:
    return Task(
        id=task_id,
        location=at(x, y),
        duration=duration,
        skills=tuple(SkillRequirement(s, level) for s, level in (skills or {}).items()),
        certifications=certifications,
        windows=tuple(TimeWindow(a, b) for a, b in windows),
        priority=priority,
        sla_deadline=sla_deadline,
        after=after,
        crew_size=crew_size,
        demand=demand,
        pin=pin,
        territory=territory,
    )


def problem(engineers: list[Engineer], tasks: list[Task], *, policy: Policy | None = None, days: int = 1) -> Problem:
    return Problem(
        engineers=tuple(engineers),
        tasks=tuple(tasks),
        days=days,
        policy=policy or min_travel(),
        travel=EuclideanTravel(),
    )


def solved(p: Problem, work: WorkLimit = WORK) -> Plan:
    """Solve and insist the independent checker finds nothing wrong."""
    plan = solve(p, SolveParams(work_limit=work))
    violations = check_plan(p, plan)
    assert violations == [], violations
    return plan


def engineer_of(plan: Plan, task_id: str) -> str | None:
    found = plan.visits_of(task_id)
    return found[0][0].engineer_id if found else None


def start_of(plan: Plan, task_id: str) -> int:
    return plan.visits_of(task_id)[0][1].start


def reason_of(plan: Plan, task_id: str) -> str | None:
    return next((u.reason.value for u in plan.unassigned if u.task_id == task_id), None)


def with_previous(p: Problem, plan: Plan) -> Problem:
    """The same problem with every planned task carrying where ``plan`` had it (a re-optimization)."""
    from dataclasses import replace

    from scheduling.problem import Previous

    held = {v.task_id: Previous(r.engineer_id, v.start) for r in plan.routes for v in r.visits}
    return replace(p, tasks=tuple(replace(t, previous=held.get(t.id)) for t in p.tasks))
