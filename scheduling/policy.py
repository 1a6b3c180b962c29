"""Scheduling policies: the weights of the objective and which rules are hard.

All weights are integer cost units. Travel is charged per second and per metre; lateness per second
past the SLA deadline; the unassigned penalty per task. The P1 penalty is raised at solve time above
the sum of every lower-priority penalty, so a P1 is never dropped to make room for others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum


class Priority(IntEnum):
    """P1 (most urgent) to P4; the value doubles as the sort key."""

    P1 = 1
    P2 = 2
    P3 = 3
    P4 = 4


def _by_priority(p1: int, p2: int, p3: int, p4: int) -> Mapping[Priority, int]:
    return {Priority.P1: p1, Priority.P2: p2, Priority.P3: p3, Priority.P4: p4}


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    travel_per_second: int = 1
    travel_per_metre: int = 0
    lateness_per_second: Mapping[Priority, int] = field(default_factory=lambda: _by_priority(20, 10, 4, 2))
    unassigned_penalty: Mapping[Priority, int] = field(
        default_factory=lambda: _by_priority(1_000_000_000, 10_000_000, 2_000_000, 500_000)
    )
    overtime_per_second: int = 3
    territory_mismatch: int = 0  # per task served outside the engineer's territory
    balance_per_second: int = 0  # per second of work above the fair share of a shift
    sla_hard: bool = False
    # Stability (re-optimization): only tasks carrying a ``Task.previous`` pay these. Per second the
    # start moves away from the previous start (either way), and once per task another engineer takes.
    stability_per_second: int = 1
    stability_engineer_change: int = 1_800

    def lateness(self, priority: Priority) -> int:
        return self.lateness_per_second.get(priority, 0)

    def penalty(self, priority: Priority) -> int:
        return self.unassigned_penalty.get(priority, 0)


def sla_first() -> Policy:
    """Deadlines dominate: steep lateness, hard SLA, travel is secondary."""
    return Policy(
        name="sla_first",
        travel_per_second=1,
        lateness_per_second=_by_priority(200, 100, 40, 10),
        overtime_per_second=2,
        territory_mismatch=600,
        sla_hard=True,
    )


def min_travel() -> Policy:
    """Least driving: travel weighs most, lateness is tolerated when it saves kilometres."""
    return Policy(
        name="min_travel",
        travel_per_second=3,
        travel_per_metre=1,
        lateness_per_second=_by_priority(10, 5, 2, 1),
        overtime_per_second=3,
    )


def balanced() -> Policy:
    """Everything in moderation, plus an even spread of work over engineers and territory preference."""
    return Policy(
        name="balanced",
        travel_per_second=1,
        lateness_per_second=_by_priority(20, 10, 4, 2),
        overtime_per_second=3,
        territory_mismatch=1_800,
        balance_per_second=1,
    )


PRESETS = {"sla_first": sla_first, "min_travel": min_travel, "balanced": balanced}


def policy_named(name: str) -> Policy:
    """One of the shipped presets by name (KeyError for an unknown name)."""
    return PRESETS[name]()
