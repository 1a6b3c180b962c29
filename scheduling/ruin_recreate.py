"""Ruin and recreate after OR-Tools: SISR on the plain routing problems OR-Tools' local search stalls on.

Guided local search settles into one local optimum however long it runs (the benchmark history in
``docs/benchmarks.md``); removing strings of neighbouring tasks and putting them back at their cheapest
places (``_sisr_kernel``) keeps finding shorter plans. The kernel knows time windows (several per task),
shifts, van load, who may serve what and the penalty for leaving a task out, and nothing else, so it
only runs where the objective is travel cost plus those penalties (``applies``): no lunch breaks,
crews, dependencies, pins, previous plan, soft deadlines, paid overtime, span cost, workload balance or
territory preference. Everything else keeps OR-Tools' plan as it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from scheduling import _routing, _sisr_kernel
from scheduling.eligibility import allowed_starts, stable_engineer, stable_start
from scheduling.feasibility import Feasibility
from scheduling.problem import Problem, Task

Stop = Callable[[], bool]
Progress = Callable[[float, int], None]


@dataclass(frozen=True, slots=True)
class RuinRecreateParams:
    avg_remove: float = 10.0  # SISR's c̄: tasks removed per iteration on average
    max_string: int = 10  # SISR's L_max
    blink: float = 0.01  # chance of skipping an insertion place
    # simulated annealing's temperature, in multiples of the starting plan's mean arc cost, falling
    # geometrically from the first to the second over the time given. Measured on 16 hard Solomon
    # instances at 10 s (mean ratio to PyVRP): 0.3 → 0.01: 1.0052; 1 → 0.01: 1.0013; 3 → 0.03: 1.0002
    start_temperature: float = 3.0
    end_temperature: float = 0.03
    chunk_seconds: float = 0.05  # how often the stop flag and the clock are looked at


def applies(problem: Problem, model: _routing.Model) -> bool:
    """Whether the objective is travel cost plus penalties for tasks left out, under rules the kernel knows."""
    policy = problem.policy
    if model.lunches or policy.balance_per_second > 0:
        return False
    for engineer in problem.engineers:
        if engineer.cost_rate > 0 or (engineer.overtime_max > 0 and engineer.overtime_cost(policy) > 0):
            return False
    territories = policy.territory_mismatch > 0 and any(e.territory for e in problem.engineers)
    for node in model.nodes:
        task = node.task
        if task is not None and not _plain(problem, task, territories):
            return False
    return True


def _plain(problem: Problem, task: Task, territories: bool) -> bool:
    policy = problem.policy
    soft_deadline = not policy.sla_hard and task.sla_deadline is not None and policy.lateness(task.priority) > 0
    return not (
        task.crew_size > 1
        or task.after
        or task.pin is not None
        or soft_deadline
        or (territories and task.territory is not None)
        or stable_start(problem, task) is not None
        or stable_engineer(problem, task) is not None
    )


def warm_up() -> None:
    """Compile the kernel (or load it from Numba's cache) now rather than inside a timed search."""
    inst = _tiny_instance()
    state = _state(inst, [[0, 1]], 2)
    _sisr_kernel.seed_random(0)
    _sisr_kernel.iterate(inst, state, 3, 1.0, 0.1, np.array([2.0, 2.0, 0.01]))


def improve(
    problem: Problem,
    feasibility: Feasibility,
    model: _routing.Model,
    raw: _routing.RawSolution,
    seconds: float,
    *,
    seed: int = 0,
    stop: Stop | None = None,
    on_progress: Progress | None = None,
    params: RuinRecreateParams | None = None,
) -> _routing.RawSolution:
    """``raw`` improved for ``seconds``; ``raw`` itself when there is nothing to improve or no time."""
    params = params or RuinRecreateParams()
    if raw.routes is None or seconds <= 0:
        return raw
    began = time.monotonic()
    tasks = [problem.task(task_id) for task_id in model.task_indices]
    index = {task.id: c for c, task in enumerate(tasks)}
    inst = _instance(problem, feasibility, model, tasks)
    routes: list[list[int]] = [[] for _ in model.vehicles]
    for route in raw.routes:
        routes[route.vehicle.index] = [index[task.id] for task, _ in route.stops]
    state = _state(inst, routes, len(tasks))
    current = int(state[10][0])
    served = sum(len(r) for r in routes)
    used = sum(1 for r in routes if r)
    mean_arc = current / max(1, served + used) if served else 1.0
    hot, cold = params.start_temperature * mean_arc, max(1e-9, params.end_temperature * mean_arc)
    knobs = np.array([params.avg_remove, float(params.max_string), params.blink])
    _sisr_kernel.seed_random(seed)
    chunk = 50
    progress = list(raw.progress)
    while True:
        elapsed = time.monotonic() - began
        if elapsed >= seconds or (stop is not None and stop()):
            break
        step = min(params.chunk_seconds, seconds - elapsed)
        t_from = hot * (cold / hot) ** (elapsed / seconds)
        t_to = hot * (cold / hot) ** min(1.0, (elapsed + step) / seconds)
        chunk_began = time.monotonic()
        if _sisr_kernel.iterate(inst, state, chunk, t_from, t_to, knobs):
            best = int(state[10][1])
            if on_progress is not None:
                on_progress(time.monotonic() - began, best)
            progress.append((raw.wall_seconds + time.monotonic() - began, best))
        took = time.monotonic() - chunk_began
        # aim each chunk at ``chunk_seconds`` of work
        chunk = max(1, min(chunk * 4, int(chunk * step / took) if took > 0 else chunk * 4))
    best_cost = int(state[10][1])
    if best_cost >= raw.objective:
        return raw
    return _routing.RawSolution(
        raw.status,
        best_cost,
        raw.wall_seconds + time.monotonic() - began,
        progress,
        _raw_routes(model, tasks, inst, state),
        raw.warm_started,
    )


def _instance(problem: Problem, feasibility: Feasibility, model: _routing.Model, tasks: list[Task]) -> tuple[Any, ...]:
    policy = problem.policy
    seconds = np.asarray(model.travel.seconds, dtype=np.int64)
    metres = np.asarray(model.travel.metres, dtype=np.int64)
    cost = policy.travel_per_second * seconds + policy.travel_per_metre * metres
    location = np.array([model.nodes[model.manager.IndexToNode(model.task_indices[t.id][0])].location for t in tasks])
    location = location.astype(np.int64)
    service = np.array([t.duration for t in tasks], dtype=np.int64)
    demand = np.array([t.demand for t in tasks], dtype=np.int64)
    penalties = _routing.unassigned_penalties(problem, tasks)
    penalty = np.array([penalties[t.id] for t in tasks], dtype=np.int64)
    win_first = [0]
    win_start: list[int] = []
    win_end: list[int] = []
    for task in tasks:
        for window in allowed_starts(task, problem.horizon_end, policy.sla_hard):
            win_start.append(window.start)
            win_end.append(window.end)
        win_first.append(len(win_start))
    hull_end = np.array([win_end[win_first[c + 1] - 1] for c in range(len(tasks))], dtype=np.int64)
    gapped = any(win_first[c + 1] - win_first[c] > 1 for c in range(len(tasks)))
    vehicles = model.vehicles
    allowed = np.zeros((len(tasks), len(vehicles)), dtype=np.bool_)
    for c, task in enumerate(tasks):
        allowed[c, list(feasibility.eligible[task.id])] = True
    node_location = [n.location for n in model.nodes]
    manager, routing = model.manager, model.routing
    vstart = np.array([node_location[manager.IndexToNode(routing.Start(v.index))] for v in vehicles], dtype=np.int64)
    vend = np.array([node_location[manager.IndexToNode(routing.End(v.index))] for v in vehicles], dtype=np.int64)
    vopen = np.array([v.shift.start for v in vehicles], dtype=np.int64)
    vclose = np.array([v.shift.end + v.engineer.overtime_max for v in vehicles], dtype=np.int64)
    unlimited = int(demand.sum()) + 1
    vcap = np.array(
        [v.engineer.capacity if v.engineer.capacity is not None else unlimited for v in vehicles], dtype=np.int64
    )
    classes: dict[tuple[Any, ...], int] = {}
    vclass = np.array(
        [
            classes.setdefault(
                (vstart[k], vend[k], vopen[k], vclose[k], vcap[k], allowed[:, k].tobytes()), len(classes)
            )
            for k in range(len(vehicles))
        ],
        dtype=np.int64,
    )
    between = cost[np.ix_(location, location)]
    closeness = between + between.T
    np.fill_diagonal(closeness, np.iinfo(np.int64).max)
    neighbours = np.argsort(closeness, axis=1, kind="stable")[:, : max(0, len(tasks) - 1)].astype(np.int64)
    far = cost[vstart[0], location].astype(np.float64) if len(vehicles) else np.zeros(len(tasks))
    return (
        seconds,
        cost,
        location,
        service,
        demand,
        penalty,
        np.array(win_first, dtype=np.int64),
        np.array(win_start, dtype=np.int64),
        np.array(win_end, dtype=np.int64),
        hull_end,
        allowed,
        vstart,
        vend,
        vopen,
        vclose,
        vcap,
        vclass,
        np.ascontiguousarray(neighbours),
        gapped,
        far,
    )


def _state(inst: tuple[Any, ...], routes: list[list[int]], n_tasks: int) -> tuple[Any, ...]:
    """The kernel's state (see ``_sisr_kernel``) holding ``routes`` (task indices per vehicle)."""
    k_count = len(routes)
    width = n_tasks + 1
    table = np.zeros((k_count, width), dtype=np.int64)
    lengths = np.zeros(k_count, dtype=np.int64)
    for k, route in enumerate(routes):
        table[k, : len(route)] = route
        lengths[k] = len(route)
    state = (
        table,
        lengths,
        np.zeros((k_count, width), dtype=np.int64),  # earliest starts
        np.zeros((k_count, width), dtype=np.int64),  # latest starts
        np.zeros(k_count, dtype=np.int64),  # load
        np.zeros(k_count, dtype=np.int64),  # cost
        np.full(n_tasks, -1, dtype=np.int64),  # route of each task
        np.zeros(n_tasks, dtype=np.int64),  # position of each task
        table.copy(),  # best routes
        lengths.copy(),
        np.zeros(2, dtype=np.int64),  # current and best cost
        np.zeros(1, dtype=np.int64),  # insertion stamp
        np.zeros((k_count, width), dtype=np.int64),  # routes saved for undo
        np.zeros(k_count, dtype=np.int64),
        np.zeros(k_count, dtype=np.int64),  # routes touched this iteration
        np.zeros(1, dtype=np.int64),
        np.zeros(k_count, dtype=np.int64),  # touched mark
        np.zeros(1, dtype=np.int64),  # iteration token
        np.zeros(k_count, dtype=np.int64),  # ruined mark
        np.zeros(int(inst[16].max()) + 1 if k_count else 1, dtype=np.int64),  # vehicle classes tried
    )
    for k in range(k_count):
        _sisr_kernel.recompute(inst, state, k)
    total = _sisr_kernel.total(inst, state)
    state[10][:] = total
    return state


def _raw_routes(
    model: _routing.Model, tasks: list[Task], inst: tuple[Any, ...], state: tuple[Any, ...]
) -> list[_routing.RawRoute]:
    """The best routes as OR-Tools would read them: starts on the earliest schedule, departure as late
    as that schedule allows (no waiting before the first visit)."""
    travel, location = inst[0], inst[2]
    vstart, vend = inst[11], inst[12]
    best, best_len = state[8], state[9]
    out: list[_routing.RawRoute] = []
    for vehicle in model.vehicles:
        k = vehicle.index
        order = [int(c) for c in best[k, : best_len[k]]]
        if not order:
            continue
        state[0][k, : len(order)] = order
        state[1][k] = len(order)
        _sisr_kernel.recompute(inst, state, k)
        starts = [int(s) for s in state[2][k, : len(order)]]
        departure = starts[0] - int(travel[vstart[k], location[order[0]]])
        last = order[-1]
        return_at = starts[-1] + tasks[last].duration + int(travel[location[last], vend[k]])
        stops = [(tasks[c], s) for c, s in zip(order, starts, strict=True)]
        out.append(_routing.RawRoute(vehicle, departure, return_at, stops, None))
    return out


def _tiny_instance() -> tuple[Any, ...]:
    """Two tasks, one vehicle: enough to compile every kernel function."""
    i64 = np.int64
    travel = np.array([[0, 5, 5], [5, 0, 3], [5, 3, 0]], dtype=i64)
    return (
        travel,
        travel.copy(),
        np.array([1, 2], dtype=i64),
        np.array([1, 1], dtype=i64),
        np.array([1, 1], dtype=i64),
        np.array([100, 100], dtype=i64),
        np.array([0, 1, 3], dtype=i64),
        np.array([0, 0, 50], dtype=i64),
        np.array([100, 20, 100], dtype=i64),
        np.array([100, 100], dtype=i64),
        np.ones((2, 1), dtype=np.bool_),
        np.array([0], dtype=i64),
        np.array([0], dtype=i64),
        np.array([0], dtype=i64),
        np.array([200], dtype=i64),
        np.array([10], dtype=i64),
        np.array([0], dtype=i64),
        np.array([[1], [0]], dtype=i64),
        True,
        np.array([5.0, 5.0]),
    )
