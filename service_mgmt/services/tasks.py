"""Tasks of a work order: added, changed, removed and linked before scheduling; assigned by hand.

What a task is (name, duration, skills, windows, crew, dependencies) changes only while its
work order is open or on hold; once scheduled, the plan is what was agreed. Who does it and
when (the assignment) may still move while the work order is scheduled, as a planner does on
the dispatch board, until it is dispatched.

A manual assignment refuses only what cannot work: an engineer who is unknown, inactive,
lacks a required skill level, or is absent at that time, and a crew of the wrong size.
Softer constraints (travel, working hours, overlaps) are the optimizer's to weigh.

Lock order: work order → task.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import Priority
from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, Invalid, NotFound
from core.fields import Name, Version
from masterdata.models import Absence, Engineer, EngineerSkill
from service_mgmt.choices import TaskStatus, WorkOrderStatus
from service_mgmt.errors import Code
from service_mgmt.models import Task, TaskAssignment, TaskDependency, TaskPart, WorkOrder
from service_mgmt.plan_announcements import announce_move, announce_tasks
from service_mgmt.services.job_templates import (
    CrewSize,
    Minutes,
    PartList,
    SkillList,
    check_parts,
    check_skills,
    find_cycle,
    skills_json,
)
from service_mgmt.services.work_orders import (
    TASKS_EDITABLE,
    AwareDateTime,
    TaskView,
    TimeWindows,
    find_work_order,
    task_views,
    windows_json,
)

ASSIGNABLE = TASKS_EDITABLE | {WorkOrderStatus.SCHEDULED}
TaskIds = Annotated[list[UUID], Meta(max_length=50)]


class TaskCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    duration_minutes: Minutes
    required_skills: SkillList = msgspec.field(default_factory=list)
    time_windows: TimeWindows = msgspec.field(default_factory=list)
    priority: Priority | None = None  # default: the work order's
    crew_size: CrewSize = 1
    pinned: bool = False
    depends_on: TaskIds = msgspec.field(default_factory=list)
    parts: PartList = msgspec.field(default_factory=list)


class TaskUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    name: Name | msgspec.UnsetType = msgspec.UNSET
    duration_minutes: Minutes | msgspec.UnsetType = msgspec.UNSET
    required_skills: SkillList | msgspec.UnsetType = msgspec.UNSET
    time_windows: TimeWindows | msgspec.UnsetType = msgspec.UNSET
    priority: Priority | msgspec.UnsetType = msgspec.UNSET
    crew_size: CrewSize | msgspec.UnsetType = msgspec.UNSET
    pinned: bool | msgspec.UnsetType = msgspec.UNSET
    planned_start: AwareDateTime | None | msgspec.UnsetType = msgspec.UNSET
    # Left out (or null) while planned_start is set: planned_start + duration.
    planned_end: AwareDateTime | None | msgspec.UnsetType = msgspec.UNSET


class DependenciesSet(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    depends_on: TaskIds


class AssignmentSet(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    engineer_ids: Annotated[list[UUID], Meta(min_length=1, max_length=10, description="the first one leads")]
    planned_start: AwareDateTime
    planned_end: AwareDateTime | None = None  # default: planned_start + the task's duration


# --- finding ---------------------------------------------------------------------------------


async def _locked_work_order(
    session: AsyncSession, actor: Principal, work_order_id: UUID, allowed: frozenset[WorkOrderStatus]
) -> WorkOrder:
    work_order = await find_work_order(session, actor, work_order_id, lock=True)
    if WorkOrderStatus(work_order.status) not in allowed:
        raise Conflict(
            Code.TASKS_LOCKED,
            f"work order {work_order.number} is {work_order.status}; its tasks change only while it is "
            + " or ".join(sorted(s.value for s in allowed)),
            extra={"current_status": work_order.status},
        )
    return work_order


async def _find_task(session: AsyncSession, work_order: WorkOrder, task_id: UUID) -> Task:
    task = await session.scalar(
        select(Task).where(Task.id == task_id, Task.work_order_id == work_order.id).with_for_update()
    )
    if task is None:
        raise NotFound("task", task_id)
    return task


async def _view(session: AsyncSession, task: Task) -> TaskView:
    return (await task_views(session, [task]))[0]


# --- editing before scheduling ---------------------------------------------------------------


async def add_task(session: AsyncSession, actor: Principal, work_order_id: UUID, data: TaskCreate) -> TaskView:
    work_order = await _locked_work_order(session, actor, work_order_id, TASKS_EDITABLE)
    check_skills(data.required_skills, "required_skills")
    windows = windows_json(data.time_windows, "time_windows")
    await check_parts(session, data.parts, "parts")
    await _check_siblings(session, work_order, data.depends_on, own_id=None)
    last = await session.scalar(select(func.max(Task.sequence)).where(Task.work_order_id == work_order.id))
    task = Task(
        work_order_id=work_order.id,
        sequence=(last or 0) + 1,
        name=data.name,
        site_id=work_order.site_id,
        duration_minutes=data.duration_minutes,
        required_skills=skills_json(data.required_skills),
        time_windows=windows,
        priority=data.priority.value if data.priority else work_order.priority,
        crew_size=data.crew_size,
        pinned=data.pinned,
        status=TaskStatus.OPEN.value,
    )
    session.add(task)
    await session.flush()
    session.add_all(TaskDependency(task_id=task.id, depends_on_id=other) for other in dict.fromkeys(data.depends_on))
    session.add_all(TaskPart(task_id=task.id, product_id=p.product_id, quantity=p.quantity) for p in data.parts)
    await session.flush()
    view = await _view(session, task)
    await audit.record(session, actor, "task", task.id, "create", after=_snapshot(view))
    await announce_tasks(session, actor, [task.id], "added")
    return view


async def update_task(
    session: AsyncSession, actor: Principal, work_order_id: UUID, task_id: UUID, data: TaskUpdate
) -> TaskView:
    work_order = await _locked_work_order(session, actor, work_order_id, TASKS_EDITABLE)
    task = await _find_task(session, work_order, task_id)
    check_version("task", task, data.version)
    changes = sent_fields(data)
    if "required_skills" in changes:
        check_skills(changes["required_skills"], "required_skills")
        changes["required_skills"] = skills_json(changes["required_skills"])
    if "time_windows" in changes:
        changes["time_windows"] = windows_json(changes["time_windows"], "time_windows")
    if "priority" in changes:
        changes["priority"] = changes["priority"].value
    changes |= _planned_times(task, changes)
    before = audit.snapshot(task)
    apply(task, changes)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(task))
    await audit.record(session, actor, "task", task.id, "update", before=old, after=new)
    await announce_tasks(session, actor, [task.id], "changed")
    return await _view(session, task)


def _planned_times(task: Task, changes: dict[str, Any]) -> dict[str, Any]:
    """The planned start and end after a change; an end left out follows start + duration."""
    touched = {"planned_start", "planned_end", "duration_minutes"} & changes.keys()
    if not touched:
        return {}
    start: dt.datetime | None = changes.get("planned_start", task.planned_start)
    end: dt.datetime | None = changes.get("planned_end")
    if start is None:
        if end is not None:
            raise Invalid(Code.FIELD_REQUIRED, "planned_end needs a planned_start", field="planned_start")
        return {"planned_start": None, "planned_end": None}
    if end is None:
        end = start + dt.timedelta(minutes=changes.get("duration_minutes", task.duration_minutes))
    if end <= start:
        raise Invalid(Code.ENDS_BEFORE_STARTS, "planned_end must lie after planned_start", field="planned_end")
    return {"planned_start": start, "planned_end": end}


async def delete_task(session: AsyncSession, actor: Principal, work_order_id: UUID, task_id: UUID) -> None:
    """Remove a task; tasks that depended on it lose that dependency."""
    work_order = await _locked_work_order(session, actor, work_order_id, TASKS_EDITABLE)
    task = await _find_task(session, work_order, task_id)
    before = _snapshot(await _view(session, task))
    await announce_tasks(session, actor, [task.id], "removed")  # named while it still exists
    await session.delete(task)
    await session.flush()
    await audit.record(session, actor, "task", task_id, "delete", before=before)


async def set_dependencies(
    session: AsyncSession,
    actor: Principal,
    work_order_id: UUID,
    task_id: UUID,
    data: DependenciesSet,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> TaskView:
    """Replace what the task waits for; tasks of the same work order only, never in a cycle."""
    work_order = await _locked_work_order(session, actor, work_order_id, TASKS_EDITABLE)
    task = await _find_task(session, work_order, task_id)
    wanted = list(dict.fromkeys(data.depends_on))
    sequences = await _check_siblings(session, work_order, wanted, own_id=task.id)
    graph = await _dependency_graph(session, work_order.id)
    graph[task.id] = wanted
    cycle = find_cycle(graph)
    if cycle is not None:
        raise Invalid(
            Code.DEPENDENCY_CYCLE,
            "these dependencies would form a cycle: " + " -> ".join(f"task {sequences[i]}" for i in cycle),
            field="depends_on",
            extra={"cycle": [str(i) for i in cycle]},
        )
    before = sorted(str(i) for i in (await _view(session, task)).depends_on)
    await session.execute(delete(TaskDependency).where(TaskDependency.task_id == task.id))
    session.add_all(TaskDependency(task_id=task.id, depends_on_id=other) for other in wanted)
    # The edges live in another table; touching the task bumps its version for other editors.
    task.updated_at = clock.now()
    await session.flush()
    after = sorted(str(i) for i in wanted)
    await audit.record(
        session, actor, "task", task.id, "dependencies", before={"depends_on": before}, after={"depends_on": after}
    )
    return await _view(session, task)


async def _check_siblings(
    session: AsyncSession, work_order: WorkOrder, task_ids: Sequence[UUID], own_id: UUID | None
) -> dict[UUID, int]:
    """Every id names a task of the same work order; answers the sequences of all its tasks."""
    rows = await session.execute(select(Task.id, Task.sequence).where(Task.work_order_id == work_order.id))
    sequences: dict[UUID, int] = {row.id: row.sequence for row in rows}
    for index, other in enumerate(task_ids):
        if other not in sequences:
            raise Invalid(
                Code.UNKNOWN_DEPENDENCY,
                f"task {other} is no task of work order {work_order.number}",
                field=f"depends_on[{index}]",
            )
        if other == own_id:
            raise Invalid(
                Code.DEPENDENCY_CYCLE,
                "a task cannot wait for itself",
                field=f"depends_on[{index}]",
                extra={"cycle": [str(other)] * 2},
            )
    return sequences


async def _dependency_graph(session: AsyncSession, work_order_id: UUID) -> dict[UUID, list[UUID]]:
    edges = await session.execute(
        select(TaskDependency.task_id, TaskDependency.depends_on_id)
        .join(Task, Task.id == TaskDependency.task_id)
        .where(Task.work_order_id == work_order_id)
    )
    graph: dict[UUID, list[UUID]] = {}
    for task_id, depends_on_id in edges:
        graph.setdefault(task_id, []).append(depends_on_id)
    return graph


# --- manual assignment -----------------------------------------------------------------------


async def assign_task(
    session: AsyncSession, actor: Principal, work_order_id: UUID, task_id: UUID, data: AssignmentSet
) -> TaskView:
    """Put these engineers on the task at this time, replacing whoever was on it."""
    work_order = await _locked_work_order(session, actor, work_order_id, ASSIGNABLE)
    task = await _find_task(session, work_order, task_id)
    if task.status in {TaskStatus.CANCELLED.value, TaskStatus.COMPLETED.value}:
        raise Conflict(
            Code.TASKS_LOCKED, f"task {task.sequence} is {task.status}", extra={"current_status": task.status}
        )
    _check_crew(task, data.engineer_ids)
    start = data.planned_start
    end = data.planned_end or start + dt.timedelta(minutes=task.duration_minutes)
    if end <= start:
        raise Invalid(Code.ENDS_BEFORE_STARTS, "planned_end must lie after planned_start", field="planned_end")
    engineers = await _active_engineers(session, data.engineer_ids)
    await _check_skills(session, task, engineers)
    await _check_present(session, engineers, start, end)
    before = _snapshot(await _view(session, task))
    await session.execute(delete(TaskAssignment).where(TaskAssignment.task_id == task.id))
    session.add_all(
        TaskAssignment(task_id=task.id, engineer_id=engineer.id, lead=index == 0)
        for index, engineer in enumerate(engineers)
    )
    task.planned_start, task.planned_end = start, end
    await session.flush()
    view = await _view(session, task)
    old, new = audit.changed(before, _snapshot(view))
    await audit.record(session, actor, "task", task.id, "assign", before=old, after=new)
    await announce_move(session, actor, task.id, [e.id for e in engineers], start)
    return view


def _check_crew(task: Task, engineer_ids: Sequence[UUID]) -> None:
    seen: set[UUID] = set()
    for index, engineer_id in enumerate(engineer_ids):
        if engineer_id in seen:
            raise Invalid(Code.DUPLICATE_ENGINEER, "an engineer is listed twice", field=f"engineer_ids[{index}]")
        seen.add(engineer_id)
    if len(engineer_ids) != task.crew_size:
        raise Invalid(
            Code.CREW_SIZE_MISMATCH,
            f"task {task.sequence} needs a crew of {task.crew_size}, not {len(engineer_ids)}",
            field="engineer_ids",
            extra={"crew_size": task.crew_size},
        )


async def _active_engineers(session: AsyncSession, engineer_ids: Sequence[UUID]) -> list[Engineer]:
    found = {e.id: e for e in await session.scalars(select(Engineer).where(Engineer.id.in_(engineer_ids)))}
    engineers = []
    for index, engineer_id in enumerate(engineer_ids):
        engineer = found.get(engineer_id)
        if engineer is None:
            raise NotFound("engineer", engineer_id, field=f"engineer_ids[{index}]")
        if not engineer.active:
            raise Invalid(
                Code.ENGINEER_INACTIVE, f"engineer {engineer.number} is inactive", field=f"engineer_ids[{index}]"
            )
        engineers.append(engineer)
    return engineers


async def _check_skills(session: AsyncSession, task: Task, engineers: Sequence[Engineer]) -> None:
    """Every engineer of the crew has every required skill at the required level or above."""
    if not task.required_skills:
        return
    rows = await session.scalars(select(EngineerSkill).where(EngineerSkill.engineer_id.in_([e.id for e in engineers])))
    levels = {(row.engineer_id, row.skill): row.level for row in rows}
    for index, engineer in enumerate(engineers):
        for requirement in task.required_skills:
            skill, required = str(requirement["skill"]), int(requirement["level"])
            has = levels.get((engineer.id, skill))
            if has is None or has < required:
                held = f"has level {has}" if has is not None else "does not have it"
                raise Invalid(
                    Code.SKILL_MISSING,
                    f"engineer {engineer.number} ({engineer.name}) lacks skill {skill!r} at level {required} ({held})",
                    field=f"engineer_ids[{index}]",
                    extra={
                        "engineer_id": str(engineer.id),
                        "skill": skill,
                        "required_level": required,
                        "engineer_level": has,
                    },
                )


async def _check_present(
    session: AsyncSession, engineers: Sequence[Engineer], start: dt.datetime, end: dt.datetime
) -> None:
    ids = [e.id for e in engineers]
    clashes = await session.scalars(
        select(Absence)
        .where(Absence.engineer_id.in_(ids), Absence.starts_at < end, Absence.ends_at > start)
        .order_by(Absence.starts_at)
    )
    absence = clashes.first()
    if absence is None:
        return
    index = ids.index(absence.engineer_id)
    engineer = engineers[index]
    raise Conflict(
        Code.ENGINEER_ABSENT,
        f"engineer {engineer.number} ({engineer.name}) is absent from {absence.starts_at.isoformat()} "
        f"to {absence.ends_at.isoformat()}",
        field=f"engineer_ids[{index}]",
        extra={
            "engineer_id": str(engineer.id),
            "absence_id": str(absence.id),
            "starts_at": absence.starts_at.isoformat(),
            "ends_at": absence.ends_at.isoformat(),
        },
    )


def _snapshot(view: TaskView) -> dict[str, Any]:
    return audit.snapshot(view.task) | {
        "depends_on": [str(i) for i in view.depends_on],
        "parts": [{"product_id": str(p.product_id), "quantity": str(p.quantity)} for p in view.parts],
        "engineer_ids": [str(a.engineer_id) for a in view.assignments],
    }
