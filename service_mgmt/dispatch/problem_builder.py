"""From the database to a ``scheduling.Problem`` for a horizon of days.

* Time. Second 0 (the ``TimeFrame`` origin) is the earliest local midnight of the first day among the
  engineers' zones, so every shift has a non-negative start; a shift's ``day`` is the engineer's local
  day index. Shifts come from the weekly pattern in the engineer's zone minus absences
  (``masterdata.availability``: DST-correct, a spring-forward day is an hour shorter), and no shift
  starts before ``now`` (the past is not plannable).
* Engineers: active ones, optionally only some territories or ids; skills with levels; certifications
  valid through a day index; home base as start and end; lunch (its local window per day, so
  DST-correct), overtime allowance and rate, territory, and the hourly cost rate (``cost_per_second``).
* Tasks take their site's territory (None: no territory), which the policy's territory preference reads.
* Re-optimization runs: ``with_previous`` gives each planned, unpinned task its current engineer and
  start as ``Task.previous``, which the policy's stability weights hold it to.
* Tasks: live tasks (open, scheduled, dispatched, en route, on site) of live work orders whose
  appointment windows meet the horizon (or which have none), or which are planned inside it.
  Appointment windows bound the start of service; the SLA window's end is the SLA deadline (soft or
  hard by policy). Pins: en route / on site tasks are in progress on their lead engineer for the time
  that is left; dispatched tasks (communicated to the engineer) and tasks the planner pinned keep
  engineer and start.
* Left out, each with a reason: tasks whose site has no coordinates, and tasks waiting for a task
  that is neither in the horizon nor planned before it. With a territory or engineer filter, tasks
  planned for engineers outside the filter stay with them and are not part of the problem; with a
  territory filter, unplanned tasks at a site of another territory are left out too (those at a site
  without a territory are every territory's).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from masterdata.availability import Interval, WeeklyInterval, availability, local_instant
from masterdata.models import Absence, Certification, EngineerSkill, Site, WorkingHours
from masterdata.models import Engineer as EngineerRow
from scheduling import (
    DAY,
    Engineer,
    HaversineTravel,
    Location,
    LunchBreak,
    Pin,
    Policy,
    Previous,
    Priority,
    Problem,
    Shift,
    SkillRequirement,
    Task,
    TimeWindow,
    TravelProvider,
)
from service_mgmt.choices import TaskStatus, WorkOrderStatus
from service_mgmt.models import Task as TaskRow
from service_mgmt.models import TaskAssignment, TaskDependency, WorkOrder

LIVE_TASKS = (
    TaskStatus.OPEN.value,
    TaskStatus.SCHEDULED.value,
    TaskStatus.DISPATCHED.value,
    TaskStatus.EN_ROUTE.value,
    TaskStatus.ON_SITE.value,
)
LIVE_ORDERS = (
    WorkOrderStatus.OPEN.value,
    WorkOrderStatus.SCHEDULED.value,
    WorkOrderStatus.DISPATCHED.value,
    WorkOrderStatus.EN_ROUTE.value,
    WorkOrderStatus.ON_SITE.value,
)
IN_PROGRESS = frozenset({TaskStatus.EN_ROUTE.value, TaskStatus.ON_SITE.value})
# What an in-progress task still needs when its planned end has passed: it is not over yet.
MIN_REMAINING = 15 * 60
MAX_DAYS = 14


@dataclass(frozen=True, slots=True)
class HorizonSpec:
    """Local days ``first_day`` .. ``first_day + days - 1``; empty filters mean everyone."""

    first_day: dt.date
    days: int = 1
    territories: tuple[str, ...] = ()
    engineer_ids: tuple[UUID, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "first_day": self.first_day.isoformat(),
            "days": self.days,
            "territories": list(self.territories),
            "engineer_ids": [str(i) for i in self.engineer_ids],
        }


@dataclass(frozen=True, slots=True)
class TimeFrame:
    """Problem seconds <-> UTC instants."""

    origin: dt.datetime

    def seconds(self, at: dt.datetime) -> int:
        return math.floor((at - self.origin).total_seconds())

    def instant(self, seconds: int) -> dt.datetime:
        return self.origin + dt.timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class LeftOut:
    task_id: str
    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class Assigned:
    """A task's current assignment as stored: engineers (lead first) and planned times in seconds."""

    engineer_ids: tuple[str, ...]
    start: int | None
    end: int | None


