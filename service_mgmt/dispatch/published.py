"""The published plan: today's assignments read back as a ``scheduling.Plan`` over a built problem.

Each assigned engineer's visit goes into the shift that holds its planned start (or, failing that, the
nearest shift that day); routes are in start order with times as planned, so the independent checker
can judge them and the insertion index can extend them. Tasks without an assignment, or assigned
outside every shift, are unassigned ("not planned" / "planned outside working hours").

``PublishedCache`` keeps the last built problem, plan and ``InsertionIndex`` per horizon and policy,
keyed by a fingerprint of everything they are read from (one aggregate query), so repeated urgent
insertions and offers skip the rebuild while nothing changed.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from masterdata.models import Absence, Certification, EngineerSkill, Site, WorkingHours
from masterdata.models import Engineer as EngineerRow
from scheduling import Engineer, InsertionIndex, Plan, Policy, Reason, Route, Shift, Unassigned, Visit
from service_mgmt.dispatch.problem_builder import BuiltProblem, HorizonSpec, build_problem, with_previous
from service_mgmt.models import Task as TaskRow
from service_mgmt.models import TaskAssignment, TaskDependency, WorkOrder

NOT_PLANNED = "not planned"


@dataclass(frozen=True, slots=True)
class Published:
    built: BuiltProblem
    plan: Plan
    index: InsertionIndex


def published_plan(built: BuiltProblem, *, without: frozenset[str] = frozenset()) -> Plan:
    """The plan as stored in the database (tasks in ``without`` taken out of it)."""
    problem = built.problem
    engineers = {e.id: e for e in problem.engineers}
    visits: dict[tuple[str, int], list[tuple[int, int, str]]] = {}
    shifts: dict[tuple[str, int], Shift] = {}
    placed: set[str] = set()
    for task in problem.tasks:
        assigned = built.assigned.get(task.id)
        if task.id in without or assigned is None or assigned.start is None:
            continue
        start = assigned.start
        end = assigned.end if assigned.end is not None else start + task.duration
        if task.pin is not None and task.pin.in_progress:
            # under way: what is left of it, from the lead's first plannable moment
            lead = engineers.get(task.pin.engineer_id or "")
            if lead is not None and lead.shifts:
                start = max(start, min(s.start for s in lead.shifts))
            end = start + task.duration
        for engineer_id in assigned.engineer_ids:
            engineer = engineers.get(engineer_id)
            shift = _shift_for(engineer.shifts, start) if engineer is not None else None
            if shift is None:
                continue
            shifts[engineer_id, shift.start] = shift
            visits.setdefault((engineer_id, shift.start), []).append((start, end, task.id))
            placed.add(task.id)
    routes = [_route(built, key[0], shifts[key], sorted(stops)) for key, stops in sorted(visits.items())]
    unassigned = [
        Unassigned(
            t.id,
            Reason.CAPACITY_OR_COST,
            NOT_PLANNED if t.id not in built.assigned or t.id in without else "planned outside working hours",
        )
        for t in problem.tasks
        if t.id not in placed
    ]
    return Plan(routes=tuple(routes), unassigned=tuple(unassigned))


def _shift_for(shifts: Sequence[Shift], start: int) -> Shift | None:
    inside = [s for s in shifts if s.start <= start < s.end]
    if inside:
        return inside[0]
    return None


def _route(built: BuiltProblem, engineer_id: str, shift: Shift, stops: list[tuple[int, int, str]]) -> Route:
    problem = built.problem
    engineer = problem.engineer(engineer_id)
    locations = [engineer.start] + [problem.task(task_id).location for _, _, task_id in stops]
    locations.append(engineer.end_location)
    matrices = problem.travel.matrices(locations)
    out: list[Visit] = []
    free_at: int | None = None
    for i, (start, end, task_id) in enumerate(stops):
        secs, metres = matrices.seconds[i][i + 1], matrices.metres[i][i + 1]
        arrival = start if free_at is None else free_at + secs
        task = problem.task(task_id)
        late = max(0, end - task.sla_deadline) if task.sla_deadline is not None else 0
        out.append(Visit(task_id, arrival, start, end, secs, metres, late))
        free_at = end
    n = len(stops)
    first_leg = matrices.seconds[0][1]
    back_secs, back_metres = matrices.seconds[n][n + 1], matrices.metres[n][n + 1]
    route = Route(
        engineer_id=engineer_id,
        day=shift.day,
        shift_start=shift.start,
        shift_end=shift.end,
        departure=max(shift.start, stops[0][0] - first_leg),
        return_at=stops[-1][1] + back_secs,
        visits=tuple(out),
        return_travel_seconds=back_secs,
        return_travel_metres=back_metres,
    )
    return _with_lunch(route, engineer, shift, [matrices.seconds[i][i + 1] for i in range(n + 1)])


def _with_lunch(route: Route, engineer: Engineer, shift: Shift, legs: list[int]) -> Route:
    """The stored plan has no lunch: put it at the earliest place the published times leave room for
    (before leaving, in a gap with the drive still fitting, or after coming back). None fits: no lunch,
    which the checker reports as it is."""
    lunch = engineer.lunch
    if lunch is None:
        return route
    earliest, latest = lunch.window_on(shift.day)
    earliest, latest = max(earliest, shift.start), min(latest, shift.end)
    if earliest + lunch.duration > latest:
        return route  # nothing owed that day
    frees = [route.departure, *(v.end for v in route.visits)]
    busies = [*(v.start for v in route.visits), route.return_at]
    options: list[int] = []
    if earliest + lunch.duration <= route.departure:
        options.append(earliest)
    for free, busy, leg in zip(frees, busies, legs, strict=True):
        start = max(free, earliest)
        if busy - free >= leg + lunch.duration and start + lunch.duration <= min(busy, latest):
            options.append(start)
    if max(route.return_at, earliest) + lunch.duration <= latest:
        options.append(max(route.return_at, earliest))
    if not options:
        return route
    return replace(route, lunch_start=min(options), lunch_duration=lunch.duration)


# --- the cache ----------------------------------------------------------------------------------


def count_of(model: Any) -> Any:
    return select(func.count()).select_from(model).scalar_subquery()


def latest_of(column: Any) -> Any:
    return select(func.max(column)).scalar_subquery()


def fingerprint_marks() -> list[Any]:
    """Row counts and latest changes of everything a published problem is read from, as scalar
    subqueries (the board's revision selects them with a few more in the same statement)."""
    return [
        count_of(TaskRow),
        latest_of(TaskRow.updated_at),
        count_of(TaskAssignment),
        latest_of(TaskAssignment.updated_at),
        count_of(TaskDependency),
        latest_of(WorkOrder.updated_at),
        latest_of(Site.updated_at),
        count_of(EngineerRow),
        latest_of(EngineerRow.updated_at),
        count_of(EngineerSkill),
        latest_of(EngineerSkill.updated_at),
        count_of(Certification),
        latest_of(Certification.updated_at),
        count_of(WorkingHours),
        latest_of(WorkingHours.updated_at),
        count_of(Absence),
        latest_of(Absence.updated_at),
    ]


async def fingerprint(session: AsyncSession) -> tuple[Any, ...]:
    """Changes whenever anything a published problem is read from changes (one round trip)."""
    return tuple((await session.execute(select(*fingerprint_marks()))).one())


class PublishedCache:
    """A few recently built published plans; an entry is good while the fingerprint holds."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], Published] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[Any, ...]) -> Published | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            self.hits += 1
        else:
            self.misses += 1
        return found

    def put(self, key: tuple[Any, ...], value: Published) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


# The planning grid the cache keys on: "now" is cut to this step, so entries live that long.
CACHE_STEP = dt.timedelta(minutes=5)


async def load_published(
    session: AsyncSession,
    horizon: HorizonSpec,
    policy: Policy,
    now: dt.datetime,
    cache: PublishedCache | None = None,
) -> Published:
    cut = now - (now - dt.datetime.min.replace(tzinfo=dt.UTC)) % CACHE_STEP
    key: tuple[Any, ...] | None = None
    if cache is not None:
        key = (horizon, policy.name, repr(policy), cut, *(await fingerprint(session)))
        found = cache.get(key)
        if found is not None:
            return found
    # planned tasks carry where they are as ``Task.previous``: an insertion or offer that pushes what
    # the customer was told pays the stability cost, as the re-optimization that follows would
    built = with_previous(await build_problem(session, horizon, policy=policy, now=cut))
    plan = published_plan(built)
    published = Published(built, plan, InsertionIndex(built.problem, plan))
    if cache is not None and key is not None:
        cache.put(key, published)
    return published
