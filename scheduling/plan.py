"""The solver's answer: routes per engineer and shift, unassigned tasks with reasons, KPIs, statistics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Reason(StrEnum):
    """Why a task is not in the plan. The pre-check gives the first group, the solve the last two."""

    NO_SKILL = "no_skill"
    NO_CERTIFICATION = "no_certification"
    NO_AVAILABILITY = "no_availability"
    CREW_TOO_LARGE = "crew_too_large"
    DEPENDENCY_UNKNOWN = "dependency_unknown"
    DEPENDENCY_INFEASIBLE = "dependency_infeasible"
    DEPENDENCY_CYCLE = "dependency_cycle"
    PIN_INFEASIBLE = "pin_infeasible"
    CAPACITY = "capacity"
    CAPACITY_OR_COST = "capacity_or_cost"
    DEPENDENCY_UNSCHEDULED = "dependency_unscheduled"


@dataclass(frozen=True, slots=True)
class Unassigned:
    task_id: str
    reason: Reason
    text: str


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    """Objective contributions, in cost units, with the raw seconds/metres behind them."""

    travel: int = 0
    lateness: int = 0
    overtime: int = 0
    territory: int = 0
    stability: int = 0  # moving a previously planned task (start shift, other engineer)
    travel_seconds: int = 0
    travel_metres: int = 0
    late_seconds: int = 0
    overtime_seconds: int = 0
    moved_seconds: int = 0  # |start - previous start|
    engineer_changed: bool = False

    @property
    def total(self) -> int:
        return self.travel + self.lateness + self.overtime + self.territory + self.stability


@dataclass(frozen=True, slots=True)
class Visit:
    """One task on a route. ``travel_*`` is the leg from the previous stop; ``cost`` the task's share."""

    task_id: str
    arrival: int
    start: int
    end: int
    travel_seconds: int
    travel_metres: int
    late_seconds: int = 0
    cost: CostBreakdown = field(default_factory=CostBreakdown)


@dataclass(frozen=True, slots=True)
class Route:
    """One engineer's shift: leave the start location at ``departure``, be back at ``return_at``."""

    engineer_id: str
    day: int
    shift_start: int
    shift_end: int
    departure: int
    return_at: int
    visits: tuple[Visit, ...]
    lunch_start: int | None = None
    lunch_duration: int = 0
    return_travel_seconds: int = 0
    return_travel_metres: int = 0

    @property
    def overtime_seconds(self) -> int:
        return max(0, self.return_at - self.shift_end)

    @property
    def travel_seconds(self) -> int:
        return sum(v.travel_seconds for v in self.visits) + self.return_travel_seconds

    @property
    def travel_metres(self) -> int:
        return sum(v.travel_metres for v in self.visits) + self.return_travel_metres


@dataclass(frozen=True, slots=True)
class Kpis:
    travel_seconds: int = 0
    travel_metres: int = 0
    service_seconds: int = 0
    shift_seconds: int = 0
    utilization: float = 0.0  # service time over available shift time
    tasks_assigned: int = 0
    tasks_late: int = 0
    overtime_seconds: int = 0
    unassigned_by_priority: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SolverStats:
    status: str = "not_solved"
    objective: int = 0
    wall_seconds: float = 0.0
    # (seconds since start, best objective so far), one point per improvement
    progress: tuple[tuple[float, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    kpis: Kpis = field(default_factory=Kpis)
    stats: SolverStats = field(default_factory=SolverStats)

    def visits_of(self, task_id: str) -> list[tuple[Route, Visit]]:
        return [(r, v) for r in self.routes for v in r.visits if v.task_id == task_id]

    def route_of(self, engineer_id: str, day: int) -> Route | None:
        return next((r for r in self.routes if r.engineer_id == engineer_id and r.day == day), None)
