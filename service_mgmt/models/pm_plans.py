"""Preventive maintenance plans and the calls (work orders) they generated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity, VersionedEntity, sql_in
from service_mgmt.choices import PmTrigger


class PmPlan(VersionedEntity):
    """Every `interval_months` and/or every `interval_units` of a counter, whichever comes first.

    A plan is for one unit (`equipment_id`) or for every unit a contract line covers
    (`contract_line_id`); calls are generated `call_horizon_days` ahead of the due date."""

    __tablename__ = "pm_plans"
    __table_args__ = (
        UniqueConstraint("number", name="uq_pm_plans_number"),
        CheckConstraint("(equipment_id IS NULL) <> (contract_line_id IS NULL)", name="one_object"),
        CheckConstraint("interval_months IS NOT NULL OR interval_units IS NOT NULL", name="has_an_interval"),
        CheckConstraint("interval_months IS NULL OR interval_months > 0", name="months_positive"),
        CheckConstraint("interval_units IS NULL OR interval_units > 0", name="units_positive"),
        CheckConstraint("call_horizon_days >= 0", name="horizon_not_negative"),
    )

    number: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    equipment_id: Mapped[UUID | None] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"), index=True)
    contract_line_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("contract_lines.id", ondelete="RESTRICT"), index=True
    )
    template_id: Mapped[UUID] = mapped_column(ForeignKey("job_templates.id", ondelete="RESTRICT"))
    interval_months: Mapped[int | None] = mapped_column(Integer)
    interval_units: Mapped[Decimal | None] = mapped_column(Numeric(18, 3))
    counter_name: Mapped[str | None] = mapped_column(String(80))  # which counter of each unit
    call_horizon_days: Mapped[int] = mapped_column(Integer, default=14)
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date | None]
    priority: Mapped[str] = mapped_column(String(2), default="P4")
    active: Mapped[bool] = mapped_column(default=True)


class PmCall(Entity):
    """One generated maintenance call; the unique constraint makes a due date generate once."""

    __tablename__ = "pm_calls"
    __table_args__ = (
        UniqueConstraint("plan_id", "equipment_id", "due_on", name="uq_pm_calls_plan_equipment_due"),
        CheckConstraint(f"trigger IN {sql_in(PmTrigger)}", name="trigger_valid"),
        Index("ix_pm_calls_equipment_due", "equipment_id", "due_on"),
    )

    plan_id: Mapped[UUID] = mapped_column(ForeignKey("pm_plans.id", ondelete="RESTRICT"))
    equipment_id: Mapped[UUID] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"))
    due_on: Mapped[dt.date]
    trigger: Mapped[str] = mapped_column(String(8))
    counter_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 3))  # the threshold crossed
    work_order_id: Mapped[UUID | None] = mapped_column(ForeignKey("work_orders.id", ondelete="RESTRICT"))
