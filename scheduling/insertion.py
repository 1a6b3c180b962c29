"""Exact insertion of one task into a plan: every position of every engineer shift, ranked by added cost.

The routes keep their order; times may move within their domains (windows, pins, dependencies on
other routes as planned). Per route we precompute the earliest schedule (forward) and the latest
feasible starts (backward), so feasibility at a position is O(1) (times the number of windows of the
new task); the cost of a feasible position walks forward only while the push is not yet absorbed by
waiting time. The lunch break stays in the gap where the plan put it: a gap with lunch turns an
arrival ``x + travel`` into ``max(x + travel, lunch earliest) + lunch`` (travel may happen on either
side of the break, as in the solver and the checker).

Not covered (reported as no candidates): crew tasks. The cost is the solver's objective, term for
term: travel, lateness, overtime, territory mismatch, the engineer's ``cost_rate`` per second of
working span (its added span: the earliest return minus the latest departure that still makes it,
as the solver's span cost and its departure optimisation have it) and stability: moving the task
itself off its ``Task.previous`` start or engineer, and pushing a later visit past its previous start
(the communicated appointment; a push it absorbs before that costs nothing). Workload balance is
not counted (it couples all routes).
"""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace

from scheduling.eligibility import (
    allowed_starts,
    missing_certification,
    missing_skill,
    pinned_engineer_ok,
    stable_engineer,
    stable_start,
    vehicles_of,
)
from scheduling.plan import Plan, Route
from scheduling.policy import Policy
from scheduling.problem import Engineer, LunchBreak, Problem, Shift, Task, TimeWindow
from scheduling.travel import Location, legs_around

NEVER = -(10**15)


@dataclass(frozen=True, slots=True)
class Insertion:
    engineer_id: str
    day: int
    position: int  # index in the route's visits the new task takes
    arrival: int
    start: int
    added_travel_seconds: int
    added_travel_metres: int
    late_seconds: int  # the new task's own lateness
    added_overtime_seconds: int
    cost: int  # the added objective under the problem's policy (see the module docstring)
    added_span_seconds: int = 0  # the working span the engineer's cost rate is charged on
    stability: int = 0  # the task's own move off its previous place plus later visits pushed past theirs


class _Domain:
    """Sorted disjoint start intervals with O(log w) 'earliest at or after' / 'latest at or before'."""

    __slots__ = ("ends", "starts")

    def __init__(self, windows: list[TimeWindow]) -> None:
        self.starts = [w.start for w in windows]
        self.ends = [w.end for w in windows]

    def earliest(self, at: int) -> int | None:
        i = bisect_left(self.ends, at)
        if i == len(self.ends):
            return None
        return max(at, self.starts[i])

    def latest(self, at: int) -> int | None:
        i = bisect_right(self.starts, at) - 1
        if i < 0:
            return None
        return min(at, self.ends[i])


def _intersect(windows: list[TimeWindow], low: int, high: int) -> list[TimeWindow]:
    return [TimeWindow(max(w.start, low), min(w.end, high)) for w in windows if max(w.start, low) <= min(w.end, high)]


@dataclass(slots=True)
class _Point:
    """A point of a route: the start, a visit, or the end. ``duration`` is its service time."""

    location: Location
    duration: int
    domain: _Domain
    deadline: int | None = None
    late_weight: int = 0
    held: int | None = None  # the previous (communicated) start stability holds it to


