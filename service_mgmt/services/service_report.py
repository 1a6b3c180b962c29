"""The service report: a one-page PDF of a completed work order, stored as a document.

It shows what the customer signs for: who and what was served (customer, site, equipment),
the call (request number, symptom), the work done per task (findings, resolution, checklist),
time on travel and work, parts with the serials installed and removed, counter readings,
the coverage applied (from the request's entitlement snapshot, which does not change when a
contract does later), notes, and the signature. Times print in the site's time zone.

`render_service_report` renders and stores it under `service_report:<work order id>`; a new
render replaces the content of that one row. The outbox handler for `service_report`
messages (queued at completion by `service_report_queue`) renders and mails it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal
from core.documents import Document
from core.errors import Conflict, NotFound
from core.mailer import Attachment, compose
from core.outbox import OutboxMessage
from core.outbox_dispatch import Delivery, PermanentFailure
from core.pdf import data_url, render_pdf_async, render_template, template_source
from masterdata.models import Counter, CounterReading, Customer, Engineer, Equipment, Product, Site
from service_mgmt.choices import KnowledgeKind, WorkOrderStatus
from service_mgmt.errors import Code
from service_mgmt.models import (
    Confirmation,
    KnowledgeCode,
    PartConsumption,
    ServiceRequest,
    Task,
    TaskAssignment,
    TimeEntry,
    WorkOrder,
)
from service_mgmt.services.work_orders import find_work_order

KIND = "service_report"
CONTENT_TYPE = "application/pdf"
PACKAGE = "service_mgmt"
TEMPLATE = "service_report.html"
STYLESHEET = "service_report.css"
# Completed work has a report; closing and billing do not change what was done.
REPORTABLE = frozenset({WorkOrderStatus.COMPLETED.value, WorkOrderStatus.CLOSED.value, WorkOrderStatus.BILLED.value})
HOUR = Decimal(3600)


def document_key(work_order_id: UUID) -> str:
    return f"{KIND}:{work_order_id}"


def filename_of(work_order: WorkOrder) -> str:
    return f"{work_order.number}-service-report.pdf"


# --- what the template sees ------------------------------------------------------------------


@dataclass(slots=True)
class ChecklistLine:
    item: str
    done: bool
    note: str | None


@dataclass(slots=True)
class TaskDone:
    name: str
    status: str
    engineers: str
    completed_at: str | None
    findings: str | None
    resolution_code: str | None
    resolution: str | None  # the code's description
    checklist: list[ChecklistLine]


@dataclass(slots=True)
class TimeLine:
    engineer: str
    kind: str
    day: str  # in the site's zone
    started_at: str  # HH:MM
    ended_at: str  # HH:MM, with the day when it differs
    hours: Decimal


@dataclass(slots=True)
class PartLine:
    sku: str
    name: str
    quantity: Decimal
    serial_in: str | None
    serial_out: str | None


@dataclass(slots=True)
class ReadingLine:
    counter: str
    value: str
    unit: str
    read_at: str | None


@dataclass(slots=True)
class Signature:
    signed_by: str
    signed_at: str
    image: str | None  # a data: URL


@dataclass(slots=True)
class ReportData:
    number: str
    status: str
    service_type: str
    priority: str
    completed_at: str | None
    time_zone: str
    customer: dict[str, Any]
    site: dict[str, Any]
    equipment: dict[str, Any] | None
    request: dict[str, Any] | None
    coverage: dict[str, Any] | None
    tasks: list[TaskDone] = field(default_factory=list)
    time_entries: list[TimeLine] = field(default_factory=list)
    hours: dict[str, Decimal] = field(default_factory=dict)
    parts: list[PartLine] = field(default_factory=list)
    readings: list[ReadingLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signature: Signature | None = None


# --- use cases ---------------------------------------------------------------------------------


async def render_service_report(session: AsyncSession, work_order_id: UUID) -> Document:
    """Render the report of a completed work order and store it (replacing an earlier render)."""
    work_order = await session.get(WorkOrder, work_order_id)
    if work_order is None:
        raise NotFound("work_order", work_order_id)
    _check_reportable(work_order)
    data = await report_data(session, work_order)
    html = render_template(PACKAGE, TEMPLATE, {"report": data})
    pdf = await render_pdf_async(html, stylesheets=[template_source(PACKAGE, STYLESHEET)])
    return await _store(session, work_order, pdf)


async def service_report_for(session: AsyncSession, principal: Principal, work_order_id: UUID) -> Document:
    """The stored report for someone allowed to see the work order, rendered now if it is not yet.

    Customers see their own work orders' reports, technicians those of work orders they have a
    task on; anything else is 404, as if it did not exist."""
    work_order = await find_work_order(session, principal, work_order_id)
    if principal.is_technician and not await _works_on(session, principal, work_order_id):
        raise NotFound("work_order", work_order_id)
    _check_reportable(work_order)
    document = await session.scalar(select(Document).where(Document.key == document_key(work_order_id)))
    return document if document is not None else await render_service_report(session, work_order_id)


async def deliver_service_report(session: AsyncSession, message: OutboxMessage) -> Delivery:
    """Outbox handler for `service_report`: render, store, and mail it with the PDF attached."""
    try:
        work_order_id = UUID(str(message.payload["work_order_id"]))
    except (KeyError, ValueError) as exc:
        raise PermanentFailure(f"payload names no work order: {message.payload!r}") from exc
    try:
        document = await render_service_report(session, work_order_id)
    except NotFound as exc:
        raise PermanentFailure(str(exc)) from exc
    if not message.recipient:
        return Delivery(note="no recipient: report rendered and stored, not mailed")
    number = document.filename.removesuffix("-service-report.pdf")
    email = compose(
        to=message.recipient,
        subject=message.subject or f"Service report {number}",
        body=(
            f"Dear customer,\n\nattached is the service report of work order {number}.\n\n"
            "Kind regards,\nyour service team\n"
        ),
        attachments=[Attachment(document.filename, document.content_type, document.content)],
    )
    return Delivery(email=email)


def _check_reportable(work_order: WorkOrder) -> None:
    if work_order.status not in REPORTABLE:
        raise Conflict(
            Code.WORK_ORDER_NOT_COMPLETED,
            f"work order {work_order.number} is {work_order.status}; its service report exists once it is completed",
            extra={"current_status": work_order.status},
        )


async def _works_on(session: AsyncSession, principal: Principal, work_order_id: UUID) -> bool:
    if principal.engineer_id is None:
        return False
    found = await session.scalar(
        select(TaskAssignment.id)
        .join(Task, Task.id == TaskAssignment.task_id)
        .where(Task.work_order_id == work_order_id, TaskAssignment.engineer_id == principal.engineer_id)
        .limit(1)
    )
    return found is not None


async def _store(session: AsyncSession, work_order: WorkOrder, pdf: bytes) -> Document:
    key = document_key(work_order.id)
    document = await session.scalar(select(Document).where(Document.key == key).with_for_update())
    if document is None:
        document = Document(key=key, kind=KIND)
        session.add(document)
    document.filename = filename_of(work_order)
    document.content_type = CONTENT_TYPE
    document.content = pdf
    document.size_bytes = len(pdf)
    document.sha256 = hashlib.sha256(pdf).hexdigest()
    await session.flush()
    return document


# --- gathering the facts -----------------------------------------------------------------------


async def report_data(session: AsyncSession, work_order: WorkOrder) -> ReportData:
    customer = await session.get(Customer, work_order.customer_id)
    site = await session.get(Site, work_order.site_id)
    assert customer is not None and site is not None  # foreign keys
    zone = _zone(site.time_zone)
    request = await session.get(ServiceRequest, work_order.request_id) if work_order.request_id else None

    tasks = list((await session.scalars(select(Task).where(Task.work_order_id == work_order.id))).all())
    tasks.sort(key=lambda t: t.sequence)
    confirmations = list(
        (await session.scalars(select(Confirmation).where(Confirmation.work_order_id == work_order.id))).all()
    )
    by_task = {c.task_id: c for c in confirmations}
    entries = list((await session.scalars(select(TimeEntry).where(TimeEntry.work_order_id == work_order.id))).all())
    parts = list(
        (await session.scalars(select(PartConsumption).where(PartConsumption.work_order_id == work_order.id))).all()
    )
    assignments = list(
        (await session.scalars(select(TaskAssignment).where(TaskAssignment.task_id.in_([t.id for t in tasks])))).all()
    )
    engineer_ids = {a.engineer_id for a in assignments} | {e.engineer_id for e in entries}
    engineers = await _names(session, Engineer, engineer_ids)
    crew: dict[UUID, list[str]] = defaultdict(list)
    for a in sorted(assignments, key=lambda a: not a.lead):
        crew[a.task_id].append(engineers.get(a.engineer_id, "?"))
    resolutions = await _resolution_texts(session, {c.resolution_code for c in confirmations if c.resolution_code})

    data = ReportData(
        number=work_order.number,
        status=work_order.status,
        service_type=work_order.service_type,
        priority=work_order.priority,
        completed_at=_local(work_order.completed_at, zone),
        time_zone=zone.key,
        customer={"number": customer.number, "name": customer.name},
        site=_site(site),
        equipment=await _equipment(session, work_order.equipment_id),
        request=_request(request),
        coverage=_coverage(request),
    )
    for task in tasks:
        confirmation = by_task.get(task.id)
        data.tasks.append(
            TaskDone(
                name=task.name,
                status=task.status,
                engineers=", ".join(crew.get(task.id, [])),
                completed_at=_local(confirmation.completed_at, zone) if confirmation else None,
                findings=confirmation.findings if confirmation else None,
                resolution_code=confirmation.resolution_code if confirmation else None,
                resolution=resolutions.get(confirmation.resolution_code or "") if confirmation else None,
                checklist=_checklist((confirmation.checklist if confirmation else None) or work_order.checklist),
            )
        )
    data.time_entries, data.hours = _time(entries, engineers, zone)
    data.parts = await _parts(session, parts)
    data.readings = await _readings(session, confirmations, zone)
    data.notes = [c.notes for c in sorted(confirmations, key=lambda c: c.completed_at) if c.notes]
    data.signature = _signature(confirmations, zone)
    return data


def _checklist(items: list[dict[str, Any]] | None) -> list[ChecklistLine]:
    # JSON written by other code over time: take what is there, never fail on a missing key.
    return [
        ChecklistLine(str(i.get("item", "")), bool(i.get("done")), i.get("note") or None)
        for i in items or []
        if isinstance(i, dict)
    ]


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _local(moment: dt.datetime | None, zone: ZoneInfo) -> str | None:
    if moment is None:
        return None
    return _aware(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)  # SQLite: naive UTC


async def _names(session: AsyncSession, model: type[Engineer], ids: set[UUID]) -> dict[UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(model.id, model.name).where(model.id.in_(ids)))
    return {row.id: row.name for row in rows}


async def _resolution_texts(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = await session.execute(
        select(KnowledgeCode.code, KnowledgeCode.description).where(
            KnowledgeCode.kind == KnowledgeKind.RESOLUTION.value, KnowledgeCode.code.in_(codes)
        )
    )
    return {row.code: row.description for row in rows}


def _site(site: Site) -> dict[str, Any]:
    place = " ".join(part for part in (site.postal_code, site.city) if part)
    address = ", ".join(part for part in (site.street, place, site.country) if part)
    return {"name": site.name, "address": address}


async def _equipment(session: AsyncSession, equipment_id: UUID | None) -> dict[str, Any] | None:
    if equipment_id is None:
        return None
    unit = await session.get(Equipment, equipment_id)
    if unit is None:
        return None
    product = await session.get(Product, unit.product_id)
    return {
        "serial_number": unit.serial_number,
        "product": product.name if product else "",
        "sku": product.sku if product else "",
        "position": unit.position,
    }


def _request(request: ServiceRequest | None) -> dict[str, Any] | None:
    if request is None:
        return None
    return {"number": request.number, "symptom": request.symptom, "symptom_code": request.symptom_code}


def _coverage(request: ServiceRequest | None) -> dict[str, Any] | None:
    """Coverage as decided when the call was logged (the snapshot), not as contracts say today."""
    if request is None:
        return None
    snapshot = request.entitlement or {}
    winner = snapshot.get("winner") or {}
    return {
        "covered_by": request.covered_by,
        "label": winner.get("label"),
        "labour_pct": _pct(request.labour_pct),
        "parts_pct": _pct(request.parts_pct),
        "travel_pct": _pct(request.travel_pct),
        "why": snapshot.get("why"),
    }


def _pct(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)).normalize():f}"


def _time(
    entries: list[TimeEntry], engineers: dict[UUID, str], zone: ZoneInfo
) -> tuple[list[TimeLine], dict[str, Decimal]]:
    lines = []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for entry in sorted(entries, key=lambda e: e.started_at):
        hours = (Decimal((entry.ended_at - entry.started_at).total_seconds()) / HOUR).quantize(Decimal("0.01"))
        totals[entry.kind] += hours
        start, end = _aware(entry.started_at).astimezone(zone), _aware(entry.ended_at).astimezone(zone)
        lines.append(
            TimeLine(
                engineer=engineers.get(entry.engineer_id, "?"),
                kind=entry.kind,
                day=start.strftime("%Y-%m-%d"),
                started_at=start.strftime("%H:%M"),
                ended_at=end.strftime("%H:%M" if end.date() == start.date() else "%Y-%m-%d %H:%M"),
                hours=hours,
            )
        )
    return lines, dict(totals)


async def _parts(session: AsyncSession, parts: list[PartConsumption]) -> list[PartLine]:
    if not parts:
        return []
    products = {
        p.id: p for p in (await session.scalars(select(Product).where(Product.id.in_({x.product_id for x in parts}))))
    }
    lines = []
    for part in sorted(parts, key=lambda x: x.created_at):
        product = products.get(part.product_id)
        lines.append(
            PartLine(
                sku=product.sku if product else "",
                name=product.name if product else "",
                quantity=part.quantity.normalize(),
                serial_in=part.serial_in,
                serial_out=part.serial_out,
            )
        )
    return lines


async def _readings(session: AsyncSession, confirmations: list[Confirmation], zone: ZoneInfo) -> list[ReadingLine]:
    taken = [r for c in confirmations for r in (c.readings or [])]
    if not taken:
        return []
    counter_ids = {_uuid(r.get("counter_id")) for r in taken} - {None}
    reading_ids = {_uuid(r.get("reading_id")) for r in taken} - {None}
    counters = {c.id: c for c in await session.scalars(select(Counter).where(Counter.id.in_(counter_ids)))}
    readings = (
        {r.id: r for r in await session.scalars(select(CounterReading).where(CounterReading.id.in_(reading_ids)))}
        if reading_ids
        else {}
    )
    lines = []
    for item in taken:
        counter = counters.get(_uuid(item.get("counter_id")))  # type: ignore[arg-type]
        reading = readings.get(_uuid(item.get("reading_id")))  # type: ignore[arg-type]
        value = reading.value.normalize() if reading else item.get("value")
        lines.append(
            ReadingLine(
                counter=counter.name if counter else "counter",
                value=f"{value:f}" if isinstance(value, Decimal) else str(value or ""),
                unit=counter.unit if counter else "",
                read_at=_local(reading.read_at, zone) if reading else None,
            )
        )
    return lines


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def _signature(confirmations: list[Confirmation], zone: ZoneInfo) -> Signature | None:
    signed = [c for c in confirmations if c.signed_by]
    if not signed:
        return None
    last = max(signed, key=lambda c: c.signed_at or c.completed_at)
    return Signature(
        signed_by=last.signed_by or "",
        signed_at=_local(last.signed_at or last.completed_at, zone) or "",
        image=data_url(last.signature_png, "image/png") if last.signature_png else None,
    )
