"""The frozen scheduling problem: engineers, tasks, policy and horizon, in plain integer units.

Times are integer seconds from the horizon origin (day ``d`` covers ``[d * DAY, (d + 1) * DAY)``);
distances are integer metres. Locations are plain float degrees (WGS84): they are inputs only, the
travel provider turns them into integer seconds and metres once, before solving.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from scheduling.policy import Policy, Priority, balanced
from scheduling.travel import HaversineTravel, Location, TravelProvider

__all__ = [
    "DAY",
    "Engineer",
    "Location",
    "LunchBreak",
    "Pin",
    "Previous",
    "Priority",
    "Problem",
    "Shift",
    "SkillRequirement",
    "Task",
    "TimeWindow",
]

DAY = 86_400


@dataclass(frozen=True, slots=True)
class SkillRequirement:
    skill: str
    min_level: int = 1


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Allowed *start* of service, both ends inclusive, in seconds from the origin."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Shift:
    """One working period of an engineer; an absence is simply a day without a shift."""

    day: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class LunchBreak:
    """A break of ``duration`` lying entirely inside ``[earliest, latest]`` (seconds after the day's midnight).

    ``by_day`` (day index -> absolute ``(earliest, latest)``) overrides that for the days it names: an
    engineer's local 11:30 is not ``day * DAY + 11.5 h`` in another zone or on a DST-change day.
    """

    duration: int
    earliest: int
    latest: int
    by_day: Mapping[int, tuple[int, int]] = field(default_factory=dict)

    def window_on(self, day: int) -> tuple[int, int]:
        window = self.by_day.get(day)
        return window if window is not None else (day * DAY + self.earliest, day * DAY + self.latest)


@dataclass(frozen=True, slots=True)
class Engineer:
    id: str
    start: Location
    shifts: tuple[Shift, ...]
    skills: Mapping[str, int] = field(default_factory=dict)
    # certification name -> last valid day index (inclusive)
    certifications: Mapping[str, int] = field(default_factory=dict)
    end: Location | None = None
    lunch: LunchBreak | None = None
    overtime_max: int = 0  # seconds per shift beyond its end
    overtime_rate: float = 1.0  # multiplies the policy's overtime cost (see ``overtime_cost``)
    territory: str | None = None
    capacity: int | None = None
    cost_rate: int = 0  # cost per second of working span

    @property
    def end_location(self) -> Location:
        return self.end if self.end is not None else self.start

    def overtime_cost(self, policy: Policy) -> int:
        """Cost per second of overtime: the policy's weight times this engineer's rate, rounded half up."""
        return math.floor(policy.overtime_per_second * self.overtime_rate + 0.5)


@dataclass(frozen=True, slots=True)
class Pin:
    """What the planner fixed: the engineer, the start, or both; in-progress work is first on its route."""

    engineer_id: str | None = None
    start: int | None = None
    in_progress: bool = False


@dataclass(frozen=True, slots=True)
class Previous:
    """Where an earlier (published, communicated) plan had the task. Unlike a pin it may move, at the
    policy's stability cost: per second its start shifts, and once if another engineer takes it."""

    engineer_id: str | None = None
    start: int | None = None


@dataclass(frozen=True, slots=True)
class Task:
    id: str
    location: Location
    duration: int
    skills: tuple[SkillRequirement, ...] = ()
    certifications: tuple[str, ...] = ()
    windows: tuple[TimeWindow, ...] = ()  # empty: any time in the horizon
    priority: Priority = Priority.P3
    sla_deadline: int | None = None  # service must END by then (soft or hard by policy)
    after: tuple[str, ...] = ()  # ids of tasks that must end before this one starts
    crew_size: int = 1
    demand: int = 0
    pin: Pin | None = None
    territory: str | None = None
    previous: Previous | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    engineers: tuple[Engineer, ...]
    tasks: tuple[Task, ...]
    days: int = 1
    policy: Policy = field(default_factory=balanced)
    travel: TravelProvider = field(default_factory=HaversineTravel)
    origin: datetime | None = None  # informational: the instant of second 0
    # lookups by id, built once: the solver and explanations ask for tasks by id inside loops
    _tasks_by_id: dict[str, Task] = field(init=False, repr=False, compare=False)
    _engineers_by_id: dict[str, Engineer] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tasks_by_id", {t.id: t for t in reversed(self.tasks)})
        object.__setattr__(self, "_engineers_by_id", {e.id: e for e in reversed(self.engineers)})

    @property
    def horizon_end(self) -> int:
        return self.days * DAY

    def task(self, task_id: str) -> Task:
        """The task with this id (the first one, should ids repeat); KeyError if none."""
        return self._tasks_by_id[task_id]

    def engineer(self, engineer_id: str) -> Engineer:
        return self._engineers_by_id[engineer_id]
