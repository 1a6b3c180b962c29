"""Dispatch optimizer benchmark: Solomon / Gehring–Homberger VRPTW through ``scheduling/``, side by side
with PyVRP and plain OR-Tools routing at the same time budget, one solver at a time.

    python bench/scheduling.py --time-limit 10 --json out.json ../shared/bench/solomon/instances/R101.txt
    python bench/scheduling.py --time-limit 60 --json gh.json ../shared/bench/homberger

Objective = total distance, DIMACS convention (Euclidean truncated to one decimal; all data ×10 in
integers). Every plan of the project is validated by the independent checker (``check_plan``) and
re-measured here on the instance's own matrix; a violation or a customer left out marks it infeasible.
PyVRP (``pyvrp``) and ``vrplib`` are dev dependencies for this script only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path and its name would shadow the
# ``scheduling`` package: put the repository root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from bench._instances import (  # noqa: E402
    SCALE,
    Instance,
    instance_files,
    read,
    route_distance,
    route_feasible,
    to_problem,
)
from scheduling import SolveParams, check_plan, ruin_recreate, solve  # noqa: E402

SOLVERS = ("project", "pyvrp", "ortools_default")
CLASSES = ("C1", "C2", "R1", "R2", "RC1", "RC2")


@dataclass(slots=True)
class Outcome:
    feasible: bool
    routes: list[list[int]]  # customer indices of the instance per used vehicle
    seconds: float
    note: str = ""


# -- the three solvers -------------------------------------------------------------------------------


def run_project(instance: Instance, limit: float, seed: int, workers: int = 1) -> Outcome:
    began = time.monotonic()
    problem = to_problem(instance)
    plan = solve(problem, SolveParams(time_limit_seconds=limit, workers=workers))
    seconds = time.monotonic() - began
    violations = check_plan(problem, plan)
    routes = [[int(v.task_id) for v in r.visits] for r in plan.routes]
    notes = [f"{v.code}: {v.text}" for v in violations[:3]]
    if plan.unassigned:
        notes.append(f"{len(plan.unassigned)} customer(s) left out")
    return Outcome(not violations and not plan.unassigned, routes, seconds, "; ".join(notes))


def run_pyvrp(instance: Instance, limit: float, seed: int) -> Outcome:
    import pyvrp
    from pyvrp.stop import MaxRuntime

    began = time.monotonic()
    data = pyvrp.read(instance.path, round_func="dimacs") if instance.format == "vrplib" else _pyvrp_data(instance)
    result = pyvrp.solve(data, stop=MaxRuntime(max(0.1, limit - (time.monotonic() - began))), seed=seed)
    seconds = time.monotonic() - began
    best = result.best
    # a client activity's idx counts clients from 0 in file order; ``Instance`` has the depot at 0
    routes = [[a.idx + 1 for a in route if a.is_client()] for route in best.routes()]
    routes = [r for r in routes if r]
    outcome = Outcome(bool(best.is_feasible()), routes, seconds)
    if sum(route_distance(instance, r) for r in routes) != best.distance():
        outcome.note = f"PyVRP reports distance {best.distance() / SCALE}"
    return outcome


def _pyvrp_data(instance: Instance) -> Any:
    """Solomon text is not VRPLIB: build the same integer data through PyVRP's modelling API."""
    import pyvrp

    model = pyvrp.Model()
    coords = instance.coords or [(0.0, 0.0)] * len(instance.demand)
    locations = [model.add_location(x, y) for x, y in coords]
    depot = model.add_depot(locations[0], tw_early=instance.ready[0], tw_late=instance.due[0])
    capacity = [instance.capacity] if instance.capacity is not None else [sum(instance.demand)]
    model.add_vehicle_type(
        num_available=instance.vehicles,
        capacity=capacity,
        start_depot=depot,
        end_depot=depot,
        tw_early=instance.ready[0],
        tw_late=instance.due[0],
    )
    for i in range(1, len(instance.demand)):
        model.add_client(
            locations[i],
            delivery=[instance.demand[i]],
            service_duration=instance.service[i],
            tw_early=instance.ready[i],
            tw_late=instance.due[i],
        )
    for a, frm in enumerate(locations):
        for b, to in enumerate(locations):
            model.add_edge(frm, to, distance=instance.distances[a][b], duration=instance.distances[a][b])
    return model.data()


