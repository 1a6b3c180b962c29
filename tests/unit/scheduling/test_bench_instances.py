"""The benchmark's instance readers: Solomon text and VRPLIB give the same problem, DIMACS-truncated."""

from __future__ import annotations

from pathlib import Path

from bench._instances import detect_format, read, route_distance, route_feasible, to_problem
from scheduling.checker import check_plan
from scheduling.solver import SolveParams, solve
from scheduling.work_limit import WorkLimit

SOLOMON = """TINY

VEHICLE
NUMBER     CAPACITY
  2         10

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0          0          0          0        100          0
    1      1          1          4          0         50          5
    2      3          0          4         10         60          5
    3      0          2          4          0         80          5
"""

VRPLIB = """NAME : TINY
TYPE : VRPTW
DIMENSION : 4
VEHICLES : 2
CAPACITY : 10
EDGE_WEIGHT_TYPE : EUC_2D
NODE_COORD_SECTION
1 0 0
2 1 1
3 3 0
4 0 2
DEMAND_SECTION
1 0
2 4
3 4
4 4
TIME_WINDOW_SECTION
1 0 100
2 0 50
3 10 60
4 0 80
SERVICE_TIME_SECTION
1 0
2 5
3 5
4 5
DEPOT_SECTION
1
-1
EOF
"""


def test_both_formats_read_the_same_instance(tmp_path: Path) -> None:
    solomon, vrplib = tmp_path / "tiny.txt", tmp_path / "tiny"  # no telling extension on the second
    solomon.write_text(SOLOMON)
    vrplib.write_text(VRPLIB)
    assert (detect_format(solomon), detect_format(vrplib)) == ("solomon", "vrplib")
    a, b = read(solomon), read(vrplib)
    for field in ("vehicles", "capacity", "distances", "demand", "ready", "due", "service"):
        assert getattr(a, field) == getattr(b, field), field
    assert a.distances[0][1] == 14  # sqrt(2) = 1.414... -> 1.4, in tenths
    assert a.ready[2] == 100 and a.service[1] == 50


def test_the_project_solves_the_converted_problem(tmp_path: Path) -> None:
    path = tmp_path / "tiny.txt"
    path.write_text(SOLOMON)
    instance = read(path)
    problem = to_problem(instance)
    plan = solve(problem, SolveParams(work_limit=WorkLimit()))
    assert check_plan(problem, plan) == [] and plan.unassigned == ()
    routes = [[int(v.task_id) for v in r.visits] for r in plan.routes]
    assert all(route_feasible(instance, r) for r in routes)
    assert sum(route_distance(instance, r) for r in routes) == plan.kpis.travel_metres
