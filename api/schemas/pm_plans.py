"""Response shapes for preventive maintenance plans, their calls, forecasts and generation runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

import msgspec

from service_mgmt.models import PmCall, PmPlan
from service_mgmt.services.pm_calls import DueCall, Forecast, GenerationReport, Skipped


class PmPlanOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    name: str
    equipment_id: UUID | None
    contract_line_id: UUID | None
    template_id: UUID
    interval_months: int | None
    interval_units: Decimal | None
    counter_name: str | None
    call_horizon_days: int
    starts_on: dt.date
    ends_on: dt.date | None
    priority: str
    active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class PmCallOut(msgspec.Struct, kw_only=True):
    id: UUID
    plan_id: UUID
    equipment_id: UUID
    due_on: dt.date
    trigger: str
    counter_value: Decimal | None
    work_order_id: UUID | None
    created_at: dt.datetime


class MadeCallOut(PmCallOut, kw_only=True):
    plan_number: str
    work_order_number: str


class SkippedOut(msgspec.Struct, kw_only=True):
    plan_id: UUID
    plan_number: str
    equipment_id: UUID
    due_on: dt.date | None
    reason: str
    detail: str


class GenerationOut(msgspec.Struct, kw_only=True):
    today: dt.date
    created: list[MadeCallOut]
    skipped: list[SkippedOut]


class EquipmentDueOut(msgspec.Struct, kw_only=True):
    equipment_id: UUID
    serial_number: str
    due_on: dt.date
    trigger: str


class CounterOutlookOut(msgspec.Struct, kw_only=True):
    equipment_id: UUID
    counter_name: str
    latest_value: Decimal | None
    next_threshold: Decimal | None


class ForecastOut(msgspec.Struct, kw_only=True):
    plan_id: UUID
    today: dt.date
    until: dt.date
    due: list[EquipmentDueOut]
    skipped: list[SkippedOut]
    counters: list[CounterOutlookOut]


def pm_plan_out(plan: PmPlan) -> PmPlanOut:
    return PmPlanOut(
        id=plan.id,
        number=plan.number,
        name=plan.name,
        equipment_id=plan.equipment_id,
        contract_line_id=plan.contract_line_id,
        template_id=plan.template_id,
        interval_months=plan.interval_months,
        interval_units=plan.interval_units,
        counter_name=plan.counter_name,
        call_horizon_days=plan.call_horizon_days,
        starts_on=plan.starts_on,
        ends_on=plan.ends_on,
        priority=plan.priority,
        active=plan.active,
        version=plan.version,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
    )


def pm_call_out(call: PmCall) -> PmCallOut:
    return PmCallOut(
        id=call.id,
        plan_id=call.plan_id,
        equipment_id=call.equipment_id,
        due_on=call.due_on,
        trigger=call.trigger,
        counter_value=call.counter_value,
        work_order_id=call.work_order_id,
        created_at=call.created_at,
    )


def skipped_out(skipped: Skipped) -> SkippedOut:
    return SkippedOut(
        plan_id=skipped.plan_id,
        plan_number=skipped.plan_number,
        equipment_id=skipped.equipment_id,
        due_on=skipped.due_on,
        reason=skipped.reason,
        detail=skipped.detail,
    )


def generation_out(report: GenerationReport) -> GenerationOut:
    created = [
        MadeCallOut(
            **msgspec.structs.asdict(pm_call_out(made.call)),
            plan_number=made.plan_number,
            work_order_number=made.work_order_number,
        )
        for made in report.created
    ]
    return GenerationOut(today=report.today, created=created, skipped=[skipped_out(s) for s in report.skipped])


def _due_out(due: DueCall) -> EquipmentDueOut:
    return EquipmentDueOut(
        equipment_id=due.unit.id, serial_number=due.unit.serial_number, due_on=due.due_on, trigger=due.trigger.value
    )


def forecast_out(forecast: Forecast) -> ForecastOut:
    return ForecastOut(
        plan_id=forecast.plan.id,
        today=forecast.today,
        until=forecast.until,
        due=[_due_out(due) for due in forecast.due],
        skipped=[skipped_out(s) for s in forecast.skipped],
        counters=[
            CounterOutlookOut(
                equipment_id=c.equipment_id,
                counter_name=c.counter_name,
                latest_value=c.latest_value,
                next_threshold=c.next_threshold,
            )
            for c in forecast.counters
        ],
    )