@dataclass(frozen=True, slots=True)
class BuiltProblem:
    problem: Problem
    frame: TimeFrame
    horizon: HorizonSpec
    task_versions: dict[str, int] = field(default_factory=dict)
    task_status: dict[str, str] = field(default_factory=dict)
    assigned: dict[str, Assigned] = field(default_factory=dict)
    engineer_names: dict[str, str] = field(default_factory=dict)
    left_out: tuple[LeftOut, ...] = ()


async def build_problem(
    session: AsyncSession,
    horizon: HorizonSpec,
    *,
    policy: Policy,
    now: dt.datetime,
    travel: TravelProvider | None = None,
    focus: Sequence[UUID] | None = None,
) -> BuiltProblem:
    """``focus`` (with an engineer filter): only the tasks planned for the filtered engineers and the
    focused ones are read, not every open task (a manual move's check needs no one else's work)."""
    engineers = await _engineers(session, horizon)
    frame = _frame(horizon, [e.time_zone for e in engineers])
    window = Interval(frame.origin, _horizon_end(horizon, [e.time_zone for e in engineers]))
    days = max(1, math.ceil((window.ends - window.starts).total_seconds() / DAY))
    built_engineers = await _build_engineers(session, engineers, horizon, frame, window, now)
    tasks = await _tasks(session, horizon, frame, window, {e.id for e in engineers}, bool(_filtered(horizon)), focus)
    problem_tasks, left_out = await _build_tasks(session, tasks, frame, window, now)
    in_problem = {p.id for p in problem_tasks}
    return BuiltProblem(
        problem=Problem(
            engineers=working(built_engineers),
            tasks=tuple(problem_tasks),
            days=days,
            policy=policy,
            travel=travel or HaversineTravel(),
            origin=frame.origin,
        ),
        frame=frame,
        horizon=horizon,
        task_versions={str(t.row.id): t.row.version for t in tasks if str(t.row.id) in in_problem},
        task_status={str(t.row.id): t.row.status for t in tasks},
        assigned={str(t.row.id): _assigned(t, frame) for t in tasks if t.crew},
        engineer_names={str(e.id): e.name for e in engineers},
        left_out=tuple(left_out),
    )


def with_previous(built: BuiltProblem) -> BuiltProblem:
    """For a re-optimization: every unpinned task that is planned (engineer and start) carries that
    assignment as ``Task.previous``, so moving it costs the policy's stability weights."""
    tasks = []
    for task in built.problem.tasks:
        held = built.assigned.get(task.id)
        if task.pin is None and held is not None and held.engineer_ids and held.start is not None:
            task = replace(task, previous=Previous(held.engineer_ids[0], held.start))
        tasks.append(task)
    return replace(built, problem=replace(built.problem, tasks=tuple(tasks)))


def working(engineers: Iterable[Engineer]) -> tuple[Engineer, ...]:
    """Engineers with at least one shift. Nobody else can take work in the horizon, and the routing
    model currently fails on an engineer without shifts (scheduling/_routing.py ``_read`` asserts)."""
    return tuple(e for e in engineers if e.shifts)


def _filtered(horizon: HorizonSpec) -> tuple[Any, ...]:
    return horizon.territories + horizon.engineer_ids


# --- time ---------------------------------------------------------------------------------------


def _zones(names: Iterable[str]) -> list[ZoneInfo]:
    return [ZoneInfo(n) for n in sorted(set(names))] or [ZoneInfo("UTC")]


def _frame(horizon: HorizonSpec, zones: Iterable[str]) -> TimeFrame:
    return TimeFrame(min(local_instant(horizon.first_day, dt.time(), z) for z in _zones(zones)))


def _horizon_end(horizon: HorizonSpec, zones: Iterable[str]) -> dt.datetime:
    after = horizon.first_day + dt.timedelta(days=horizon.days)
    return max(local_instant(after, dt.time(), z) for z in _zones(zones))


# --- engineers ----------------------------------------------------------------------------------


