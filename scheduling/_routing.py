"""The only module that speaks OR-Tools: builds the routing model and reads a solution back.

Layout of the routing nodes: for each engineer a start node and an end node, then one node per task
(``crew_size`` nodes for a crew task). Vehicles are engineer shifts (see ``eligibility.vehicles_of``);
all vehicles of one engineer share that engineer's start and end nodes. Each constraint family is a
function of its own below, so a test can name the rule it covers.
"""

from __future__ import annotations

import itertools
import operator
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ortools.constraint_solver import pywrapcp as _pywrapcp
from ortools.constraint_solver import routing_enums_pb2 as _enums
from ortools.constraint_solver import routing_heuristic_parameters_pb2 as _params

from scheduling.eligibility import Vehicle, allowed_starts, stable_engineer, stable_start
from scheduling.feasibility import Feasibility
from scheduling.policy import Priority
from scheduling.problem import DAY, Problem, Task
from scheduling.travel import Location, TravelMatrices

# The OR-Tools stubs are untyped; keep their Any-ness inside this module.
cp: Any = _pywrapcp
enums: Any = _enums
enums_params: Any = _params

TIME = "time"
LOAD = "load"
WORK = "work"
MOVED = "moved"


@dataclass(frozen=True, slots=True)
class Node:
    """A routing node: an engineer's start/end, or one crew member's share of a task."""

    location: int  # index into the travel matrices
    task: Task | None = None
    copy: int = 0


@dataclass(slots=True)
class Model:
    problem: Problem
    vehicles: tuple[Vehicle, ...]
    nodes: list[Node]
    travel: TravelMatrices
    manager: Any
    routing: Any
    task_indices: dict[str, list[int]]  # task id -> routing index per crew copy
    lunches: dict[int, Any] = field(default_factory=dict)  # vehicle -> break interval var

    @property
    def time(self) -> Any:
        return self.routing.GetDimensionOrDie(TIME)

    def service(self, node: int) -> int:
        task = self.nodes[node].task
        return task.duration if task is not None else 0


def build(problem: Problem, feasibility: Feasibility) -> Model:
    kept = [t for t in problem.tasks if t.id in feasibility.eligible]
    nodes, locations, starts, ends = _nodes(problem, kept, feasibility.vehicles)
    travel = problem.travel.matrices(locations)
    manager = cp.RoutingIndexManager(len(nodes), len(feasibility.vehicles), starts, ends)
    routing = cp.RoutingModel(manager)
    task_indices: dict[str, list[int]] = {}
    for node_id, node in enumerate(nodes):
        if node.task is not None:
            task_indices.setdefault(node.task.id, []).append(manager.NodeToIndex(node_id))
    model = Model(problem, feasibility.vehicles, nodes, travel, manager, routing, task_indices)
    _arc_costs(model)
    _time_dimension(model)
    _shifts_and_overtime(model)
    _task_windows(model)
    _soft_starts(model)
    _allowed_vehicles(model, feasibility)
    _priorities(model, kept)
    _capacity(model)
    _pins(model, feasibility)
    _dependencies(model)
    _crews(model)
    _lunch_breaks(model)
    _cost_rates(model)
    _workload_balance(model, kept)
    _engineer_changes(model)
    return model


def _nodes(
    problem: Problem, tasks: list[Task], vehicles: tuple[Vehicle, ...]
) -> tuple[list[Node], list[Location], list[int], list[int]]:
    nodes: list[Node] = []
    # distinct locations only: the travel matrices grow with their square, and engineers often share
    # a depot (a benchmark's 250 vehicles) or tasks a site
    distinct: dict[Location, int] = {}
    # one start/end node per distinct place, shared by the vehicles based there (OR-Tools allows it):
    # separate zero-distance depot nodes per vehicle make its first-solution heuristics try every
    # other vehicle's depot first, which stalled PATH_CHEAPEST_ARC for minutes at 250 vehicles
    depot_node: dict[Location, int] = {}
    start_of: dict[str, int] = {}
    end_of: dict[str, int] = {}
    for engineer in problem.engineers:
        for where, table in ((engineer.start, start_of), (engineer.end_location, end_of)):
            if where not in depot_node:
                depot_node[where] = len(nodes)
                nodes.append(Node(location=distinct.setdefault(where, len(distinct))))
            table[engineer.id] = depot_node[where]
    for task in tasks:
        location = distinct.setdefault(task.location, len(distinct))
        for copy in range(task.crew_size):
            nodes.append(Node(location=location, task=task, copy=copy))
    starts = [start_of[v.engineer.id] for v in vehicles]
    ends = [end_of[v.engineer.id] for v in vehicles]
    return nodes, list(distinct), starts, ends