@dataclass(slots=True)
class _Route:
    engineer: Engineer
    shift: Shift
    visits_ids: list[str]
    points: list[_Point]  # start, visits..., end
    legs: list[int]  # travel seconds from point i to point i + 1
    legs_m: list[int]
    lunch_gap: int | None
    lunch: LunchBreak | None
    es: list[int]  # earliest start of each point
    ls: list[int]  # latest start of each point keeping the rest feasible
    load: int
    places: list[int] = field(default_factory=list)  # each point's place id in the index (``_place``)
    span: int = 0  # working span as the solver charges it (only computed for a positive cost rate)
    waiting: int = 0  # the part of ``span`` neither travel, service nor lunch: what an insertion may fill

    def lunch_window(self) -> tuple[int, int]:
        assert self.lunch is not None
        return self.lunch.window_on(self.shift.day)

    def arrive(self, gap_has_lunch: bool, free_at: int, travel: int) -> int | None:
        """Arrival at the next point leaving at ``free_at`` over a gap (None: lunch cannot fit)."""
        if not gap_has_lunch:
            return free_at + travel
        assert self.lunch is not None
        earliest, latest = self.lunch_window()
        if max(free_at, earliest) + self.lunch.duration > latest:
            return None
        return max(free_at + travel, earliest) + self.lunch.duration

    def latest_leave(self, gap_has_lunch: bool, arrive_by: int, travel: int) -> int:
        """Latest time one may leave over a gap and still arrive by ``arrive_by``."""
        if not gap_has_lunch:
            return arrive_by - travel
        assert self.lunch is not None
        earliest, latest = self.lunch_window()
        if earliest + self.lunch.duration > arrive_by:
            return NEVER
        return min(arrive_by - travel - self.lunch.duration, latest - self.lunch.duration)


