"""Who may serve a task and when: one rule per function, shared by the pre-check and the solver.

The independent checker (``checker.py``) deliberately re-derives these rules on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduling.problem import Engineer, Problem, Shift, SkillRequirement, Task, TimeWindow


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One engineer on one shift: the routing model's vehicle."""

    index: int
    engineer: Engineer
    shift: Shift


def missing_skill(engineer: Engineer, task: Task) -> SkillRequirement | None:
    """The first required skill the engineer lacks or holds below the minimum level."""
    for need in task.skills:
        if engineer.skills.get(need.skill, 0) < need.min_level:
            return need
    return None


def missing_certification(engineer: Engineer, task: Task, day: int) -> str | None:
    """The first required certification not valid on ``day`` (valid_until is the last valid day)."""
    for cert in task.certifications:
        valid_until = engineer.certifications.get(cert)
        if valid_until is None or valid_until < day:
            return cert
    return None


def allowed_starts(task: Task, horizon_end: int, sla_hard: bool) -> list[TimeWindow]:
    """The task's own start domain: a pin's start, else its windows (the horizon if none), cut by a hard SLA."""
    if task.pin is not None and task.pin.start is not None:
        return [TimeWindow(task.pin.start, task.pin.start)]
    windows = sorted(task.windows, key=lambda w: w.start) or [TimeWindow(0, horizon_end)]
    if sla_hard and task.sla_deadline is not None:
        latest = task.sla_deadline - task.duration
        windows = [TimeWindow(w.start, min(w.end, latest)) for w in windows if w.start <= latest]
    return merge(windows)


def merge(windows: list[TimeWindow]) -> list[TimeWindow]:
    """Sorted, non-overlapping windows (touching ones joined)."""
    out: list[TimeWindow] = []
    for w in sorted(windows, key=lambda w: w.start):
        if w.end < w.start:
            continue
        if out and w.start <= out[-1].end + 1:
            out[-1] = TimeWindow(out[-1].start, max(out[-1].end, w.end))
        else:
            out.append(w)
    return out


def starts_in_shift(task: Task, engineer: Engineer, shift: Shift, domain: list[TimeWindow]) -> list[TimeWindow]:
    """Starts in ``domain`` that let the task be done within the shift (overtime allowance included)."""
    latest = shift.end + engineer.overtime_max - task.duration
    return [
        TimeWindow(max(w.start, shift.start), min(w.end, latest))
        for w in domain
        if max(w.start, shift.start) <= min(w.end, latest)
    ]


def pinned_engineer_ok(task: Task, engineer: Engineer) -> bool:
    return task.pin is None or task.pin.engineer_id is None or task.pin.engineer_id == engineer.id


def vehicles_of(engineers: tuple[Engineer, ...]) -> list[Vehicle]:
    """One vehicle per engineer per shift, in engineer order then shift start."""
    out: list[Vehicle] = []
    for engineer in engineers:
        for shift in sorted(engineer.shifts, key=lambda s: s.start):
            out.append(Vehicle(index=len(out), engineer=engineer, shift=shift))
    return out


def stable_start(problem: Problem, task: Task) -> int | None:
    """The previous start that stability holds the task to (None: no such cost)."""
    previous = task.previous
    if previous is None or previous.start is None or task.pin is not None:
        return None
    return previous.start if problem.policy.stability_per_second > 0 else None


def stable_engineer(problem: Problem, task: Task) -> str | None:
    """The previous engineer whose replacement costs ``stability_engineer_change`` (None: no cost)."""
    previous = task.previous
    # a crew's members other than the lead would always count as changed: crews are left out
    if previous is None or previous.engineer_id is None or task.pin is not None or task.crew_size > 1:
        return None
    return previous.engineer_id if problem.policy.stability_engineer_change > 0 else None