def _arc_costs(model: Model) -> None:
    """Travel cost per second and metre; a territory mismatch is charged on the arc entering the task."""
    policy = model.problem.policy
    seconds, metres = model.travel.seconds, model.travel.metres
    locs = [n.location for n in model.nodes]
    per_s, per_m = policy.travel_per_second, policy.travel_per_metre
    if per_m == 0:
        by_location = [[per_s * x for x in row] for row in seconds] if per_s != 1 else seconds
    else:
        by_location = [
            [per_s * x + per_m * y for x, y in zip(rs, rm, strict=True)] for rs, rm in zip(seconds, metres, strict=True)
        ]
    base = _expand(by_location, locs)
    territories = {v.engineer.territory for v in model.vehicles}
    use_territory = policy.territory_mismatch > 0 and any(n.task and n.task.territory for n in model.nodes)
    by_territory: dict[str | None, int] = {}
    for territory in territories:
        if not use_territory or territory is None:
            matrix = base
            key: str | None = None
        else:
            away = [
                j
                for j, n in enumerate(model.nodes)
                if n.task is not None and n.task.territory is not None and n.task.territory != territory
            ]
            matrix = [row[:] for row in base]
            for row in matrix:
                for j in away:
                    row[j] += policy.territory_mismatch
            key = territory
        if key not in by_territory:
            by_territory[key] = model.routing.RegisterTransitMatrix(matrix)
    if len(by_territory) == 1:
        # one evaluator for all: OR-Tools then treats costs as homogeneous, which its heuristics need
        model.routing.SetArcCostEvaluatorOfAllVehicles(next(iter(by_territory.values())))
        return
    for vehicle in model.vehicles:
        key = vehicle.engineer.territory if use_territory else None
        model.routing.SetArcCostEvaluatorOfVehicle(by_territory[key], vehicle.index)


def _time_dimension(model: Model) -> None:
    """Cumul = start of service (departure at a start node); transit = service at origin + travel."""
    locs = [n.location for n in model.nodes]
    matrix = _expand(model.travel.seconds, locs)
    for i, row in enumerate(matrix):
        service = model.service(i)
        if service:
            matrix[i] = [service + x for x in row]
    horizon = _time_capacity(model)
    callback = model.routing.RegisterTransitMatrix(matrix)
    model.routing.AddDimension(callback, horizon, horizon, False, TIME)


def _expand(by_location: list[list[int]], locs: list[int]) -> list[list[int]]:
    """A node × node matrix from a location × location one (rows are fresh lists)."""
    if len(locs) == 1:
        return [[by_location[locs[0]][locs[0]]]]
    pick = operator.itemgetter(*locs)
    rows: dict[int, list[int]] = {}
    out: list[list[int]] = []
    for a in locs:
        row = rows.get(a)
        if row is None:
            row = rows[a] = list(pick(by_location[a]))
        out.append(row[:])
    return out


def _time_capacity(model: Model) -> int:
    overtime = max((v.engineer.overtime_max for v in model.vehicles), default=0)
    return (model.problem.days + 1) * DAY + overtime


