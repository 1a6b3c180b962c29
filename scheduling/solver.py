"""``solve(problem, params, stop, on_progress) -> Plan``: pre-check, route, and write the plan.

Never answers "no plan": tasks the pre-check rejects carry its reason, tasks the search leaves out
carry "capacity/cost" (or "dependency unscheduled"), and a failed search leaves every task out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial

from scheduling import _routing, decompose, parallel, ruin_recreate
from scheduling.eligibility import stable_engineer, stable_start
from scheduling.feasibility import Feasibility, check
from scheduling.plan import CostBreakdown, Kpis, Plan, Reason, Route, SolverStats, Unassigned, Visit
from scheduling.problem import Problem, Task
from scheduling.travel import TravelMatrices
from scheduling.work_limit import WorkLimit

Stop = Callable[[], bool]
Progress = Callable[[float, int], None]


@dataclass(frozen=True, slots=True)
class PortfolioSearch:
    """One search of the portfolio: where it starts and how its guided local search runs."""

    first_solution: str
    gls_lambda: float = 0.1


# Chosen among 12 single searches on 24 Solomon instances at 10 s (docs/benchmarks.md, issue 5):
# GLS settles into one local optimum however long it runs, so what pays is a second search that
# differs in where it starts and in its penalty weight. Savings with the heavier weight was the best
# single search; local cheapest insertion the best complement to it.
PORTFOLIO = (PortfolioSearch("SAVINGS", gls_lambda=0.3), PortfolioSearch("LOCAL_CHEAPEST_INSERTION"))


@dataclass(frozen=True, slots=True)
class SolveParams:
    time_limit_seconds: float = 10.0
    # measured better than PATH_CHEAPEST_ARC on time-windowed instances (see shared bench README)
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    # when tasks differ in unassigned penalty (priorities, pins), this strategy instead: it inserts
    # tasks one by one, the most expensive to leave out first, so no P1 finds its room taken by a P3
    # (parallel cheapest insertion fills by cheapest insertion cost and left 3 P1s out of the field
    # scenario, which the local search could not repair)
    mixed_priorities_first_solution: str = "LOCAL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    # Small problems with one penalty for every task and no previous plan: these searches, each on a
    # model of its own, side by side in ``workers`` processes (one after another, sharing the time
    # limit, where there are fewer processes than searches); the cheapest result is kept. Empty or
    # one search: ``first_solution`` alone.
    portfolio: tuple[PortfolioSearch, ...] = PORTFOLIO
    log_search: bool = False
    # Large problems (at least ``large_from`` tasks): the first solution looks only at near neighbours,
    # and when the rules allow it (``decompose.decomposable``) the rest of the time goes to
    # re-optimizing groups of ~``part_size`` tasks on neighbouring routes, ``part_seconds`` each.
    large_from: int = 300
    neighbors_ratio: float = 0.05
    part_size: int = 80
    part_seconds: float = 2.0
    seed: int = 0
    # Processes to search in (``scheduling.parallel``): the portfolio's strategies run side by side,
    # each with the whole time limit, and the decomposition solves that many parts at once. 1: all in
    # this process, one after another.
    workers: int = 1
    # Where the objective is plain travel cost (``ruin_recreate.applies``): the share of the time limit
    # that goes to ruin and recreate after OR-Tools' search (each portfolio lane improves its own
    # result, with a seed of its own). 0: OR-Tools alone.
    ruin_recreate_share: float = 0.8
    ruin_recreate_params: ruin_recreate.RuinRecreateParams = field(default_factory=ruin_recreate.RuinRecreateParams)
    # Bound every stage by work instead (``work_limit.py``): the time limit then does not apply, and the
    # same problem gets the same plan on any machine. None (production): the time limit.
    work_limit: WorkLimit | None = None


def solve(
    problem: Problem,
    params: SolveParams | None = None,
    stop: Stop | None = None,
    on_progress: Progress | None = None,
) -> Plan:
    params = params or SolveParams()
    feasibility = check(problem)
    if not feasibility.eligible or not feasibility.vehicles:
        return _plan(problem, feasibility, None, [], SolverStats(status="nothing_to_solve"))
    model = _routing.build(problem, feasibility)
    large = len(feasibility.eligible) >= params.large_from
    improver = _improver(problem, model, params)
    # where ruin and recreate applies it replaces the decomposition of large problems: it works on
    # neighbouring routes by itself and is not bound to a partition
    by_parts = large and improver is None and decompose.decomposable(problem)
    began = time.monotonic()
    # a warm start from the previous plan, when there is one; not for the decomposed search, whose
    # first solution must place every task (it stops there and only improves routes afterwards)
    initial = None if by_parts else _previous_routes(problem, feasibility)
    first_solution = _first_solution(problem, feasibility, params)
    search_params = _routing.SearchParams(
        # a large problem's search stops at its first solution, however long that takes
        time_limit_seconds=params.time_limit_seconds * (1 - improver.share if improver and not large else 1),
        first_solution=first_solution,
        metaheuristic=params.metaheuristic,
        log_search=params.log_search,
        neighbors_ratio=params.neighbors_ratio if large else 1.0,
        # a large problem's local search is slow to pay off: the rest of the time goes to the parts
        # or to ruin and recreate
        stop_at_first_solution=large and (by_parts or improver is not None),
        solution_limit=params.work_limit.solutions if params.work_limit is not None else None,
        branch_limit=params.work_limit.branches if params.work_limit is not None else None,
    )
    workers = parallel.usable(params.workers)
    # the portfolio only where one penalty fits all (mixed priorities keep their P1-first start) and
    # there is no previous plan to warm-start from
    if not large and initial is None and first_solution == params.first_solution and len(params.portfolio) > 1:
        raw = _portfolio(
            problem,
            feasibility,
            model,
            search_params,
            params.portfolio,
            workers,
            improver,
            params.time_limit_seconds,
            stop,
            on_progress,
        )
    else:
        raw = _routing.search(model, search_params, stop, on_progress, initial)
        if improver is not None:
            left = params.time_limit_seconds - (time.monotonic() - began)
            raw = _improve_side_by_side(
                problem, feasibility, model, raw, improver, left, workers, began, stop, on_progress
            )
    if by_parts:
        raw = decompose.improve(
            problem,
            model,
            raw,
            began + params.time_limit_seconds,
            part_size=params.part_size,
            part_seconds=params.part_seconds,
            seed=params.seed,
            began=began,
            stop=stop,
            on_progress=on_progress,
            workers=parallel.usable(params.workers),
            work_limit=params.work_limit,
        )
    stats = SolverStats(
        status=raw.status, objective=raw.objective, wall_seconds=raw.wall_seconds, progress=tuple(raw.progress)
    )
    return _plan(problem, feasibility, model, raw.routes or [], stats)


@dataclass(frozen=True, slots=True)
class _Improver:
    """Ruin and recreate after OR-Tools for ``share`` of the time limit."""

    share: float
    seed: int
    params: ruin_recreate.RuinRecreateParams

    def run(
        self,
        problem: Problem,
        feasibility: Feasibility,
        model: _routing.Model,
        raw: _routing.RawSolution,
        seconds: float,
        lane: int,
        stop: Stop | None,
        on_progress: Progress | None,
    ) -> _routing.RawSolution:
        if stop is not None and stop():
            return raw
        return ruin_recreate.improve(
            problem,
            feasibility,
            model,
            raw,
            seconds,
            seed=self.seed + lane,
            stop=stop,
            on_progress=on_progress,
            params=self.params,
        )


def _improve_side_by_side(
    problem: Problem,
    feasibility: Feasibility,
    model: _routing.Model,
    raw: _routing.RawSolution,
    improver: _Improver,
    seconds: float,
    workers: int,
    began: float,
    stop: Stop | None,
    on_progress: Progress | None,
) -> _routing.RawSolution:
    """Ruin and recreate from ``raw`` in ``workers`` processes, each with a seed of its own; the cheapest."""
    report = _FallingCurve(began, on_progress)
    jobs = [partial(improver.run, problem, feasibility, model, raw, seconds, lane) for lane in range(workers)]
    best = raw
    for result in parallel.run(jobs, stop, report):
        if result is not None and _cheaper(result, best):
            best = result
    return best


def _improver(problem: Problem, model: _routing.Model, params: SolveParams) -> _Improver | None:
    if params.ruin_recreate_share <= 0 or not ruin_recreate.applies(problem, model):
        return None
    ruin_recreate.warm_up()  # compiled (or loaded) before the clock starts
    knobs = params.ruin_recreate_params
    if params.work_limit is not None:
        knobs = replace(knobs, max_iterations=params.work_limit.ruin_recreate_iterations)
    # OR-Tools keeps some time of its own: ruin and recreate needs a plan to start from
    return _Improver(min(0.95, params.ruin_recreate_share), params.seed, knobs)


def _portfolio(
    problem: Problem,
    feasibility: Feasibility,
    model: _routing.Model,
    search_params: _routing.SearchParams,
    searches: tuple[PortfolioSearch, ...],
    workers: int,
    improver: _Improver | None,
    total_seconds: float,
    stop: Stop | None,
    on_progress: Progress | None,
) -> _routing.RawSolution:
    """Every search of the portfolio; the cheapest wins.

    The searches are dealt round-robin to ``workers`` lanes that run side by side (forked
    processes); within a lane each search gets an equal share of the time limit, and ``improver``
    (when given) then improves the lane's best for the rest of its time. Progress is
    reported as one run: seconds since the portfolio began, and only improvements on the best
    objective so far (the caller sees one falling curve). The routes fit ``model``: every model
    built from the same problem and feasibility has the same vehicles and nodes."""
    began = time.monotonic()
    report = _FallingCurve(began, on_progress)
    lanes = [searches[n::workers] for n in range(min(workers, len(searches)))]
    # the first lane reuses the model built already (a forked child searches its own copy of it)
    jobs = [
        partial(_lane, problem, feasibility, model if n == 0 else None, search_params, lane, improver, n, total_seconds)
        for n, lane in enumerate(lanes)
    ]
    results = parallel.run(jobs, stop, report)
    best: _routing.RawSolution | None = None
    for raw in results:
        if raw is not None and (best is None or _cheaper(raw, best)):
            best = raw
    if best is None:  # every search process failed to answer
        return _routing.RawSolution("fail", _routing.left_out_cost(model), time.monotonic() - began, [], None)
    best.progress = report.points
    best.wall_seconds = time.monotonic() - began
    return best


def _lane(
    problem: Problem,
    feasibility: Feasibility,
    model: _routing.Model | None,
    search_params: _routing.SearchParams,
    searches: tuple[PortfolioSearch, ...],
    improver: _Improver | None,
    lane_number: int,
    total_seconds: float,
    stop: Stop | None,
    on_progress: Progress | None,
) -> _routing.RawSolution:
    """The searches one after another, each on a model of its own; the cheapest result, improved by
    ``improver`` until ``total_seconds`` have passed."""
    began = time.monotonic()
    best: _routing.RawSolution | None = None
    best_model = model
    for n, search in enumerate(searches):
        if n and stop is not None and stop():
            break
        current = model if n == 0 and model is not None else _routing.build(problem, feasibility)
        # an equal share of what is left, so the lane keeps to the budget
        left = search_params.time_limit_seconds - (time.monotonic() - began)
        seconds = max(0.01, left / (len(searches) - n))
        lane_params = replace(
            search_params,
            time_limit_seconds=seconds,
            first_solution=search.first_solution,
            gls_lambda=search.gls_lambda,
        )
        raw = _routing.search(current, lane_params, stop, on_progress)
        if best is None or _cheaper(raw, best):
            best, best_model = raw, current
    assert best is not None and best_model is not None
    if improver is None:
        return best
    left = total_seconds - (time.monotonic() - began)
    return improver.run(problem, feasibility, best_model, best, left, lane_number, stop, on_progress)


class _FallingCurve:
    """Progress of several searches as one: (seconds since ``began``, objective), improvements only."""

    def __init__(self, began: float, on_progress: Progress | None) -> None:
        self.began = began
        self.on_progress = on_progress
        self.points: list[tuple[float, int]] = []

    def __call__(self, _elapsed: float, objective: int) -> None:
        if self.points and objective >= self.points[-1][1]:
            return
        self.points.append((time.monotonic() - self.began, objective))
        if self.on_progress is not None:
            self.on_progress(*self.points[-1])


def _cheaper(raw: _routing.RawSolution, than: _routing.RawSolution) -> bool:
    return raw.routes is not None and (than.routes is None or raw.objective < than.objective)


def _first_solution(problem: Problem, feasibility: Feasibility, params: SolveParams) -> str:
    kept = [t for t in problem.tasks if t.id in feasibility.eligible]
    penalties = set(_routing.unassigned_penalties(problem, kept).values())
    return params.mixed_priorities_first_solution if len(penalties) > 1 else params.first_solution


def _previous_routes(problem: Problem, feasibility: Feasibility) -> dict[int, list[str]] | None:
    """Vehicle index -> task ids in previous start order, for tasks whose previous engineer and start
    fall in one of that engineer's shifts (tasks the previous plan did not hold stay out)."""
    routes: dict[int, list[tuple[int, str]]] = {}
    for task in problem.tasks:
        previous = task.previous
        if previous is None or previous.engineer_id is None or previous.start is None or task.crew_size > 1:
            continue
        allowed = feasibility.eligible.get(task.id)
        if not allowed:
            continue
        for vehicle_index in allowed:
            vehicle = feasibility.vehicles[vehicle_index]
            shift = vehicle.shift
            if vehicle.engineer.id == previous.engineer_id and shift.start <= previous.start <= shift.end:
                routes.setdefault(vehicle_index, []).append((previous.start, task.id))
                break
    if not routes:
        return None
    return {v: [t for _, t in sorted(stops)] for v, stops in routes.items()}


