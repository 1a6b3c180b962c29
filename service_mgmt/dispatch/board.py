"""The dispatch board as one read model: engineers with their shifts, lunches and absences, the planned
tasks on them, the open tasks nobody has, and each engineer's route per day.

It is read in a fixed handful of queries whatever the size (engineers, their skills, weekly hours,
absences, the planned tasks with their work order / customer / site, the crews of those tasks, the open
tasks, the latest run's reasons, the revision; plus, only when needed, the names of people and tasks
outside the board that a crew or a reason mentions), and assembled in memory. People are named by
name everywhere, never by id: the solver's reasons are rewritten here ("pinned engineer <uuid> ..."
becomes "pinned engineer Anna Weber ...").

Travel before a visit is the project's travel model (``scheduling.HaversineTravel``, what the problem
builder plans with) from the engineer's previous stop that local day, or from home for the first one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal, Role
from masterdata.availability import Interval, WeeklyInterval, availability, local_instant
from masterdata.models import Absence, Customer, EngineerSkill, Site, WorkingHours
from masterdata.models import Engineer as EngineerRow
from scheduling import HaversineTravel, Location, Priority, TravelProvider
from service_mgmt.choices import DispatchRunKind, DispatchRunStatus, TaskStatus
from service_mgmt.dispatch.problem_builder import LIVE_ORDERS
from service_mgmt.dispatch.published import count_of, fingerprint_marks, latest_of
from service_mgmt.models import DispatchRun, Task, TaskAssignment, WorkOrder

EDITORS = frozenset({Role.ADMIN, Role.PLANNER})
BOARD_DAYS = (1, 3, 7)
# Planned work shown on the board: everything with engineers and a time that is not cancelled.
PLANNED = (
    TaskStatus.OPEN.value,  # assigned through the work order's task API without a run
    TaskStatus.SCHEDULED.value,
    TaskStatus.DISPATCHED.value,
    TaskStatus.EN_ROUTE.value,
    TaskStatus.ON_SITE.value,
    TaskStatus.COMPLETED.value,
)
UUID_PATTERN = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
DEFAULT_TRAVEL: TravelProvider = HaversineTravel()


@dataclass(frozen=True, slots=True)
class BoardQuery:
    start: dt.date
    days: int = 1
    territory: str | None = None
    skill: str | None = None
    sort: str = "name"  # name | utilisation (least used first: where there is room)


@dataclass(frozen=True, slots=True)
class Span:
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True, slots=True)
class AbsenceSpan:
    start: dt.datetime
    end: dt.datetime
    reason: str


@dataclass(frozen=True, slots=True)
class SkillLevel:
    skill: str
    level: int


@dataclass(frozen=True, slots=True)
class Home:
    latitude: float
    longitude: float
    address: str | None


@dataclass(slots=True)
class BoardEngineer:
    id: UUID
    number: str
    name: str
    territory: str | None
    time_zone: str
    skills: list[SkillLevel]
    home: Home
    utilisation: float = 0.0
    shifts: list[Span] = field(default_factory=list)
    lunches: list[Span] = field(default_factory=list)
    absences: list[AbsenceSpan] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SiteRef:
    id: UUID
    name: str
    latitude: float | None
    longitude: float | None


@dataclass(slots=True)
class BoardAssignment:
    task_id: UUID
    task_version: int
    work_order_id: UUID
    work_order_number: str
    name: str
    customer_name: str
    site: SiteRef
    engineer_ids: list[UUID]
    engineer_names: list[str]
    start: dt.datetime
    end: dt.datetime
    travel_minutes: int
    priority: str
    status: str
    pinned: bool
    sla_due: dt.datetime | None
    late: bool
    skills: list[SkillLevel]
    duration_minutes: int


@dataclass(frozen=True, slots=True)
class BoardReason:
    code: str
    text: str


@dataclass(slots=True)
class BoardUnassigned:
    task_id: UUID
    task_version: int
    work_order_id: UUID
    work_order_number: str
    name: str
    customer_name: str
    site: SiteRef
    priority: str
    status: str
    sla_due: dt.datetime | None
    skills: list[SkillLevel]
    time_windows: list[Span]
    duration_minutes: int
    crew_size: int
    reason: BoardReason | None


@dataclass(frozen=True, slots=True)
class BoardCounts:
    unassigned_by_priority: dict[str, int]


@dataclass(frozen=True, slots=True)
class RouteStop:
    task_id: UUID
    latitude: float | None
    longitude: float | None
    start: dt.datetime


@dataclass(frozen=True, slots=True)
class BoardRoute:
    engineer_id: UUID
    date: dt.date
    stops: list[RouteStop]


@dataclass(frozen=True, slots=True)
class Board:
    start: dt.datetime
    end: dt.datetime
    time_zone: str
    revision: str
    can_edit: bool
    engineers: list[BoardEngineer]
    assignments: list[BoardAssignment]
    unassigned: list[BoardUnassigned]
    counts: BoardCounts
    routes: list[BoardRoute]


# --- reading ------------------------------------------------------------------------------------


async def read_board(
    session: AsyncSession,
    actor: Principal,
    query: BoardQuery,
    *,
    travel: TravelProvider = DEFAULT_TRAVEL,
) -> Board:
    # first: a change landing while the board is read leaves an older revision, so the live update
    # about it still makes the client refetch (read last, it could hide that change)
    revision = await board_revision(session)
    rows = await _engineers(session, query)
    zone_name = _board_zone(rows)
    zone = ZoneInfo(zone_name)
    window = Span(
        local_instant(query.start, dt.time(), zone),
        local_instant(query.start + dt.timedelta(days=query.days), dt.time(), zone),
    )
    ids = [r.id for r in rows]
    skills, hours, absences = await _resources(session, ids, window)
    names = {r.id: r.name for r in rows}
    planned = await _planned(session, ids, window)
    crews = await _crews(session, ids, window)
    await _add_names(session, names, {e for crew in crews.values() for e in crew})
    engineers = [_engineer(r, skills[r.id], hours[r.id], absences[r.id], query, window) for r in rows]
    shown = set(ids)
    assignments = [_assignment(row, crews.get(row.id, []), names) for row in planned]
    _add_travel(assignments, {r.id: r for r in rows}, shown, travel)
    routes = _routes(assignments, {r.id: r for r in rows}, shown)
    _place_lunches(engineers, rows, assignments, window)
    _utilisation(engineers, assignments, window)
    if query.sort == "utilisation":
        engineers.sort(key=lambda e: (e.utilisation, e.name.casefold(), e.number))
    open_rows = await _open_tasks(session, query, window)
    reasons = await _latest_reasons(session, [row.id for row in open_rows], names)
    unassigned = [_unassigned(row, reasons.get(str(row.id))) for row in open_rows]
    by_priority = {p.name: 0 for p in Priority} | dict(Counter(u.priority for u in unassigned))
    return Board(
        start=window.start,
        end=window.end,
        time_zone=zone_name,
        revision=revision,
        can_edit=actor.role in EDITORS,
        engineers=engineers,
        assignments=assignments,
        unassigned=unassigned,
        counts=BoardCounts(by_priority),
        routes=routes,
    )


async def board_revision(session: AsyncSession) -> str:
    """Changes whenever anything a board shows changes: the dispatch fingerprint (tasks, assignments,
    work orders, sites, engineers, skills, hours, absences) plus the runs, whose reasons it shows. One
    aggregate query; cheap enough for every live update to compare."""
    marks = (
        await session.execute(select(*fingerprint_marks(), count_of(DispatchRun), latest_of(DispatchRun.updated_at)))
    ).one()
    text = "|".join(str(m) for m in marks)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _board_zone(rows: Sequence[EngineerRow]) -> str:
    """The zone most of the board's engineers work in (the first listed on a tie); UTC without any."""
    if not rows:
        return "UTC"
    counted = Counter(r.time_zone for r in rows)
    best = max(counted.values())
    return next(r.time_zone for r in rows if counted[r.time_zone] == best)