def _shifts_and_overtime(model: Model) -> None:
    """Leave within the shift; be back by its end, or later up to the overtime allowance at a cost."""
    time_dim = model.time
    policy = model.problem.policy
    for vehicle in model.vehicles:
        shift, engineer = vehicle.shift, vehicle.engineer
        start, end = model.routing.Start(vehicle.index), model.routing.End(vehicle.index)
        time_dim.CumulVar(start).SetRange(shift.start, shift.end)
        time_dim.CumulVar(end).SetRange(shift.start, shift.end + engineer.overtime_max)
        if engineer.overtime_max > 0:
            time_dim.SetCumulVarSoftUpperBound(end, shift.end, engineer.overtime_cost(policy))


def _task_windows(model: Model) -> None:
    """Start inside one of the windows: the hull as the range, the gaps between windows removed."""
    problem = model.problem
    for task_id, indices in model.task_indices.items():
        task = problem.task(task_id)
        windows = allowed_starts(task, problem.horizon_end, problem.policy.sla_hard)
        for index in indices:
            cumul = model.time.CumulVar(index)
            cumul.SetRange(windows[0].start, windows[-1].end)
            for before, after in itertools.pairwise(windows):
                cumul.RemoveInterval(before.end + 1, after.start - 1)


def _soft_starts(model: Model) -> None:
    """Soft SLA deadline (lateness cost per second by priority) and the stability of a previous start.

    Stability charges ``stability_per_second`` for each second the start moves either way from
    ``Task.previous.start``: a soft lower and a soft upper bound at that start. OR-Tools keeps one soft
    upper bound per cumul, so a task with both a soft deadline (latest on-time start ``d``) and a
    previous start ``p`` gets one hinge at ``min(p, d)`` with the summed slope: it never charges less
    than the two separate costs and is exact when ``p == d``. Hard deadlines are cut in
    ``allowed_starts``; pinned tasks do not move at all, so they pay nothing.
    """
    policy = model.problem.policy
    for task_id, indices in model.task_indices.items():
        task = model.problem.task(task_id)
        hinges: list[tuple[int, int]] = []
        if not policy.sla_hard and task.sla_deadline is not None and policy.lateness(task.priority) > 0:
            hinges.append((task.sla_deadline - task.duration, policy.lateness(task.priority)))
        previous = stable_start(model.problem, task)
        if previous is not None:
            hinges.append((previous, policy.stability_per_second))
        for index in indices:
            if previous is not None:
                model.time.SetCumulVarSoftLowerBound(index, previous, policy.stability_per_second)
            if hinges:
                model.time.SetCumulVarSoftUpperBound(
                    index, min(h for h, _ in hinges), sum(weight for _, weight in hinges)
                )


def _allowed_vehicles(model: Model, feasibility: Feasibility) -> None:
    """Skills, certifications, pinned engineer and capacity as allowed vehicles (-1 keeps 'unperformed')."""
    everyone = len(model.vehicles)
    for task_id, indices in model.task_indices.items():
        allowed = list(feasibility.eligible[task_id])
        if len(allowed) == everyone:
            continue
        for index in indices:
            model.routing.VehicleVar(index).SetValues([-1, *allowed])


def unassigned_penalties(problem: Problem, tasks: list[Task]) -> dict[str, int]:
    """Penalty per task; P1 above all lower priorities together, pinned above every P1 together."""
    policy = problem.policy
    lower = sum(policy.penalty(t.priority) for t in tasks if t.priority != Priority.P1)
    p1 = max(policy.penalty(Priority.P1), lower + 1)
    pinned = p1 * (1 + sum(1 for t in tasks if t.priority == Priority.P1)) + lower
    out: dict[str, int] = {}
    for task in tasks:
        if task.pin is not None:
            out[task.id] = pinned
        elif task.priority == Priority.P1:
            out[task.id] = p1
        else:
            out[task.id] = max(1, policy.penalty(task.priority))
    return out