def run_ortools_default(instance: Instance, limit: float, seed: int) -> Outcome:
    """Plain OR-Tools routing: all customers mandatory, PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH, matrices."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    began = time.monotonic()
    n = len(instance.demand)
    manager = pywrapcp.RoutingIndexManager(n, instance.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    dist = instance.distances
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(dist))
    times = [[instance.service[a] + dist[a][b] for b in range(n)] for a in range(n)]
    horizon = instance.due[0]
    routing.AddDimension(routing.RegisterTransitMatrix(times), horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for node in range(1, n):
        time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(instance.ready[node], instance.due[node])
    for v in range(instance.vehicles):
        time_dim.CumulVar(routing.Start(v)).SetRange(instance.ready[0], instance.due[0])
        time_dim.CumulVar(routing.End(v)).SetRange(instance.ready[0], instance.due[0])
    if instance.capacity is not None:
        load = routing.RegisterUnaryTransitVector(instance.demand)
        routing.AddDimensionWithVehicleCapacity(load, 0, [instance.capacity] * instance.vehicles, True, "load")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(100, int(1000 * (limit - (time.monotonic() - began)))))
    solution = routing.SolveWithParameters(params)
    seconds = time.monotonic() - began
    if solution is None:
        return Outcome(False, [], seconds, "no solution")
    routes: list[list[int]] = []
    for v in range(instance.vehicles):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        route: list[int] = []
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        if route:
            routes.append(route)
    return Outcome(True, routes, seconds)


RUNNERS: dict[str, Callable[[Instance, float, int], Outcome]] = {
    "project": run_project,
    "pyvrp": run_pyvrp,
    "ortools_default": run_ortools_default,
}


# -- best-known solutions and the result rows --------------------------------------------------------


def load_bks(paths: list[Path], extra: list[str]) -> dict[str, float]:
    """Distance-only BKS by instance name from ``bks_*.csv`` beside (or above) the instances."""
    files: set[Path] = {Path(p) for p in extra}
    for path in paths:
        for folder in (path.parent, path.parent.parent):
            files.update(folder.glob("bks_*.csv"))
    out: dict[str, float] = {}
    for file in sorted(files):
        with file.open(newline="") as handle:
            for row in csv.DictReader(handle):
                value = row.get("dimacs_distance_opt") or row.get("distance_dimacs")
                if row.get("instance") and value:
                    out[row["instance"].strip().upper()] = float(value)
    return out


def row_for(instance: Instance, solver: str, outcome: Outcome, bks: dict[str, float]) -> dict[str, Any]:
    served = sorted(c for route in outcome.routes for c in route)
    complete = served == list(range(1, len(instance.demand)))
    routes_ok = all(route_feasible(instance, r) for r in outcome.routes)
    feasible = outcome.feasible and complete and routes_ok
    note = outcome.note
    if outcome.feasible and not (complete and routes_ok):
        note = "re-check failed: " + ("routes infeasible" if not routes_ok else "customers missing or repeated")
    distance = sum(route_distance(instance, r) for r in outcome.routes) / SCALE if outcome.routes else None
    best = bks.get(instance.name.upper())
    return {
        "instance": instance.name,
        "class": instance.size_class,
        "customers": instance.customers,
        "solver": solver,
        "feasible": feasible,
        "vehicles": len(outcome.routes),
        "distance": distance,
        "seconds": round(outcome.seconds, 2),
        "bks_distance": best,
        "gap_pct": round(100 * (distance - best) / best, 2) if feasible and best and distance is not None else None,
        "ratio_to_pyvrp": None,
        "note": note,
    }


def add_ratios(rows: list[dict[str, Any]]) -> None:
    pyvrp = {r["instance"]: r for r in rows if r["solver"] == "pyvrp" and r["feasible"]}
    for row in rows:
        ref = pyvrp.get(row["instance"])
        if ref and row["feasible"] and ref["distance"]:
            row["ratio_to_pyvrp"] = round(row["distance"] / ref["distance"], 4)


# -- output for people ---------------------------------------------------------------------------------


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'instance':<10} {'solver':<16} {'ok':<3} {'veh':>4} {'distance':>10} {'bks':>10} "
        f"{'gap%':>7} {'/pyvrp':>7} {'sec':>6}  note"
    )
    for r in rows:
        print(
            f"{r['instance']:<10} {r['solver']:<16} {'yes' if r['feasible'] else 'NO':<3} {r['vehicles']:>4} "
            f"{_fmt(r['distance'], '.1f'):>10} {_fmt(r['bks_distance'], '.1f'):>10} {_fmt(r['gap_pct'], '+.2f'):>7} "
            f"{_fmt(r['ratio_to_pyvrp'], '.4f'):>7} {r['seconds']:>6.1f}  {r['note']}"
        )


def summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per size and class and solver: instances, feasible, mean gap to BKS, mean ratio to PyVRP."""
    out: list[dict[str, Any]] = []
    keys = sorted(
        {(r["customers"], r["class"], r["solver"]) for r in rows},
        key=lambda k: (k[0], CLASSES.index(k[1]) if k[1] in CLASSES else 99, SOLVERS.index(k[2])),
    )
    groups = [
        *keys,
        *sorted({(r["customers"], "all", r["solver"]) for r in rows}, key=lambda k: (k[0], SOLVERS.index(k[2]))),
    ]
    for size, cls, solver in groups:
        group = [r for r in rows if r["customers"] == size and r["solver"] == solver and cls in ("all", r["class"])]
        gaps = [r["gap_pct"] for r in group if r["gap_pct"] is not None]
        ratios = [r["ratio_to_pyvrp"] for r in group if r["ratio_to_pyvrp"] is not None]
        out.append(
            {
                "customers": size,
                "class": cls,
                "solver": solver,
                "instances": len(group),
                "feasible": sum(1 for r in group if r["feasible"]),
                "mean_gap_pct": round(statistics.fmean(gaps), 2) if gaps else None,
                "mean_ratio_to_pyvrp": round(statistics.fmean(ratios), 4) if ratios else None,
            }
        )
    return out


