"""A technician's jobs: the tasks assigned to their engineer, and everything needed on site.

A technician user is bound to an engineer (`principal.engineer_id`) and sees only tasks with a
`TaskAssignment` for that engineer; any other task answers 404, as if it did not exist.

The day list is by planned start in UTC days (default: today and the next 7 days); tasks the
engineer is travelling to or working on (en route, on site) are always listed, whatever their
planned start, so a job that runs late never drops off the phone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal
from core.errors import Forbidden, Invalid, NotFound
from core.listing import PageRequest
from masterdata.models import Contact, Customer, Engineer, Equipment, EquipmentEvent, Product, Site
from masterdata.services.counters import CounterWithLatest, list_counters
from masterdata.services.equipment import list_history
from service_mgmt.choices import TaskStatus
from service_mgmt.errors import Code
from service_mgmt.models import Confirmation, ServiceRequest, Task, TaskAssignment, TaskPart, TaskStatusEvent, WorkOrder
from service_mgmt.services.work_orders import TaskView, task_views

DEFAULT_DAYS = 7  # after today
MAX_DAYS = 31
HISTORY_EVENTS = 10  # the unit's most recent history shown on site
IN_THE_FIELD = (TaskStatus.EN_ROUTE.value, TaskStatus.ON_SITE.value)


# --- who and which task ----------------------------------------------------------------------


def engineer_of(principal: Principal) -> UUID:
    """The engineer a technician works as; a technician user not linked to one has no jobs."""
    if principal.engineer_id is None:
        raise Forbidden(Code.NO_ENGINEER, "your user is not linked to an engineer; ask an admin to link it")
    return principal.engineer_id


async def find_my_task(session: AsyncSession, principal: Principal, task_id: UUID) -> Task:
    """The task if it is assigned to the principal's engineer; 404 otherwise."""
    engineer_id = engineer_of(principal)
    task = await session.scalar(
        select(Task)
        .join(TaskAssignment, TaskAssignment.task_id == Task.id)
        .where(Task.id == task_id, TaskAssignment.engineer_id == engineer_id)
    )
    if task is None:
        raise NotFound("task", task_id)
    return task


async def lock_my_task(session: AsyncSession, principal: Principal, task_id: UUID) -> tuple[WorkOrder, Task]:
    """The work order and the task, both locked in the house order (work order → task)."""
    task = await find_my_task(session, principal, task_id)
    work_order = await session.get(WorkOrder, task.work_order_id, with_for_update=True, populate_existing=True)
    locked = await session.get(Task, task.id, with_for_update=True, populate_existing=True)
    if work_order is None or locked is None:  # deleted in between
        raise NotFound("task", task_id)
    return work_order, locked


# --- the day list ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobSummary:
    task: Task
    work_order: WorkOrder
    customer: Customer
    site: Site
    equipment: Equipment | None


def period(first_day: str | None, last_day: str | None, today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first 00:00 UTC, the day after last 00:00 UTC); default today and the next 7 days.

    The days come as the query strings `from` and `to`, parsed here so an error names them."""
    first = _day(first_day, "from") or today
    last = _day(last_day, "to") or first + dt.timedelta(days=DEFAULT_DAYS)
    if last < first:
        raise Invalid(Code.ENDS_BEFORE_STARTS, "'to' is before 'from'", field="to")
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid(Code.DATE_RANGE_TOO_LONG, f"ask for at most {MAX_DAYS} days at a time", field="to")
    start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return start, end


def _day(value: str | None, field: str) -> dt.date | None:
    if value is None:
        return None
    try:
        if len(value) != 10:  # fromisoformat would also take "20300101"
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid("validation_failed", f"{field}: {value!r} is not a date YYYY-MM-DD", field=field) from None


async def list_my_tasks(
    session: AsyncSession, principal: Principal, first: str | None, last: str | None, *, now: dt.datetime
) -> list[JobSummary]:
    engineer_id = engineer_of(principal)
    start, end = period(first, last, now.astimezone(dt.UTC).date())
    planned_inside = and_(
        Task.planned_start >= start, Task.planned_start < end, Task.status != TaskStatus.CANCELLED.value
    )
    rows = await session.execute(
        select(Task, WorkOrder, Customer, Site, Equipment)
        .join(TaskAssignment, TaskAssignment.task_id == Task.id)
        .join(WorkOrder, WorkOrder.id == Task.work_order_id)
        .join(Customer, Customer.id == WorkOrder.customer_id)
        .join(Site, Site.id == Task.site_id)
        .outerjoin(Equipment, Equipment.id == WorkOrder.equipment_id)
        .where(TaskAssignment.engineer_id == engineer_id, or_(planned_inside, Task.status.in_(IN_THE_FIELD)))
        .order_by(Task.planned_start.is_(None), Task.planned_start, Task.id)
    )
    return [JobSummary(task, work_order, customer, site, unit) for task, work_order, customer, site, unit in rows]


# --- one job, with everything needed on site -------------------------------------------------


@dataclass(frozen=True, slots=True)
class CrewMember:
    engineer_id: UUID
    number: str
    name: str
    lead: bool


@dataclass(frozen=True, slots=True)
class PlannedPart:
    part: TaskPart
    product: Product


@dataclass(frozen=True, slots=True)
class Coverage:
    """What the request's entitlement snapshot said when the call was logged."""

    covered_by: str
    label: str | None
    why: str | None
    labour_pct: Decimal
    parts_pct: Decimal
    travel_pct: Decimal
    response_due: dt.datetime | None
    resolution_due: dt.datetime | None


