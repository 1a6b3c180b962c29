"""Work orders: created from a service request (or standalone), changed, moved through their lifecycle.

A work order carries the customer, site, equipment and classification of the job, whether it
is billable, and its tasks (the units a planner schedules). Tasks come from the body, from a
job template, or else one default task of an hour. A work order born from a request copies
the request's object and entitlement outcome, and each of its tasks gets the request's
resolution due time as an `sla` time window.

Statuses move along `WORK_ORDER_TRANSITIONS`; the tasks follow. Going to `scheduled` needs
every live task planned (a start and a full crew) and passes the credit gate.

Lock order: work order → task (`find_work_order(..., lock=True)` before touching its tasks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import Priority, ServiceType
from core import audit
from core.auth import Principal, Role
from core.clock import SYSTEM_CLOCK, Clock
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, FieldNotAllowed, IllegalTransition, Invalid, NotFound
from core.fields import LongText, Money, Name, ShortText, Version
from core.listing import Page, PageRequest, paginate
from core.numbering import next_number
from masterdata.custom_fields.queries import custom_filters, custom_sort_keys
from masterdata.custom_fields.records import CustomView, apply_custom
from masterdata.models import Equipment, Product, Site
from masterdata.models.custom_fields import CustomEntity
from masterdata.services.visibility import customer_scope
from service_mgmt.choices import WORK_ORDER_TRANSITIONS, RequestStatus, TaskStatus, WorkOrderStatus
from service_mgmt.errors import Code
from service_mgmt.models import (
    JobTemplate,
    ServiceRequest,
    ServiceRequestEvent,
    Task,
    TaskAssignment,
    TaskDependency,
    TaskPart,
    WorkOrder,
)
from service_mgmt.plan_announcements import STATUS, TASK, announce_plan
from service_mgmt.services.credit_gate import pass_credit_gate
from service_mgmt.services.entitlement_check import EntitlementQuery, run_entitlement_check
from service_mgmt.services.first_time_fix import record_return
from service_mgmt.services.job_templates import (
    ChecklistText,
    CrewSize,
    Minutes,
    PartList,
    SequenceList,
    SkillList,
    TaskSequence,
    check_task_graph,
    find_template,
    parts_json,
    skills_json,
    template_tasks,
)

AwareDateTime = Annotated[dt.datetime, Meta(tz=True, description="with a UTC offset, e.g. 2026-03-03T08:00:00Z")]

DEFAULT_TASK_MINUTES = 60
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)
HUNDRED = Decimal(100)
# Who may create a work order without a request (an agent creates them from requests only).
STANDALONE_CREATORS = frozenset({Role.ADMIN, Role.PLANNER})
# Before scheduling, the planner may still change what the tasks are.
TASKS_EDITABLE = frozenset({WorkOrderStatus.OPEN, WorkOrderStatus.ON_HOLD})
FINISHED = frozenset(
    {WorkOrderStatus.COMPLETED, WorkOrderStatus.CLOSED, WorkOrderStatus.BILLED, WorkOrderStatus.CANCELLED}
)
CLOSED_REQUEST = frozenset({RequestStatus.CLOSED, RequestStatus.CANCELLED})
# The status live tasks take when their work order moves; other moves leave tasks alone.
TASKS_FOLLOW = {
    WorkOrderStatus.OPEN: TaskStatus.OPEN,
    WorkOrderStatus.SCHEDULED: TaskStatus.SCHEDULED,
    WorkOrderStatus.DISPATCHED: TaskStatus.DISPATCHED,
    WorkOrderStatus.EN_ROUTE: TaskStatus.EN_ROUTE,
    WorkOrderStatus.ON_SITE: TaskStatus.ON_SITE,
    WorkOrderStatus.COMPLETED: TaskStatus.COMPLETED,
    WorkOrderStatus.CANCELLED: TaskStatus.CANCELLED,
}
TASK_DONE = frozenset({TaskStatus.COMPLETED.value, TaskStatus.CANCELLED.value})


class WindowKind(StrEnum):
    APPOINTMENT = "appointment"  # promised to the customer
    SLA = "sla"  # the latest the service level allows


class TimeWindowIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    start: AwareDateTime
    end: AwareDateTime
    kind: WindowKind = WindowKind.APPOINTMENT


TimeWindows = Annotated[list[TimeWindowIn], Meta(max_length=20)]


class TaskIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A task of a new work order, numbered like a template's; `depends_on` names sequences."""

    sequence: TaskSequence
    name: Name
    duration_minutes: Minutes
    required_skills: SkillList = msgspec.field(default_factory=list)
    time_windows: TimeWindows = msgspec.field(default_factory=list)
    priority: Priority | None = None  # default: the work order's
    crew_size: CrewSize = 1
    pinned: bool = False
    depends_on: SequenceList = msgspec.field(default_factory=list)
    parts: PartList = msgspec.field(default_factory=list)


class WorkOrderCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """From a request (`request_id`), or standalone (customer_id, site_id, service_type, priority).

    Tasks: the `tasks` given, else the template's, else one default task of an hour.
    """

    request_id: UUID | None = None
    template_id: UUID | None = None
    customer_id: UUID | None = None
    site_id: UUID | None = None
    equipment_id: UUID | None = None
    service_type: ServiceType | None = None
    priority: Priority | None = None  # from a request: the request's unless given
    estimated_amount: Money | None = None  # from a request: the request's unless given
    description: LongText | None = None
    tasks: Annotated[list[TaskIn], Meta(min_length=1, max_length=50)] | None = None
    custom: dict[str, Any] = msgspec.field(default_factory=dict)


class ChecklistItemIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    item: ChecklistText
    done: bool = False


class WorkOrderUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    description: LongText | None | msgspec.UnsetType = msgspec.UNSET
    priority: Priority | msgspec.UnsetType = msgspec.UNSET
    checklist: Annotated[list[ChecklistItemIn], Meta(max_length=100)] | msgspec.UnsetType = msgspec.UNSET
    custom: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class WorkOrderTransition(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: WorkOrderStatus
    version: Version | None = None  # optional: a transition is checked against the status anyway
    reason: ShortText | None = None


class WorkOrderFilter(msgspec.Struct, kw_only=True):
    customer_id: UUID | None = None
    status: WorkOrderStatus | None = None
    request_id: UUID | None = None
    engineer_id: UUID | None = None
    planned_from: dt.datetime | None = None  # a task starts at or after
    planned_to: dt.datetime | None = None  # a task starts before
    custom: dict[str, str] = msgspec.field(default_factory=dict)  # ?custom.<name>=value


@dataclass(frozen=True, slots=True)
class TaskView:
    task: Task
    depends_on: list[UUID]
    parts: list[TaskPart]
    assignments: list[TaskAssignment]


@dataclass(frozen=True, slots=True)
class WorkOrderView:
    work_order: WorkOrder
    tasks: list[TaskView]


@dataclass(slots=True)
class TaskSpec:
    """A task to create, whatever it came from; `depends_on` names sequences of its siblings."""

    sequence: int
    name: str
    duration_minutes: int
    priority: str
    required_skills: list[dict[str, Any]] = field(default_factory=list)
    time_windows: list[dict[str, Any]] = field(default_factory=list)
    crew_size: int = 1
    pinned: bool = False
    depends_on: list[int] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class _Basis:
    """What a new work order is about, decided from the request or from the body."""

    customer_id: UUID
    site_id: UUID
    equipment_id: UUID | None
    service_type: str
    priority: str
    billable: bool
    estimated_amount: Decimal | None
    description: str | None
    request: ServiceRequest | None = None


SORTABLE = {"number": WorkOrder.number, "priority": WorkOrder.priority, "created_at": WorkOrder.created_at}


# --- reading ---------------------------------------------------------------------------------


async def find_work_order(
    session: AsyncSession, principal: Principal, work_order_id: UUID, *, lock: bool = False
) -> WorkOrder:
    """The work order if the principal may see it (customers: their own), else 404."""
    work_order = await session.get(WorkOrder, work_order_id, with_for_update=lock or None)
    if work_order is None:
        raise NotFound("work_order", work_order_id)
    scope = await customer_scope(session, principal)
    if not scope.allows(work_order.customer_id):
        raise NotFound("work_order", work_order_id)
    return work_order


async def get_work_order(session: AsyncSession, principal: Principal, work_order_id: UUID) -> WorkOrderView:
    return await work_order_view(session, await find_work_order(session, principal, work_order_id))


async def work_order_view(session: AsyncSession, work_order: WorkOrder) -> WorkOrderView:
    return WorkOrderView(work_order, await task_views(session, await tasks_of(session, work_order.id)))


async def tasks_of(session: AsyncSession, work_order_id: UUID, *, lock: bool = False) -> list[Task]:
    stmt = select(Task).where(Task.work_order_id == work_order_id).order_by(Task.sequence)
    if lock:
        stmt = stmt.with_for_update()
    return list((await session.scalars(stmt)).all())


async def task_views(session: AsyncSession, tasks: Sequence[Task]) -> list[TaskView]:
    ids = [task.id for task in tasks]
    depends: dict[UUID, list[UUID]] = {i: [] for i in ids}
    parts: dict[UUID, list[TaskPart]] = {i: [] for i in ids}
    crews: dict[UUID, list[TaskAssignment]] = {i: [] for i in ids}
    if ids:
        edges = await session.execute(
            select(TaskDependency.task_id, TaskDependency.depends_on_id).where(TaskDependency.task_id.in_(ids))
        )
        for task_id, depends_on_id in edges:
            depends[task_id].append(depends_on_id)
        for part in await session.scalars(select(TaskPart).where(TaskPart.task_id.in_(ids)).order_by(TaskPart.id)):
            parts[part.task_id].append(part)
        assigned = select(TaskAssignment).where(TaskAssignment.task_id.in_(ids))
        for row in await session.scalars(assigned.order_by(TaskAssignment.lead.desc(), TaskAssignment.id)):
            crews[row.task_id].append(row)
    sequence = {task.id: task.sequence for task in tasks}
    return [
        TaskView(task, sorted(depends[task.id], key=lambda i: sequence.get(i, 0)), parts[task.id], crews[task.id])
        for task in tasks
    ]


async def list_work_orders(
    session: AsyncSession, principal: Principal, filters: WorkOrderFilter, page: PageRequest
) -> Page[WorkOrder]:
    stmt = select(WorkOrder)
    scope = await customer_scope(session, principal)
    stmt = scope.restrict(stmt, WorkOrder.customer_id)
    if filters.customer_id is not None:
        stmt = stmt.where(WorkOrder.customer_id == filters.customer_id)
    if filters.status is not None:
        stmt = stmt.where(WorkOrder.status == filters.status.value)
    if filters.request_id is not None:
        stmt = stmt.where(WorkOrder.request_id == filters.request_id)
    stmt = _filter_tasks(stmt, filters)
    view = await CustomView.load(session, principal, CustomEntity.WORK_ORDER)
    dialect = session.get_bind().dialect.name
    stmt = stmt.where(*custom_filters(view.definitions, WorkOrder.custom, filters.custom, dialect))
    sortable = {**SORTABLE, **custom_sort_keys(view.definitions, WorkOrder.custom, dialect)}
    return await paginate(session, stmt, page, sortable=sortable, default_sort="number", tie_breaker=WorkOrder.id)


def _filter_tasks(stmt: Select[Any], filters: WorkOrderFilter) -> Select[Any]:
    """Work orders with a task assigned to the engineer and/or starting inside the period."""
    for name in ("planned_from", "planned_to"):
        value = getattr(filters, name)
        if value is not None and value.tzinfo is None:
            raise Invalid("validation_failed", f"{name} needs a UTC offset, e.g. ...T08:00:00Z", field=name)
    if filters.engineer_id is None and filters.planned_from is None and filters.planned_to is None:
        return stmt
    tasks = select(Task.work_order_id)
    if filters.engineer_id is not None:
        tasks = tasks.join(TaskAssignment, TaskAssignment.task_id == Task.id).where(
            TaskAssignment.engineer_id == filters.engineer_id
        )
    if filters.planned_from is not None:
        tasks = tasks.where(Task.planned_start >= filters.planned_from)
    if filters.planned_to is not None:
        tasks = tasks.where(Task.planned_start < filters.planned_to)
    return stmt.where(WorkOrder.id.in_(tasks))


# --- creating --------------------------------------------------------------------------------


async def create_work_order(
    session: AsyncSession, actor: Principal, data: WorkOrderCreate, *, clock: Clock = SYSTEM_CLOCK
) -> WorkOrderView:
    now = clock.now()
    if data.tasks is not None and data.template_id is not None:
        raise Invalid(Code.TASKS_OR_TEMPLATE, "give tasks or a template_id, not both", field="tasks")
    if data.estimated_amount is not None:
        _check_amount(data.estimated_amount)
    basis = await (_from_request(session, actor, data) if data.request_id else _standalone(session, actor, data, now))
    template = await _usable_template(session, data.template_id)
    sla = _sla_window(basis.request, now)
    specs = await _task_specs(session, data, template, basis, sla)
    custom = await apply_custom(session, actor, CustomEntity.WORK_ORDER, data.custom, None)
    work_order = WorkOrder(
        custom=custom,
        number=await next_number(session, "work_order"),
        request_id=basis.request.id if basis.request else None,
        template_id=template.id if template else None,
        customer_id=basis.customer_id,
        site_id=basis.site_id,
        equipment_id=basis.equipment_id,
        service_type=basis.service_type,
        priority=basis.priority,
        status=WorkOrderStatus.OPEN.value,
        billable=basis.billable,
        estimated_amount=basis.estimated_amount,
        checklist=[{"item": text, "done": False} for text in (template.checklist if template else [])],
        description=basis.description,
    )
    session.add(work_order)
    await session.flush()
    added = await add_tasks(session, work_order, specs)
    if basis.request is not None:
        session.add(_created_event(basis.request, work_order, actor, now))
    await session.flush()
    # A repair soon after the unit's last one means that one did not hold (first-time fix).
    await record_return(session, actor, work_order, now)
    view = await work_order_view(session, work_order)
    await audit.record(session, actor, "work_order", work_order.id, "create", after=snapshot(view), at=now)
    text = f"created work order {work_order.number} with {len(added)} task(s)"
    await announce_plan(session, actor, TASK, [t.id for t in added], text)
    return view


async def _from_request(session: AsyncSession, actor: Principal, data: WorkOrderCreate) -> _Basis:
    for name in ("customer_id", "site_id", "equipment_id", "service_type"):
        if getattr(data, name) is not None:
            raise Invalid(
                Code.DECIDED_BY_REQUEST,
                f"{name} comes from the service request; do not send it with request_id",
                field=name,
            )
    assert data.request_id is not None
    request = await session.get(ServiceRequest, data.request_id)
    scope = await customer_scope(session, actor)
    if request is None or not scope.allows(request.customer_id):
        raise NotFound("service_request", data.request_id, field="request_id")
    if request.status in CLOSED_REQUEST:
        raise Conflict(
            Code.REQUEST_NOT_OPEN,
            f"service request {request.number} is {request.status}; it gets no more work orders",
            field="request_id",
            extra={"current_status": request.status},
        )
    return _Basis(
        customer_id=request.customer_id,
        site_id=await _request_site(session, request),
        equipment_id=request.equipment_id,
        service_type=request.service_type,
        priority=data.priority.value if data.priority else request.priority,
        billable=_billable(request),
        estimated_amount=data.estimated_amount if data.estimated_amount is not None else request.estimated_amount,
        description=data.description or request.symptom,
        request=request,
    )


async def _request_site(session: AsyncSession, request: ServiceRequest) -> UUID:
    if request.site_id is not None:
        return request.site_id
    equipment = await session.get(Equipment, request.equipment_id) if request.equipment_id else None
    if equipment is None or equipment.site_id is None:
        raise Invalid(
            Code.SITE_REQUIRED,
            f"service request {request.number} names no site and its equipment stands at none; "
            "give the request a site first",
            field="request_id",
        )
    return equipment.site_id


def _billable(request: ServiceRequest) -> bool:
    """Billable unless a warranty or contract line pays labour, parts and travel in full."""
    if request.covered_by == "none":
        return True
    return any(pct < HUNDRED for pct in (request.labour_pct, request.parts_pct, request.travel_pct))


async def _standalone(session: AsyncSession, actor: Principal, data: WorkOrderCreate, now: dt.datetime) -> _Basis:
    if actor.role not in STANDALONE_CREATORS:
        raise FieldNotAllowed("request_id", "an agent creates work orders from service requests (send request_id)")
    for name in ("customer_id", "site_id", "service_type", "priority"):
        if getattr(data, name) is None:
            raise Invalid(Code.FIELD_REQUIRED, f"{name} is required for a work order without a request", field=name)
    assert data.customer_id and data.site_id and data.service_type and data.priority
    if await session.get(Site, data.site_id) is None:
        raise NotFound("site", data.site_id, field="site_id")
    # The entitlement check also proves the customer, site and equipment belong together.
    query = EntitlementQuery(
        customer_id=data.customer_id,
        equipment_id=data.equipment_id,
        site_id=data.site_id,
        service_type=data.service_type,
        priority=data.priority,
    )
    decision = await run_entitlement_check(session, actor, query, now)
    return _Basis(
        customer_id=data.customer_id,
        site_id=data.site_id,
        equipment_id=data.equipment_id,
        service_type=data.service_type.value,
        priority=data.priority.value,
        billable=decision.billable,
        estimated_amount=data.estimated_amount,
        description=data.description,
    )


def _check_amount(value: Decimal) -> None:
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT or value != value.quantize(CENT):
        raise Invalid(
            Code.INVALID_AMOUNT,
            f"estimated_amount must be an amount from 0 to {MAX_AMOUNT} with at most 2 decimals",
            field="estimated_amount",
        )


async def _usable_template(session: AsyncSession, template_id: UUID | None) -> JobTemplate | None:
    if template_id is None:
        return None
    template = await find_template(session, template_id, field="template_id")
    if not template.active:
        raise Invalid(Code.TEMPLATE_INACTIVE, f"job template {template.code} is inactive", field="template_id")
    return template


def _sla_window(request: ServiceRequest | None, now: dt.datetime) -> dict[str, Any] | None:
    """[now, resolution due] for work on a request with a due time still ahead.

    A due time already passed gives no window (it could not be met); the breach shows on
    the request itself.
    """
    if request is None or request.resolution_due is None or request.resolution_due <= now:
        return None
    return window_json(now, request.resolution_due, WindowKind.SLA)


def window_json(start: dt.datetime, end: dt.datetime, kind: WindowKind) -> dict[str, Any]:
    return {
        "start": start.astimezone(dt.UTC).isoformat(),
        "end": end.astimezone(dt.UTC).isoformat(),
        "kind": kind.value,
    }


def windows_json(windows: Sequence[TimeWindowIn], field: str) -> list[dict[str, Any]]:
    for index, window in enumerate(windows):
        if window.end <= window.start:
            raise Invalid(Code.ENDS_BEFORE_STARTS, "a time window ends after it starts", field=f"{field}[{index}].end")
    return [window_json(w.start, w.end, w.kind) for w in sorted(windows, key=lambda w: w.start)]


async def _task_specs(
    session: AsyncSession,
    data: WorkOrderCreate,
    template: JobTemplate | None,
    basis: _Basis,
    sla: dict[str, Any] | None,
) -> list[TaskSpec]:
    if data.tasks is not None:
        await check_task_graph(session, data.tasks)
        specs = [_spec_from_input(task, index, basis.priority) for index, task in enumerate(data.tasks)]
    elif template is not None:
        specs = await _specs_from_template(session, template, basis.priority)
    else:
        specs = [
            TaskSpec(
                sequence=1,
                name=basis.service_type.capitalize(),
                duration_minutes=DEFAULT_TASK_MINUTES,
                priority=basis.priority,
            )
        ]
    if sla is not None:
        for spec in specs:
            if not any(window["kind"] == WindowKind.SLA.value for window in spec.time_windows):
                spec.time_windows.append(dict(sla))
    return specs


def _spec_from_input(task: TaskIn, index: int, priority: str) -> TaskSpec:
    return TaskSpec(
        sequence=task.sequence,
        name=task.name,
        duration_minutes=task.duration_minutes,
        priority=task.priority.value if task.priority else priority,
        required_skills=skills_json(task.required_skills),
        time_windows=windows_json(task.time_windows, f"tasks[{index}].time_windows"),
        crew_size=task.crew_size,
        pinned=task.pinned,
        depends_on=sorted(set(task.depends_on)),
        parts=parts_json(task.parts),
    )


async def _specs_from_template(session: AsyncSession, template: JobTemplate, priority: str) -> list[TaskSpec]:
    rows = await template_tasks(session, template.id)
    # Products named by a template may have been deleted since it was written.
    wanted = {UUID(str(part["product_id"])) for row in rows for part in row.parts}
    known = set((await session.scalars(select(Product.id).where(Product.id.in_(wanted)))).all()) if wanted else set()
    if missing := sorted(wanted - known):
        raise NotFound("product", missing[0], field="template_id")
    return [
        TaskSpec(
            sequence=row.sequence,
            name=row.name,
            duration_minutes=row.duration_minutes,
            priority=priority,
            required_skills=[dict(skill) for skill in row.required_skills],
            crew_size=row.crew_size,
            depends_on=list(row.depends_on),
            parts=[dict(part) for part in row.parts],
        )
        for row in rows
    ]


async def add_tasks(session: AsyncSession, work_order: WorkOrder, specs: Sequence[TaskSpec]) -> list[Task]:
    """Insert the tasks with their dependencies (by sequence) and parts."""
    tasks = [
        Task(
            work_order_id=work_order.id,
            sequence=spec.sequence,
            name=spec.name,
            site_id=work_order.site_id,
            duration_minutes=spec.duration_minutes,
            required_skills=spec.required_skills,
            time_windows=spec.time_windows,
            priority=spec.priority,
            crew_size=spec.crew_size,
            pinned=spec.pinned,
            status=TaskStatus.OPEN.value,
        )
        for spec in specs
    ]
    session.add_all(tasks)
    await session.flush()
    by_sequence = {task.sequence: task for task in tasks}
    for spec, task in zip(specs, tasks, strict=True):
        session.add_all(TaskDependency(task_id=task.id, depends_on_id=by_sequence[s].id) for s in spec.depends_on)
        session.add_all(
            TaskPart(task_id=task.id, product_id=UUID(str(part["product_id"])), quantity=Decimal(str(part["quantity"])))
            for part in spec.parts
        )
    return tasks


def _created_event(
    request: ServiceRequest, work_order: WorkOrder, actor: Principal, now: dt.datetime
) -> ServiceRequestEvent:
    return ServiceRequestEvent(
        request_id=request.id,
        at=now,
        kind="work_order_created",
        actor_name=actor.username,
        from_status=None,
        to_status=None,
        detail={"work_order_id": str(work_order.id), "number": work_order.number},
    )


# --- changing --------------------------------------------------------------------------------


async def update_work_order(
    session: AsyncSession, actor: Principal, work_order_id: UUID, data: WorkOrderUpdate
) -> WorkOrderView:
    work_order = await find_work_order(session, actor, work_order_id, lock=True)
    check_version("work_order", work_order, data.version)
    if WorkOrderStatus(work_order.status) in FINISHED:
        raise Conflict(
            Code.WORK_ORDER_CLOSED,
            f"work order {work_order.number} is {work_order.status} and no longer changes",
            extra={"current_status": work_order.status},
        )
    changes = sent_fields(data)
    if "priority" in changes:
        changes["priority"] = changes["priority"].value
    if "checklist" in changes:
        changes["checklist"] = [{"item": c.item, "done": c.done} for c in changes["checklist"]]
    if "custom" in changes:
        changes["custom"] = await apply_custom(
            session, actor, CustomEntity.WORK_ORDER, changes["custom"], work_order.custom
        )
    before = audit.snapshot(work_order)
    apply(work_order, changes)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(work_order))
    await audit.record(session, actor, "work_order", work_order.id, "update", before=old, after=new)
    return await work_order_view(session, work_order)


