"""Decomposition for large problems: re-optimize groups of neighbouring routes one at a time.

OR-Tools' local search slows down sharply with size: on a 1,000-task benchmark it found no
improvement at all in 30 s after its first solution, while on ~100 tasks it converges within
seconds. So after the first solution of the whole problem, we repeatedly take a seed route and the
routes whose task centroids lie nearest it (about ``part_size`` tasks), solve that part as a problem
of its own warm-started from the current routes, and keep the result when it is cheaper. Each part's
objective is exactly its share of the whole (arc costs, lateness, overtime, territory and cost rates
are per route), so the total only goes down. Problems whose objective or rules couple routes —
dependencies, crews, workload balance — are not decomposed.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from scheduling import _routing, parallel
from scheduling.eligibility import Vehicle
from scheduling.feasibility import check
from scheduling.problem import Engineer, Problem, Task
from scheduling.work_limit import WorkLimit

PART_ROUTES = 4
_Part = tuple[int, list[_routing.RawRoute]]  # (objective gained, new routes) of one part


def decomposable(problem: Problem) -> bool:
    return problem.policy.balance_per_second <= 0 and not any(t.after or t.crew_size > 1 for t in problem.tasks)


def improve(
    problem: Problem,
    main: _routing.Model,
    raw: _routing.RawSolution,
    deadline: float,
    *,
    part_size: int,
    part_seconds: float,
    seed: int,
    began: float,
    stop: Callable[[], bool] | None,
    on_progress: Callable[[float, int], None] | None,
    workers: int = 1,
    work_limit: WorkLimit | None = None,
) -> _routing.RawSolution:
    """Improve ``raw`` part by part until ``deadline`` (a ``time.monotonic()`` instant) or ``stop``;
    ``workers`` parts on routes apart from each other at a time, side by side in forked processes.
    With ``work_limit``: ``part_rounds`` rounds, each part's search bound by its ``solutions``, and
    neither ``deadline`` nor ``part_seconds`` applies."""
    if raw.routes is None:
        return raw
    rng = random.Random(seed)
    routes = {r.vehicle.index: r for r in raw.routes}
    objective = raw.objective
    progress = list(raw.progress)
    by_vehicle = {v.index: v for v in main.vehicles}
    part_size, part_seconds = _part_for(routes, part_size, part_seconds)
    rounds = 0
    while len(routes) > 1 and not (stop is not None and stop()):
        if work_limit is None and time.monotonic() + 0.5 >= deadline:
            break
        if work_limit is not None and rounds >= work_limit.part_rounds:
            break
        rounds += 1
        groups = _disjoint_groups(routes, part_size, workers, rng)
        budget = min(part_seconds, deadline - time.monotonic())
        jobs: list[parallel.Job[_Part | None]] = [
            partial(_solve_part, problem, [by_vehicle[i] for i in group], routes, budget, work_limit)
            for group in groups
        ]
        results = parallel.run(jobs, stop, None)
        for group, better in zip(groups, results, strict=True):
            if better is None:
                continue
            gain, new_routes = better
            for i in group:
                routes.pop(i, None)
            for route in new_routes:
                routes[route.vehicle.index] = route
            objective -= gain
            elapsed = time.monotonic() - began
            progress.append((elapsed, objective))
            if on_progress is not None:
                on_progress(elapsed, objective)
    ordered = [routes[i] for i in sorted(routes)]
    return _routing.RawSolution(raw.status, objective, time.monotonic() - began, progress, ordered)


def _part_for(routes: dict[int, _routing.RawRoute], part_size: int, part_seconds: float) -> tuple[int, float]:
    """At least ``PART_ROUTES`` routes' worth of tasks per part, with time in proportion.

    A part of two or three long routes leaves the search little to exchange: on the 1,000-task
    benchmarks with ~35 tasks a route (R2, RC2) parts of 120–160 tasks ended 4–7 points closer to the
    best known distance in 60 s than parts of 80, while with ~9 tasks a route (R1) 80 beat 120."""
    per_route = sum(len(r.stops) for r in routes.values()) / max(1, len(routes))
    size = max(part_size, round(PART_ROUTES * per_route))
    return size, part_seconds * size / part_size


def _disjoint_groups(
    routes: dict[int, _routing.RawRoute], part_size: int, count: int, rng: random.Random
) -> list[list[int]]:
    """Up to ``count`` groups of neighbouring routes sharing no route (parts solved side by side)."""
    groups: list[list[int]] = []
    free = dict(routes)
    while len(groups) < count and len(free) > 1:
        group = _neighbours(free, part_size, rng)
        groups.append(group)
        for i in group:
            free.pop(i)
    return groups


def _centroid(route: _routing.RawRoute) -> tuple[float, float]:
    n = len(route.stops)
    return sum(t.location.lat for t, _ in route.stops) / n, sum(t.location.lon for t, _ in route.stops) / n


def _neighbours(routes: dict[int, _routing.RawRoute], part_size: int, rng: random.Random) -> list[int]:
    """A random seed route and the routes nearest it by centroid, up to about ``part_size`` tasks."""
    centroids = {i: _centroid(r) for i, r in routes.items()}
    seed = rng.choice(list(routes))
    cx, cy = centroids[seed]
    order = sorted(routes, key=lambda i: math.hypot(centroids[i][0] - cx, centroids[i][1] - cy))
    group: list[int] = []
    tasks = 0
    for i in order:
        if tasks >= part_size and len(group) >= 2:
            break
        group.append(i)
        tasks += len(routes[i].stops)
    return group


def _solve_part(
    problem: Problem,
    vehicles: list[Vehicle],
    routes: dict[int, _routing.RawRoute],
    seconds: float,
    work_limit: WorkLimit | None,
    stop: Callable[[], bool],
    _progress: Callable[[float, int], None] | None = None,
) -> _Part | None:
    """(gain, routes with the whole problem's vehicles) when the part got cheaper, else None."""
    shifts: dict[str, list[Vehicle]] = {}
    for v in vehicles:
        shifts.setdefault(v.engineer.id, []).append(v)
    engineers: list[Engineer] = [replace(vs[0].engineer, shifts=tuple(v.shift for v in vs)) for vs in shifts.values()]
    tasks: list[Task] = [t for v in vehicles for t, _ in routes[v.index].stops]
    part = Problem(
        engineers=tuple(engineers),
        tasks=tuple(tasks),
        days=problem.days,
        policy=problem.policy,
        travel=problem.travel,
        origin=problem.origin,
    )
    feasibility = check(part)
    if len(feasibility.eligible) != len(tasks):
        return None
    original = {(v.engineer.id, v.shift): v for v in vehicles}
    local_to_original = {sv.index: original[sv.engineer.id, sv.shift] for sv in feasibility.vehicles}
    original_to_local = {ov.index: local for local, ov in local_to_original.items()}
    model = _routing.build(part, feasibility)
    initial = {original_to_local[v.index]: [t.id for t, _ in routes[v.index].stops] for v in vehicles}
    params = _routing.SearchParams(
        seconds,
        "PARALLEL_CHEAPEST_INSERTION",
        "GUIDED_LOCAL_SEARCH",
        solution_limit=work_limit.solutions if work_limit is not None else None,
        branch_limit=work_limit.branches if work_limit is not None else None,
    )
    result = _routing.search(model, params, stop, None, initial)
    if not result.warm_started or result.routes is None or not result.progress:
        return None
    before = result.progress[0][1]
    served = sum(len(r.stops) for r in result.routes)
    if result.objective >= before or served != len(tasks):
        return None
    for route in result.routes:
        route.vehicle = local_to_original[route.vehicle.index]
    return before - result.objective, result.routes
