"""Response shapes of the technician API and of confirmations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from api.schemas.contacts import ContactOut, contact_out
from api.schemas.counters import CounterOut, counter_with_latest_out
from api.schemas.equipment import EquipmentEventOut, ProductRef, event_out
from api.schemas.sites import SiteOut, site_out
from api.schemas.work_orders import ChecklistItemOut, TaskOut, TimeWindowOut, task_out
from service_mgmt.models import TaskStatusEvent
from service_mgmt.services.confirmations import ConfirmationResult, ConfirmationView
from service_mgmt.services.task_status import StatusResult
from service_mgmt.services.technician_jobs import Coverage, JobBundle, JobSummary, UnitOnSite

# --- the day list ----------------------------------------------------------------------------


class CustomerRef(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    name: str
    phone: str | None


class SiteRef(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    street: str | None
    postal_code: str | None
    city: str | None
    country: str


class EquipmentRef(msgspec.Struct, kw_only=True):
    id: UUID
    serial_number: str


class JobSummaryOut(msgspec.Struct, kw_only=True):
    task_id: UUID
    sequence: int
    name: str
    status: str
    priority: str
    duration_minutes: int
    planned_start: dt.datetime | None
    planned_end: dt.datetime | None
    time_windows: list[TimeWindowOut]
    work_order_id: UUID
    work_order_number: str
    service_type: str
    customer: CustomerRef
    site: SiteRef
    equipment: EquipmentRef | None


def _windows(windows: list[dict[str, Any]]) -> list[TimeWindowOut]:
    return [
        TimeWindowOut(
            start=dt.datetime.fromisoformat(str(w["start"])),
            end=dt.datetime.fromisoformat(str(w["end"])),
            kind=str(w["kind"]),
        )
        for w in windows
    ]


def _customer_ref(customer: Any) -> CustomerRef:
    return CustomerRef(id=customer.id, number=customer.number, name=customer.name, phone=customer.phone)


def job_summary_out(job: JobSummary) -> JobSummaryOut:
    task, site = job.task, job.site
    return JobSummaryOut(
        task_id=task.id,
        sequence=task.sequence,
        name=task.name,
        status=task.status,
        priority=task.priority,
        duration_minutes=task.duration_minutes,
        planned_start=task.planned_start,
        planned_end=task.planned_end,
        time_windows=_windows(task.time_windows),
        work_order_id=job.work_order.id,
        work_order_number=job.work_order.number,
        service_type=job.work_order.service_type,
        customer=_customer_ref(job.customer),
        site=SiteRef(
            id=site.id,
            name=site.name,
            street=site.street,
            postal_code=site.postal_code,
            city=site.city,
            country=site.country,
        ),
        equipment=EquipmentRef(id=job.equipment.id, serial_number=job.equipment.serial_number)
        if job.equipment
        else None,
    )


# --- one job ---------------------------------------------------------------------------------


class CrewMemberOut(msgspec.Struct, kw_only=True):
    engineer_id: UUID
    number: str
    name: str
    lead: bool


class StatusEventOut(msgspec.Struct, kw_only=True):
    id: UUID
    status: str
    at: dt.datetime
    engineer_id: UUID
    latitude: Decimal | None
    longitude: Decimal | None
    note: str | None


class WorkOrderBrief(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    status: str
    priority: str
    service_type: str
    billable: bool
    description: str | None
    checklist: list[ChecklistItemOut]


class RequestBrief(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    status: str
    reported_at: dt.datetime
    symptom: str
    symptom_code: str | None


class JobCoverageOut(msgspec.Struct, kw_only=True):
    covered_by: str
    label: str | None
    why: str | None
    labour_pct: Decimal
    parts_pct: Decimal
    travel_pct: Decimal
    response_due: dt.datetime | None
    resolution_due: dt.datetime | None


class ComponentOut(msgspec.Struct, kw_only=True):
    id: UUID
    serial_number: str
    position: str | None
    status: str
    product: ProductRef


class UnitOut(msgspec.Struct, kw_only=True):
    id: UUID
    serial_number: str
    status: str
    install_date: dt.date | None
    product: ProductRef
    components: list[ComponentOut]
    history: list[EquipmentEventOut]  # most recent first
    counters: list[CounterOut]  # each with its last reading


class PlannedPartOut(msgspec.Struct, kw_only=True):
    product_id: UUID
    sku: str
    name: str
    serialized: bool
    quantity: Decimal


class JobOut(msgspec.Struct, kw_only=True):
    task: TaskOut
    crew: list[CrewMemberOut]
    status_events: list[StatusEventOut]
    confirmation_id: UUID | None
    work_order: WorkOrderBrief
    customer: CustomerRef
    site: SiteOut
    contact: ContactOut | None
    request: RequestBrief | None
    symptom: str | None
    coverage: JobCoverageOut | None
    equipment: UnitOut | None
    planned_parts: list[PlannedPartOut]


def status_event_out(event: TaskStatusEvent) -> StatusEventOut:
    return StatusEventOut(
        id=event.id,
        status=event.status,
        at=event.at,
        engineer_id=event.engineer_id,
        latitude=event.latitude,
        longitude=event.longitude,
        note=event.note,
    )


def _product_ref(product: Any) -> ProductRef:
    return ProductRef(id=product.id, sku=product.sku, name=product.name)


def _coverage_out(coverage: Coverage) -> JobCoverageOut:
    return JobCoverageOut(
        covered_by=coverage.covered_by,
        label=coverage.label,
        why=coverage.why,
        labour_pct=coverage.labour_pct,
        parts_pct=coverage.parts_pct,
        travel_pct=coverage.travel_pct,
        response_due=coverage.response_due,
        resolution_due=coverage.resolution_due,
    )


def _unit_out(unit: UnitOnSite) -> UnitOut:
    return UnitOut(
        id=unit.equipment.id,
        serial_number=unit.equipment.serial_number,
        status=unit.equipment.status,
        install_date=unit.equipment.install_date,
        product=_product_ref(unit.product),
        components=[
            ComponentOut(
                id=c.id, serial_number=c.serial_number, position=c.position, status=c.status, product=_product_ref(p)
            )
            for c, p in unit.components
        ],
        history=[event_out(e) for e in unit.history],
        counters=[counter_with_latest_out(c) for c in unit.counters],
    )


def job_out(job: JobBundle) -> JobOut:
    work_order, request = job.work_order, job.request
    return JobOut(
        task=task_out(job.task),
        crew=[CrewMemberOut(engineer_id=m.engineer_id, number=m.number, name=m.name, lead=m.lead) for m in job.crew],
        status_events=[status_event_out(e) for e in job.status_events],
        confirmation_id=job.confirmation_id,
        work_order=WorkOrderBrief(
            id=work_order.id,
            number=work_order.number,
            status=work_order.status,
            priority=work_order.priority,
            service_type=work_order.service_type,
            billable=work_order.billable,
            description=work_order.description,
            checklist=[ChecklistItemOut(item=str(c["item"]), done=bool(c["done"])) for c in work_order.checklist],
        ),
        customer=_customer_ref(job.customer),
        site=site_out(job.site),
        contact=contact_out(job.contact) if job.contact else None,
        request=RequestBrief(
            id=request.id,
            number=request.number,
            status=request.status,
            reported_at=request.reported_at,
            symptom=request.symptom,
            symptom_code=request.symptom_code,
        )
        if request
        else None,
        symptom=request.symptom if request else work_order.description,
        coverage=_coverage_out(job.coverage) if job.coverage else None,
        equipment=_unit_out(job.equipment) if job.equipment else None,
        planned_parts=[
            PlannedPartOut(
                product_id=p.product.id,
                sku=p.product.sku,
                name=p.product.name,
                serialized=p.product.serialized,
                quantity=p.part.quantity,
            )
            for p in job.planned_parts
        ],
    )


# --- status steps ----------------------------------------------------------------------------


class StatusResultOut(msgspec.Struct, kw_only=True):
    task_id: UUID
    task_status: str
    work_order_id: UUID
    work_order_status: str
    request_status: str | None
    event: StatusEventOut


def status_result_out(result: StatusResult) -> StatusResultOut:
    return StatusResultOut(
        task_id=result.task.id,
        task_status=result.task.status,
        work_order_id=result.work_order.id,
        work_order_status=result.work_order.status,
        request_status=result.request.status if result.request else None,
        event=status_event_out(result.event),
    )


# --- confirmations ---------------------------------------------------------------------------


class TimeEntryOut(msgspec.Struct, kw_only=True):
    id: UUID
    engineer_id: UUID
    kind: str
    started_at: dt.datetime
    ended_at: dt.datetime


class PartConsumptionOut(msgspec.Struct, kw_only=True):
    id: UUID
    product_id: UUID
    quantity: Decimal
    serial_in: str | None
    serial_out: str | None
    equipment_id: UUID | None
    removed_equipment_id: UUID | None
    installed_equipment_id: UUID | None


class ReadingRefOut(msgspec.Struct, kw_only=True):
    counter_id: UUID
    reading_id: UUID
    value: Decimal


class ChecklistAnswerOut(msgspec.Struct, kw_only=True):
    item: str
    done: bool
    note: str | None


class ConfirmationOut(msgspec.Struct, kw_only=True):
    id: UUID
    task_id: UUID
    work_order_id: UUID
    engineer_id: UUID
    completed_at: dt.datetime
    findings: str | None
    resolution_code: str | None
    notes: str | None
    checklist: list[ChecklistAnswerOut]
    readings: list[ReadingRefOut]
    time_entries: list[TimeEntryOut]
    parts: list[PartConsumptionOut]
    signed_by: str | None
    signed_at: dt.datetime | None
    has_signature: bool  # the image itself is in the service report, not in the API
    created_at: dt.datetime


class ConfirmationResultOut(ConfirmationOut, kw_only=True):
    task_status: str
    work_order_status: str
    work_order_completed_at: dt.datetime | None
    first_time_fix: bool | None


def _confirmation_fields(view: ConfirmationView) -> dict[str, Any]:
    c = view.confirmation
    return {
        "id": c.id,
        "task_id": c.task_id,
        "work_order_id": c.work_order_id,
        "engineer_id": c.engineer_id,
        "completed_at": c.completed_at,
        "findings": c.findings,
        "resolution_code": c.resolution_code,
        "notes": c.notes,
        "checklist": [ChecklistAnswerOut(item=a["item"], done=a["done"], note=a.get("note")) for a in c.checklist],
        "readings": [
            ReadingRefOut(counter_id=UUID(r["counter_id"]), reading_id=UUID(r["reading_id"]), value=Decimal(r["value"]))
            for r in c.readings
        ],
        "time_entries": [
            TimeEntryOut(id=e.id, engineer_id=e.engineer_id, kind=e.kind, started_at=e.started_at, ended_at=e.ended_at)
            for e in view.time_entries
        ],
        "parts": [
            PartConsumptionOut(
                id=p.id,
                product_id=p.product_id,
                quantity=p.quantity,
                serial_in=p.serial_in,
                serial_out=p.serial_out,
                equipment_id=p.equipment_id,
                removed_equipment_id=p.removed_equipment_id,
                installed_equipment_id=p.installed_equipment_id,
            )
            for p in view.parts
        ],
        "signed_by": c.signed_by,
        "signed_at": c.signed_at,
        # signed_at is set exactly when a signature was stored (the list does not load the image).
        "has_signature": c.signed_at is not None,
        "created_at": c.created_at,
    }


def confirmation_out(view: ConfirmationView) -> ConfirmationOut:
    return ConfirmationOut(**_confirmation_fields(view))


def confirmation_result_out(result: ConfirmationResult) -> ConfirmationResultOut:
    return ConfirmationResultOut(
        **_confirmation_fields(result.view),
        task_status=result.task.status,
        work_order_status=result.work_order.status,
        work_order_completed_at=result.work_order.completed_at,
        first_time_fix=result.work_order.first_time_fix,
    )
