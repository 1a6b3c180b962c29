"""Response shapes for work orders and their tasks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from api.schemas.job_templates import SkillRequirementOut, skills_out
from masterdata.custom_fields.records import CustomView
from service_mgmt.models import WorkOrder
from service_mgmt.services.work_orders import TaskView, WorkOrderView


class TimeWindowOut(msgspec.Struct, kw_only=True):
    start: dt.datetime
    end: dt.datetime
    kind: str


class TaskPartOut(msgspec.Struct, kw_only=True):
    id: UUID
    product_id: UUID
    quantity: Decimal


class AssignmentOut(msgspec.Struct, kw_only=True):
    engineer_id: UUID
    lead: bool


class TaskOut(msgspec.Struct, kw_only=True):
    id: UUID
    work_order_id: UUID
    sequence: int
    name: str
    site_id: UUID
    status: str
    duration_minutes: int
    required_skills: list[SkillRequirementOut]
    time_windows: list[TimeWindowOut]
    priority: str
    crew_size: int
    pinned: bool
    planned_start: dt.datetime | None
    planned_end: dt.datetime | None
    depends_on: list[UUID]
    parts: list[TaskPartOut]
    assignments: list[AssignmentOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ChecklistItemOut(msgspec.Struct, kw_only=True):
    item: str
    done: bool


class WorkOrderOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    request_id: UUID | None
    template_id: UUID | None
    customer_id: UUID
    site_id: UUID
    equipment_id: UUID | None
    service_type: str
    priority: str
    status: str
    status_before_hold: str | None
    billable: bool
    estimated_amount: Decimal | None
    credit_override_id: UUID | None
    checklist: list[ChecklistItemOut]
    description: str | None
    completed_at: dt.datetime | None
    # one visit per task; turns false when the unit needs repair again within 30 days
    first_time_fix: bool | None
    custom: dict[str, Any] = msgspec.field(default_factory=dict)
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class WorkOrderDetailOut(WorkOrderOut, kw_only=True):
    tasks: list[TaskOut]


def _window_out(window: dict[str, Any]) -> TimeWindowOut:
    return TimeWindowOut(
        start=dt.datetime.fromisoformat(str(window["start"])),
        end=dt.datetime.fromisoformat(str(window["end"])),
        kind=str(window["kind"]),
    )


def task_out(view: TaskView) -> TaskOut:
    task = view.task
    return TaskOut(
        id=task.id,
        work_order_id=task.work_order_id,
        sequence=task.sequence,
        name=task.name,
        site_id=task.site_id,
        status=task.status,
        duration_minutes=task.duration_minutes,
        required_skills=skills_out(task.required_skills),
        time_windows=[_window_out(w) for w in task.time_windows],
        priority=task.priority,
        crew_size=task.crew_size,
        pinned=task.pinned,
        planned_start=task.planned_start,
        planned_end=task.planned_end,
        depends_on=list(view.depends_on),
        parts=[TaskPartOut(id=p.id, product_id=p.product_id, quantity=p.quantity) for p in view.parts],
        assignments=[AssignmentOut(engineer_id=a.engineer_id, lead=a.lead) for a in view.assignments],
        version=task.version,
        created_at=task.created_at,
        updated_at=task.updated_at,
    )


def _fields(work_order: WorkOrder, custom: CustomView | None = None) -> dict[str, Any]:
    return {
        "custom": custom.read(work_order.custom) if custom is not None else {},
        "id": work_order.id,
        "number": work_order.number,
        "request_id": work_order.request_id,
        "template_id": work_order.template_id,
        "customer_id": work_order.customer_id,
        "site_id": work_order.site_id,
        "equipment_id": work_order.equipment_id,
        "service_type": work_order.service_type,
        "priority": work_order.priority,
        "status": work_order.status,
        "status_before_hold": work_order.status_before_hold,
        "billable": work_order.billable,
        "estimated_amount": work_order.estimated_amount,
        "credit_override_id": work_order.credit_override_id,
        "checklist": [ChecklistItemOut(item=str(c["item"]), done=bool(c["done"])) for c in work_order.checklist],
        "description": work_order.description,
        "completed_at": work_order.completed_at,
        "first_time_fix": work_order.first_time_fix,
        "version": work_order.version,
        "created_at": work_order.created_at,
        "updated_at": work_order.updated_at,
    }


def work_order_out(work_order: WorkOrder, custom: CustomView | None = None) -> WorkOrderOut:
    """`custom`: the custom fields the reader may see (none given: no custom values shown)."""
    return WorkOrderOut(**_fields(work_order, custom))


def work_order_detail_out(view: WorkOrderView, custom: CustomView | None = None) -> WorkOrderDetailOut:
    return WorkOrderDetailOut(**_fields(view.work_order, custom), tasks=[task_out(t) for t in view.tasks])
