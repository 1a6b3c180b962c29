"""A technician's status steps on a task (en route, on site), and the work order following them.

Each step is a `TaskStatusEvent` with the device time (`at`, when it happened on the phone,
which may be hours before the sync) and moves the task along `TECHNICIAN_TASK_STEPS`. The
work order follows its most advanced task: the first task en route takes it to en_route, the
first on site to on_site, each step checked against `WORK_ORDER_TRANSITIONS` (a dispatched
step is passed through when the planner had only scheduled it). It never moves back: a second
task setting off while another is on site leaves the work order on site.

The first technician on site is the response to the call: a linked request still new or
triaged goes to in_progress through `request_lifecycle.transition`, with `responded_at` at the
device time of arrival (the phone may have been offline; the SLA counts the arrival).

Steps are refused while the work order is on hold, cancelled or finished (409 with its status).
Lock order: work order → task.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock, FixedClock
from core.errors import Conflict, IllegalTransition, Invalid
from core.fields import Latitude, Longitude, ShortText
from service_mgmt.choices import (
    TECHNICIAN_TASK_STEPS,
    WORK_ORDER_TRANSITIONS,
    RequestStatus,
    TaskStatus,
    TechnicianStep,
    WorkOrderStatus,
)
from service_mgmt.errors import Code
from service_mgmt.models import ServiceRequest, Task, TaskStatusEvent, WorkOrder
from service_mgmt.plan_announcements import announce_status
from service_mgmt.services import request_lifecycle
from service_mgmt.services.technician_jobs import engineer_of, lock_my_task
from service_mgmt.services.work_orders import AwareDateTime

# Phone clocks run a little ahead of the server's.
FUTURE_TOLERANCE = dt.timedelta(minutes=1)
# The part of the work order's life the field drives, in order.
FIELD_PATH = (
    WorkOrderStatus.SCHEDULED,
    WorkOrderStatus.DISPATCHED,
    WorkOrderStatus.EN_ROUTE,
    WorkOrderStatus.ON_SITE,
    WorkOrderStatus.COMPLETED,
)
WORK_ORDER_FOLLOWS = {
    TaskStatus.EN_ROUTE: WorkOrderStatus.EN_ROUTE,
    TaskStatus.ON_SITE: WorkOrderStatus.ON_SITE,
}
NOT_RESPONDED = frozenset({RequestStatus.NEW.value, RequestStatus.TRIAGED.value})
COORDINATE_SCALE = Decimal("0.000001")


class StatusReport(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: TechnicianStep
    at: AwareDateTime  # device time of the step
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    note: ShortText | None = None


@dataclass(frozen=True, slots=True)
class StatusResult:
    task: Task
    work_order: WorkOrder
    event: TaskStatusEvent
    request: ServiceRequest | None


def device_time(at: dt.datetime, now: dt.datetime, field: str) -> dt.datetime:
    """A time the phone reports, in UTC; not in the future beyond the clock tolerance."""
    at = at.astimezone(dt.UTC)
    if at > now + FUTURE_TOLERANCE:
        raise Invalid(Code.TIME_IN_FUTURE, f"{field} {at.isoformat()} is in the future", field=field)
    return at


def check_active(work_order: WorkOrder) -> None:
    """The field works on a work order only between scheduling and completion."""
    if WorkOrderStatus(work_order.status) not in FIELD_PATH[:-1]:
        raise Conflict(
            Code.WORK_ORDER_NOT_ACTIVE,
            f"work order {work_order.number} is {work_order.status}; ask your planner before going on",
            extra={"current_status": work_order.status},
        )


def check_step(task: Task, target: TaskStatus) -> None:
    current = TaskStatus(task.status)
    if target not in TECHNICIAN_TASK_STEPS.get(current, frozenset()):
        raise IllegalTransition("task", current.value, target.value)


async def advance_work_order(
    session: AsyncSession,
    actor: Principal,
    work_order: WorkOrder,
    target: WorkOrderStatus,
    *,
    at: dt.datetime,
    now: dt.datetime,
    reason: str,
) -> None:
    """Move the (locked) work order forward to `target` through legal steps; never back."""
    current = WorkOrderStatus(work_order.status)
    if current not in FIELD_PATH:
        raise IllegalTransition("work_order", current.value, target.value)
    steps = FIELD_PATH[FIELD_PATH.index(current) + 1 : FIELD_PATH.index(target) + 1]
    if not steps:
        return
    before = audit.snapshot(work_order)
    for step in steps:
        if step not in WORK_ORDER_TRANSITIONS[WorkOrderStatus(work_order.status)]:
            raise IllegalTransition("work_order", work_order.status, step.value)
        work_order.status = step.value
    if target is WorkOrderStatus.COMPLETED:
        work_order.completed_at = at
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(work_order))
    await audit.record(
        session, actor, "work_order", work_order.id, "transition", before=old, after=new | {"reason": reason}, at=now
    )


async def report_status(
    session: AsyncSession, actor: Principal, task_id: UUID, data: StatusReport, *, clock: Clock = SYSTEM_CLOCK
) -> StatusResult:
    engineer_id = engineer_of(actor)
    now = clock.now()
    at = device_time(data.at, now, "at")
    if (data.latitude is None) != (data.longitude is None):
        missing = "longitude" if data.longitude is None else "latitude"
        raise Invalid(Code.COORDINATES_INCOMPLETE, "send latitude and longitude together", field=missing)
    work_order, task = await lock_my_task(session, actor, task_id)
    check_active(work_order)
    target = TaskStatus(data.status.value)
    check_step(task, target)

    before = task.status
    task.status = target.value
    event = TaskStatusEvent(
        task_id=task.id,
        engineer_id=engineer_id,
        status=target.value,
        at=at,
        latitude=_coordinate(data.latitude),
        longitude=_coordinate(data.longitude),
        note=data.note,
    )
    session.add(event)
    await session.flush()
    await audit.record(
        session, actor, "task", task.id, "status", before={"status": before}, after={"status": task.status}, at=now
    )
    reason = f"task {task.sequence} {target.value} ({actor.username})"
    await advance_work_order(session, actor, work_order, WORK_ORDER_FOLLOWS[target], at=at, now=now, reason=reason)
    request = await _responded(session, actor, work_order, target, min(at, now), reason)
    await announce_status(session, actor, [task.id], target.value)
    return StatusResult(task=task, work_order=work_order, event=event, request=request)


def _coordinate(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(COORDINATE_SCALE)


async def _responded(
    session: AsyncSession, actor: Principal, work_order: WorkOrder, target: TaskStatus, at: dt.datetime, reason: str
) -> ServiceRequest | None:
    """The first technician on site is the response: the request goes to in_progress."""
    if work_order.request_id is None:
        return None
    request = await session.get(ServiceRequest, work_order.request_id)
    if request is None or target is not TaskStatus.ON_SITE or request.status not in NOT_RESPONDED:
        return request
    change = request_lifecycle.Transition(status=RequestStatus.IN_PROGRESS, notes=f"on site: {reason}")
    return await request_lifecycle.transition(session, actor, request.id, change, clock=FixedClock(at))


async def on_site_visits(session: AsyncSession, task_ids: list[UUID]) -> dict[UUID, int]:
    """How many times each task was reported on site (a return to the site is a second visit)."""
    if not task_ids:
        return {}
    rows = await session.execute(
        select(TaskStatusEvent.task_id, func.count())
        .where(TaskStatusEvent.task_id.in_(task_ids), TaskStatusEvent.status == TaskStatus.ON_SITE.value)
        .group_by(TaskStatusEvent.task_id)
    )
    counts = {task_id: 0 for task_id in task_ids}
    counts.update({task_id: int(count) for task_id, count in rows})
    return counts
