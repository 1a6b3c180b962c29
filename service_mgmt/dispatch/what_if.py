"""What-if changes applied to a built problem: engineers off sick, extra contractors, other weights.

The changes touch only the frozen problem handed to the solver, never the database; the run that
solves it is marked ``what_if`` and cannot be published.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta

from core.errors import Invalid
from core.fields import Name
from masterdata.availability import Interval, WeeklyInterval, availability
from masterdata.services.engineers import engineer_zone
from scheduling import Engineer, Location, Policy, Priority, Shift
from service_mgmt.dispatch.problem_builder import BuiltProblem, working
from service_mgmt.errors import Code
from service_mgmt.services.job_templates import SkillList, check_skills

Weight = Annotated[int, Meta(ge=0, le=1_000_000)]
ClockTime = Annotated[str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM")]
Weekdays = Annotated[list[Annotated[int, Meta(ge=0, le=6)]], Meta(max_length=7)]


class SickDays(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    engineer_id: UUID
    first_day: dt.date
    last_day: dt.date


class ExtraEngineer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A contractor for the what-if: works ``starts``-``ends`` local time on ``weekdays`` of the horizon."""

    name: Name
    skills: SkillList = msgspec.field(default_factory=list)
    home_latitude: Annotated[float, Meta(ge=-90, le=90)]
    home_longitude: Annotated[float, Meta(ge=-180, le=180)]
    time_zone: str = "UTC"
    starts: ClockTime = "08:00"
    ends: ClockTime = "17:00"
    weekdays: Weekdays = msgspec.field(default_factory=lambda: [0, 1, 2, 3, 4])
    territory: str | None = None


class PolicyWeights(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Replace some weights of the chosen policy (integer cost units)."""

    travel_per_second: Weight | None = None
    travel_per_metre: Weight | None = None
    overtime_per_second: Weight | None = None
    territory_mismatch: Weight | None = None
    balance_per_second: Weight | None = None
    lateness_multiplier: Annotated[int, Meta(ge=0, le=1000)] | None = None
    sla_hard: bool | None = None


class WhatIfChanges(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sick: Annotated[list[SickDays], Meta(max_length=100)] = msgspec.field(default_factory=list)
    extra_engineers: Annotated[list[ExtraEngineer], Meta(max_length=20)] = msgspec.field(default_factory=list)
    policy_weights: PolicyWeights | None = None


def check_changes(changes: WhatIfChanges, field: str = "changes") -> None:
    for index, sick in enumerate(changes.sick):
        if sick.last_day < sick.first_day:
            raise Invalid(
                Code.ENDS_BEFORE_STARTS, "last_day is before first_day", field=f"{field}.sick[{index}].last_day"
            )
    for index, extra in enumerate(changes.extra_engineers):
        engineer_zone(extra.time_zone, f"{field}.extra_engineers[{index}].time_zone")
        check_skills(extra.skills, f"{field}.extra_engineers[{index}].skills")
        if extra.ends <= extra.starts:
            raise Invalid(
                Code.ENDS_BEFORE_STARTS, "ends must be after starts", field=f"{field}.extra_engineers[{index}].ends"
            )


def apply_changes(built: BuiltProblem, changes: WhatIfChanges) -> BuiltProblem:
    problem = built.problem
    engineers = [_without_sick_days(built, e, changes.sick) for e in problem.engineers]
    names = dict(built.engineer_names)
    for index, extra in enumerate(changes.extra_engineers):
        engineer = _contractor(built, index, extra)
        engineers.append(engineer)
        names[engineer.id] = extra.name
    policy = _weights(problem.policy, changes.policy_weights)
    changed = dataclasses.replace(problem, engineers=working(engineers), policy=policy)
    return dataclasses.replace(built, problem=changed, engineer_names=names)


def _without_sick_days(built: BuiltProblem, engineer: Engineer, sick: list[SickDays]) -> Engineer:
    first = built.horizon.first_day
    off = {
        (day - first).days for s in sick if str(s.engineer_id) == engineer.id for day in _days(s.first_day, s.last_day)
    }
    if not off:
        return engineer
    return dataclasses.replace(engineer, shifts=tuple(s for s in engineer.shifts if s.day not in off))


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _contractor(built: BuiltProblem, index: int, extra: ExtraEngineer) -> Engineer:
    zone = ZoneInfo(extra.time_zone)
    horizon = built.horizon
    pattern = [
        WeeklyInterval(day, dt.time.fromisoformat(extra.starts), dt.time.fromisoformat(extra.ends))
        for day in extra.weekdays
    ]
    last = horizon.first_day + dt.timedelta(days=horizon.days - 1)
    no_absences: list[Interval] = []
    shifts: list[Shift] = []
    # the same cut as real engineers: nothing before the earliest plannable second
    cut = min((s.start for e in built.problem.engineers for s in e.shifts), default=0)
    for day_index, day in enumerate(availability(pattern, no_absences, zone, horizon.first_day, last)):
        for interval in day.intervals:
            start, end = max(built.frame.seconds(interval.starts), cut, 0), built.frame.seconds(interval.ends)
            if end > start:
                shifts.append(Shift(day=day_index, start=start, end=end))
    home = Location(extra.home_latitude, extra.home_longitude)
    return Engineer(
        id=f"extra-{index + 1}",
        start=home,
        shifts=tuple(shifts),
        skills={s.skill: s.level for s in extra.skills},
        territory=extra.territory,
    )


def _weights(policy: Policy, weights: PolicyWeights | None) -> Policy:
    if weights is None:
        return policy
    changes: dict[str, object] = {
        name: getattr(weights, name)
        for name in (
            "travel_per_second",
            "travel_per_metre",
            "overtime_per_second",
            "territory_mismatch",
            "balance_per_second",
            "sla_hard",
        )
        if getattr(weights, name) is not None
    }
    if weights.lateness_multiplier is not None:
        changes["lateness_per_second"] = {p: policy.lateness(p) * weights.lateness_multiplier for p in Priority}
    return dataclasses.replace(policy, name=f"{policy.name}+what_if", **changes)  # type: ignore[arg-type]