def _priorities(model: Model, tasks: list[Task]) -> None:
    """Every task may be left out at its priority's penalty (split evenly over a crew's copies)."""
    penalties = unassigned_penalties(model.problem, tasks)
    for task_id, indices in model.task_indices.items():
        share = max(1, penalties[task_id] // len(indices))
        for index in indices:
            model.routing.AddDisjunction([index], share)


def _capacity(model: Model) -> None:
    """Van load per shift, only when some task has a demand."""
    if not any(n.task is not None and n.task.demand > 0 for n in model.nodes):
        return
    demands = [n.task.demand if n.task is not None else 0 for n in model.nodes]
    callback = model.routing.RegisterUnaryTransitVector(demands)
    unlimited = sum(demands) + 1
    capacities = [v.engineer.capacity if v.engineer.capacity is not None else unlimited for v in model.vehicles]
    model.routing.AddDimensionWithVehicleCapacity(callback, 0, capacities, True, LOAD)


def _pins(model: Model, feasibility: Feasibility) -> None:
    """Pinned start and engineer are fixed through windows and allowed vehicles; in-progress work goes first."""
    solver = model.routing.solver()
    for task_id, indices in model.task_indices.items():
        task = model.problem.task(task_id)
        if task.pin is None or not task.pin.in_progress:
            continue
        for index in indices:
            firsts = [model.routing.NextVar(model.routing.Start(v)) for v in feasibility.eligible[task_id]]
            is_first = [solver.IsEqualCstVar(nxt, index) for nxt in firsts]
            solver.Add(solver.Sum(is_first) >= model.routing.ActiveVar(index))


def _dependencies(model: Model) -> None:
    """B after A: B may only be served if A is, and B starts no earlier than A ends (any engineers)."""
    solver = model.routing.solver()
    big = _time_capacity(model)
    for task_id, indices in model.task_indices.items():
        task = model.problem.task(task_id)
        for dep_id in task.after:
            dep_indices = model.task_indices.get(dep_id)
            if dep_indices is None:
                continue
            dep = model.problem.task(dep_id)
            b, a = indices[0], dep_indices[0]
            active_b = model.routing.ActiveVar(b)
            solver.Add(active_b <= model.routing.ActiveVar(a))
            solver.Add(model.time.CumulVar(a) + dep.duration <= model.time.CumulVar(b) + big - big * active_b)


def _crews(model: Model) -> None:
    """A crew task: all copies served or none, at the same start, by different vehicles."""
    solver = model.routing.solver()
    for indices in model.task_indices.values():
        if len(indices) < 2:
            continue
        first = indices[0]
        for other in indices[1:]:
            solver.Add(model.routing.ActiveVar(first) == model.routing.ActiveVar(other))
            solver.Add(model.time.CumulVar(first) == model.time.CumulVar(other))
        for i, a in enumerate(indices):
            for b in indices[i + 1 :]:
                different = solver.IsDifferentVar(model.routing.VehicleVar(a), model.routing.VehicleVar(b))
                solver.Add(different >= model.routing.ActiveVar(a))


def _lunch_breaks(model: Model) -> None:
    """Lunch as an OR-Tools break interval inside its window and the shift; never during a service.

    Travel cannot be interrupted by it either: the break sits in the waiting slack between two visits
    (equivalently, lunch is taken on arrival before the next service).
    """
    solver = model.routing.solver()
    visits = [model.service(model.manager.IndexToNode(i)) for i in range(model.routing.Size())]
    for vehicle in model.vehicles:
        lunch = vehicle.engineer.lunch
        if lunch is None:
            continue
        earliest, latest = lunch.window_on(vehicle.shift.day)
        earliest = max(earliest, vehicle.shift.start)
        latest = min(latest, vehicle.shift.end + vehicle.engineer.overtime_max)
        if latest - lunch.duration < earliest or lunch.duration <= 0:
            continue
        interval = solver.FixedDurationIntervalVar(
            earliest, latest - lunch.duration, lunch.duration, False, f"lunch {vehicle.index}"
        )
        model.time.SetBreakIntervalsOfVehicle([interval], vehicle.index, visits)
        model.lunches[vehicle.index] = interval


def _cost_rates(model: Model) -> None:
    for vehicle in model.vehicles:
        if vehicle.engineer.cost_rate > 0:
            model.time.SetSpanCostCoefficientForVehicle(vehicle.engineer.cost_rate, vehicle.index)


def _workload_balance(model: Model, tasks: list[Task]) -> None:
    """Work above a fair share per shift costs ``balance_per_second``: spreads work over engineers."""
    weight = model.problem.policy.balance_per_second
    if weight <= 0 or not model.vehicles:
        return
    work = [n.task.duration if n.task is not None else 0 for n in model.nodes]
    callback = model.routing.RegisterUnaryTransitVector(work)
    total = sum(work)
    model.routing.AddDimension(callback, 0, total + 1, True, WORK)
    fair = -(-total // len(model.vehicles))
    dimension = model.routing.GetDimensionOrDie(WORK)
    for vehicle in model.vehicles:
        dimension.SetCumulVarSoftUpperBound(model.routing.End(vehicle.index), fair, weight)


def _engineer_changes(model: Model) -> None:
    """An extra dimension counts, per vehicle, the tasks it serves that another engineer had before;
    its span costs ``stability_engineer_change`` per such task. Transits depend on the vehicle's
    engineer (one unary vector per engineer), so the arc costs stay homogeneous for the heuristics."""
    problem = model.problem
    weight = problem.policy.stability_engineer_change
    held = [stable_engineer(problem, n.task) if n.task is not None else None for n in model.nodes]
    if weight <= 0 or not any(held):
        return
    callbacks: dict[str, int] = {}
    per_vehicle: list[int] = []
    for vehicle in model.vehicles:
        engineer = vehicle.engineer.id
        if engineer not in callbacks:
            moved = [1 if h is not None and h != engineer else 0 for h in held]
            callbacks[engineer] = model.routing.RegisterUnaryTransitVector(moved)
        per_vehicle.append(callbacks[engineer])
    model.routing.AddDimensionWithVehicleTransits(per_vehicle, 0, len(model.nodes) + 1, True, MOVED)
    dimension = model.routing.GetDimensionOrDie(MOVED)
    for vehicle in model.vehicles:
        dimension.SetSpanCostCoefficientForVehicle(weight, vehicle.index)


@dataclass(frozen=True, slots=True)
class SearchParams:
    time_limit_seconds: float
    first_solution: str
    metaheuristic: str
    log_search: bool = False
    # cheapest insertion and local search look at this share of each node's nearest neighbours
    # (1.0: all); large instances need it to get a first solution in seconds rather than minutes
    neighbors_ratio: float = 1.0
    stop_at_first_solution: bool = False
    # guided local search's penalty weight (OR-Tools' default 0.1): the portfolio's searches differ in it
    gls_lambda: float = 0.1
    # stop after this many solutions (the first one and each one guided local search moves to) instead
    # of at the time limit, which then does not apply: the same search on any machine, however busy
    solution_limit: int | None = None
    # and after this many branches of the search tree: guided local search can go on without finding
    # another solution at all (one task with a one-second window: forever, with no time limit)
    branch_limit: int | None = None


@dataclass(slots=True)
class RawRoute:
    """A route read back from OR-Tools: task starts in order, departure, return and lunch."""

    vehicle: Vehicle
    departure: int
    return_at: int
    stops: list[tuple[Task, int]]  # (task, start)
    lunch_start: int | None


@dataclass(slots=True)
class RawSolution:
    status: str
    objective: int
    wall_seconds: float
    progress: list[tuple[float, int]]
    routes: list[RawRoute] | None
    warm_started: bool = False  # the search began from the ``initial`` routes given


def search(
    model: Model,
    params: SearchParams,
    stop: Callable[[], bool] | None,
    on_progress: Callable[[float, int], None] | None,
    initial: dict[int, list[str]] | None = None,
) -> RawSolution:
    """Solve; ``initial`` (vehicle index -> task ids in order) is a warm start when it is feasible."""
    routing = model.routing
    search_params = cp.DefaultRoutingSearchParameters()
    search_params.first_solution_strategy = getattr(enums.FirstSolutionStrategy, params.first_solution)
    search_params.local_search_metaheuristic = getattr(enums.LocalSearchMetaheuristic, params.metaheuristic)
    if params.solution_limit is not None:
        search_params.solution_limit = max(1, params.solution_limit)
    else:
        search_params.time_limit.FromMilliseconds(max(1, int(params.time_limit_seconds * 1000)))
    search_params.log_search = params.log_search
    search_params.guided_local_search_lambda_coefficient = params.gls_lambda
    # local cheapest insertion places the most expensive-to-leave-out tasks first: every P1 before
    # any lower priority takes its room (a no-op for the other strategies)
    search_params.local_cheapest_insertion_parameters.insertion_sorting_properties[:] = [
        enums_params.LocalCheapestInsertionParameters.SORTING_PROPERTY_PENALTY,
        enums_params.LocalCheapestInsertionParameters.SORTING_PROPERTY_ALLOWED_VEHICLES,
    ]
    if params.neighbors_ratio < 1.0:
        # the first solution only: restricting the local search operators as well stalled it (the
        # 50 × 400 field scenario improved nothing in 7 s with 5%, steadily with all neighbours)
        search_params.global_cheapest_insertion_first_solution_parameters.neighbors_ratio = params.neighbors_ratio
        search_params.global_cheapest_insertion_first_solution_parameters.min_neighbors = 20
    began = time.monotonic()
    progress: list[tuple[float, int]] = []

    def at_solution() -> None:
        objective = int(routing.CostVar().Value())
        if not progress or objective < progress[-1][1]:
            elapsed = time.monotonic() - began
            progress.append((elapsed, objective))
            if on_progress is not None:
                on_progress(elapsed, objective)
        if params.stop_at_first_solution or (stop is not None and stop()):
            routing.solver().FinishCurrentSearch()

    routing.AddAtSolutionCallback(at_solution)
    if params.branch_limit is not None:
        routing.AddSearchMonitor(routing.solver().BranchesLimit(params.branch_limit))
    solution = None
    warm = False
    if initial is not None:
        routing.CloseModelWithParameters(search_params)
        routes = [[model.task_indices[t][0] for t in initial.get(v.index, [])] for v in model.vehicles]
        start = routing.ReadAssignmentFromRoutes(routes, True)
        if start is not None:
            warm = True
            solution = routing.SolveFromAssignmentWithParameters(start, search_params)
    if solution is None:
        solution = routing.SolveWithParameters(search_params)
    wall = time.monotonic() - began
    status = str(enums.RoutingSearchStatus.Value.Name(routing.status())).removeprefix("ROUTING_").lower()
    if solution is None:
        # no routes: the plan written from this leaves every task out, and that is what it costs (an
        # objective of 0 here read as the cheapest plan of all, wherever objectives are compared)
        return RawSolution(status, left_out_cost(model), wall, progress, None, warm)
    return RawSolution(status, int(solution.ObjectiveValue()), wall, progress, _read(model, solution), warm)


def left_out_cost(model: Model) -> int:
    """The objective of the plan that serves nothing: every task's penalty for leaving it out."""
    routing = model.routing
    return sum(int(routing.GetDisjunctionPenalty(d)) for d in range(routing.GetNumberOfDisjunctions()))


def _read(model: Model, solution: Any) -> list[RawRoute]:
    routing, time_dim = model.routing, model.time
    out: list[RawRoute] = []
    for vehicle in model.vehicles:
        index = routing.Start(vehicle.index)
        departure = int(solution.Value(time_dim.CumulVar(index)))
        stops: list[tuple[Task, int]] = []
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            task = model.nodes[model.manager.IndexToNode(index)].task
            assert task is not None  # only task nodes lie between start and end
            stops.append((task, int(solution.Value(time_dim.CumulVar(index)))))
            index = solution.Value(routing.NextVar(index))
        if not stops:
            continue
        lunch = model.lunches.get(vehicle.index)
        lunch_start = int(solution.StartValue(lunch)) if lunch is not None else None
        out.append(RawRoute(vehicle, departure, int(solution.Value(time_dim.CumulVar(index))), stops, lunch_start))
    return out
