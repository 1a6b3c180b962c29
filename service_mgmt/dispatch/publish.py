"""Publishing a run's plan to the tasks, and manual moves checked against the constraints.

Publish is all or nothing under optimistic locking: the run stored the version of every task it
planned; if any of them changed since (edited, moved, assigned, its work order moved on), the plan is
stale and nothing is written (409 ``plan_stale`` listing the tasks). Otherwise each planned task gets
its engineers (``TaskAssignment``, the first one leads), planned start and end, and ``scheduled`` if
it was open, written set-based (``write_assignments``: a few statements per 500 tasks, not per task).
Pinned, dispatched and started tasks are left exactly as they are; tasks the run could not plan keep
whatever they had. What-if runs are never published.

A manual move is checked by the independent plan checker (``scheduling.check_plan``) on the published
plan with the move applied; violations the move introduces (on the moved task or on the routes of the
engineers it lands on) answer 422 with their list. Lock order: work order → task.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta
from sqlalchemy import CursorResult, case, delete, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.editing import check_version
from core.errors import Conflict, Invalid, NotFound
from core.fields import Version
from masterdata.models import Engineer
from scheduling import Violation, check_plan
from service_mgmt.choices import DispatchRunKind, DispatchRunStatus, TaskStatus, WorkOrderStatus
from service_mgmt.dispatch.plan_json import frame_clock, violation_json
from service_mgmt.dispatch.problem_builder import LIVE_TASKS, Assigned, HorizonSpec, build_problem
from service_mgmt.dispatch.published import published_plan
from service_mgmt.dispatch.runs import find_run, policy_of
from service_mgmt.dispatch.task_changes import check_task_version
from service_mgmt.errors import Code
from service_mgmt.models import DispatchRun, Task, TaskAssignment, TaskDependency, WorkOrder
from service_mgmt.plan_announcements import PUBLISH, announce_move, announce_plan
from service_mgmt.services.work_orders import AwareDateTime, TaskView, task_views

# The planner may still move these; from dispatched on, the field has the task.
MOVABLE_ORDERS = frozenset({WorkOrderStatus.OPEN.value, WorkOrderStatus.ON_HOLD.value, WorkOrderStatus.SCHEDULED.value})
MOVABLE_TASKS = frozenset({TaskStatus.OPEN.value, TaskStatus.SCHEDULED.value})


class PublishIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version | None = None  # the run's version you read (optional)


@dataclass(frozen=True, slots=True)
class PublishResult:
    run: DispatchRun
    published: list[UUID]
    kept: list[UUID]  # pinned, dispatched or started: untouched
    not_planned: list[UUID]  # the run left them out; they keep what they had


class MoveIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    task_id: UUID
    engineer_ids: Annotated[list[UUID], Meta(min_length=1, max_length=10, description="the first one leads")]
    start: AwareDateTime
    version: Version  # the task's version you read
    policy: str = "balanced"


# --- publish ------------------------------------------------------------------------------------


async def publish_run(
    session: AsyncSession, actor: Principal, run_id: UUID, data: PublishIn, *, clock: Clock = SYSTEM_CLOCK
) -> PublishResult:
    now = clock.now()
    run = await find_run(session, run_id, lock=True)
    if data.version is not None:
        check_version("dispatch_run", run, data.version)
    if run.kind == DispatchRunKind.WHAT_IF.value:
        raise Conflict(Code.WHAT_IF_NOT_PUBLISHABLE, "a what-if run is for comparing only; it cannot be published")
    if run.status != DispatchRunStatus.SUCCEEDED.value:
        raise Conflict(
            Code.RUN_NOT_SUCCEEDED,
            f"only a succeeded run can be published; this one is {run.status}",
            field="status",
            extra={"current_status": run.status},
        )
    if run.published_at is not None:
        raise Conflict(
            Code.RUN_ALREADY_PUBLISHED, f"the run was published at {run.published_at.isoformat()} by {run.published_by}"
        )
    versions: dict[str, int] = run.parameters.get("task_versions", {})
    tasks = await _locked_tasks(session, [UUID(i) for i in versions])
    _check_fresh(versions, tasks)
    planned = _visits_of(run.plan or {})
    writes: list[tuple[Task, list[UUID], dt.datetime, dt.datetime]] = []
    kept: list[UUID] = []
    not_planned: list[UUID] = []
    for task in tasks:
        visits = planned.get(str(task.id))
        if not visits:
            not_planned.append(task.id)
        elif task.pinned or task.status not in MOVABLE_TASKS:
            kept.append(task.id)
        else:
            writes.append((task, [UUID(e) for e, _, _ in visits], visits[0][1], visits[0][2]))
    await write_assignments(session, actor, writes, "publish", now)
    published = [task.id for task, _, _, _ in writes]
    run.published_at, run.published_by = now, actor.username
    await session.flush()
    await audit.record(
        session,
        actor,
        "dispatch_run",
        run.id,
        "publish",
        after={"published": len(published), "kept": len(kept), "not_planned": len(not_planned)},
        at=now,
    )
    text = f"published a plan: {len(published)} task(s) planned" + (f", {len(kept)} kept as they were" if kept else "")
    await announce_plan(session, actor, PUBLISH, published, text)
    return PublishResult(run, published, kept, not_planned)


async def _locked_tasks(session: AsyncSession, task_ids: Sequence[UUID]) -> list[Task]:
    """Work orders first, then their tasks, each in id order (the documented lock order)."""
    if not task_ids:
        return []
    order_ids = (await session.scalars(select(Task.work_order_id).where(Task.id.in_(task_ids)).distinct())).all()
    await session.scalars(
        select(WorkOrder.id).where(WorkOrder.id.in_(order_ids)).order_by(WorkOrder.id).with_for_update()
    )
    return list(
        (await session.scalars(select(Task).where(Task.id.in_(task_ids)).order_by(Task.id).with_for_update())).all()
    )


def _check_fresh(versions: dict[str, int], tasks: Sequence[Task]) -> None:
    found = {str(t.id): t for t in tasks}
    stale: list[dict[str, Any]] = []
    for task_id, version in versions.items():
        task = found.get(task_id)
        if task is None:
            stale.append({"task_id": task_id, "seen_version": version, "current_version": None})
        elif task.version != version:
            stale.append({"task_id": task_id, "seen_version": version, "current_version": task.version})
    if stale:
        raise Conflict(
            Code.PLAN_STALE,
            f"{len(stale)} task(s) changed since the run started; start a new run",
            extra={"tasks": stale},
        )


def _visits_of(plan: dict[str, Any]) -> dict[str, list[tuple[str, dt.datetime, dt.datetime]]]:
    """Task id -> [(engineer id, start, end)] from a stored plan, lead (first route) first."""
    out: dict[str, list[tuple[str, dt.datetime, dt.datetime]]] = {}
    for route in plan.get("routes", []):
        for visit in route["visits"]:
            out.setdefault(visit["task_id"], []).append(
                (
                    route["engineer_id"],
                    dt.datetime.fromisoformat(visit["start"]),
                    dt.datetime.fromisoformat(visit["end"]),
                )
            )
    return out


# Tasks per statement: each costs about seven bound parameters (SQLite allows 32,766 per statement).
CHUNK = 500
Write = tuple[Task, Sequence[UUID], dt.datetime, dt.datetime]  # task, engineers (lead first), start, end


async def write_assignment(
    session: AsyncSession,
    actor: Principal,
    task: Task,
    engineer_ids: Sequence[UUID],
    start: dt.datetime,
    end: dt.datetime,
    action: str,
    now: dt.datetime,
) -> None:
    await write_assignments(session, actor, [(task, engineer_ids, start, end)], action, now)


async def write_assignments(
    session: AsyncSession, actor: Principal, writes: Sequence[Write], action: str, now: dt.datetime
) -> None:
    """Give each task its engineers and planned times, set-based: per chunk of tasks one UPDATE of the
    tasks, one DELETE and one INSERT of their assignment rows, one INSERT of their audit records.

    The tasks are locked and were read at the version the caller judged them by; the UPDATE still
    matches each on that version (the optimistic lock a flush would add) and answers ``plan_stale``
    if any row did not match. It bumps the version and ``updated_at``: the rows of another table
    changed, and the task's version is what tells other editors."""
    for offset in range(0, len(writes), CHUNK):
        await _write_chunk(session, actor, writes[offset : offset + CHUNK], action, now)