async def transition_work_order(
    session: AsyncSession,
    actor: Principal,
    work_order_id: UUID,
    data: WorkOrderTransition,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> WorkOrderView:
    work_order = await find_work_order(session, actor, work_order_id, lock=True)
    if data.version is not None:
        check_version("work_order", work_order, data.version)
    current, target = WorkOrderStatus(work_order.status), data.status
    if target not in WORK_ORDER_TRANSITIONS[current]:
        raise IllegalTransition("work_order", current.value, target.value)
    tasks = await tasks_of(session, work_order.id, lock=True)
    now = clock.now()
    before = audit.snapshot(work_order)
    credit: dict[str, Any] | None = None
    if target is WorkOrderStatus.SCHEDULED:
        await _check_planned(session, work_order, tasks)
        gate = await pass_credit_gate(session, actor, work_order, clock=clock)
        credit = {"checked": gate.checked, "outcome": gate.outcome, "override_id": gate.override_id}
        if gate.override_id is not None:
            work_order.credit_override_id = gate.override_id
    work_order.status = target.value
    if target is WorkOrderStatus.ON_HOLD:
        work_order.status_before_hold = current.value
    elif current is WorkOrderStatus.ON_HOLD:
        work_order.status_before_hold = None
    if target is WorkOrderStatus.COMPLETED:
        work_order.completed_at = now
    _tasks_follow(tasks, target)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(work_order))
    details = {"reason": data.reason} | ({"credit": credit} if credit else {})
    await audit.record(
        session, actor, "work_order", work_order.id, "transition", before=old, after=new | details, at=now
    )
    if target in TASKS_FOLLOW:  # its tasks changed status with it
        text = f"set work order {work_order.number} to {target.value.replace('_', ' ')}"
        await announce_plan(session, actor, STATUS, [t.id for t in tasks], text)
    return await work_order_view(session, work_order)


