"""Ruin and recreate after OR-Tools: SISR where OR-Tools' local search stalls.

Guided local search settles into one local optimum however long it runs (the benchmark history in
``docs/benchmarks.md``); removing strings of neighbouring tasks and putting them back at their cheapest
places (``_sisr_kernel``) keeps finding cheaper plans. The kernel knows time windows (several per
task), shifts, lunch breaks, van load, who may serve what, pinned engineers and starts, work under way
(first on its route), the penalty for leaving a task out, travel cost, soft SLA deadlines, paid
overtime, territory preference, workload balance, dependencies (a task starts after the tasks it
waits for end, and only if they are served) and engineers' cost per hour of their working day
(priced on the schedule it returns: earliest starts, leaving as late as they allow, which may cost
more than OR-Tools' own schedule for the same order; the comparison with OR-Tools' plan is then on
the safe side). It does not know crews or a previous plan's stability costs
(``applies``): with any of those, OR-Tools' plan stays as it is.
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
from scheduling.problem import Problem, Task, TimeWindow

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
    # stop after this many iterations instead of at the time given, which then does not apply (nor
    # does the clock steer the temperature): the same result on any machine, however busy
    max_iterations: int | None = None


# With ``max_iterations``: iterations between looks at the stop flag (a fixed number, so that the
# temperatures, and with them the result, do not depend on how fast the machine is)
ITERATION_CHUNK = 100


# A ruin walks a task's nearest neighbours until it has touched a few routes: a few dozen suffice, and
# a full task × task order would cost 8 bytes × tasks² (200 MB at 5,000 tasks).
NEIGHBOURS = 200


def applies(problem: Problem, model: _routing.Model) -> bool:
    """Whether every rule and cost in play is one the kernel knows."""
    return all(node.task is None or _known(problem, node.task) for node in model.nodes)


def _known(problem: Problem, task: Task) -> bool:
    # a pin is known: its engineer limits the allowed vehicles, its start is a window of one second,
    # and work under way stays first on its route
    return not (
        task.crew_size > 1 or stable_start(problem, task) is not None or stable_engineer(problem, task) is not None
    )


def warm_up() -> None:
    """Compile the kernel (or load it from Numba's cache) now rather than inside a timed search."""
    inst = _tiny_instance()
    state = _state(inst, [[0, 1, 2]])
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
    """``raw`` improved for ``seconds`` (or ``params.max_iterations``); ``raw`` itself when there is
    nothing to improve or no time."""
    params = params or RuinRecreateParams()
    if raw.routes is None or (seconds <= 0 if params.max_iterations is None else params.max_iterations <= 0):
        return raw
    began = time.monotonic()
    tasks = [problem.task(task_id) for task_id in model.task_indices]
    inst = _instance(problem, feasibility, model, tasks)
    state = _state(inst, _routes_of(model, tasks, raw))
    if not _lunches_placed(inst, state, len(tasks)):
        return raw
    served = sum(1 for route in raw.routes for _ in route.stops)
    used = len(raw.routes)
    # temperatures in proportion to what a leg costs (penalties for tasks left out aside)
    mean_leg = float(state[5].sum()) / max(1, served + used)
    hot = max(1e-9, params.start_temperature * mean_leg)
    cold = max(1e-9, min(hot, params.end_temperature * mean_leg))
    knobs = np.array([params.avg_remove, float(params.max_string), params.blink])
    _sisr_kernel.seed_random(seed)
    progress = list(raw.progress)

    def improved() -> None:
        best = int(state[10][1])
        if on_progress is not None:
            on_progress(time.monotonic() - began, best)
        progress.append((raw.wall_seconds + time.monotonic() - began, best))

    if params.max_iterations is None:
        _by_the_clock(inst, state, began, seconds, hot, cold, knobs, params.chunk_seconds, stop, improved)
    else:
        _by_iterations(inst, state, params.max_iterations, hot, cold, knobs, stop, improved)
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


def _by_the_clock(
    inst: tuple[Any, ...],
    state: tuple[Any, ...],
    began: float,
    seconds: float,
    hot: float,
    cold: float,
    knobs: Any,
    chunk_seconds: float,
    stop: Stop | None,
    improved: Callable[[], None],
) -> None:
    """Iterate until ``seconds`` after ``began`` (a ``time.monotonic()`` instant), the temperature
    falling with the time spent."""
    chunk = 50
    while True:
        elapsed = time.monotonic() - began
        if elapsed >= seconds or (stop is not None and stop()):
            break
        step = min(chunk_seconds, seconds - elapsed)
        t_from = hot * (cold / hot) ** (elapsed / seconds)
        t_to = hot * (cold / hot) ** min(1.0, (elapsed + step) / seconds)
        chunk_began = time.monotonic()
        if _sisr_kernel.iterate(inst, state, chunk, t_from, t_to, knobs):
            improved()
        took = time.monotonic() - chunk_began
        # aim each chunk at ``chunk_seconds`` of work
        chunk = max(1, min(chunk * 4, int(chunk * step / took) if took > 0 else chunk * 4))


def _by_iterations(
    inst: tuple[Any, ...],
    state: tuple[Any, ...],
    iterations: int,
    hot: float,
    cold: float,
    knobs: Any,
    stop: Stop | None,
    improved: Callable[[], None],
) -> None:
    """``iterations`` iterations in fixed chunks, the temperature falling with the iterations done."""
    done = 0
    while done < iterations and not (stop is not None and stop()):
        chunk = min(ITERATION_CHUNK, iterations - done)
        t_from = hot * (cold / hot) ** (done / iterations)
        t_to = hot * (cold / hot) ** ((done + chunk) / iterations)
        if _sisr_kernel.iterate(inst, state, chunk, t_from, t_to, knobs):
            improved()
        done += chunk


def _routes_of(model: _routing.Model, tasks: list[Task], raw: _routing.RawSolution) -> list[list[int]]:
    """Entries per vehicle: task indices in order, and the lunch (``N + k``) where it was taken."""
    index = {task.id: c for c, task in enumerate(tasks)}
    routes: list[list[int]] = [[] for _ in model.vehicles]
    lunch_at: dict[int, int | None] = {}
    for route in raw.routes or []:
        routes[route.vehicle.index] = [index[task.id] for task, _ in route.stops]
        lunch_at[route.vehicle.index] = route.lunch_start
    for k in model.lunches:
        taken = lunch_at.get(k)
        # after the visits that started before it (before them all when the vehicle stays home)
        position = sum(1 for task, start in _stops(raw, k) if taken is not None and start < taken)
        routes[k].insert(position, len(tasks) + k)
    return routes


def _lunches_placed(inst: tuple[Any, ...], state: tuple[Any, ...], n: int) -> bool:
    """Make every route feasible on the kernel's reading of lunch (taken before driving on): a lunch
    OR-Tools put after the return home moves to the first place where it fits. False if one cannot."""
    routes, lengths = state[0], state[1]
    for k in range(len(lengths)):
        if _sisr_kernel.recompute(inst, state, k):
            continue
        entries = [int(c) for c in routes[k, : lengths[k]]]
        tasks_only = [c for c in entries if c < n]
        lunch = [c for c in entries if c >= n]
        if not lunch:
            return False
        for position in range(len(tasks_only) + 1):
            trial = [*tasks_only[:position], lunch[0], *tasks_only[position:]]
            routes[k, : len(trial)] = trial
            if _sisr_kernel.recompute(inst, state, k):
                break
        else:
            return False
    state[8][:] = routes
    state[9][:] = lengths
    state[10][:] = _sisr_kernel.total(inst, state)
    return True


def _stops(raw: _routing.RawSolution, k: int) -> list[tuple[Task, int]]:
    return next((route.stops for route in raw.routes or [] if route.vehicle.index == k), [])


def _instance(problem: Problem, feasibility: Feasibility, model: _routing.Model, tasks: list[Task]) -> tuple[Any, ...]:
    """The kernel's instance tuple (layout in ``_sisr_kernel``): tasks ``0..N-1``, then one lunch
    pseudo-task per vehicle."""
    policy = problem.policy
    vehicles = model.vehicles
    n, k_count = len(tasks), len(vehicles)
    seconds = np.asarray(model.travel.seconds, dtype=np.int64)
    metres = np.asarray(model.travel.metres, dtype=np.int64)
    cost = policy.travel_per_second * seconds + policy.travel_per_metre * metres
    manager, routing = model.manager, model.routing
    location = np.array(
        [model.nodes[manager.IndexToNode(model.task_indices[t.id][0])].location for t in tasks], dtype=np.int64
    )
    node_location = [node.location for node in model.nodes]
    vstart = np.array([node_location[manager.IndexToNode(routing.Start(v.index))] for v in vehicles], dtype=np.int64)
    vend = np.array([node_location[manager.IndexToNode(routing.End(v.index))] for v in vehicles], dtype=np.int64)
    lunches = _lunch_windows(model)
    service = np.array([t.duration for t in tasks] + [lunches.get(k, (0, 0, 0))[2] for k in range(k_count)])
    demand = np.array([t.demand for t in tasks] + [0] * k_count, dtype=np.int64)
    penalties = _routing.unassigned_penalties(problem, tasks)
    penalty = np.array([penalties[t.id] for t in tasks] + [0] * k_count, dtype=np.int64)
    windows = [allowed_starts(t, problem.horizon_end, policy.sla_hard) for t in tasks]
    windows += [[TimeWindow(*lunches.get(k, (0, 0, 0))[:2])] for k in range(k_count)]
    win_first = np.cumsum([0] + [len(w) for w in windows]).astype(np.int64)
    win_start = np.array([w.start for ws in windows for w in ws], dtype=np.int64)
    win_end = np.array([w.end for ws in windows for w in ws], dtype=np.int64)
    hull_end = np.array([ws[-1].end for ws in windows], dtype=np.int64)
    allowed = np.zeros((n, k_count), dtype=np.bool_)
    for c, task in enumerate(tasks):
        allowed[c, list(feasibility.eligible[task.id])] = True
    unlimited = int(demand.sum()) + 1
    vopen = np.array([v.shift.start for v in vehicles], dtype=np.int64)
    vclose = np.array([v.shift.end + v.engineer.overtime_max for v in vehicles], dtype=np.int64)
    vcap = np.array([v.engineer.capacity if v.engineer.capacity is not None else unlimited for v in vehicles])
    territory = _territory_surcharges(problem, model, tasks)
    classes: dict[tuple[Any, ...], int] = {}
    vclass = np.array(
        [
            classes.setdefault(
                (
                    vstart[k],
                    vend[k],
                    vopen[k],
                    vclose[k],
                    vcap[k],
                    k in lunches,
                    allowed[:, k].tobytes(),
                    territory[:, k].tobytes(),
                ),
                len(classes),
            )
            for k in range(k_count)
        ],
        dtype=np.int64,
    )
    between = cost[np.ix_(location, location)]
    closeness = between + between.T
    np.fill_diagonal(closeness, np.iinfo(np.int64).max)
    neighbours = _nearest(closeness, NEIGHBOURS)
    far = cost[vstart[0], location].astype(np.float64) if k_count else np.zeros(n)
    late_rate, on_time = _lateness(problem, tasks)
    late_rate += [0] * k_count
    on_time += [0] * k_count
    overtime_rate = np.array(
        [v.engineer.overtime_cost(policy) if v.engineer.overtime_max > 0 else 0 for v in vehicles], dtype=np.int64
    )
    total_work = sum(t.duration for t in tasks)
    balance = np.array([policy.balance_per_second, -(-total_work // max(1, k_count))], dtype=np.int64)
    cost_rate = np.array([v.engineer.cost_rate for v in vehicles], dtype=np.int64)
    timed = any(late_rate) or bool(overtime_rate.any()) or bool(cost_rate.any())
    return (
        seconds,
        cost,
        location,
        service.astype(np.int64),
        demand,
        penalty,
        win_first,
        win_start,
        win_end,
        hull_end,
        allowed,
        vstart,
        vend,
        vopen,
        vclose,
        vcap.astype(np.int64),
        vclass,
        np.ascontiguousarray(neighbours, dtype=np.int64),
        bool(any(len(w) > 1 for w in windows)),
        np.ascontiguousarray(far, dtype=np.float64),
        np.array(late_rate, dtype=np.int64),
        np.array(on_time, dtype=np.int64),
        overtime_rate,
        np.array([v.shift.end for v in vehicles], dtype=np.int64),
        territory,
        balance,
        bool(timed),
        np.array([t.pin is not None and t.pin.in_progress for t in tasks] + [False] * k_count, dtype=np.bool_),
        cost_rate,
        *_dependencies(tasks, k_count),
    )


def _nearest(closeness: Any, count: int) -> Any:
    """Per row, the indices of the ``count`` smallest entries (all but the diagonal at most), nearest first."""
    n = closeness.shape[0]
    keep = max(0, min(count, n - 1))
    if keep == 0:
        return np.zeros((n, 0), dtype=np.int64)
    if keep == n - 1:  # the diagonal sorts last
        return np.argsort(closeness, axis=1, kind="stable")[:, :keep]
    picked = np.argpartition(closeness, keep - 1, axis=1)[:, :keep]
    order = np.argsort(np.take_along_axis(closeness, picked, axis=1), axis=1, kind="stable")
    return np.take_along_axis(picked, order, axis=1)[:, :keep]


def _dependencies(tasks: list[Task], k_count: int) -> tuple[Any, Any, Any, Any]:
    """CSR lists over all entries (lunches have none): whom each task waits for, who waits for it.
    Waiting for a task outside the model binds nothing, as in the routing model."""
    index = {task.id: c for c, task in enumerate(tasks)}
    waits_for: list[list[int]] = [[index[d] for d in task.after if d in index] for task in tasks]
    waited_by: list[list[int]] = [[] for _ in tasks]
    for b, predecessors in enumerate(waits_for):
        for a in predecessors:
            waited_by[a].append(b)
    lunches: list[list[int]] = [[] for _ in range(k_count)]
    return (*_csr(waits_for + lunches), *_csr(waited_by + lunches))


def _csr(rows: list[list[int]]) -> tuple[Any, Any]:
    first = np.cumsum([0] + [len(r) for r in rows]).astype(np.int64)
    return first, np.array([x for r in rows for x in r], dtype=np.int64)


def _lunch_windows(model: _routing.Model) -> dict[int, tuple[int, int, int]]:
    """Vehicle -> (earliest start, latest start, duration) of the lunch the routing model holds."""
    out: dict[int, tuple[int, int, int]] = {}
    for k, interval in model.lunches.items():
        out[k] = (int(interval.StartMin()), int(interval.StartMax()), int(interval.DurationMin()))
    return out


def _lateness(problem: Problem, tasks: list[Task]) -> tuple[list[int], list[int]]:
    """Per task: lateness cost per second and the latest start without lateness (soft deadlines only)."""
    policy = problem.policy
    rates: list[int] = []
    on_time: list[int] = []
    for task in tasks:
        soft = not policy.sla_hard and task.sla_deadline is not None and policy.lateness(task.priority) > 0
        rates.append(policy.lateness(task.priority) if soft else 0)
        on_time.append(task.sla_deadline - task.duration if soft and task.sla_deadline is not None else 0)
    return rates, on_time


def _territory_surcharges(problem: Problem, model: _routing.Model, tasks: list[Task]) -> Any:
    """Task × vehicle: the mismatch cost of serving the task outside the engineer's territory (as the
    routing model charges it on the arc into the task)."""
    policy = problem.policy
    out = np.zeros((len(tasks), len(model.vehicles)), dtype=np.int64)
    if policy.territory_mismatch <= 0 or not any(t.territory for t in tasks):
        return out
    for k, vehicle in enumerate(model.vehicles):
        mine = vehicle.engineer.territory
        if mine is None:
            continue
        for c, task in enumerate(tasks):
            if task.territory is not None and task.territory != mine:
                out[c, k] = policy.territory_mismatch
    return out


def _state(inst: tuple[Any, ...], routes: list[list[int]]) -> tuple[Any, ...]:
    """The kernel's state (see ``_sisr_kernel``) holding ``routes`` (entries per vehicle)."""
    n_entries = inst[3].shape[0]
    k_count = len(routes)
    width = n_entries + 1
    table = np.zeros((k_count, width), dtype=np.int64)
    lengths = np.zeros(k_count, dtype=np.int64)
    for k, route in enumerate(routes):
        table[k, : len(route)] = route
        lengths[k] = len(route)
    per_vehicle = [np.zeros(k_count, dtype=np.int64) for _ in range(4)]
    state = (
        table,
        lengths,
        np.zeros((k_count, width), dtype=np.int64),  # earliest starts
        np.zeros((k_count, width), dtype=np.int64),  # latest starts
        np.zeros(k_count, dtype=np.int64),  # load
        np.zeros(k_count, dtype=np.int64),  # cost
        np.full(n_entries, -1, dtype=np.int64),  # route of each entry
        np.zeros(n_entries, dtype=np.int64),  # position of each entry
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
        *per_vehicle,  # real tasks, return time, work, departure
    )
    for k in range(k_count):
        _sisr_kernel.recompute(inst, state, k)
    state[10][:] = _sisr_kernel.total(inst, state)
    return state


def _raw_routes(
    model: _routing.Model, tasks: list[Task], inst: tuple[Any, ...], state: tuple[Any, ...]
) -> list[_routing.RawRoute]:
    """The best routes as OR-Tools would read them: starts on the earliest schedule, and the departure
    the kernel priced (as late as that schedule allows, ``_sisr_kernel._departure``)."""
    best, best_len = state[8], state[9]
    n = len(tasks)
    out: list[_routing.RawRoute] = []
    for vehicle in model.vehicles:
        k = vehicle.index
        entries = [int(c) for c in best[k, : best_len[k]]]
        if not any(c < n for c in entries):
            continue
        state[0][k, : len(entries)] = entries
        state[1][k] = len(entries)
        _sisr_kernel.recompute(inst, state, k)
        starts = [int(s) for s in state[2][k, : len(entries)]]
        stops = [(tasks[c], s) for c, s in zip(entries, starts, strict=True) if c < n]
        lunch_start = next((s for c, s in zip(entries, starts, strict=True) if c >= n), None)
        out.append(_routing.RawRoute(vehicle, int(state[23][k]), int(state[21][k]), stops, lunch_start))
    return out


def _tiny_instance() -> tuple[Any, ...]:
    """Two tasks and a lunch on one vehicle, typed exactly as ``_instance`` types a real one, so the
    one compiled version serves every problem."""
    i64 = np.int64
    travel = np.array([[0, 5, 5], [5, 0, 3], [5, 3, 0]], dtype=i64)
    return (
        travel,
        travel.copy(),
        np.array([1, 2], dtype=i64),
        np.array([1, 1, 2], dtype=i64),
        np.array([1, 1, 0], dtype=i64),
        np.array([100, 100, 0], dtype=i64),
        np.array([0, 1, 3, 4], dtype=i64),
        np.array([0, 0, 50, 10], dtype=i64),
        np.array([100, 20, 100, 40], dtype=i64),
        np.array([100, 100, 40], dtype=i64),
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
        np.array([1, 0, 0], dtype=i64),
        np.array([30, 0, 0], dtype=i64),
        np.array([2], dtype=i64),
        np.array([150], dtype=i64),
        np.zeros((2, 1), dtype=i64),
        np.array([1, 2], dtype=i64),
        True,
        np.array([True, False, False], dtype=np.bool_),
        np.array([1], dtype=i64),
        np.array([0, 0, 1, 1], dtype=i64),
        np.array([0], dtype=i64),
        np.array([0, 1, 1, 1], dtype=i64),
        np.array([1], dtype=i64),
    )