class InsertionIndex:
    """Precomputed route timings of a plan; ``best(task)`` ranks every feasible insertion of a new task."""

    def __init__(self, problem: Problem, plan: Plan) -> None:
        self.problem = problem
        self.policy: Policy = problem.policy
        self.tasks = {t.id: t for t in problem.tasks}
        starts: dict[str, int] = {}
        ends: dict[str, int] = {}
        for route in plan.routes:
            for visit in route.visits:
                starts[visit.task_id] = visit.start
                ends[visit.task_id] = visit.end
        self.plan_ends = ends
        self.plan_starts = starts
        self.dependents: dict[str, list[str]] = {}
        for t in problem.tasks:
            for dep in t.after:
                self.dependents.setdefault(dep, []).append(t.id)
        planned = {(r.engineer_id, r.shift_start): r for r in plan.routes}
        self._locations: list[Location] = []  # distinct places of all routes, by id
        self._location_ids: dict[Location, int] = {}
        self.routes: list[_Route] = []
        self._qualified_cache: dict[tuple[object, ...], list[_Route]] = {}
        for vehicle in vehicles_of(problem.engineers):
            self.routes.append(
                self._route(vehicle.engineer, vehicle.shift, planned.get((vehicle.engineer.id, vehicle.shift.start)))
            )

    # -- building ---------------------------------------------------------------------------------

    def _route(self, engineer: Engineer, shift: Shift, route: Route | None) -> _Route:
        horizon = _Domain([TimeWindow(shift.start, shift.end)])
        end_domain = _Domain([TimeWindow(shift.start, shift.end + engineer.overtime_max)])
        points = [_Point(engineer.start, 0, horizon)]
        ids: list[str] = []
        load = 0
        for visit in route.visits if route is not None else ():
            task = self.tasks[visit.task_id]
            ids.append(task.id)
            load += task.demand
            points.append(self._visit_point(task, visit.start))
        points.append(_Point(engineer.end_location, 0, end_domain))
        legs, legs_m = [], []
        for a, b in itertools.pairwise(points):
            m = self.problem.travel.matrices([a.location, b.location])
            legs.append(m.seconds[0][1])
            legs_m.append(m.metres[0][1])
        lunch, gap = self._lunch_gap(engineer, shift, route)
        r = _Route(engineer, shift, ids, points, legs, legs_m, gap, lunch, [], [], load)
        r.places = [self._place(p.location) for p in points]
        r.es = _forward(r)
        r.ls = _backward(r)
        if engineer.cost_rate > 0 and r.es[-1] < -NEVER:
            r.span = r.es[-1] - _latest_departure(r, r.points, r.legs, r.lunch_gap, r.es[-1])
            busy = sum(legs) + sum(p.duration for p in points) + (lunch.duration if lunch and gap is not None else 0)
            r.waiting = max(0, r.span - busy)
        return r

    def _place(self, location: Location) -> int:
        found = self._location_ids.get(location)
        if found is None:
            found = self._location_ids[location] = len(self._locations)
            self._locations.append(location)
        return found

    def _visit_point(self, task: Task, planned_start: int) -> _Point:
        fixed = task.crew_size > 1 or (task.pin is not None and task.pin.start is not None)
        if fixed:
            windows = [TimeWindow(planned_start, planned_start)]
        else:
            windows = allowed_starts(task, self.problem.horizon_end, self.policy.sla_hard)
            low = max((self.plan_ends.get(d, 0) for d in task.after), default=0)
            high = min(
                (
                    self.plan_starts[d] - task.duration
                    for d in self.dependents.get(task.id, ())
                    if d in self.plan_starts
                ),
                default=10**12,
            )
            windows = _intersect(windows, low, high)
        late = self.policy.lateness(task.priority) if not self.policy.sla_hard else 0
        held = stable_start(self.problem, task)
        return _Point(task.location, task.duration, _Domain(windows), task.sla_deadline, late, held)

    def _lunch_gap(self, engineer: Engineer, shift: Shift, route: Route | None) -> tuple[LunchBreak | None, int | None]:
        lunch = engineer.lunch
        if lunch is None:
            return None, None
        earliest, latest = lunch.window_on(shift.day)
        if max(earliest, shift.start) + lunch.duration > min(latest, shift.end + engineer.overtime_max):
            return None, None
        if route is None or route.lunch_start is None or not route.visits:
            return lunch, 0
        for i, visit in enumerate(route.visits):
            if route.lunch_start + lunch.duration <= visit.start:
                return lunch, i  # the gap before visit i
        return lunch, len(route.visits)

    # -- querying ---------------------------------------------------------------------------------

    def best(self, task: Task, limit: int = 10, exclude: frozenset[str] = frozenset()) -> list[Insertion]:
        """The ``limit`` cheapest feasible insertions of ``task`` (engineers in ``exclude`` skipped).

        Exact, but lazy: a lower bound of every gap's cost is computed first (its added travel, a
        vector of subtractions, plus territory, engineer change and, at the engineer's cost rate, the
        span the detour and the work add beyond the route's waiting time: the new span holds all travel,
        service and lunch); gaps are then tried cheapest bound first and the scan stops once the bound
        exceeds the ``limit``-th best cost found, since every other term (lateness, overtime, a later
        visit pushed late or past its communicated start) only adds to it.
        """
        if task.crew_size > 1 or any(d not in self.plan_ends for d in task.after):
            return []
        candidates = [
            r for r in self._qualified_routes(task) if r.engineer.id not in exclude and self._loadable(r, task)
        ]
        if not candidates:
            return []
        # travel to and from each distinct place once: an engineer's home ends every shift and starts
        # the next, and sites repeat; this is most of the work of a call
        needed = list(dict.fromkeys(j for r in candidates for j in r.places))
        column = {j: i for i, j in enumerate(needed)}
        to_s, to_m, from_s, from_m = legs_around(
            self.problem.travel, task.location, [self._locations[j] for j in needed]
        )
        policy = self.policy
        per_s, per_m = policy.travel_per_second, policy.travel_per_metre
        windows = allowed_starts(task, self.problem.horizon_end, self.policy.sla_hard)
        order: list[tuple[int, int, int]] = []  # (cost bound, route, gap)
        columns: list[list[int]] = []
        for k, r in enumerate(candidates):
            cols = [column[j] for j in r.places]
            columns.append(cols)
            mismatch = self._mismatch(r, task) + self._engineer_change(r, task)
            rate, unabsorbed = r.engineer.cost_rate, task.duration - r.waiting
            for gap in range(len(r.points) - 1):
                a, b = cols[gap], cols[gap + 1]
                detour = to_s[a] + from_s[b] - r.legs[gap]
                bound = per_s * detour + mismatch
                if rate and detour + unabsorbed > 0:
                    bound += rate * (detour + unabsorbed)
                if per_m:
                    bound += per_m * (to_m[a] + from_m[b] - r.legs_m[gap])
                order.append((bound, k, gap))
        heapq.heapify(order)  # only the cheapest few are ever taken: no full sort
        found: list[Insertion] = []
        worst_kept: list[int] = []  # max-heap (negated) of the ``limit`` lowest costs found so far
        domains: dict[int, _Domain] = {}
        route_legs: dict[int, tuple[list[int], list[int], list[int], list[int]]] = {}
        while order:
            bound, k, gap = heapq.heappop(order)
            if len(worst_kept) >= limit and bound > -worst_kept[0]:
                break
            r = candidates[k]
            domain = domains.get(k)
            if domain is None:
                domain = domains[k] = self._domain_of(r, task, windows)
            legs = route_legs.get(k)
            if legs is None:
                cols = columns[k]
                legs = route_legs[k] = (
                    [to_s[i] for i in cols],
                    [to_m[i] for i in cols],
                    [from_s[i] for i in cols],
                    [from_m[i] for i in cols],
                )
            for insertion in self._at_gap(r, task, domain, gap, *legs):
                found.append(insertion)
                if len(worst_kept) < limit:
                    heapq.heappush(worst_kept, -insertion.cost)
                elif insertion.cost < -worst_kept[0]:
                    heapq.heapreplace(worst_kept, -insertion.cost)
        found.sort(key=lambda i: (i.cost, i.start, i.engineer_id))
        return found[:limit]

    def where_it_is(self, route: Route, task: Task) -> Insertion | None:
        """The task priced as an insertion at its own place in ``route`` (the route without it): what it
        adds where it is, in the same terms as ``best`` prices the places it could go instead. None for
        what ``best`` does not price either (crews, dependencies outside the plan)."""
        position = next((i for i, v in enumerate(route.visits) if v.task_id == task.id), None)
        if position is None or task.crew_size > 1 or any(d not in self.plan_ends for d in task.after):
            return None
        engineer = self.problem.engineer(route.engineer_id)
        shift = next((s for s in engineer.shifts if s.start == route.shift_start), None)
        if shift is None:
            return None
        rest = replace(route, visits=tuple(v for v in route.visits if v.task_id != task.id))
        r = self._route(engineer, shift, rest)
        to_s, to_m, from_s, from_m = legs_around(self.problem.travel, task.location, [p.location for p in r.points])
        domain = self._domain_of(r, task, allowed_starts(task, self.problem.horizon_end, self.policy.sla_hard))
        found = self._at_gap(r, task, domain, position, to_s, to_m, from_s, from_m)
        return min(found, key=lambda i: (i.cost, i.start), default=None)

    def _qualified_routes(self, task: Task) -> list[_Route]:
        """Routes whose engineer has the skills, certifications (on the route's day) and pin; cached per
        requirement set, since urgent tasks and offers ask for the same few skill sets again and again."""
        pinned = task.pin.engineer_id if task.pin is not None else None
        key = (task.skills, task.certifications, pinned)
        found = self._qualified_cache.get(key)
        if found is None:
            found = self._qualified_cache[key] = [
                r
                for r in self.routes
                if missing_skill(r.engineer, task) is None
                and missing_certification(r.engineer, task, r.shift.day) is None
                and pinned_engineer_ok(task, r.engineer)
            ]
        return found

    @staticmethod
    def _loadable(r: _Route, task: Task) -> bool:
        return r.engineer.capacity is None or r.load + task.demand <= r.engineer.capacity

    def _mismatch(self, r: _Route, task: Task) -> int:
        if task.territory is not None and r.engineer.territory not in (None, task.territory):
            return self.policy.territory_mismatch
        return 0

    def _engineer_change(self, r: _Route, task: Task) -> int:
        held = stable_engineer(self.problem, task)
        return self.policy.stability_engineer_change if held is not None and held != r.engineer.id else 0

    def _domain_of(self, r: _Route, task: Task, windows: list[TimeWindow]) -> _Domain:
        low = max([r.shift.start, *(self.plan_ends[d] for d in task.after)])
        return _Domain(_intersect(windows, low, r.shift.end + r.engineer.overtime_max - task.duration))

    def _at_gap(
        self,
        r: _Route,
        task: Task,
        domain: _Domain,
        gap: int,
        to_s: list[int],
        to_m: list[int],
        from_s: list[int],
        from_m: list[int],
    ) -> list[Insertion]:
        """The feasible insertions between point ``gap`` and the next (two when lunch is in that gap)."""
        if not domain.starts:
            return []
        out: list[Insertion] = []
        points = r.points
        # without lunch in this gap there is one way in; with it, the task goes before or after the break
        options = [False] if r.lunch_gap != gap else [True, False]
        for lunch_before in options:
            lunch_after = r.lunch_gap == gap and not lunch_before
            prev_free = r.es[gap] + points[gap].duration
            arrival = r.arrive(lunch_before, prev_free, to_s[gap])
            if arrival is None:
                continue
            start = domain.earliest(arrival)
            if start is None:
                continue
            nxt = gap + 1
            priced: list[Insertion] = []
            for begin in self._starts(r, task, domain, start, lunch_after, r.ls[nxt], from_s[nxt]):
                reach = r.arrive(lunch_after, begin + task.duration, from_s[nxt])
                if reach is None or reach > r.ls[nxt]:
                    continue
                where = _Where(gap, lunch_before, begin, arrival, reach)
                priced.append(self._priced(r, task, domain, where, to_s, to_m, from_s, from_m))
            if priced:
                out.append(min(priced, key=lambda i: (i.cost, i.start)))
        return out

    def _starts(
        self, r: _Route, task: Task, domain: _Domain, earliest: int, lunch_after: bool, next_latest: int, leg: int
    ) -> list[int]:
        """Where the task may start in a gap: as early as it can and, for a task with a previous start
        later than that, as close to that start as the next visit allows (the solver holds it there)."""
        held = stable_start(self.problem, task)
        if held is None or held <= earliest:
            return [earliest]
        leave = r.latest_leave(lunch_after, next_latest, leg)
        if leave <= NEVER:
            return [earliest]
        closest = domain.latest(min(held, leave - task.duration))
        return [earliest] if closest is None or closest <= earliest else [earliest, closest]

    def _priced(
        self,
        r: _Route,
        task: Task,
        domain: _Domain,
        where: _Where,
        to_s: list[int],
        to_m: list[int],
        from_s: list[int],
        from_m: list[int],
    ) -> Insertion:
        policy = self.policy
        gap, start, reach = where.gap, where.start, where.reach
        nxt = gap + 1
        d_secs = to_s[gap] + from_s[nxt] - r.legs[gap]
        d_metres = to_m[gap] + from_m[nxt] - r.legs_m[gap]
        late = max(0, start + task.duration - task.sla_deadline) if task.sla_deadline is not None else 0
        late_cost = late * (policy.lateness(task.priority) if not policy.sla_hard else 0)
        # push the rest of the route forward until waiting absorbs the delay
        downstream = 0
        pushed_past_held = 0  # seconds later visits now start past their communicated starts
        i, new_start = nxt, r.points[nxt].domain.earliest(reach)
        assert new_start is not None  # reach <= ls[nxt] guarantees a start
        while new_start > r.es[i]:
            p = r.points[i]
            if p.deadline is not None and p.late_weight:
                old_late = max(0, r.es[i] + p.duration - p.deadline)
                new_late = max(0, new_start + p.duration - p.deadline)
                downstream += (new_late - old_late) * p.late_weight
            if p.held is not None:
                # the solver holds it at its previous start when it can: only a push past both that
                # and where it already was costs more
                pushed_past_held += max(0, new_start - max(p.held, r.es[i]))
            if i == len(r.points) - 1:
                break
            arrive = r.arrive(r.lunch_gap == i, new_start + p.duration, r.legs[i])
            assert arrive is not None
            i += 1
            nxt_start = r.points[i].domain.earliest(arrive)
            assert nxt_start is not None
            new_start = nxt_start
        end_index = len(r.points) - 1
        old_return = r.es[end_index]
        new_return = new_start if i == end_index and new_start > old_return else old_return
        overtime = max(0, new_return - r.shift.end) - max(0, old_return - r.shift.end)
        mismatch = self._mismatch(r, task)
        span = self._added_span(r, task, domain, where, to_s[gap], from_s[nxt], new_return)
        held = stable_start(self.problem, task)
        stability = (
            policy.stability_per_second * (abs(start - held) if held is not None else 0)
            + self._engineer_change(r, task)
            + policy.stability_per_second * pushed_past_held
        )
        cost = (
            policy.travel_per_second * d_secs
            + policy.travel_per_metre * d_metres
            + late_cost
            + downstream
            + overtime * r.engineer.overtime_cost(policy)
            + mismatch
            + r.engineer.cost_rate * span
            + stability
        )
        return Insertion(
            engineer_id=r.engineer.id,
            day=r.shift.day,
            position=gap,
            arrival=where.arrival,
            start=start,
            added_travel_seconds=d_secs,
            added_travel_metres=d_metres,
            late_seconds=late,
            added_overtime_seconds=overtime,
            cost=cost,
            added_span_seconds=span,
            stability=stability,
        )

    @staticmethod
    def _added_span(
        r: _Route, task: Task, domain: _Domain, where: _Where, leg_in: int, leg_out: int, new_return: int
    ) -> int:
        """Working span the insertion adds (0 unless the engineer has a cost rate): the route with the
        task, from the latest departure that still returns at ``new_return``, against the old span."""
        if r.engineer.cost_rate <= 0:
            return 0
        gap = where.gap
        points = [*r.points[: gap + 1], _Point(task.location, task.duration, domain), *r.points[gap + 1 :]]
        legs = [*r.legs[:gap], leg_in, leg_out, *r.legs[gap + 1 :]]
        lunch_gap = r.lunch_gap
        if lunch_gap is not None and (lunch_gap > gap or (lunch_gap == gap and not where.lunch_before)):
            lunch_gap += 1
        return new_return - _latest_departure(r, points, legs, lunch_gap, new_return) - r.span