async def _check_planned(session: AsyncSession, work_order: WorkOrder, tasks: list[Task]) -> None:
    live = [task for task in tasks if task.status != TaskStatus.CANCELLED.value]
    if not live:
        raise Conflict(Code.NO_TASKS, f"work order {work_order.number} has no task to schedule")
    views = await task_views(session, live)
    unplanned: list[dict[str, Any]] = []
    for view in views:
        missing: list[str] = []
        if view.task.planned_start is None:
            missing.append("planned_start")
        if len(view.assignments) != view.task.crew_size:
            missing.append(f"assignment of {view.task.crew_size} engineer(s), has {len(view.assignments)}")
        if missing:
            unplanned.append(
                {
                    "task_id": str(view.task.id),
                    "sequence": view.task.sequence,
                    "name": view.task.name,
                    "missing": missing,
                }
            )
    if unplanned:
        listed = ", ".join(f"{t['sequence']} ({'; '.join(t['missing'])})" for t in unplanned)
        raise Conflict(
            Code.TASKS_UNPLANNED,
            f"work order {work_order.number} cannot be scheduled: tasks not planned: {listed}",
            field="status",
            extra={"tasks": unplanned},
        )


def _tasks_follow(tasks: list[Task], target: WorkOrderStatus) -> None:
    status = TASKS_FOLLOW.get(target)
    if status is None:
        return
    for task in tasks:
        if task.status not in TASK_DONE and task.status != status.value:
            task.status = status.value


def snapshot(view: WorkOrderView) -> dict[str, Any]:
    """The work order with its tasks, for the audit log."""
    skip = frozenset({"work_order_id", "created_at", "updated_at"})
    tasks = [
        audit.snapshot(t.task, skip)
        | {
            "depends_on": [str(i) for i in t.depends_on],
            "parts": [{"product_id": str(p.product_id), "quantity": str(p.quantity)} for p in t.parts],
            "engineer_ids": [str(a.engineer_id) for a in t.assignments],
        }
        for t in view.tasks
    ]
    return audit.snapshot(view.work_order) | {"tasks": tasks}