async def _engineers(session: AsyncSession, query: BoardQuery) -> list[EngineerRow]:
    stmt = select(EngineerRow).where(EngineerRow.active.is_(True))
    if query.territory:
        stmt = stmt.where(EngineerRow.territory == query.territory)
    if query.skill:
        stmt = stmt.where(
            exists().where(EngineerSkill.engineer_id == EngineerRow.id, EngineerSkill.skill == query.skill)
        )
    stmt = stmt.order_by(func.lower(EngineerRow.name), EngineerRow.number)
    return list((await session.scalars(stmt)).all())


async def _resources(
    session: AsyncSession, ids: Sequence[UUID], window: Span
) -> tuple[dict[UUID, list[SkillLevel]], dict[UUID, list[WeeklyInterval]], dict[UUID, list[AbsenceSpan]]]:
    skills: dict[UUID, list[SkillLevel]] = {i: [] for i in ids}
    hours: dict[UUID, list[WeeklyInterval]] = {i: [] for i in ids}
    absences: dict[UUID, list[AbsenceSpan]] = {i: [] for i in ids}
    if not ids:
        return skills, hours, absences
    for engineer_id, skill, level in await session.execute(
        select(EngineerSkill.engineer_id, EngineerSkill.skill, EngineerSkill.level)
        .where(EngineerSkill.engineer_id.in_(ids))
        .order_by(EngineerSkill.skill)
    ):
        skills[engineer_id].append(SkillLevel(skill, level))
    for engineer_id, weekday, starts, ends in await session.execute(
        select(WorkingHours.engineer_id, WorkingHours.weekday, WorkingHours.starts, WorkingHours.ends).where(
            WorkingHours.engineer_id.in_(ids)
        )
    ):
        hours[engineer_id].append(WeeklyInterval(weekday, starts, ends))
    for engineer_id, starts_at, ends_at, reason in await session.execute(
        select(Absence.engineer_id, Absence.starts_at, Absence.ends_at, Absence.reason)
        .where(Absence.engineer_id.in_(ids), Absence.starts_at < window.end, Absence.ends_at > window.start)
        .order_by(Absence.starts_at)
    ):
        absences[engineer_id].append(AbsenceSpan(starts_at, ends_at, reason))
    return skills, hours, absences