async def _engineers(session: AsyncSession, horizon: HorizonSpec) -> list[EngineerRow]:
    stmt = select(EngineerRow).where(EngineerRow.active.is_(True)).order_by(EngineerRow.number)
    if horizon.territories:
        stmt = stmt.where(EngineerRow.territory.in_(horizon.territories))
    if horizon.engineer_ids:
        stmt = stmt.where(EngineerRow.id.in_(horizon.engineer_ids))
    return list((await session.scalars(stmt)).all())


async def _build_engineers(
    session: AsyncSession,
    rows: Sequence[EngineerRow],
    horizon: HorizonSpec,
    frame: TimeFrame,
    window: Interval,
    now: dt.datetime,
) -> list[Engineer]:
    ids = [e.id for e in rows]
    if not ids:
        return []
    skills: dict[UUID, dict[str, int]] = {i: {} for i in ids}
    for skill in await session.scalars(select(EngineerSkill).where(EngineerSkill.engineer_id.in_(ids))):
        skills[skill.engineer_id][skill.skill] = skill.level
    certificates: dict[UUID, dict[str, int]] = {i: {} for i in ids}
    for cert in await session.scalars(select(Certification).where(Certification.engineer_id.in_(ids))):
        if cert.issued_on is not None and cert.issued_on >= horizon.first_day + dt.timedelta(days=horizon.days):
            continue  # not yet valid anywhere in the horizon
        last_day = (cert.expires_on - horizon.first_day).days
        mine = certificates[cert.engineer_id]
        mine[cert.name] = max(mine.get(cert.name, -1), last_day)
    hours: dict[UUID, list[WeeklyInterval]] = {i: [] for i in ids}
    for h in await session.scalars(select(WorkingHours).where(WorkingHours.engineer_id.in_(ids))):
        hours[h.engineer_id].append(WeeklyInterval(h.weekday, h.starts, h.ends))
    absences: dict[UUID, list[Interval]] = {i: [] for i in ids}
    for a in await session.scalars(
        select(Absence).where(
            Absence.engineer_id.in_(ids), Absence.starts_at < window.ends, Absence.ends_at > window.starts
        )
    ):
        absences[a.engineer_id].append(Interval(a.starts_at, a.ends_at))
    last = horizon.first_day + dt.timedelta(days=horizon.days - 1)
    cut = frame.seconds(now)
    out: list[Engineer] = []
    for row in rows:
        zone = ZoneInfo(row.time_zone)
        shifts: list[Shift] = []
        for index, day in enumerate(availability(hours[row.id], absences[row.id], zone, horizon.first_day, last)):
            for interval in day.intervals:
                start, end = max(frame.seconds(interval.starts), cut), frame.seconds(interval.ends)
                if end > start:
                    shifts.append(Shift(day=index, start=start, end=end))
        home = Location(row.home_latitude, row.home_longitude)
        out.append(
            Engineer(
                id=str(row.id),
                start=home,
                shifts=tuple(shifts),
                skills=skills[row.id],
                certifications=certificates[row.id],
                territory=row.territory,
                lunch=_lunch(row, horizon, frame, zone, {s.day for s in shifts}),
                overtime_max=row.max_overtime_minutes * 60,
                overtime_rate=float(row.overtime_rate_multiplier),
                cost_rate=cost_per_second(row.cost_rate),
            )
        )
    return out


def cost_per_second(hourly: Decimal) -> int:
    """The engineer's hourly rate in the objective's units, per second of working span.

    The policies' weights read as cents: travel at 1 per second is 36.00 an hour. So a rate of 60.00 an
    hour is 6,000 cents / 3,600 s, 2 per second (rounded half up; currencies are not converted)."""
    return math.floor(hourly * 100 / 3600 + Decimal("0.5"))


def _lunch(
    row: EngineerRow, horizon: HorizonSpec, frame: TimeFrame, zone: ZoneInfo, days: set[int]
) -> LunchBreak | None:
    """The lunch window in local wall time, per working day as problem seconds (DST-correct)."""
    if row.lunch_minutes is None or row.lunch_window_start is None or row.lunch_window_end is None:
        return None
    by_day: dict[int, tuple[int, int]] = {}
    for day in sorted(days):
        date = horizon.first_day + dt.timedelta(days=day)
        by_day[day] = (
            frame.seconds(local_instant(date, row.lunch_window_start, zone)),
            frame.seconds(local_instant(date, row.lunch_window_end, zone)),
        )
    midnight = dt.datetime.combine(dt.date.min, dt.time())
    earliest = int((dt.datetime.combine(dt.date.min, row.lunch_window_start) - midnight).total_seconds())
    latest = int((dt.datetime.combine(dt.date.min, row.lunch_window_end) - midnight).total_seconds())
    return LunchBreak(row.lunch_minutes * 60, earliest, latest, by_day)


