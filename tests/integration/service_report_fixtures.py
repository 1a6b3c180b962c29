"""A completed work order with its technician's confirmation, inserted row by row.

The confirmation use case is written elsewhere; these rows are what it leaves behind: a call
on a covered printer, a work order with one task done by Erik, travel and work time, a drum
swapped (serials in and out), a page-counter reading, findings, notes and a signature.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from PIL import Image, ImageDraw
from sqlalchemy.ext.asyncio import AsyncSession

from masterdata.models import Contact, Counter, CounterReading, Engineer, Product
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
from tests.integration.contract_fixtures import Installed, installed_printer

DONE_AT = dt.datetime(2026, 3, 3, 11, 30, tzinfo=dt.UTC)
SERIAL_IN = "DRUM-NEW-0042"
SERIAL_OUT = "DRUM-OLD-0007"


@dataclass
class Completed:
    it: Installed
    customer_name: str
    serial_number: str
    work_order_id: UUID
    number: str
    task_id: UUID
    engineer_id: UUID
    request_id: UUID
    contact_email: str | None


def signature_png() -> bytes:
    image = Image.new("RGB", (240, 80), "white")
    ImageDraw.Draw(image).line([(10, 60), (60, 20), (120, 60), (180, 20), (230, 50)], fill="navy", width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def completed_work_order(
    session: AsyncSession,
    *,
    name: str = "ACME",
    number: str = "WO-000001",
    status: str = "completed",
    signed: bool = True,
    contact_email: str | None = "pat@acme.example",
    notes: str | None = "Customer asked for a toner quote.",
    findings: str = "Drum worn, streaks on every page",
) -> Completed:
    it = await installed_printer(session, name)
    contact = None
    if contact_email:
        contact = Contact(customer_id=it.customer_id, first_name="Pat", last_name="Doe", email=contact_email)
        session.add(contact)
    erik = Engineer(
        number=f"E-{name[:6]}",
        name=f"Erik {name}",
        home_latitude=52.5,
        home_longitude=13.4,
        time_zone="Europe/Berlin",
        cost_rate=Decimal("55.00"),
        currency="EUR",
    )
    drum = Product(
        sku=f"DRUM-{name[:6]}",
        name="Imaging drum",
        kind="spare_part",
        serialized=True,
        list_price=Decimal("120"),
        currency="EUR",
        unit="pc",
    )
    counter = Counter(equipment_id=it.equipment_id, name="pages", unit="pages")
    session.add_all([erik, drum, counter])
    await session.flush()
    request = ServiceRequest(
        number=f"SR-{name[:6]}",
        customer_id=it.customer_id,
        contact_id=contact.id if contact else None,
        equipment_id=it.equipment_id,
        site_id=it.site_id,
        symptom="Streaks on every page",
        priority="P2",
        service_type="repair",
        channel="phone",
        status="in_progress",
        reported_at=DONE_AT - dt.timedelta(days=1),
        entitlement={"covered_by": "contract", "winner": {"label": "SC-000001 line 1"}, "why": "contract line"},
        covered_by="contract",
        labour_pct=Decimal("100"),
        parts_pct=Decimal("50"),
        travel_pct=Decimal("0"),
        logged_by="agent",
    )
    session.add(request)
    await session.flush()
    work_order = WorkOrder(
        number=number,
        request_id=request.id,
        customer_id=it.customer_id,
        site_id=it.site_id,
        equipment_id=it.equipment_id,
        service_type="repair",
        priority="P2",
        status=status,
        checklist=[{"item": "Test print", "done": True}],
        completed_at=DONE_AT if status == "completed" else None,
    )
    session.add(work_order)
    await session.flush()
    task = Task(
        work_order_id=work_order.id,
        sequence=1,
        name="Replace drum",
        site_id=it.site_id,
        duration_minutes=90,
        priority="P2",
        status="completed" if status == "completed" else "scheduled",
    )
    session.add(task)
    await session.flush()
    session.add(TaskAssignment(task_id=task.id, engineer_id=erik.id, lead=True))
    session.add(KnowledgeCode(kind="resolution", code=f"R-DRUM-{name[:6]}", description="Imaging drum replaced"))
    reading = CounterReading(
        counter_id=counter.id, value=Decimal("125400"), read_at=DONE_AT, source="technician", recorded_by="erik"
    )
    session.add(reading)
    await session.flush()
    if status == "completed":
        confirmation = Confirmation(
            task_id=task.id,
            work_order_id=work_order.id,
            engineer_id=erik.id,
            completed_at=DONE_AT,
            findings=findings,
            resolution_code=f"R-DRUM-{name[:6]}",
            notes=notes,
            readings=[{"counter_id": str(counter.id), "reading_id": str(reading.id), "value": "125400"}],
            checklist=[{"item": "Test print", "done": True, "note": None}, {"item": "Clean rollers", "done": False}],
            signed_by="Pat Doe" if signed else None,
            signed_at=DONE_AT if signed else None,
            signature_png=signature_png() if signed else None,
        )
        session.add(confirmation)
        await session.flush()
        session.add_all(
            [
                TimeEntry(
                    confirmation_id=confirmation.id,
                    work_order_id=work_order.id,
                    engineer_id=erik.id,
                    kind="travel",
                    started_at=DONE_AT - dt.timedelta(hours=2, minutes=30),
                    ended_at=DONE_AT - dt.timedelta(hours=2),
                ),
                TimeEntry(
                    confirmation_id=confirmation.id,
                    work_order_id=work_order.id,
                    engineer_id=erik.id,
                    kind="work",
                    started_at=DONE_AT - dt.timedelta(hours=2),
                    ended_at=DONE_AT,
                ),
                PartConsumption(
                    confirmation_id=confirmation.id,
                    work_order_id=work_order.id,
                    product_id=drum.id,
                    quantity=Decimal(1),
                    serial_in=SERIAL_IN,
                    serial_out=SERIAL_OUT,
                ),
            ]
        )
        await session.flush()
    return Completed(
        it=it,
        customer_name=name,
        serial_number="SN-1",
        work_order_id=work_order.id,
        number=number,
        task_id=task.id,
        engineer_id=erik.id,
        request_id=request.id,
        contact_email=contact_email,
    )
