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
    eligible: dict[str, tuple[int, ...]] = {}
    rejected: dict[str, Unassigned] = {}
    for task in problem.tasks:
        outcome = _vehicles_for(task, problem, vehicles)
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


def _vehicles_for(task: Task, problem: Problem, vehicles: list[Vehicle]) -> tuple[int, ...] | Unassigned:
    skilled = [v for v in vehicles if missing_skill(v.engineer, task) is None]
    if not skilled:
        return _no_skill(task, problem)
    if task.pin is not None and task.pin.engineer_id is not None:
        skilled = [v for v in skilled if pinned_engineer_ok(task, v.engineer)]
        if not skilled:
            return Unassigned(
                task.id, Reason.PIN_INFEASIBLE, f"pinned engineer {task.pin.engineer_id} cannot do this task"
            )
    domain = allowed_starts(task, problem.horizon_end, problem.policy.sla_hard)
    available = [v for v in skilled if starts_in_shift(task, v.engineer, v.shift, domain)]
    if not available:
        what = "its pinned start" if task.pin is not None and task.pin.start is not None else "its time windows"
        return Unassigned(task.id, Reason.NO_AVAILABILITY, f"no qualified engineer's shift overlaps {what}")
    certified = [v for v in available if missing_certification(v.engineer, task, v.shift.day) is None]
    if not certified:
        cert = missing_certification(available[0].engineer, task, available[0].shift.day)
        return Unassigned(
            task.id, Reason.NO_CERTIFICATION, f"certification {cert} missing or expired on the task's possible days"
        )
    engineers = {v.engineer.id for v in certified}
    if task.crew_size > len(engineers):
        return Unassigned(
            task.id,
            Reason.CREW_TOO_LARGE,
            f"needs a crew of {task.crew_size}, only {len(engineers)} qualified engineer(s)",
        )
    loadable = [v for v in certified if v.engineer.capacity is None or v.engineer.capacity >= task.demand]
    if not loadable:
        return Unassigned(task.id, Reason.CAPACITY, f"load {task.demand} exceeds every qualified engineer's capacity")
    return tuple(v.index for v in loadable)


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