# --- tasks --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _TaskRow:
    row: TaskRow
    latitude: float | None
    longitude: float | None
    territory: str | None  # the site's
    crew: list[UUID]  # lead first


async def _tasks(
    session: AsyncSession,
    horizon: HorizonSpec,
    frame: TimeFrame,
    window: Interval,
    engineer_ids: set[UUID],
    filtered: bool,
    focus: Sequence[UUID] | None = None,
) -> list[_TaskRow]:
    query = (
        select(TaskRow, Site.latitude, Site.longitude, Site.territory)
        .join(WorkOrder, WorkOrder.id == TaskRow.work_order_id)
        .join(Site, Site.id == TaskRow.site_id)
        .where(TaskRow.status.in_(LIVE_TASKS), WorkOrder.status.in_(LIVE_ORDERS))
        .order_by(WorkOrder.number, TaskRow.sequence)
    )
    if focus is not None and filtered:
        theirs = select(TaskAssignment.task_id).where(TaskAssignment.engineer_id.in_(list(engineer_ids)))
        query = query.where(or_(TaskRow.id.in_(list(focus)), TaskRow.id.in_(theirs)))
    rows = await session.execute(query)
    candidates = [_TaskRow(task, lat, lon, territory, []) for task, lat, lon, territory in rows if _meets(task, window)]
    by_id = {c.row.id: c for c in candidates}
    if by_id:
        assignments = await session.scalars(
            select(TaskAssignment).where(TaskAssignment.task_id.in_(list(by_id))).order_by(TaskAssignment.created_at)
        )
        for a in sorted(assignments, key=lambda a: not a.lead):
            by_id[a.task_id].crew.append(a.engineer_id)
    if filtered:
        # planned for someone outside the filter: that engineer keeps it
        candidates = [c for c in candidates if not c.crew or set(c.crew) <= engineer_ids]
    if horizon.territories:
        # unplanned at a site of another territory: that territory's planner plans it
        candidates = [c for c in candidates if c.crew or c.territory is None or c.territory in horizon.territories]
    return candidates


def _meets(task: TaskRow, window: Interval) -> bool:
    if task.planned_start is not None and task.status not in {TaskStatus.OPEN.value}:
        end = task.planned_end or task.planned_start + dt.timedelta(minutes=task.duration_minutes)
        if task.status in IN_PROGRESS:
            return task.planned_start < window.ends
        return task.planned_start < window.ends and end > window.starts
    appointments = [w for w in task.time_windows if w.get("kind") != "sla"]
    if not appointments:
        return True
    return any(_parse(w["start"]) < window.ends and _parse(w["end"]) > window.starts for w in appointments)


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _assigned(t: _TaskRow, frame: TimeFrame) -> Assigned:
    task = t.row
    return Assigned(
        engineer_ids=tuple(str(e) for e in t.crew),
        start=frame.seconds(task.planned_start) if task.planned_start is not None else None,
        end=frame.seconds(task.planned_end) if task.planned_end is not None else None,
    )


async def _build_tasks(
    session: AsyncSession, rows: list[_TaskRow], frame: TimeFrame, window: Interval, now: dt.datetime
) -> tuple[list[Task], list[LeftOut]]:
    left_out: list[LeftOut] = []
    kept: list[_TaskRow] = []
    for t in rows:
        if t.latitude is None or t.longitude is None:
            left_out.append(LeftOut(str(t.row.id), "no_coordinates", "site has no coordinates"))
        else:
            kept.append(t)
    ids = {t.row.id for t in kept}
    after, earliest, waiting = await _dependencies(session, ids, frame)
    horizon_end = frame.seconds(window.ends)
    cut = frame.seconds(now)
    out: list[Task] = []
    for t in kept:
        if t.row.id in waiting:
            left_out.append(LeftOut(str(t.row.id), "dependency_outside_horizon", waiting[t.row.id]))
            continue
        out.append(_task(t, frame, horizon_end, cut, after.get(t.row.id, ()), earliest.get(t.row.id)))
    return out, left_out


