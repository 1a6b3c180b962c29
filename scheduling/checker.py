"""An independent plan checker: re-derives every hard rule from the problem alone.

Written apart from the solver on purpose (it shares only the data classes and the travel provider),
so a solver bug shows as a violation rather than being checked by itself.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from scheduling.plan import Plan, Route, Visit
from scheduling.problem import DAY, Engineer, Problem, Task
from scheduling.travel import Location


@dataclass(frozen=True, slots=True)
class Violation:
    code: str
    text: str
    task_id: str | None = None
    engineer_id: str | None = None


class _Travel:
    """Travel seconds between the places one route visits, asked of the provider once per route.

    A route only ever needs the legs between its own stops, so a matrix over the route's places (a
    handful) replaces one over every place of the problem: a manual move at 100 engineers x 1,000
    tasks checks the plan in a few thousand distance estimates instead of a million."""

    def __init__(self, problem: Problem, engineer: Engineer, route: Route, tasks: dict[str, Task]) -> None:
        points: dict[Location, int] = {}
        self.index: dict[tuple[str, str], int] = {}

        def at(key: tuple[str, str], where: Location) -> None:
            self.index[key] = points.setdefault(where, len(points))

        at(("start", engineer.id), engineer.start)
        at(("end", engineer.id), engineer.end if engineer.end is not None else engineer.start)
        for visit in route.visits:
            if (task := tasks.get(visit.task_id)) is not None:
                at(("task", task.id), task.location)
        self.seconds = problem.travel.matrices(list(points)).seconds

    def between(self, a: tuple[str, str], b: tuple[str, str]) -> int:
        return self.seconds[self.index[a]][self.index[b]]


def check_plan(problem: Problem, plan: Plan) -> list[Violation]:
    tasks = {t.id: t for t in problem.tasks}
    engineers = {e.id: e for e in problem.engineers}
    out: list[Violation] = []
    for route in plan.routes:
        engineer = engineers.get(route.engineer_id)
        if engineer is None:
            out.append(Violation("unknown_engineer", "route of an unknown engineer", engineer_id=route.engineer_id))
            continue
        out += _check_route(problem, tasks, engineer, route, _Travel(problem, engineer, route, tasks))
    out += _check_coverage(problem, plan)
    out += _check_crews_and_pins(tasks, plan)
    out += _check_dependencies(tasks, plan)
    return out


def _check_route(
    problem: Problem, tasks: dict[str, Task], engineer: Engineer, route: Route, travel: _Travel
) -> list[Violation]:
    out: list[Violation] = []

    def bad(code: str, text: str, task_id: str | None = None) -> None:
        out.append(Violation(code, text, task_id, engineer.id))

    shift = next((s for s in engineer.shifts if s.start == route.shift_start and s.end == route.shift_end), None)
    if shift is None or shift.day != route.day:
        bad("no_shift", f"{engineer.id} has no shift {route.shift_start}-{route.shift_end} on day {route.day}")
        return out
    if route.departure < shift.start:
        bad("before_shift", f"leaves at {route.departure}, before the shift starts at {shift.start}")
    if route.return_at > shift.end + engineer.overtime_max:
        bad("after_shift", f"back at {route.return_at}, past shift end and overtime allowance")
    here, free_at = ("start", engineer.id), route.departure
    load = 0
    gaps: list[tuple[int, int, int]] = []  # (free from, next busy at, travel in between)
    for visit in route.visits:
        task = tasks.get(visit.task_id)
        if task is None:
            bad("unknown_task", "visit of an unknown task", visit.task_id)
            continue
        out += [
            Violation(c, t, task.id, engineer.id) for c, t in _task_rules(problem, engineer, route.day, task, visit)
        ]
        leg = travel.between(here, ("task", task.id))
        if visit.start < free_at + leg:
            bad("travel", f"starts at {visit.start}, cannot arrive before {free_at + leg}", task.id)
        gaps.append((free_at, visit.start, leg))
        here, free_at = ("task", task.id), visit.end
        load += task.demand
    back = travel.between(here, ("end", engineer.id))
    if route.return_at < free_at + back:
        bad("travel", f"back at {route.return_at}, cannot be before {free_at + back}")
    gaps.append((free_at, route.return_at, back))
    if engineer.capacity is not None and load > engineer.capacity:
        bad("capacity", f"load {load} exceeds capacity {engineer.capacity}")
    out += _check_lunch(engineer, route, gaps, shift.start, shift.end + engineer.overtime_max)
    return out


def _task_rules(problem: Problem, engineer: Engineer, day: int, task: Task, visit: Visit) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if visit.end - visit.start != task.duration:
        out.append(("duration", f"lasts {visit.end - visit.start}s, needs {task.duration}s"))
    for need in task.skills:
        if engineer.skills.get(need.skill, 0) < need.min_level:
            out.append(("skill", f"needs {need.skill} at level {need.min_level}"))
    for cert in task.certifications:
        until = engineer.certifications.get(cert)
        if until is None or until < day:
            out.append(("certification", f"certification {cert} not valid on day {day}"))
    pinned_start = task.pin.start if task.pin is not None else None
    if pinned_start is None:
        windows = task.windows or ()
        if windows and not any(w.start <= visit.start <= w.end for w in windows):
            out.append(("window", f"starts at {visit.start}, outside every time window"))
        if not windows and not (0 <= visit.start <= problem.days * DAY):
            out.append(("window", f"starts at {visit.start}, outside the horizon"))
    if problem.policy.sla_hard and task.sla_deadline is not None and visit.end > task.sla_deadline:
        out.append(("sla", f"ends at {visit.end}, after its hard deadline {task.sla_deadline}"))
    return out


def _check_lunch(
    engineer: Engineer, route: Route, gaps: list[tuple[int, int, int]], shift_start: int, shift_end: int
) -> list[Violation]:
    lunch = engineer.lunch
    if lunch is None:
        return []
    earliest, latest = lunch.window_on(route.day)
    if max(earliest, shift_start) + lunch.duration > min(latest, shift_end):
        return []  # the window does not meet the shift: no lunch owed that day
    if route.lunch_start is None:
        return [Violation("lunch", "no lunch break", engineer_id=engineer.id)]
    start, end = route.lunch_start, route.lunch_start + lunch.duration
    if start < earliest or end > latest:
        return [Violation("lunch", f"lunch {start}-{end} outside its window", engineer_id=engineer.id)]
    if start < shift_start or end > shift_end:
        return [Violation("lunch", f"lunch {start}-{end} outside the shift", engineer_id=engineer.id)]
    if (start < route.departure and end <= route.departure) or start >= route.return_at:
        return []  # before leaving or after coming back
    for free, busy, leg in gaps:
        if free <= start and end <= busy and busy - free >= leg + lunch.duration:
            return []
    return [Violation("lunch", f"lunch {start}-{end} overlaps work or travel", engineer_id=engineer.id)]


def _check_coverage(problem: Problem, plan: Plan) -> list[Violation]:
    out: list[Violation] = []
    served: dict[str, int] = defaultdict(int)
    for route in plan.routes:
        for visit in route.visits:
            served[visit.task_id] += 1
    left_out = [u.task_id for u in plan.unassigned]
    for task in problem.tasks:
        count = served.get(task.id, 0) + left_out.count(task.id)
        if task.id in left_out and served.get(task.id, 0):
            out.append(Violation("both", "both served and unassigned", task.id))
        elif count == 0:
            out.append(Violation("missing", "neither served nor unassigned", task.id))
        elif left_out.count(task.id) > 1:
            out.append(Violation("duplicate", "unassigned twice", task.id))
    for unassigned in plan.unassigned:
        if not unassigned.reason or not unassigned.text:
            out.append(Violation("no_reason", "unassigned without a reason", unassigned.task_id))
    return out


def _check_crews_and_pins(tasks: dict[str, Task], plan: Plan) -> list[Violation]:
    out: list[Violation] = []
    visits: dict[str, list[tuple[Route, Visit]]] = defaultdict(list)
    for route in plan.routes:
        for visit in route.visits:
            visits[visit.task_id].append((route, visit))
    for task_id, done in visits.items():
        task = tasks.get(task_id)
        if task is None:
            continue
        if len(done) != task.crew_size:
            out.append(Violation("crew", f"served {len(done)} time(s), crew size {task.crew_size}", task_id))
        if len({r.engineer_id for r, _ in done}) != len(done):
            out.append(Violation("crew", "the same engineer counted twice", task_id))
        if len({v.start for _, v in done}) > 1:
            out.append(Violation("crew", "crew members start at different times", task_id))
        pin = task.pin
        if pin is None:
            continue
        for route, visit in done:
            if pin.engineer_id is not None and route.engineer_id != pin.engineer_id:
                out.append(Violation("pin", f"pinned to {pin.engineer_id}", task_id, route.engineer_id))
            if pin.start is not None and visit.start != pin.start:
                out.append(Violation("pin", f"pinned at {pin.start}, starts at {visit.start}", task_id))
            if pin.in_progress and route.visits[0].task_id != task_id:
                out.append(Violation("pin", "in-progress work is not first on its route", task_id))
    return out


def _check_dependencies(tasks: dict[str, Task], plan: Plan) -> list[Violation]:
    out: list[Violation] = []
    starts: dict[str, int] = {}
    ends: dict[str, int] = {}
    for route in plan.routes:
        for visit in route.visits:
            starts[visit.task_id] = min(starts.get(visit.task_id, visit.start), visit.start)
            ends[visit.task_id] = max(ends.get(visit.task_id, visit.end), visit.end)
    for task_id, start in starts.items():
        task = tasks.get(task_id)
        for dep in task.after if task is not None else ():
            if dep not in ends:
                out.append(Violation("dependency", f"served while {dep} is not", task_id))
            elif start < ends[dep]:
                out.append(Violation("dependency", f"starts at {start} before {dep} ends at {ends[dep]}", task_id))
    return out