def _engineer(
    row: EngineerRow,
    skills: list[SkillLevel],
    hours: list[WeeklyInterval],
    absences: list[AbsenceSpan],
    query: BoardQuery,
    window: Span,
) -> BoardEngineer:
    zone = ZoneInfo(row.time_zone)
    holes = [Interval(a.start, a.end) for a in absences]
    # a day either side: in another zone than the board's, the window cuts into neighbouring local days
    first, last = query.start - dt.timedelta(days=1), query.start + dt.timedelta(days=query.days)
    shifts = [
        clipped
        for day in availability(hours, holes, zone, first, last)
        for interval in day.intervals
        if (clipped := _clip(Span(interval.starts, interval.ends), window)) is not None
    ]
    return BoardEngineer(
        id=row.id,
        number=row.number,
        name=row.name,
        territory=row.territory,
        time_zone=row.time_zone,
        skills=skills,
        home=Home(row.home_latitude, row.home_longitude, row.home_address),
        shifts=shifts,
        absences=absences,
    )


def _clip(span: Span, window: Span) -> Span | None:
    start, end = max(span.start, window.start), min(span.end, window.end)
    return Span(start, end) if end > start else None


# --- planned tasks ------------------------------------------------------------------------------

# Plain columns, not ORM objects: a board reads a thousand tasks, and rows skip the identity map.
TASK_COLUMNS = (
    Task.id,
    Task.version,
    Task.work_order_id,
    Task.name,
    Task.site_id,
    Task.duration_minutes,
    Task.required_skills,
    Task.time_windows,
    Task.priority,
    Task.crew_size,
    Task.pinned,
    Task.status,
    Task.planned_start,
    Task.planned_end,
    WorkOrder.number.label("order_number"),
    Customer.name.label("customer_name"),
    Site.name.label("site_name"),
    Site.latitude,
    Site.longitude,
)
_TaskRow = Row[Any]  # TASK_COLUMNS by name


