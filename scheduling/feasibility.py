"""The pre-check: which vehicles may serve each task, and a reason for every task nobody can serve.

Tasks rejected here never reach the solver. The order of the checks decides which reason is given:
skills, pin, availability (shift overlaps a window), certification on those days, crew size, capacity,
then dependencies (to a fixed point, since a rejected task rejects the tasks that wait for it).
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduling.eligibility import (
    Vehicle,
    allowed_starts,
    missing_certification,
    missing_skill,
    pinned_engineer_ok,
    starts_in_shift,
    vehicles_of,
)
from scheduling.plan import Reason, Unassigned
from scheduling.problem import Problem, Task


@dataclass(frozen=True, slots=True)
class Feasibility:
    vehicles: tuple[Vehicle, ...]
    eligible: dict[str, tuple[int, ...]]  # task id -> vehicle indices, only for tasks kept
    rejected: tuple[Unassigned, ...]


def check(problem: Problem) -> Feasibility:
    vehicles = vehicles_of(problem.engineers)
    groups = _alike(vehicles)
    singles = [[v] for v in vehicles]
    eligible: dict[str, tuple[int, ...]] = {}
    rejected: dict[str, Unassigned] = {}
    for task in problem.tasks:
        pinned_engineer = task.pin is not None and task.pin.engineer_id is not None
        outcome = _vehicles_for(task, problem, singles if pinned_engineer else groups)
        if isinstance(outcome, Unassigned):
            rejected[task.id] = outcome
        else:
            eligible[task.id] = outcome
    _reject_dependents(problem, eligible, rejected)
    order = {t.id: i for i, t in enumerate(problem.tasks)}
    return Feasibility(
        vehicles=tuple(vehicles),
        eligible=eligible,
        rejected=tuple(sorted(rejected.values(), key=lambda u: order[u.task_id])),
    )


def _alike(vehicles: list[Vehicle]) -> list[list[Vehicle]]:
    """Vehicles every rule treats the same (skills, certifications, shift, overtime, capacity), grouped.

    The rules are then evaluated once per group: a benchmark's 250 identical vans or a team of
    engineers with the same qualifications cost one check per task, not one per vehicle.
    """
    groups: dict[tuple[object, ...], list[Vehicle]] = {}
    for v in vehicles:
        e = v.engineer
        key = (
            tuple(sorted(e.skills.items())),
            tuple(sorted(e.certifications.items())),
            v.shift,
            e.overtime_max,
            e.capacity,
        )
        groups.setdefault(key, []).append(v)
    return list(groups.values())


def _vehicles_for(task: Task, problem: Problem, groups: list[list[Vehicle]]) -> tuple[int, ...] | Unassigned:
    """Rules in order on one representative per group of alike vehicles (see ``_alike``)."""
    skilled = [g for g in groups if missing_skill(g[0].engineer, task) is None]
    if not skilled:
        return _no_skill(task, problem)
    if task.pin is not None and task.pin.engineer_id is not None:
        skilled = [g for g in skilled if pinned_engineer_ok(task, g[0].engineer)]
        if not skilled:
            return Unassigned(
                task.id, Reason.PIN_INFEASIBLE, f"pinned engineer {task.pin.engineer_id} cannot do this task"
            )
    domain = allowed_starts(task, problem.horizon_end, problem.policy.sla_hard)
    available = [g for g in skilled if starts_in_shift(task, g[0].engineer, g[0].shift, domain)]
    if not available:
        what = "its pinned start" if task.pin is not None and task.pin.start is not None else "its time windows"
        return Unassigned(task.id, Reason.NO_AVAILABILITY, f"no qualified engineer's shift overlaps {what}")
    certified = [g for g in available if missing_certification(g[0].engineer, task, g[0].shift.day) is None]
    if not certified:
        first = min(available, key=lambda g: g[0].index)[0]
        cert = missing_certification(first.engineer, task, first.shift.day)
        return Unassigned(
            task.id, Reason.NO_CERTIFICATION, f"certification {cert} missing or expired on the task's possible days"
        )
    engineers = {v.engineer.id for g in certified for v in g}
    if task.crew_size > len(engineers):
        return Unassigned(
            task.id,
            Reason.CREW_TOO_LARGE,
            f"needs a crew of {task.crew_size}, only {len(engineers)} qualified engineer(s)",
        )
    loadable = [g for g in certified if g[0].engineer.capacity is None or g[0].engineer.capacity >= task.demand]
    if not loadable:
        return Unassigned(task.id, Reason.CAPACITY, f"load {task.demand} exceeds every qualified engineer's capacity")
    return tuple(sorted(v.index for g in loadable for v in g))


def _no_skill(task: Task, problem: Problem) -> Unassigned:
    for need in task.skills:
        if not any(e.skills.get(need.skill, 0) >= need.min_level for e in problem.engineers):
            return Unassigned(
                task.id, Reason.NO_SKILL, f"no engineer with skill {need.skill} at level {need.min_level}"
            )
    names = ", ".join(f"{n.skill}≥{n.min_level}" for n in task.skills)
    return Unassigned(task.id, Reason.NO_SKILL, f"no single engineer has all of {names}")


def _reject_dependents(problem: Problem, eligible: dict[str, tuple[int, ...]], rejected: dict[str, Unassigned]) -> None:
    known = {t.id for t in problem.tasks}
    changed = True
    while changed:
        changed = False
        for task in problem.tasks:
            if task.id in rejected:
                continue
            for dep in task.after:
                if dep not in known:
                    reason = Unassigned(task.id, Reason.DEPENDENCY_UNKNOWN, f"depends on unknown task {dep}")
                elif dep in rejected:
                    reason = Unassigned(
                        task.id, Reason.DEPENDENCY_INFEASIBLE, f"depends on {dep}, which cannot be done"
                    )
                else:
                    continue
                rejected[task.id] = reason
                eligible.pop(task.id, None)
                changed = True
                break
    for task_id in _in_cycles(problem, set(eligible)):
        rejected[task_id] = Unassigned(task_id, Reason.DEPENDENCY_CYCLE, "its dependencies form a cycle")
        eligible.pop(task_id, None)


def _in_cycles(problem: Problem, kept: set[str]) -> set[str]:
    """Tasks that can never start because they (transitively) wait for themselves (Kahn's algorithm)."""
    waits = {t.id: {d for d in t.after if d in kept} for t in problem.tasks if t.id in kept}
    done: set[str] = set()
    progress = True
    while progress:
        progress = False
        for task_id, deps in waits.items():
            if task_id not in done and deps <= done:
                done.add(task_id)
                progress = True
    return kept - done
