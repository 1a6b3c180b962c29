"""Travel between locations: a provider protocol and the default great-circle estimate.

A provider turns a list of locations into two square integer matrices (seconds, metres) once per
solve; a road-network service plugs in by implementing the same method.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True, slots=True)
class Location:
    """A point in float degrees; ``key`` lets a matrix provider look the point up by id instead."""

    lat: float
    lon: float
    key: str | None = None


@dataclass(frozen=True, slots=True)
class TravelMatrices:
    seconds: list[list[int]]
    metres: list[list[int]]


@runtime_checkable
class TravelProvider(Protocol):
    def matrices(self, locations: Sequence[Location]) -> TravelMatrices:
        """Integer travel seconds and metres from every location to every other one."""
        ...


def haversine_metres(a: Location, b: Location) -> float:
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True)
class HaversineTravel:
    """Great-circle distance × detour factor, driven at an average speed; rounded to whole units."""

    detour_factor: float = 1.3
    speed_kmh: float = 50.0

    def matrices(self, locations: Sequence[Location]) -> TravelMatrices:
        speed_ms = self.speed_kmh / 3.6
        n = len(locations)
        metres = [[0] * n for _ in range(n)]
        seconds = [[0] * n for _ in range(n)]
        for i in range(n):
            for j in range(i + 1, n):
                road = haversine_metres(locations[i], locations[j]) * self.detour_factor
                metres[i][j] = metres[j][i] = round(road)
                seconds[i][j] = seconds[j][i] = round(road / speed_ms)
        return TravelMatrices(seconds=seconds, metres=metres)

    def legs_around(
        self, point: Location, others: Sequence[Location]
    ) -> tuple[list[int], list[int], list[int], list[int]]:
        speed_ms = self.speed_kmh / 3.6
        road = [haversine_metres(point, other) * self.detour_factor for other in others]
        metres = [round(r) for r in road]
        seconds = [round(r / speed_ms) for r in road]
        return seconds, metres, seconds[:], metres[:]


@dataclass(frozen=True, slots=True)
class EuclideanTravel:
    """Planar distance between (lat, lon) taken as (x, y), in units of ``scale`` per coordinate unit;
    travel time equals distance (the Solomon convention). For benchmarks and hand-checkable tests."""

    scale: int = 1

    def matrices(self, locations: Sequence[Location]) -> TravelMatrices:
        n = len(locations)
        out = [[0] * n for _ in range(n)]
        points = [(loc.lat, loc.lon) for loc in locations]
        scale, floor, hypot = self.scale, math.floor, math.hypot
        for i in range(n):
            xi, yi = points[i]
            row = out[i]
            for j in range(i + 1, n):
                xj, yj = points[j]
                row[j] = out[j][i] = floor(hypot(xi - xj, yi - yj) * scale)
        return TravelMatrices(seconds=out, metres=[row[:] for row in out])


def legs_around(
    provider: TravelProvider, point: Location, others: Sequence[Location]
) -> tuple[list[int], list[int], list[int], list[int]]:
    """Seconds and metres from every other location to ``point`` and from ``point`` to each of them.

    Uses the provider's ``legs_around`` when it has one (linear work); otherwise asks for the small
    matrix of each pair, so the cost stays linear in ``len(others)`` for any provider.
    """
    fast = getattr(provider, "legs_around", None)
    if fast is not None:
        result: tuple[list[int], list[int], list[int], list[int]] = fast(point, others)
        return result
    to_s, to_m, from_s, from_m = [], [], [], []
    for other in others:
        m = provider.matrices([other, point])
        to_s.append(m.seconds[0][1])
        to_m.append(m.metres[0][1])
        from_s.append(m.seconds[1][0])
        from_m.append(m.metres[1][0])
    return to_s, to_m, from_s, from_m