async def _write_chunk(
    session: AsyncSession, actor: Principal, writes: Sequence[Write], action: str, now: dt.datetime
) -> None:
    columns = Task.__table__.c
    ids = [task.id for task, _, _, _ in writes]
    before = await _assignment_snapshots(session, [task for task, _, _, _ in writes])

    def by_id(values: Sequence[object], column: Any) -> Any:
        return case(
            *(
                (Task.id == literal(i, columns.id.type), literal(v, column.type))
                for i, v in zip(ids, values, strict=True)
            )
        )

    updated = await session.execute(
        update(Task)
        .where(Task.id.in_(ids), Task.version == by_id([t.version for t, _, _, _ in writes], columns.version))
        .values(
            planned_start=by_id([start for _, _, start, _ in writes], columns.planned_start),
            planned_end=by_id([end for _, _, _, end in writes], columns.planned_end),
            status=case((Task.status == TaskStatus.OPEN.value, TaskStatus.SCHEDULED.value), else_=Task.status),
            updated_at=now,
            version=Task.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], updated).rowcount != len(writes):
        raise Conflict(Code.PLAN_STALE, "a task changed while its plan was being written; start a new run")
    await session.execute(delete(TaskAssignment).where(TaskAssignment.task_id.in_(ids)))
    await session.execute(
        insert(TaskAssignment),
        [
            {"task_id": task.id, "engineer_id": engineer_id, "lead": index == 0}
            for task, engineer_ids, _, _ in writes
            for index, engineer_id in enumerate(engineer_ids)
        ],
    )
    changes = []
    for task, engineer_ids, start, end in writes:
        status = TaskStatus.SCHEDULED.value if task.status == TaskStatus.OPEN.value else task.status
        # the identity map holds these rows: tell it what the UPDATE wrote, without a round trip
        for key, value in (
            ("planned_start", start),
            ("planned_end", end),
            ("status", status),
            ("updated_at", now),
            ("version", task.version + 1),
        ):
            set_committed_value(task, key, value)
        after = {
            "engineer_ids": [str(e) for e in engineer_ids],
            "planned_start": start.isoformat(),
            "planned_end": end.isoformat(),
            "status": status,
        }
        changes.append((task.id, before[task.id], after))
    await audit.record_many(session, actor, "task", action, changes, at=now)