def _with_context(stmt: Select[Any]) -> Select[Any]:
    return stmt.join(WorkOrder, WorkOrder.id == Task.work_order_id).join(Customer, Customer.id == WorkOrder.customer_id)


def _planned_ids(ids: Sequence[UUID], window: Span) -> Select[Any]:
    """Planned tasks of these engineers that overlap the window (as a subquery: no long id lists)."""
    return (
        select(Task.id)
        .join(TaskAssignment, TaskAssignment.task_id == Task.id)
        .where(
            TaskAssignment.engineer_id.in_(ids),
            Task.status.in_(PLANNED),
            Task.planned_start.is_not(None),
            Task.planned_start < window.end,
            or_(
                Task.planned_end > window.start,
                and_(Task.planned_end.is_(None), Task.planned_start >= window.start),
            ),
        )
    )


async def _planned(session: AsyncSession, ids: Sequence[UUID], window: Span) -> list[_TaskRow]:
    if not ids:
        return []
    stmt = _with_context(
        select(*TASK_COLUMNS).join(Site, Site.id == Task.site_id).where(Task.id.in_(_planned_ids(ids, window)))
    ).order_by(Task.planned_start, WorkOrder.number, Task.sequence)
    return list((await session.execute(stmt)).all())


async def _crews(session: AsyncSession, ids: Sequence[UUID], window: Span) -> dict[UUID, list[UUID]]:
    """Task -> its engineers, lead first (the crew may include people not on the board)."""
    crews: dict[UUID, list[UUID]] = {}
    if not ids:
        return crews
    rows = await session.execute(
        select(TaskAssignment.task_id, TaskAssignment.engineer_id, TaskAssignment.lead)
        .where(TaskAssignment.task_id.in_(_planned_ids(ids, window)))
        .order_by(TaskAssignment.task_id, TaskAssignment.lead.desc(), TaskAssignment.created_at)
    )
    for task_id, engineer_id, _lead in rows:
        crews.setdefault(task_id, []).append(engineer_id)
    return crews


async def _add_names(session: AsyncSession, names: dict[UUID, str], wanted: Iterable[UUID]) -> None:
    missing = [i for i in set(wanted) if i not in names]
    if missing:
        for engineer_id, name in await session.execute(
            select(EngineerRow.id, EngineerRow.name).where(EngineerRow.id.in_(missing))
        ):
            names[engineer_id] = name


def sla_due(task: Task | _TaskRow) -> dt.datetime | None:
    ends = [dt.datetime.fromisoformat(w["end"]) for w in task.time_windows if w.get("kind") == "sla"]
    return min(ends) if ends else None


def skills_of(task: Task | _TaskRow) -> list[SkillLevel]:
    return [SkillLevel(str(s["skill"]), int(s["level"])) for s in task.required_skills]