@dataclass(frozen=True, slots=True)
class UnitOnSite:
    equipment: Equipment
    product: Product
    history: list[EquipmentEvent]
    counters: list[CounterWithLatest]
    components: list[tuple[Equipment, Product]]


@dataclass(frozen=True, slots=True)
class JobBundle:
    task: TaskView
    crew: list[CrewMember]
    status_events: list[TaskStatusEvent]
    confirmation_id: UUID | None
    work_order: WorkOrder
    customer: Customer
    site: Site
    contact: Contact | None
    request: ServiceRequest | None
    coverage: Coverage | None
    equipment: UnitOnSite | None
    planned_parts: list[PlannedPart]


async def job_bundle(session: AsyncSession, principal: Principal, task_id: UUID) -> JobBundle:
    task = await find_my_task(session, principal, task_id)
    (view,) = await task_views(session, [task])
    work_order = await session.get(WorkOrder, task.work_order_id)
    assert work_order is not None  # a foreign key
    customer = await session.get(Customer, work_order.customer_id)
    site = await session.get(Site, task.site_id)
    assert customer is not None and site is not None
    request = await session.get(ServiceRequest, work_order.request_id) if work_order.request_id else None
    events = await session.scalars(
        select(TaskStatusEvent).where(TaskStatusEvent.task_id == task.id).order_by(TaskStatusEvent.at)
    )
    return JobBundle(
        task=view,
        crew=await _crew(session, view),
        status_events=list(events.all()),
        confirmation_id=await session.scalar(select(Confirmation.id).where(Confirmation.task_id == task.id)),
        work_order=work_order,
        customer=customer,
        site=site,
        contact=await _contact(session, work_order, request),
        request=request,
        coverage=_coverage(request) if request is not None else None,
        equipment=await _unit(session, principal, work_order.equipment_id) if work_order.equipment_id else None,
        planned_parts=await _planned_parts(session, view.parts),
    )


async def _crew(session: AsyncSession, view: TaskView) -> list[CrewMember]:
    ids = [a.engineer_id for a in view.assignments]
    engineers = {e.id: e for e in (await session.scalars(select(Engineer).where(Engineer.id.in_(ids)))).all()}
    return [
        CrewMember(a.engineer_id, engineers[a.engineer_id].number, engineers[a.engineer_id].name, a.lead)
        for a in view.assignments
        if a.engineer_id in engineers
    ]


async def _contact(session: AsyncSession, work_order: WorkOrder, request: ServiceRequest | None) -> Contact | None:
    """Who called about it, else the customer's primary contact."""
    if request is not None and request.contact_id is not None:
        return await session.get(Contact, request.contact_id)
    primary: Contact | None = await session.scalar(
        select(Contact)
        .where(Contact.customer_id == work_order.customer_id, Contact.is_primary.is_(True))
        .order_by(Contact.id)
        .limit(1)
    )
    return primary


def _coverage(request: ServiceRequest) -> Coverage:
    snapshot: dict[str, Any] = request.entitlement or {}
    winner = snapshot.get("winner") or {}
    return Coverage(
        covered_by=request.covered_by,
        label=winner.get("label"),
        why=snapshot.get("why"),
        labour_pct=request.labour_pct,
        parts_pct=request.parts_pct,
        travel_pct=request.travel_pct,
        response_due=request.response_due,
        resolution_due=request.resolution_due,
    )


async def _unit(session: AsyncSession, principal: Principal, equipment_id: UUID) -> UnitOnSite:
    unit = await session.get(Equipment, equipment_id)
    assert unit is not None  # a foreign key
    history = await list_history(session, principal, equipment_id, PageRequest(limit=HISTORY_EVENTS))
    components = (
        await session.execute(
            select(Equipment, Product)
            .join(Product, Product.id == Equipment.product_id)
            .where(Equipment.parent_id == equipment_id)
            .order_by(Equipment.position, Equipment.serial_number)
        )
    ).all()
    product = await session.get(Product, unit.product_id)
    assert product is not None
    return UnitOnSite(
        equipment=unit,
        product=product,
        history=list(history.items),
        counters=await list_counters(session, principal, equipment_id),
        components=[(component, part) for component, part in components],
    )


async def _planned_parts(session: AsyncSession, parts: list[TaskPart]) -> list[PlannedPart]:
    ids = {p.product_id for p in parts}
    products = {p.id: p for p in (await session.scalars(select(Product).where(Product.id.in_(ids)))).all()}
    return [PlannedPart(part, products[part.product_id]) for part in parts if part.product_id in products]