async def _assignment_snapshots(session: AsyncSession, tasks: Sequence[Task]) -> dict[UUID, dict[str, Any]]:
    crews: dict[UUID, list[str]] = {task.id: [] for task in tasks}
    rows = await session.execute(
        select(TaskAssignment.task_id, TaskAssignment.engineer_id)
        .where(TaskAssignment.task_id.in_(list(crews)))
        .order_by(TaskAssignment.task_id, TaskAssignment.lead.desc())
    )
    for task_id, engineer_id in rows:
        crews[task_id].append(str(engineer_id))
    return {
        task.id: {
            "engineer_ids": crews[task.id],
            "planned_start": task.planned_start.isoformat() if task.planned_start else None,
            "planned_end": task.planned_end.isoformat() if task.planned_end else None,
            "status": task.status,
        }
        for task in tasks
    }


# --- manual moves -------------------------------------------------------------------------------


async def move_task(session: AsyncSession, actor: Principal, data: MoveIn, *, clock: Clock = SYSTEM_CLOCK) -> TaskView:
    now = clock.now()
    policy = policy_of(data.policy)
    task = await movable_task(session, data.task_id)
    await check_task_version(session, task, data.version)  # 409 naming who changed it, and what
    if data.start < now:
        raise Invalid(Code.START_IN_PAST, "a task cannot be moved into the past", field="start")
    await _check_engineers(session, task, data.engineer_ids)
    # a window around the day wide enough for every engineer's zone, over the routes the move can touch
    horizon = HorizonSpec(
        first_day=(data.start - dt.timedelta(days=1)).date(),
        days=3,
        engineer_ids=tuple(sorted(await _engineers_in_reach(session, task, data.engineer_ids))),
    )
    built = await build_problem(session, horizon, policy=policy, now=now, focus=await _linked_tasks(session, task))
    key = str(task.id)
    if key not in {t.id for t in built.problem.tasks}:
        reason = next((o.text for o in built.left_out if o.task_id == key), "it is outside the planning horizon")
        raise Invalid(Code.TASK_NOT_PLANNABLE, f"the move cannot be checked: {reason}", field="task_id")
    start = built.frame.seconds(data.start)
    moved_task = dataclasses.replace(built.problem.task(key), pin=None)  # the planner re-pins it here
    duration = moved_task.duration
    moved = dataclasses.replace(
        built,
        problem=dataclasses.replace(
            built.problem, tasks=tuple(moved_task if t.id == key else t for t in built.problem.tasks)
        ),
        assigned=built.assigned | {key: Assigned(tuple(str(e) for e in data.engineer_ids), start, start + duration)},
    )
    moved_plan = published_plan(moved)
    violations = _new_violations(
        check_plan(built.problem, published_plan(built)),
        check_plan(moved.problem, moved_plan),
        key,
        {str(e) for e in data.engineer_ids},
    )
    placed = {v.task_id for r in moved_plan.routes for v in r.visits}
    if key not in placed:
        violations.insert(
            0, Violation("no_shift", "no engineer of the move works at that time (shift or absence)", key, None)
        )
    if violations:
        lead_zone = await session.scalar(select(Engineer.time_zone).where(Engineer.id == data.engineer_ids[0]))
        local = frame_clock(built.frame, ZoneInfo(lead_zone or "UTC"))
        shown = [violation_json(v, built.engineer_names, local) for v in violations]
        raise Invalid(
            Code.MOVE_VIOLATES_CONSTRAINTS,
            "the move breaks " + "; ".join(v["text"] for v in shown[:5]),
            field="start",
            extra={"violations": shown},
        )
    end = data.start + dt.timedelta(seconds=duration)
    await write_assignment(session, actor, task, data.engineer_ids, data.start, end, "move", now)
    await announce_move(session, actor, task.id, data.engineer_ids, data.start)
    return (await task_views(session, [task]))[0]