def _assignment(task: _TaskRow, crew: list[UUID], names: Mapping[UUID, str]) -> BoardAssignment:
    assert task.planned_start is not None
    end = task.planned_end or task.planned_start + dt.timedelta(minutes=task.duration_minutes)
    due = sla_due(task)
    return BoardAssignment(
        task_id=task.id,
        task_version=task.version,
        work_order_id=task.work_order_id,
        work_order_number=task.order_number,
        name=task.name,
        customer_name=task.customer_name,
        site=SiteRef(task.site_id, task.site_name, task.latitude, task.longitude),
        engineer_ids=list(crew),
        engineer_names=[names.get(e, "?") for e in crew],
        start=task.planned_start,
        end=end,
        travel_minutes=0,
        priority=task.priority,
        status=task.status,
        pinned=task.pinned,
        sla_due=due,
        late=due is not None and end > due,
        skills=skills_of(task),
        duration_minutes=task.duration_minutes,
    )


def _driver(a: BoardAssignment, shown: set[UUID]) -> UUID | None:
    """Whose route a visit's travel is read from: the lead, or the first of the crew on the board."""
    return next((e for e in a.engineer_ids if e in shown), None)


def _days_of(
    assignments: Sequence[BoardAssignment], rows: Mapping[UUID, EngineerRow], shown: set[UUID]
) -> dict[tuple[UUID, dt.date], list[BoardAssignment]]:
    """(engineer, local date) -> that engineer's visits that day in start order, every crew member."""
    out: dict[tuple[UUID, dt.date], list[BoardAssignment]] = {}
    zones = {i: ZoneInfo(r.time_zone) for i, r in rows.items()}
    for a in assignments:
        for engineer_id in a.engineer_ids:
            if engineer_id in shown:
                out.setdefault((engineer_id, a.start.astimezone(zones[engineer_id]).date()), []).append(a)
    for visits in out.values():
        visits.sort(key=lambda a: (a.start, a.end))
    return out


def _add_travel(
    assignments: Sequence[BoardAssignment],
    rows: Mapping[UUID, EngineerRow],
    shown: set[UUID],
    travel: TravelProvider,
) -> None:
    for (engineer_id, _day), visits in _days_of(assignments, rows, shown).items():
        row = rows[engineer_id]
        home = Location(row.home_latitude, row.home_longitude)
        points = [home] + [_location(a.site, home) for a in visits]
        seconds = travel.matrices(points).seconds
        for index, visit in enumerate(visits):
            if _driver(visit, shown) == engineer_id:
                visit.travel_minutes = round(seconds[index][index + 1] / 60)


def _location(site: SiteRef, fallback: Location) -> Location:
    if site.latitude is None or site.longitude is None:
        return fallback  # no coordinates: no drive to show
    return Location(site.latitude, site.longitude)


def _routes(
    assignments: Sequence[BoardAssignment], rows: Mapping[UUID, EngineerRow], shown: set[UUID]
) -> list[BoardRoute]:
    return [
        BoardRoute(
            engineer_id,
            day,
            [RouteStop(a.task_id, a.site.latitude, a.site.longitude, a.start) for a in visits],
        )
        for (engineer_id, day), visits in sorted(_days_of(assignments, rows, shown).items(), key=lambda kv: kv[0])
    ]


def _place_lunches(
    engineers: Sequence[BoardEngineer],
    rows: Sequence[EngineerRow],
    assignments: Sequence[BoardAssignment],
    window: Span,
) -> None:
    """Each working day's lunch where the plan leaves room for it inside the engineer's lunch window
    (the earliest such moment), or at the window's start if the day is too full."""
    by_id = {r.id: r for r in rows}
    busy: dict[UUID, list[Span]] = {}
    for a in assignments:
        for engineer_id in a.engineer_ids:
            busy.setdefault(engineer_id, []).append(Span(a.start, a.end))
    for engineer in engineers:
        row = by_id[engineer.id]
        if row.lunch_minutes is None or row.lunch_window_start is None or row.lunch_window_end is None:
            continue
        zone = ZoneInfo(row.time_zone)
        length = dt.timedelta(minutes=row.lunch_minutes)
        days = sorted({s.start.astimezone(zone).date() for s in engineer.shifts})
        mine = sorted(busy.get(engineer.id, []), key=lambda s: s.start)
        for day in days:
            earliest = local_instant(day, row.lunch_window_start, zone)
            latest = local_instant(day, row.lunch_window_end, zone)
            if not any(s.start < latest and s.end > earliest for s in engineer.shifts):
                continue
            candidates = [earliest] + [s.end for s in mine if earliest <= s.end <= latest - length]
            start = next((c for c in candidates if not any(s.start < c + length and s.end > c for s in mine)), earliest)
            lunch = _clip(Span(start, start + length), window)
            if lunch is not None:
                engineer.lunches.append(lunch)


