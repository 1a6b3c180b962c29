"""Appointment offers: the feasible time slots over the next days for a customer's task, by cost.

The slots (``slot_minutes`` long, aligned to the site's local midnight) are the allowed *arrival*
windows of an appointment. Each slot that meets some engineer's shift is priced with the exact
insertion evaluator over the published plan (the cheapest engineer and position whose service starts
inside the slot); slots nobody can serve are not offered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import Priority
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import Invalid, NotFound
from masterdata.availability import local_instant
from masterdata.models import Site
from scheduling import Location, SkillRequirement, TimeWindow
from scheduling import Priority as ProblemPriority
from scheduling import Task as ProblemTask
from service_mgmt.dispatch.insertion import Limit
from service_mgmt.dispatch.problem_builder import HorizonSpec
from service_mgmt.dispatch.published import Published, PublishedCache, load_published
from service_mgmt.dispatch.runs import Days, policy_of
from service_mgmt.errors import Code
from service_mgmt.models import Task
from service_mgmt.services.job_templates import Minutes, SkillList, check_skills

SlotMinutes = Annotated[int, Meta(ge=30, le=480, description="length of an offered arrival window")]


class OfferTaskSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A task not yet created: where, how long, what skills."""

    site_id: UUID
    duration_minutes: Minutes
    required_skills: SkillList = msgspec.field(default_factory=list)
    priority: Priority = Priority.P3


class OfferIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    task_id: UUID | None = None
    task: OfferTaskSpec | None = None
    days: Days = 5
    slot_minutes: SlotMinutes = 120
    limit: Limit = 10
    policy: str = "balanced"


@dataclass(frozen=True, slots=True)
class Offer:
    window_start: dt.datetime
    window_end: dt.datetime
    engineer_id: UUID
    engineer_name: str | None
    start: dt.datetime
    cost: int
    added_travel_seconds: int


async def appointment_offers(
    session: AsyncSession,
    _actor: Principal,
    data: OfferIn,
    *,
    cache: PublishedCache | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> list[Offer]:
    if (data.task_id is None) == (data.task is None):
        raise Invalid(Code.TASK_OR_SPEC, "send either task_id or task", field="task_id")
    now = clock.now()
    policy = policy_of(data.policy)
    horizon = HorizonSpec(first_day=now.date(), days=data.days)
    published = await load_published(session, horizon, policy, now, cache)
    task, zone = await _task(session, published, data)
    frame = published.built.frame
    busy = _union([(s.start, s.end) for e in published.built.problem.engineers for s in e.shifts])
    starts = [b[0] for b in busy]
    step = dt.timedelta(minutes=data.slot_minutes)
    offers: list[Offer] = []
    for d in range(data.days):
        day = horizon.first_day + dt.timedelta(days=d)
        slot, day_end = local_instant(day, dt.time(), zone), local_instant(day + dt.timedelta(days=1), dt.time(), zone)
        while slot < day_end:
            low, high = frame.seconds(slot), frame.seconds(slot + step) - 1
            slot += step
            if slot - step < now or not _meets(busy, starts, low, high):
                continue
            best = published.index.best(dataclasses.replace(task, windows=(TimeWindow(low, high),)), limit=1)
            if best:
                found = best[0]
                offers.append(
                    Offer(
                        window_start=frame.instant(low),
                        window_end=frame.instant(high + 1),
                        engineer_id=UUID(found.engineer_id),
                        engineer_name=published.built.engineer_names.get(found.engineer_id),
                        start=frame.instant(found.start),
                        cost=found.cost,
                        added_travel_seconds=found.added_travel_seconds,
                    )
                )
    offers.sort(key=lambda o: (o.cost, o.window_start))
    return offers[: data.limit]


async def _task(session: AsyncSession, published: Published, data: OfferIn) -> tuple[ProblemTask, ZoneInfo]:
    if data.task_id is not None:
        row = await session.get(Task, data.task_id)
        if row is None:
            raise NotFound("task", data.task_id, field="task_id")
        site = await session.get(Site, row.site_id)
        assert site is not None
        found = next((t for t in published.built.problem.tasks if t.id == str(row.id)), None)
        if found is None:
            reason = next(
                (o.text for o in published.built.left_out if o.task_id == str(row.id)),
                "it is not an open task in the horizon",
            )
            raise Invalid(Code.TASK_NOT_PLANNABLE, f"no offers: {reason}", field="task_id")
        return dataclasses.replace(found, pin=None), ZoneInfo(site.time_zone)
    spec = data.task
    assert spec is not None
    check_skills(spec.required_skills, "task.required_skills")
    site = await session.scalar(select(Site).where(Site.id == spec.site_id))
    if site is None:
        raise NotFound("site", spec.site_id, field="task.site_id")
    if site.latitude is None or site.longitude is None:
        raise Invalid(Code.TASK_NOT_PLANNABLE, "no offers: site has no coordinates", field="task.site_id")
    task = ProblemTask(
        id="offer",
        location=Location(site.latitude, site.longitude),
        duration=spec.duration_minutes * 60,
        skills=tuple(SkillRequirement(s.skill, s.level) for s in spec.required_skills),
        priority=ProblemPriority[spec.priority.value],
        territory=site.territory,
    )
    return task, ZoneInfo(site.time_zone)


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _meets(busy: list[tuple[int, int]], starts: list[int], low: int, high: int) -> bool:
    """Some shift is going on at some moment of [low, high]."""
    i = bisect_right(starts, high) - 1
    return i >= 0 and busy[i][1] > low
