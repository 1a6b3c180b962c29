"""Benchmark instances: read Solomon text or VRPLIB files and turn them into ``scheduling.Problem``.

The format is told from the content (a ``KEY : value`` header or ``*_SECTION`` lines mean VRPLIB; the
``VEHICLE`` / ``CUSTOMER`` blocks mean Solomon), not only from the extension, and both go through
``vrplib.read_instance``. Numbers follow the DIMACS convention: everything is scaled by 10 and
truncated, so one project second (and metre) is a tenth of an instance unit and the truncation
``floor(10 * d) / 10`` is exact in integers.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vrplib

from scheduling import DAY, Engineer, Location, Policy, Priority, Problem, Shift, Task, TimeWindow, TravelMatrices
from scheduling.travel import EuclideanTravel

SCALE = 10  # DIMACS: one decimal, truncated
UNSERVED_PENALTY = 10**9  # per customer: far above any route's distance, so leaving one out never pays
FAR = 10**7  # a due date for instances without time windows (instance units)


@dataclass(frozen=True, slots=True)
class Instance:
    """A VRPTW instance in integer DIMACS units (×10); index 0 is the depot."""

    name: str
    path: Path
    format: str  # "solomon" or "vrplib"
    vehicles: int
    capacity: int | None
    coords: list[tuple[float, float]] | None  # None: explicit distances
    distances: list[list[int]]  # truncated, ×10
    demand: list[int]
    ready: list[int]
    due: list[int]
    service: list[int]

    @property
    def customers(self) -> int:
        return len(self.demand) - 1

    @property
    def size_class(self) -> str:
        """C1, C2, R1, R2, RC1 or RC2 from the name (Solomon ``RC101``, Homberger ``RC1_10_1``)."""
        match = re.match(r"(RC|R|C)(\d)", self.name.upper())
        return f"{match.group(1)}{match.group(2)}" if match else "other"


def detect_format(path: Path) -> str:
    head = path.read_text(errors="replace")[:4000]
    if re.search(r"^\s*[A-Z_]+\s*:", head, re.MULTILINE) or "_SECTION" in head:
        return "vrplib"
    if re.search(r"^\s*VEHICLE\s*$", head, re.MULTILINE) and re.search(r"^\s*CUSTOMER\s*$", head, re.MULTILINE):
        return "solomon"
    raise ValueError(f"{path}: neither Solomon text nor VRPLIB")


def instance_files(arguments: Sequence[str]) -> list[Path]:
    """Files named, and the instance files inside directories named (readable ones, sorted by size then name)."""
    out: list[Path] = []
    for arg in arguments:
        path = Path(arg)
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            if (path.is_dir() and candidate.suffix.lower() in (".sol", ".csv", ".md")) or "LICENSE" in candidate.name:
                continue
            try:
                detect_format(candidate)
            except (ValueError, UnicodeDecodeError):
                if not path.is_dir():
                    raise
                continue
            out.append(candidate)
    return out


def read(path: Path) -> Instance:
    fmt = detect_format(path)
    raw: dict[str, Any] = vrplib.read_instance(path, instance_format=fmt)
    dimension = len(raw["demand"]) if "demand" in raw else int(raw["dimension"])
    depot = int(raw["depot"][0]) if "depot" in raw else 0
    order = [depot, *(i for i in range(dimension) if i != depot)]

    def column(key: str, default: float) -> list[float]:
        value = raw.get(key)
        if value is None:
            return [default] * dimension
        if isinstance(value, int | float):
            return [float(value)] * dimension
        return [float(v) for v in value]

    demand = column("demand", 0)
    service = column("service_time", 0)
    service[depot] = 0.0
    if "time_window" in raw:
        ready = [float(w[0]) for w in raw["time_window"]]
        due = [float(w[1]) for w in raw["time_window"]]
    else:
        ready, due = [0.0] * dimension, [float(FAR)] * dimension
    coords: list[tuple[float, float]] | None = None
    if "node_coord" in raw:
        coords = [(float(raw["node_coord"][i][0]), float(raw["node_coord"][i][1])) for i in order]
        distances = _dimacs_matrix(coords)
    else:
        weights = raw["edge_weight"]
        distances = [[math.floor(SCALE * float(weights[a][b]) + 1e-9) for b in order] for a in order]
    capacity = raw.get("capacity")
    vehicles = raw.get("vehicles")
    return Instance(
        name=str(raw.get("name") or path.stem).strip(),
        path=path,
        format=fmt,
        vehicles=int(vehicles) if vehicles is not None else dimension - 1,
        capacity=int(capacity) if capacity is not None else None,
        coords=coords,
        distances=distances,
        demand=[int(demand[i]) for i in order],
        ready=[_scaled(ready[i]) for i in order],
        due=[_scaled(due[i]) for i in order],
        service=[_scaled(service[i]) for i in order],
    )


def _scaled(value: float) -> int:
    return math.floor(SCALE * value + 1e-9)


def _dimacs_matrix(coords: list[tuple[float, float]]) -> list[list[int]]:
    # the same float operation as EuclideanTravel, so the bench and the project agree to the unit
    return EuclideanTravel(scale=SCALE).matrices([Location(x, y) for x, y in coords]).seconds


@dataclass(frozen=True, slots=True)
class KeyedMatrix:
    """A travel provider for explicit distance matrices: locations are looked up by their ``key``."""

    distances: list[list[int]]

    def matrices(self, locations: Sequence[Location]) -> TravelMatrices:
        ids = [int(loc.key or 0) for loc in locations]
        rows = [[self.distances[a][b] for b in ids] for a in ids]
        return TravelMatrices(seconds=rows, metres=[row[:] for row in rows])


def distance_policy() -> Policy:
    """Total distance only: no lateness, overtime or balance terms; leaving a customer out costs far more."""
    return Policy(
        name="distance",
        travel_per_second=1,
        travel_per_metre=0,
        lateness_per_second=dict.fromkeys(Priority, 0),
        unassigned_penalty=dict.fromkeys(Priority, UNSERVED_PENALTY),
        overtime_per_second=0,
        territory_mismatch=0,
        balance_per_second=0,
        sla_hard=False,
    )


def to_problem(instance: Instance) -> Problem:
    """One engineer-vehicle per available vehicle, the depot as start and end, windows on service start."""

    def where(i: int) -> Location:
        if instance.coords is None:
            return Location(0.0, 0.0, key=str(i))
        x, y = instance.coords[i]
        return Location(x, y)

    horizon = max(instance.due[0], *instance.due)
    days = max(1, -(-horizon // DAY))
    shift = Shift(0, instance.ready[0], instance.due[0])
    engineers = tuple(
        Engineer(id=f"v{k + 1}", start=where(0), shifts=(shift,), capacity=instance.capacity)
        for k in range(instance.vehicles)
    )
    tasks = tuple(
        Task(
            id=str(i),
            location=where(i),
            duration=instance.service[i],
            windows=(TimeWindow(instance.ready[i], instance.due[i]),),
            demand=instance.demand[i],
        )
        for i in range(1, len(instance.demand))
    )
    travel = EuclideanTravel(scale=SCALE) if instance.coords is not None else KeyedMatrix(instance.distances)
    return Problem(engineers=engineers, tasks=tasks, days=days, policy=distance_policy(), travel=travel)


def route_distance(instance: Instance, route: Sequence[int]) -> int:
    """Depot → customers (instance indices) → depot, in ×10 units."""
    d = instance.distances
    stops = [0, *route, 0]
    return sum(d[a][b] for a, b in itertools.pairwise(stops))


def route_feasible(instance: Instance, route: Sequence[int]) -> bool:
    """Windows on service start (waiting allowed), return by the depot's due date, capacity."""
    d = instance.distances
    t, here, load = instance.ready[0], 0, 0
    for c in route:
        t = max(t + (instance.service[here] if here else 0) + d[here][c], instance.ready[c])
        if t > instance.due[c]:
            return False
        here, load = c, load + instance.demand[c]
    back = t + (instance.service[here] if here else 0) + d[here][0]
    return back <= instance.due[0] and (instance.capacity is None or load <= instance.capacity)