def _utilisation(engineers: Sequence[BoardEngineer], assignments: Sequence[BoardAssignment], window: Span) -> None:
    """Planned work minutes over on-shift minutes in the window, at most 1 (overbooked shows full)."""
    work: dict[UUID, float] = {}
    for a in assignments:
        span = _clip(Span(a.start, a.end), window)
        if span is not None:
            for engineer_id in a.engineer_ids:
                work[engineer_id] = work.get(engineer_id, 0.0) + (span.end - span.start).total_seconds()
    for engineer in engineers:
        on_shift = sum((s.end - s.start).total_seconds() for s in engineer.shifts)
        worked = work.get(engineer.id, 0.0)
        engineer.utilisation = round(min(1.0, worked / on_shift), 4) if on_shift else (1.0 if worked else 0.0)


# --- open tasks ---------------------------------------------------------------------------------


async def _open_tasks(session: AsyncSession, query: BoardQuery, window: Span) -> list[_TaskRow]:
    """Open tasks of live work orders without engineers or without a time, whose appointment windows
    meet the window (or which have none: any time will do) or whose SLA falls due before its end."""
    has_crew = exists().where(TaskAssignment.task_id == Task.id)
    stmt = _with_context(
        select(*TASK_COLUMNS)
        .join(Site, Site.id == Task.site_id)
        .where(
            Task.status == TaskStatus.OPEN.value,
            WorkOrder.status.in_(LIVE_ORDERS),
            or_(~has_crew, Task.planned_start.is_(None)),
        )
    ).order_by(Task.priority, WorkOrder.number, Task.sequence)
    if query.territory:
        # a site without a territory is every territory's, as in the problem builder
        stmt = stmt.where(or_(Site.territory == query.territory, Site.territory.is_(None)))
    out: list[_TaskRow] = []
    for task in await session.execute(stmt):
        if query.skill and not any(s.get("skill") == query.skill for s in task.required_skills):
            continue
        if _due_in(task, window):
            out.append(task)
    return out


def _due_in(task: _TaskRow, window: Span) -> bool:
    due = sla_due(task)
    if due is not None and due < window.end:
        return True  # due in the window, or already overdue
    appointments = [w for w in task.time_windows if w.get("kind") != "sla"]
    if not appointments:
        return True
    return any(
        dt.datetime.fromisoformat(w["start"]) < window.end and dt.datetime.fromisoformat(w["end"]) > window.start
        for w in appointments
    )


def _unassigned(task: _TaskRow, reason: BoardReason | None) -> BoardUnassigned:
    return BoardUnassigned(
        task_id=task.id,
        task_version=task.version,
        work_order_id=task.work_order_id,
        work_order_number=task.order_number,
        name=task.name,
        customer_name=task.customer_name,
        site=SiteRef(task.site_id, task.site_name, task.latitude, task.longitude),
        priority=task.priority,
        status=task.status,
        sla_due=sla_due(task),
        skills=skills_of(task),
        time_windows=[
            Span(dt.datetime.fromisoformat(w["start"]), dt.datetime.fromisoformat(w["end"]))
            for w in task.time_windows
            if w.get("kind") != "sla"
        ],
        duration_minutes=task.duration_minutes,
        crew_size=task.crew_size,
        reason=reason,
    )


