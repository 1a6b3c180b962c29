"""A dispatched job for a technician: a call about a printer with a power supply and a page counter,
its work order planned for an engineer, and that engineer's technician login."""

from __future__ import annotations

import base64
import datetime as dt
import struct
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select

from core.auth import SYSTEM
from core.db import session_scope
from masterdata.models import Contact, Counter, CounterReading, Product, Site
from masterdata.services.equipment import EquipmentCreate, create_equipment
from service_mgmt.models import ServiceRequest, TaskPart
from tests.api.test_work_orders import (
    URL,
    Call,
    Client,
    Sessions,
    assign,
    engineer,
    from_request,
    logged_call,
    transition,
)
from tests.conftest import UserFactory
from tests.integration.billable_fixtures import service_products
from tests.integration.knowledge_fixtures import add_codes

TECH_URL = "/api/v1/technician/tasks"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def ago(**delta: float) -> str:
    return (now() - dt.timedelta(**delta)).isoformat()


def tiny_png() -> bytes:
    """A valid 1x1 PNG, as a signature pad would send (only bigger)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return PNG_MAGIC + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")


def signature_b64() -> str:
    return base64.b64encode(tiny_png()).decode()


@dataclass
class Unit:
    """The printer of the call with its power supply (a serialized component) and page counter."""

    printer_id: UUID
    psu_product_id: UUID
    psu_id: UUID
    counter_id: UUID
    contact_id: UUID


async def equip_printer(sessions: Sessions, call: Call) -> Unit:
    async with session_scope(sessions) as session:
        if await session.scalar(select(Product.id).where(Product.sku == "SVC-LABOUR")) is None:
            await service_products(session)  # completion prices the work
            await add_codes(session, resolutions=("REPLACED_PART",))  # confirmations name catalogue codes
        psu = Product(
            sku=f"PSU-{call.it.customer_id}",
            name="Power supply 400 W",
            kind="spare_part",
            serialized=True,
            list_price=Decimal("180"),
            currency="EUR",
            unit="pc",
        )
        session.add(psu)
        await session.flush()
        component = await create_equipment(
            session,
            SYSTEM,
            EquipmentCreate(
                product_id=psu.id,
                serial_number="PSU-OLD-1",
                customer_id=call.it.customer_id,
                parent_id=call.it.equipment_id,
                position="PSU",
            ),
        )
        counter = Counter(equipment_id=call.it.equipment_id, name="pages", unit="pages")
        contact = Contact(
            customer_id=call.it.customer_id, first_name="Pat", last_name="Doe", phone="+49 30 1234", is_primary=True
        )
        session.add_all([counter, contact])
        await session.flush()
        session.add(
            CounterReading(
                counter_id=counter.id,
                value=Decimal(1000),
                read_at=now() - dt.timedelta(days=30),
                source="manual",
                kind="regular",
                recorded_by="agent",
            )
        )
        site = await session.get(Site, call.it.site_id)
        request = await session.get(ServiceRequest, call.request_id)
        assert site is not None and request is not None
        site.access_notes = "Ring at gate B; badge at reception"
        site.opening_hours = [{"weekday": 0, "opens": "08:00", "closes": "17:00"}]
        request.contact_id = contact.id
        return Unit(call.it.equipment_id, psu.id, component.id, counter.id, contact.id)


@dataclass
class Job:
    call: Call
    unit: Unit
    work_order: dict[str, Any]
    tasks: list[dict[str, Any]]
    engineer_id: UUID
    technician: dict[str, str]
    planner: dict[str, str]
    part_id: UUID

    @property
    def task(self) -> dict[str, Any]:
        return self.tasks[0]

    def url(self, task: dict[str, Any] | None = None, action: str = "") -> str:
        base = f"{TECH_URL}/{(task or self.task)['id']}"
        return f"{base}/{action}" if action else base


async def dispatched_job(
    client: Client,
    login_as: UserFactory,
    sessions: Sessions,
    name: str = "ACME",
    *,
    engineers: int = 1,
    tasks: int = 1,
    crew: int = 1,
    start: dt.datetime | None = None,
    dispatch: bool = True,
    number: str | None = None,
) -> Job:
    """A warranty call (nothing billable), its work order with `tasks` tasks of `crew` engineers each,
    planned tomorrow (or at `start`), scheduled and (by default) dispatched."""
    call = await logged_call(sessions, name, covered_by="warranty", coverage=100)
    unit = await equip_printer(sessions, call)
    part_id = await spare_part_for(sessions, name)
    planner = await login_as("planner")
    body: dict[str, Any] = {}
    if tasks > 1 or crew > 1:
        body["tasks"] = [
            {"sequence": i + 1, "name": f"Step {i + 1}", "duration_minutes": 60, "crew_size": crew}
            for i in range(tasks)
        ]
    work_order = await from_request(client, planner, call, **body)
    prefix = number or f"E-{name[:4]}"
    engineer_ids = [await engineer(sessions, f"{prefix}-{i + 1}", {"printers": 4}) for i in range(engineers)]
    when = start or (now() + dt.timedelta(days=1)).replace(hour=9, minute=0, second=0)
    await _plan_part(sessions, work_order["tasks"][0]["id"], part_id)
    for index, task in enumerate(work_order["tasks"]):
        planned = when + dt.timedelta(hours=2 * index)
        response = await assign(client, planner, work_order, task, *engineer_ids[:crew], start=planned)
        assert response.status_code == 200, response.text
    for status in ("scheduled", "dispatched") if dispatch else ("scheduled",):
        response = await transition(client, planner, work_order, status)
        assert response.status_code == 200, response.text
    work_order = (await client.get(f"{URL}/{work_order['id']}", headers=planner)).json()
    technician = await login_as("technician", engineer_id=engineer_ids[0])
    return Job(call, unit, work_order, work_order["tasks"], engineer_ids[0], technician, planner, part_id)


async def spare_part_for(sessions: Sessions, name: str) -> UUID:
    async with session_scope(sessions) as session:
        part = Product(
            sku=f"FUSER-{name[:6]}",
            name="Fuser unit",
            kind="spare_part",
            serialized=False,
            list_price=Decimal("120"),
            currency="EUR",
            unit="pc",
        )
        session.add(part)
        await session.flush()
        return part.id


async def _plan_part(sessions: Sessions, task_id: str, part_id: UUID) -> None:
    async with session_scope(sessions) as session:
        session.add(TaskPart(task_id=UUID(task_id), product_id=part_id, quantity=Decimal(1)))


async def step(
    client: Client,
    job: Job,
    status: str,
    *,
    task: dict[str, Any] | None = None,
    key: str | bytes | None = None,
    **body: Any,
) -> Any:
    headers: dict[str, str | bytes] = dict(job.technician)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post(
        job.url(task, "status"), json={"status": status, "at": ago(minutes=1)} | body, headers=headers
    )


async def on_site(
    client: Client, job: Job, task: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> None:
    for status in ("en_route", "on_site"):
        response = await client.post(
            job.url(task, "status"), json={"status": status, "at": ago(minutes=30)}, headers=headers or job.technician
        )
        assert response.status_code == 200, response.text


def confirmation_body(job: Job, **overrides: Any) -> dict[str, Any]:
    """A full report: travel and work, the planned fuser, a power supply swap, a page reading, a signature."""
    body: dict[str, Any] = {
        "completed_at": ago(minutes=5),
        "time_entries": [
            {"kind": "travel", "started_at": ago(hours=3), "ended_at": ago(hours=2)},
            {"kind": "work", "started_at": ago(hours=2), "ended_at": ago(minutes=10)},
        ],
        "parts": [
            {"product_id": str(job.part_id), "quantity": "1"},
            {
                "product_id": str(job.unit.psu_product_id),
                "equipment_id": str(job.unit.printer_id),
                "serial_out": "PSU-OLD-1",
                "serial_in": "PSU-NEW-7",
            },
        ],
        "readings": [{"counter_id": str(job.unit.counter_id), "value": "1500"}],
        "checklist": [{"item": "Print a test page", "done": True}],
        "findings": "Fuser worn, PSU fan failing",
        "resolution_code": "replaced_part",
        "notes": "Customer asked for a toner offer",
        "signature_png": signature_b64(),
        "signed_by": "Pat Doe",
    }
    return body | overrides


async def confirm(
    client: Client,
    job: Job,
    body: dict[str, Any],
    *,
    key: str | None = None,
    task: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    sent = dict(headers or job.technician)
    if key is not None:
        sent["Idempotency-Key"] = key
    return await client.post(job.url(task, "confirmation"), json=body, headers=sent)
