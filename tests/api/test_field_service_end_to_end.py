"""From the customer's call to the report in their inbox, over HTTP and real SMTP.

Two journeys: a printer under a service contract (covered: nothing to pay, quota consumed once)
and a printer of a customer on credit hold (billable: scheduling refused until a second
contract admin overrides, then everything is billed).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from pypdf import PdfReader
from sqlalchemy import func, select

from api.outbox_handlers import outbox_handlers
from contracts.models import EntitlementUsage
from core.auth import SYSTEM
from core.db import session_scope
from core.outbox_dispatch import dispatch_due
from masterdata.models import Contact, Counter, CounterReading, Equipment, Product
from masterdata.services.equipment import EquipmentCreate, create_equipment
from service_mgmt.models import Confirmation
from tests.api.technician_fixtures import signature_b64
from tests.api.test_work_orders import Client, Sessions, assign, engineer, fuser_template, transition
from tests.conftest import UserFactory, problem_of
from tests.integration.billable_fixtures import service_products
from tests.integration.contract_fixtures import Installed, contract_for, installed_printer
from tests.integration.knowledge_fixtures import add_codes
from tests.smtp_inbox import SmtpServer

CONTACT_EMAIL = "pat.doe@acme.example"


def ago(**delta: float) -> str:
    return (dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(**delta)).isoformat()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@dataclass
class Printer:
    it: Installed
    psu_product_id: UUID
    counter_id: UUID
    contact_id: UUID
    fuser_id: UUID
    line_id: UUID | None


async def printer_at_customer(sessions: Sessions, name: str, *, contract: bool) -> Printer:
    """Master data as the back office keeps it: the printer (SN-1) with a power supply component
    and a page counter, a contact with an e-mail, and (optionally) a contract with an hours quota."""
    async with session_scope(sessions) as session:
        it = await installed_printer(session, name)
        line_id = None
        if contract:
            _, line = await contract_for(session, it, number=f"SC-{name[:6]}")
            line.quota_hours = Decimal(10)
            line_id = line.id
        if await session.scalar(select(Product.id).where(Product.sku == "SVC-LABOUR")) is None:
            await service_products(session)
            await add_codes(session, symptoms=("PAPER_JAM",), resolutions=("REPLACED_PART",))
        psu = Product(
            sku=f"PSU-{name[:6]}",
            name="Power supply 400 W",
            kind="spare_part",
            serialized=True,
            list_price=Decimal("180"),
            currency="EUR",
            unit="pc",
        )
        fuser = Product(
            sku=f"FUSER-{name[:6]}",
            name="Fuser unit",
            kind="spare_part",
            serialized=False,
            list_price=Decimal("120"),
            currency="EUR",
            unit="pc",
        )
        session.add_all([psu, fuser])
        await session.flush()
        await create_equipment(
            session,
            SYSTEM,
            EquipmentCreate(
                product_id=psu.id,
                serial_number=f"PSU-OLD-{name[:4]}",
                customer_id=it.customer_id,
                parent_id=it.equipment_id,
                position="PSU",
            ),
        )
        counter = Counter(equipment_id=it.equipment_id, name="pages", unit="pages")
        contact = Contact(
            customer_id=it.customer_id, first_name="Pat", last_name="Doe", email=CONTACT_EMAIL, is_primary=True
        )
        session.add_all([counter, contact])
        await session.flush()
        session.add(
            CounterReading(
                counter_id=counter.id,
                value=Decimal(1000),
                read_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=30),
                source="manual",
                kind="regular",
                recorded_by="agent",
            )
        )
        return Printer(it, psu.id, counter.id, contact.id, fuser.id, line_id)


async def log_call(client: Client, agent: dict[str, str], printer: Printer) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/service-requests",
        json={
            "customer_id": str(printer.it.customer_id),
            "contact_id": str(printer.contact_id),
            "equipment_id": str(printer.it.equipment_id),
            "symptom": "Paper jams and the fuser error E5 comes back",
            "symptom_code": "PAPER_JAM",
            "priority": "P2",
            "service_type": "repair",
            "channel": "phone",
            "estimated_amount": "480.00",
        },
        headers=agent,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def work_order_from_template(
    client: Client, planner: dict[str, str], request: dict[str, Any], template: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/work-orders",
        json={"request_id": request["id"], "template_id": template["id"]},
        headers=planner,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def plan_and_dispatch(
    client: Client, planner: dict[str, str], work_order: dict[str, Any], engineer_id: UUID
) -> None:
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    for index, task in enumerate(work_order["tasks"]):
        response = await assign(
            client, planner, work_order, task, engineer_id, start=start + dt.timedelta(hours=2 * index)
        )
        assert response.status_code == 200, response.text
    for status in ("scheduled", "dispatched"):
        response = await transition(client, planner, work_order, status)
        assert response.status_code == 200, response.text


async def arrive(client: Client, technician: dict[str, str], task_id: str, minutes_ago: int) -> None:
    for status in ("en_route", "on_site"):
        response = await client.post(
            f"/api/v1/technician/tasks/{task_id}/status",
            json={"status": status, "at": ago(minutes=minutes_ago)},
            headers=technician,
        )
        assert response.status_code == 200, response.text


def diagnosis_report() -> dict[str, Any]:
    return {
        "completed_at": ago(hours=4),
        "time_entries": [
            {"kind": "travel", "started_at": ago(hours=5), "ended_at": ago(hours=4, minutes=30)},
            {"kind": "work", "started_at": ago(hours=4, minutes=30), "ended_at": ago(hours=4)},
        ],
        "findings": "Fuser worn; power supply fan failing",
    }


def repair_report(printer: Printer, name: str) -> dict[str, Any]:
    return {
        "completed_at": ago(hours=2),
        "time_entries": [{"kind": "work", "started_at": ago(hours=4), "ended_at": ago(hours=2)}],
        "parts": [
            {"product_id": str(printer.fuser_id), "quantity": "1"},
            {
                "product_id": str(printer.psu_product_id),
                "equipment_id": str(printer.it.equipment_id),
                "serial_out": f"PSU-OLD-{name[:4]}",
                "serial_in": f"PSU-NEW-{name[:4]}",
            },
        ],
        "readings": [{"counter_id": str(printer.counter_id), "value": "1500"}],
        "checklist": [{"item": "Print a test page", "done": True}],
        "findings": "Replaced the fuser and the power supply",
        "resolution_code": "REPLACED_PART",
        "signature_png": signature_b64(),
        "signed_by": "Pat Doe",
    }


async def field_work(
    client: Client, technician: dict[str, str], work_order: dict[str, Any], printer: Printer, name: str
) -> list[Any]:
    """The technician diagnoses, then repairs; the last report is sent three times (a flaky network)."""
    diagnose, repair = work_order["tasks"]
    await arrive(client, technician, diagnose["id"], minutes_ago=300)
    first = await client.post(
        f"/api/v1/technician/tasks/{diagnose['id']}/confirmation",
        json=diagnosis_report(),
        headers=technician | {"Idempotency-Key": f"{name}-diagnose"},
    )
    assert first.status_code == 201, first.text
    await arrive(client, technician, repair["id"], minutes_ago=240)
    body = repair_report(printer, name)
    headers = technician | {"Idempotency-Key": f"{name}-repair"}
    return [
        await client.post(f"/api/v1/technician/tasks/{repair['id']}/confirmation", json=body, headers=headers)
        for _ in range(3)
    ]


async def test_a_covered_call_ends_with_the_signed_report_in_the_inbox_and_the_quota_consumed_once(
    client: Client, login_as: UserFactory, sessions: Sessions, smtp: SmtpServer
) -> None:
    printer = await printer_at_customer(sessions, "ACME", contract=True)
    agent, planner = await login_as("agent"), await login_as("planner")
    engineer_id = await engineer(sessions, "E-100", {"printers": 4})
    technician = await login_as("technician", engineer_id=engineer_id)
    portal = await login_as("customer", customer_id=printer.it.customer_id)
    admin = await login_as("contract_admin")

    request = await log_call(client, agent, printer)
    template = await fuser_template(client, planner, printer.fuser_id)
    work_order = await work_order_from_template(client, planner, request, template)
    await plan_and_dispatch(client, planner, work_order, engineer_id)
    sent = await field_work(client, technician, work_order, printer, "ACME")
    delivery = await dispatch_due(sessions, outbox_handlers(), smtp.mailer)
    report = await client.get(f"/api/v1/work-orders/{work_order['id']}/service-report", headers=portal)
    billing = await client.get(f"/api/v1/work-orders/{work_order['id']}/billable-items", headers=admin)
    done = await client.get(f"/api/v1/work-orders/{work_order['id']}", headers=planner)

    assert request["covered_by"] == "contract_line" and request["labour_pct"] == "100.00"
    assert [r.status_code for r in sent] == [201, 201, 201]
    assert sent[0].json() == sent[1].json() == sent[2].json()
    assert [r.headers.get("Idempotent-Replayed") for r in sent] == [None, "true", "true"]
    async with sessions() as session:
        confirmations = await session.scalar(
            select(func.count()).select_from(Confirmation).where(Confirmation.work_order_id == UUID(work_order["id"]))
        )
        new_psu = await session.scalar(select(Equipment).where(Equipment.serial_number == "PSU-NEW-ACME"))
        usage = (
            await session.scalars(select(EntitlementUsage).where(EntitlementUsage.line_id == printer.line_id))
        ).all()
    assert confirmations == 2  # one per task, although the repair was sent three times
    assert new_psu is not None and new_psu.parent_id == printer.it.equipment_id
    assert done.json()["status"] == "completed" and done.json()["first_time_fix"] is True

    assert delivery.claimed == 1
    [(recipients, mail)] = smtp.inbox.received
    assert recipients == [CONTACT_EMAIL] and work_order["number"] in mail["Subject"]
    [attachment] = list(mail.iter_attachments())
    mailed = attachment.get_content()
    assert report.status_code == 200 and report.headers["content-type"] == "application/pdf"
    for text in (pdf_text(mailed), pdf_text(report.content)):
        assert "SN-1" in text and "PSU-NEW-ACME" in text and "PSU-OLD-ACME" in text
        assert "Signed by" in text and "Pat Doe" in text
        assert work_order["number"] in text

    assert billing.status_code == 200, billing.text
    items = billing.json()["items"]
    assert {i["kind"] for i in items} >= {"labour", "parts"}
    assert all(Decimal(i["amount"]) == 0 for i in items)  # the contract covers all of it
    assert Decimal(billing.json()["covered_amount"]) > 0
    [used] = usage  # consumed once for the work order, not once per report sent
    assert used.work_order_ref == work_order["number"] and used.visits == 1
    assert used.hours == Decimal("2.50")  # work time: 30 min diagnosis + 2 h repair; travel is not labour


async def test_an_uncovered_call_of_a_customer_on_credit_hold_is_scheduled_only_after_an_override_and_billed(
    client: Client, login_as: UserFactory, sessions: Sessions, smtp: SmtpServer
) -> None:
    printer = await printer_at_customer(sessions, "Bolt", contract=False)
    customer_id = str(printer.it.customer_id)
    agent, planner = await login_as("agent"), await login_as("planner")
    carla, dora = await login_as("contract_admin"), await login_as("contract_admin")
    engineer_id = await engineer(sessions, "E-200", {"printers": 4})
    technician = await login_as("technician", engineer_id=engineer_id)
    carla_id = (await client.get("/api/v1/auth/me", headers=carla)).json()["user_id"]
    opened = await client.post(
        "/api/v1/credit/accounts",
        json={"customer_id": customer_id, "credit_limit": "5000.00", "currency": "EUR"},
        headers=carla,
    )
    held = await client.post(
        f"/api/v1/credit/accounts/{customer_id}/hold", json={"reason": "cheque bounced"}, headers=carla
    )
    assert opened.status_code == 201 and held.status_code == 200

    request = await log_call(client, agent, printer)
    template = await fuser_template(client, planner, printer.fuser_id)
    work_order = await work_order_from_template(client, planner, request, template)
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    for index, task in enumerate(work_order["tasks"]):
        await assign(client, planner, work_order, task, engineer_id, start=start + dt.timedelta(hours=2 * index))
    refused = await transition(client, planner, work_order, "scheduled")
    override = await client.post(
        "/api/v1/credit/overrides",
        json={
            "customer_id": customer_id,
            "amount": "480.00",
            "currency": "EUR",
            "reason": "machine down, payment promised",
            "requested_by_id": carla_id,
            "reference": work_order["number"],
        },
        headers=dora,
    )
    scheduled = await transition(client, planner, work_order, "scheduled")
    dispatched = await transition(client, planner, work_order, "dispatched")
    sent = await field_work(client, technician, work_order, printer, "Bolt")
    await dispatch_due(sessions, outbox_handlers(), smtp.mailer)
    billing = await client.get(f"/api/v1/work-orders/{work_order['id']}/billable-items", headers=carla)

    assert request["covered_by"] == "none" and request["credit_outcome"] == "hold"
    assert refused.status_code == 409
    assert problem_of(refused)["code"] == "credit_check_failed"
    assert [r["code"] for r in problem_of(refused)["reasons"]] == ["on_hold"]
    assert override.status_code == 201, override.text
    assert scheduled.status_code == 200 and dispatched.status_code == 200
    assert [r.status_code for r in sent] == [201, 201, 201]
    [(recipients, _)] = smtp.inbox.received
    assert recipients == [CONTACT_EMAIL]

    items = billing.json()["items"]
    by_key = {i["line_key"].split(":")[0]: i for i in items}
    assert {"labour", "part", "travel"} <= set(by_key)
    assert all(Decimal(i["covered_amount"]) == 0 for i in items)  # nothing covers this printer
    labour = sum(Decimal(i["amount"]) for i in items if i["kind"] == "labour")
    assert labour == Decimal("245.00")  # 2.5 h of work at 98.00
    parts = sorted(Decimal(i["amount"]) for i in items if i["kind"] == "parts")
    assert parts == [Decimal("120.00"), Decimal("180.00")]  # the fuser and the power supply
    assert Decimal(billing.json()["amount"]) == sum(Decimal(i["amount"]) for i in items)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(EntitlementUsage)) == 0