async def _latest_reasons(
    session: AsyncSession, task_ids: Sequence[UUID], names: dict[UUID, str]
) -> dict[str, BoardReason]:
    """The latest finished run's reason for each of these tasks, people and tasks named. Only the
    plan's ``unassigned`` list is read, not the whole stored plan."""
    if not task_ids:
        return {}
    stored = await latest_unassigned(session)
    wanted = {str(i) for i in task_ids}
    found = {item["task_id"]: item for item in stored if item.get("task_id") in wanted}
    if not found:
        return {}
    texts = {key: str(item.get("text") or item.get("reason") or "") for key, item in found.items()}
    return {
        key: BoardReason(str(found[key].get("reason") or ""), text)
        for key, text in (await name_ids(session, texts, names)).items()
    }


async def latest_unassigned(session: AsyncSession) -> list[dict[str, Any]]:
    """``plan.unassigned`` of the newest run that produced a plan (what-if runs are hypothetical)."""
    stored = await session.scalar(
        select(DispatchRun.plan["unassigned"])
        .where(
            DispatchRun.plan.is_not(None),
            DispatchRun.kind != DispatchRunKind.WHAT_IF.value,
            DispatchRun.status.in_([DispatchRunStatus.SUCCEEDED.value, DispatchRunStatus.CANCELLED.value]),
        )
        .order_by(DispatchRun.finished_at.desc().nulls_last(), DispatchRun.created_at.desc())
        .limit(1)
    )
    return list(stored) if isinstance(stored, list) else []


async def name_ids(session: AsyncSession, texts: dict[str, str], names: dict[UUID, str]) -> dict[str, str]:
    """Each text with the engineer and task ids in it replaced by their names (one query for those
    not known yet)."""
    mentioned = {UUID(m) for text in texts.values() for m in UUID_PATTERN.findall(text)}
    await _add_names(session, names, mentioned)
    unknown = [i for i in mentioned if i not in names]
    tasks: dict[UUID, str] = {}
    if unknown:
        for task_id, name, number in await session.execute(
            select(Task.id, Task.name, WorkOrder.number)
            .join(WorkOrder, WorkOrder.id == Task.work_order_id)
            .where(Task.id.in_(unknown))
        ):
            tasks[task_id] = f"{name!r} ({number})"

    def replace(match: re.Match[str]) -> str:
        key = UUID(match.group(0))
        return names.get(key) or tasks.get(key) or match.group(0)

    return {key: UUID_PATTERN.sub(replace, text) for key, text in texts.items()}


async def read_assignment(
    session: AsyncSession, task_id: UUID, *, travel: TravelProvider = DEFAULT_TRAVEL
) -> BoardAssignment | None:
    """One task's board card as ``read_board`` draws it (travel from its lead's route that local day);
    None if it has no engineers or no planned time."""
    task = await session.get(Task, task_id)
    lead_id = await session.scalar(
        select(TaskAssignment.engineer_id)
        .where(TaskAssignment.task_id == task_id)
        .order_by(TaskAssignment.lead.desc(), TaskAssignment.created_at)
        .limit(1)
    )
    if task is None or lead_id is None or task.planned_start is None:
        return None
    lead = await session.get(EngineerRow, lead_id)
    assert lead is not None
    zone = ZoneInfo(lead.time_zone)
    day = task.planned_start.astimezone(zone).date()
    window = Span(local_instant(day, dt.time(), zone), local_instant(day + dt.timedelta(days=1), dt.time(), zone))
    planned = await _planned(session, [lead_id], window)
    crews = await _crews(session, [lead_id], window)
    names = {lead_id: lead.name}
    await _add_names(session, names, {e for crew in crews.values() for e in crew})
    assignments = [_assignment(row, crews.get(row.id, []), names) for row in planned]
    # the lead's day only: a crew member's travel is read from the lead's route here
    _add_travel(assignments, {lead_id: lead}, {lead_id}, travel)
    return next((a for a in assignments if a.task_id == task_id), None)
