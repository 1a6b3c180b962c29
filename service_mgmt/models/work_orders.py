"""Job templates, work orders and their tasks (the units a planner schedules)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity, VersionedEntity, sql_in
from masterdata.models.custom_fields import custom_column, custom_index
from service_mgmt.choices import TaskStatus, WorkOrderStatus


class JobTemplate(VersionedEntity):
    """An incident type: the tasks, skills, parts and checklist a kind of job usually needs."""

    __tablename__ = "job_templates"
    __table_args__ = (UniqueConstraint("code", name="uq_job_templates_code"),)

    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    service_type: Mapped[str] = mapped_column(String(16))
    product_family: Mapped[str | None] = mapped_column(String(80))
    checklist: Mapped[list[str]] = mapped_column(JsonB, default=list)
    active: Mapped[bool] = mapped_column(default=True)


class JobTemplateTask(Entity):
    __tablename__ = "job_template_tasks"
    __table_args__ = (
        UniqueConstraint("template_id", "sequence", name="uq_job_template_tasks_template_sequence"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("crew_size BETWEEN 1 AND 10", name="crew_size_range"),
    )

    template_id: Mapped[UUID] = mapped_column(ForeignKey("job_templates.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    # [{"skill": "printer", "level": 3}, ...]
    required_skills: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    crew_size: Mapped[int] = mapped_column(SmallInteger, default=1)
    # sequences of tasks of the same template that must end before this one starts
    depends_on: Mapped[list[int]] = mapped_column(JsonB, default=list)
    # [{"product_id": "...", "quantity": "1"}, ...]
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)


class WorkOrder(VersionedEntity):
    __tablename__ = "work_orders"
    __table_args__ = (
        UniqueConstraint("number", name="uq_work_orders_number"),
        CheckConstraint(f"status IN {sql_in(WorkOrderStatus)}", name="status_valid"),
        CheckConstraint("priority IN ('P1', 'P2', 'P3', 'P4')", name="priority_valid"),
        Index("ix_work_orders_customer_status", "customer_id", "status"),
        custom_index("work_orders"),
    )

    number: Mapped[str] = mapped_column(String(20))
    request_id: Mapped[UUID | None] = mapped_column(ForeignKey("service_requests.id", ondelete="RESTRICT"), index=True)
    template_id: Mapped[UUID | None] = mapped_column(ForeignKey("job_templates.id", ondelete="RESTRICT"))
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    site_id: Mapped[UUID] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"))
    equipment_id: Mapped[UUID | None] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"), index=True)
    service_type: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), default=WorkOrderStatus.OPEN.value)
    status_before_hold: Mapped[str | None] = mapped_column(String(16))
    billable: Mapped[bool] = mapped_column(default=False)
    estimated_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    credit_override_id: Mapped[UUID | None] = mapped_column(ForeignKey("credit_overrides.id", ondelete="RESTRICT"))
    checklist: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[dt.datetime | None]
    first_time_fix: Mapped[bool | None]
    custom: Mapped[dict[str, Any]] = custom_column()


class Task(VersionedEntity):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("work_order_id", "sequence", name="uq_tasks_work_order_sequence"),
        CheckConstraint(f"status IN {sql_in(TaskStatus)}", name="status_valid"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("crew_size BETWEEN 1 AND 10", name="crew_size_range"),
        CheckConstraint("planned_end IS NULL OR planned_end > planned_start", name="planned_end_after_start"),
        Index("ix_tasks_planned_start", "planned_start"),
        Index("ix_tasks_status", "status"),
    )

    work_order_id: Mapped[UUID] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(200))
    site_id: Mapped[UUID] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    required_skills: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    # [{"start": iso, "end": iso, "kind": "appointment" | "sla"}, ...] in UTC
    time_windows: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    priority: Mapped[str] = mapped_column(String(2))
    crew_size: Mapped[int] = mapped_column(SmallInteger, default=1)
    pinned: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.OPEN.value)
    # Who does it: TaskAssignment rows (one per engineer; a crew task has several).
    planned_start: Mapped[dt.datetime | None]
    planned_end: Mapped[dt.datetime | None]


class TaskDependency(Entity):
    """`task_id` starts only after `depends_on_id` has ended."""

    __tablename__ = "task_dependencies"
    __table_args__ = (
        UniqueConstraint("task_id", "depends_on_id", name="uq_task_dependencies_pair"),
        CheckConstraint("task_id <> depends_on_id", name="not_self"),
    )

    task_id: Mapped[UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    depends_on_id: Mapped[UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)


class TaskPart(Entity):
    """A part planned for a task (reservations come with inventory)."""

    __tablename__ = "task_parts"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    task_id: Mapped[UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[UUID] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))


class TaskAssignment(Entity):
    """Engineers on a task; a crew task has several, all at the same time."""

    __tablename__ = "task_assignments"
    __table_args__ = (UniqueConstraint("task_id", "engineer_id", name="uq_task_assignments_task_engineer"),)

    task_id: Mapped[UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    engineer_id: Mapped[UUID] = mapped_column(ForeignKey("engineers.id", ondelete="RESTRICT"), index=True)
    lead: Mapped[bool] = mapped_column(default=False)