def print_summary(groups: list[dict[str, Any]]) -> None:
    print()
    print(f"{'size':>5} {'class':<5} {'solver':<16} {'feasible':>9} {'mean gap%':>10} {'mean /pyvrp':>12}")
    for g in groups:
        print(
            f"{g['customers']:>5} {g['class']:<5} {g['solver']:<16} {g['feasible']:>4}/{g['instances']:<4} "
            f"{_fmt(g['mean_gap_pct'], '+.2f'):>10} {_fmt(g['mean_ratio_to_pyvrp'], '.4f'):>12}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
    parser.add_argument("--time-limit", type=float, required=True, metavar="SECONDS", help="per solver and instance")
    parser.add_argument("--json", type=Path, metavar="OUT.json", help="write the result rows here")
    parser.add_argument("--solvers", default=",".join(SOLVERS), help=f"comma-separated subset of {', '.join(SOLVERS)}")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes the project searches in side by side (default: one per CPU; PyVRP and plain OR-Tools use one)",
    )
    parser.add_argument("--bks", action="append", default=[], metavar="CSV", help="extra best-known-solution table")
    args = parser.parse_args(argv)
    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    unknown = set(solvers) - set(SOLVERS)
    if unknown:
        parser.error(f"unknown solver(s): {', '.join(sorted(unknown))}")
    files = instance_files(args.paths)
    if not files:
        parser.error("no instance files found")
    bks = load_bks(files, args.bks)
    # Numba compiles the ruin-and-recreate kernel on first use (about 10 s, then cached on disk): not a
    # cost of any one instance's solve
    ruin_recreate.warm_up()
    rows: list[dict[str, Any]] = []
    for path in files:
        instance = read(path)
        for solver in solvers:  # one at a time: the machine's cores are not shared between solvers
            if solver == "project":
                outcome = run_project(instance, args.time_limit, args.seed, args.workers)
            else:
                outcome = RUNNERS[solver](instance, args.time_limit, args.seed)
            rows.append(row_for(instance, solver, outcome, bks))
            rows[-1]["processes"] = args.workers if solver == "project" else 1
            print(f"# {instance.name} {solver}: {rows[-1]['distance']} in {outcome.seconds:.1f}s", file=sys.stderr)
            if args.json:  # keep partial results of long runs
                add_ratios(rows)
                args.json.write_text(json.dumps(rows, indent=2))
    add_ratios(rows)
    print_table(rows)
    print_summary(summary(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