def _plan(
    problem: Problem,
    feasibility: Feasibility,
    model: _routing.Model | None,
    raw_routes: list[_routing.RawRoute],
    stats: SolverStats,
) -> Plan:
    routes = [_route(problem, model, raw) for raw in raw_routes] if model is not None else []
    served = {v.task_id for r in routes for v in r.visits}
    unassigned = list(feasibility.rejected)
    for task in problem.tasks:
        if task.id in feasibility.eligible and task.id not in served:
            unassigned.append(_dropped(task, served))
    order = {t.id: i for i, t in enumerate(problem.tasks)}
    unassigned.sort(key=lambda u: order[u.task_id])
    return Plan(
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        kpis=_kpis(problem, feasibility, routes, unassigned),
        stats=stats,
    )


def _dropped(task: Task, served: set[str]) -> Unassigned:
    missing = [d for d in task.after if d not in served]
    if missing:
        return Unassigned(
            task.id, Reason.DEPENDENCY_UNSCHEDULED, f"waits for {', '.join(missing)}, which is not scheduled"
        )
    return Unassigned(
        task.id,
        Reason.CAPACITY_OR_COST,
        "no room in any qualified engineer's shifts (time or load), or serving it costs more than leaving it out",
    )


def _route(problem: Problem, model: _routing.Model | None, raw: _routing.RawRoute) -> Route:
    assert model is not None
    policy = problem.policy
    engineer = raw.vehicle.engineer
    travel: TravelMatrices = model.travel
    start_loc = model.nodes[model.manager.IndexToNode(model.routing.Start(raw.vehicle.index))].location
    end_loc = model.nodes[model.manager.IndexToNode(model.routing.End(raw.vehicle.index))].location
    locations = {n.task.id: n.location for n in model.nodes if n.task is not None}
    lunch = engineer.lunch
    visits: list[Visit] = []
    prev_loc, prev_end = start_loc, raw.departure
    for task, start in raw.stops:
        loc = locations[task.id]
        secs, metres = travel.seconds[prev_loc][loc], travel.metres[prev_loc][loc]
        arrival = prev_end + secs
        if lunch is not None and raw.lunch_start is not None and prev_end <= raw.lunch_start < arrival:
            # lunch before setting off; if that would arrive after the start, the drive came first and
            # lunch was taken on site
            arrival = raw.lunch_start + lunch.duration + secs
            if arrival > start:
                arrival = prev_end + secs
        late = max(0, start + task.duration - task.sla_deadline) if task.sla_deadline is not None else 0
        mismatch = (
            policy.territory_mismatch
            if task.territory is not None and engineer.territory is not None and task.territory != engineer.territory
            else 0
        )
        held_start, held_engineer = stable_start(problem, task), stable_engineer(problem, task)
        moved = abs(start - held_start) if held_start is not None else 0
        changed = held_engineer is not None and held_engineer != engineer.id
        cost = CostBreakdown(
            travel=policy.travel_per_second * secs + policy.travel_per_metre * metres,
            lateness=policy.lateness(task.priority) * late,
            territory=mismatch,
            stability=policy.stability_per_second * moved + (policy.stability_engineer_change if changed else 0),
            travel_seconds=secs,
            travel_metres=metres,
            late_seconds=late,
            moved_seconds=moved,
            engineer_changed=changed,
        )
        visits.append(Visit(task.id, arrival, start, start + task.duration, secs, metres, late, cost))
        prev_loc, prev_end = loc, start + task.duration
    back_secs, back_metres = travel.seconds[prev_loc][end_loc], travel.metres[prev_loc][end_loc]
    overtime = max(0, raw.return_at - raw.vehicle.shift.end)
    if overtime and visits:
        # the last visit is what pushed the day past its end
        last = visits[-1]
        cost = last.cost
        visits[-1] = Visit(
            last.task_id,
            last.arrival,
            last.start,
            last.end,
            last.travel_seconds,
            last.travel_metres,
            last.late_seconds,
            CostBreakdown(
                travel=cost.travel,
                lateness=cost.lateness,
                overtime=overtime * engineer.overtime_cost(policy),
                territory=cost.territory,
                stability=cost.stability,
                travel_seconds=cost.travel_seconds,
                travel_metres=cost.travel_metres,
                late_seconds=cost.late_seconds,
                overtime_seconds=overtime,
                moved_seconds=cost.moved_seconds,
                engineer_changed=cost.engineer_changed,
            ),
        )
    return Route(
        engineer_id=engineer.id,
        day=raw.vehicle.shift.day,
        shift_start=raw.vehicle.shift.start,
        shift_end=raw.vehicle.shift.end,
        departure=raw.departure,
        return_at=raw.return_at,
        visits=tuple(visits),
        lunch_start=raw.lunch_start,
        lunch_duration=lunch.duration if lunch is not None and raw.lunch_start is not None else 0,
        return_travel_seconds=back_secs,
        return_travel_metres=back_metres,
    )


def _kpis(problem: Problem, feasibility: Feasibility, routes: list[Route], unassigned: list[Unassigned]) -> Kpis:
    service = sum(v.end - v.start for r in routes for v in r.visits)
    shift_seconds = sum(v.shift.end - v.shift.start for v in feasibility.vehicles)
    late_tasks = {v.task_id for r in routes for v in r.visits if v.late_seconds > 0}
    by_priority: dict[int, int] = {}
    for u in unassigned:
        priority = int(problem.task(u.task_id).priority)
        by_priority[priority] = by_priority.get(priority, 0) + 1
    return Kpis(
        travel_seconds=sum(r.travel_seconds for r in routes),
        travel_metres=sum(r.travel_metres for r in routes),
        service_seconds=service,
        shift_seconds=shift_seconds,
        utilization=service / shift_seconds if shift_seconds else 0.0,
        tasks_assigned=len({v.task_id for r in routes for v in r.visits}),
        tasks_late=len(late_tasks),
        overtime_seconds=sum(r.overtime_seconds for r in routes),
        unassigned_by_priority=by_priority,
    )