async def _linked_tasks(session: AsyncSession, task: Task) -> list[UUID]:
    """The task and those it waits for or that wait for it: the dependency rules see them as planned."""
    rows = await session.execute(
        select(TaskDependency.task_id, TaskDependency.depends_on_id).where(
            (TaskDependency.task_id == task.id) | (TaskDependency.depends_on_id == task.id)
        )
    )
    return [task.id, *{i for row in rows for i in row if i != task.id}]


async def _engineers_in_reach(session: AsyncSession, task: Task, engineer_ids: Sequence[UUID]) -> set[UUID]:
    """The engineers whose routes a move can change: those it names, those who hold the task now, and
    the crew partners of their live crew tasks (a crew task is planned only with its whole crew).

    Only the move's own task and engineers answer for a violation (``_new_violations``), so checking
    their routes alone gives the same answer as checking everyone's, at a fraction of the cost."""
    holders = await session.scalars(select(TaskAssignment.engineer_id).where(TaskAssignment.task_id == task.id))
    direct = set(engineer_ids) | set(holders)
    crew_tasks = (
        select(TaskAssignment.task_id)
        .join(Task, Task.id == TaskAssignment.task_id)
        .where(TaskAssignment.engineer_id.in_(direct), Task.crew_size > 1, Task.status.in_(LIVE_TASKS))
    )
    partners = await session.scalars(
        select(TaskAssignment.engineer_id).where(TaskAssignment.task_id.in_(crew_tasks)).distinct()
    )
    return direct | set(partners)


async def movable_task(session: AsyncSession, task_id: UUID) -> Task:
    """The task locked (work order first), while the planner may still move or pin it."""
    order_id = await session.scalar(select(Task.work_order_id).where(Task.id == task_id))
    if order_id is None:
        raise NotFound("task", task_id, field="task_id")
    order = await session.get(WorkOrder, order_id, with_for_update=True)
    task = await session.get(Task, task_id, with_for_update=True)
    assert order is not None and task is not None
    if order.status not in MOVABLE_ORDERS:
        raise Conflict(
            Code.TASKS_LOCKED,
            f"work order {order.number} is {order.status}; its tasks move only while it is open, on hold or scheduled",
            extra={"current_status": order.status},
        )
    if task.status not in MOVABLE_TASKS:
        raise Conflict(
            Code.TASK_STARTED, f"task {task.sequence} is {task.status}", extra={"current_status": task.status}
        )
    return task


async def _check_engineers(session: AsyncSession, task: Task, engineer_ids: Sequence[UUID]) -> None:
    if len(set(engineer_ids)) != len(engineer_ids):
        raise Invalid(Code.DUPLICATE_ENGINEER, "an engineer is listed twice", field="engineer_ids")
    if len(engineer_ids) != task.crew_size:
        raise Invalid(
            Code.CREW_SIZE_MISMATCH,
            f"task {task.sequence} needs a crew of {task.crew_size}, not {len(engineer_ids)}",
            field="engineer_ids",
            extra={"crew_size": task.crew_size},
        )
    found = {e.id: e for e in await session.scalars(select(Engineer).where(Engineer.id.in_(engineer_ids)))}
    for index, engineer_id in enumerate(engineer_ids):
        engineer = found.get(engineer_id)
        if engineer is None:
            raise NotFound("engineer", engineer_id, field=f"engineer_ids[{index}]")
        if not engineer.active:
            raise Invalid(
                Code.ENGINEER_INACTIVE, f"engineer {engineer.number} is inactive", field=f"engineer_ids[{index}]"
            )


def _new_violations(
    before: Sequence[Violation], after: Sequence[Violation], task_id: str, engineer_ids: set[str]
) -> list[Violation]:
    """What the move adds, on the moved task or the routes it lands on (older problems elsewhere are
    not the move's to answer for)."""
    seen = {(v.code, v.task_id, v.engineer_id) for v in before}
    out: list[Violation] = []
    for v in after:
        if (v.code, v.task_id, v.engineer_id) in seen or v.code in {"missing", "both"}:
            continue
        if v.task_id == task_id or v.engineer_id in engineer_ids:
            out.append(v)
    return out