@dataclass(frozen=True, slots=True)
class _Where:
    """One way into a gap: the lunch side, the task's start, its arrival and when the next point is reached."""

    gap: int
    lunch_before: bool
    start: int
    arrival: int
    reach: int


def _latest_departure(r: _Route, points: list[_Point], legs: list[int], lunch_gap: int | None, end_at: int) -> int:
    """The latest departure from which the points, in order, are still all served by ``end_at``
    (backward latest starts from the end; the shift start when nothing later fits)."""
    latest = end_at
    for i in range(len(points) - 2, -1, -1):
        p = points[i]
        leave = r.latest_leave(lunch_gap == i, latest, legs[i])
        found = p.domain.latest(leave - p.duration) if leave > NEVER else None
        if found is None:
            return r.shift.start
        latest = found
    return latest


def _forward(r: _Route) -> list[int]:
    """Earliest start of every point, leaving at the shift start (NEVER where the plan is infeasible)."""
    es = [r.points[0].domain.earliest(r.shift.start) or r.shift.start]
    for i in range(1, len(r.points)):
        prev = r.points[i - 1]
        arrival = r.arrive(r.lunch_gap == i - 1, es[-1] + prev.duration, r.legs[i - 1])
        start = r.points[i].domain.earliest(arrival) if arrival is not None else None
        es.append(start if start is not None else -NEVER)
    return es


def _backward(r: _Route) -> list[int]:
    """Latest start of every point such that everything after it still fits."""
    n = len(r.points)
    ls = [0] * n
    ls[-1] = r.points[-1].domain.latest(10**12) or NEVER
    for i in range(n - 2, -1, -1):
        p = r.points[i]
        leave = r.latest_leave(r.lunch_gap == i, ls[i + 1], r.legs[i])
        latest = p.domain.latest(leave - p.duration) if leave > NEVER else None
        ls[i] = latest if latest is not None else NEVER
    return ls