async def _dependencies(
    session: AsyncSession, ids: set[UUID], frame: TimeFrame
) -> tuple[dict[UUID, tuple[str, ...]], dict[UUID, int], dict[UUID, str]]:
    """Per task: the tasks in the problem it waits for, the end of planned ones outside it (a lower
    bound on its start), and a reason when it waits for something unplannable here."""
    after: dict[UUID, tuple[str, ...]] = {}
    earliest: dict[UUID, int] = {}
    waiting: dict[UUID, str] = {}
    if not ids:
        return after, earliest, waiting
    rows = await session.execute(
        select(TaskDependency.task_id, TaskRow.id, TaskRow.status, TaskRow.planned_end, TaskRow.name)
        .join(TaskRow, TaskRow.id == TaskDependency.depends_on_id)
        .where(TaskDependency.task_id.in_(list(ids)))
    )
    inside: dict[UUID, list[str]] = {}
    for task_id, dep_id, status, planned_end, name in rows:
        if status in {TaskStatus.COMPLETED.value, TaskStatus.CANCELLED.value}:
            continue
        if dep_id in ids:
            inside.setdefault(task_id, []).append(str(dep_id))
        elif planned_end is not None:
            earliest[task_id] = max(earliest.get(task_id, 0), frame.seconds(planned_end))
        else:
            waiting[task_id] = f"waits for task {name!r}, which is neither in this horizon nor planned"
    after = {k: tuple(sorted(v)) for k, v in inside.items()}
    return after, earliest, waiting


def _task(
    t: _TaskRow, frame: TimeFrame, horizon_end: int, cut: int, after: tuple[str, ...], earliest: int | None
) -> Task:
    row = t.row
    assert t.latitude is not None and t.longitude is not None
    duration = row.duration_minutes * 60
    windows: list[TimeWindow] = []
    deadline: int | None = None
    for w in row.time_windows:
        start, end = frame.seconds(_parse(w["start"])), frame.seconds(_parse(w["end"]))
        if w.get("kind") == "sla":
            deadline = end if deadline is None else min(deadline, end)
        else:
            windows.append(TimeWindow(max(start, 0), min(end, horizon_end)))
    low = max(cut, earliest or 0)
    if low > 0:
        windows = [TimeWindow(max(w.start, low), w.end) for w in windows] or [TimeWindow(low, horizon_end)]
    windows = [w for w in windows if w.start <= w.end]
    if (not windows and any(w.get("kind") != "sla" for w in row.time_windows)) or (low > horizon_end):
        windows = [TimeWindow(horizon_end + 1, horizon_end + 1)]  # nothing left in the horizon
    pin = _pin(t, frame, cut)
    if pin is not None and pin.in_progress:
        planned_end = row.planned_end
        remaining = frame.seconds(planned_end) - cut if planned_end is not None else duration
        duration = max(MIN_REMAINING, remaining)
        windows = []  # it is happening now
    return Task(
        id=str(row.id),
        location=Location(t.latitude, t.longitude),
        duration=duration,
        skills=tuple(SkillRequirement(str(s["skill"]), int(s["level"])) for s in row.required_skills),
        windows=tuple(windows),
        priority=Priority[row.priority],
        sla_deadline=deadline,
        after=after,
        crew_size=row.crew_size,
        territory=t.territory,
        pin=pin,
    )


def _pin(t: _TaskRow, frame: TimeFrame, cut: int) -> Pin | None:
    row = t.row
    lead = str(t.crew[0]) if t.crew else None
    if row.status in IN_PROGRESS and lead is not None:
        return Pin(engineer_id=lead, in_progress=True)
    fixed = row.pinned or row.status == TaskStatus.DISPATCHED.value
    if not fixed:
        return None
    start = frame.seconds(row.planned_start) if row.planned_start is not None else None
    if start is not None and start < cut:
        start = None  # a promise already in the past cannot be kept as a time; keep the engineer
    if lead is None and start is None:
        return None
    return Pin(engineer_id=lead, start=start)
