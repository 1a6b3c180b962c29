"""Custom fields on service requests, work orders and contracts (customers, sites, equipment: test_custom_fields)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from core.db import session_scope
from tests.api.test_service_requests import call, clock, covered_printer  # noqa: F401  (clock: a fixture)
from tests.conftest import UserFactory, problem_of
from tests.integration.rma_fixtures import rma_customer

Client = AsyncTestClient[Litestar]
URL = "/api/v1/service-requests"


async def define(client: Client, admin: dict[str, str], **body: Any) -> None:
    body = {"entity": "service_request", "label": body["name"], **body}
    response = await client.post("/api/v1/custom-fields", json=body, headers=admin)
    assert response.status_code == 201, response.text


async def test_customers_write_and_read_only_the_fields_meant_for_them(
    client: Client,
    login_as: UserFactory,
    sessions: async_sessionmaker[AsyncSession],
    clock: FixedClock,  # noqa: F811
) -> None:
    it = await covered_printer(sessions, "Mine")
    admin = await login_as("admin")
    agent = await login_as("agent")
    portal = await login_as("customer", customer_id=it.customer_id)
    await define(client, admin, name="po_number", type="text", visibility="customer", required=True)
    await define(client, admin, name="root_cause", type="single_choice", choices=["user", "wear", "defect"])

    missing = await client.post(URL, json=call(it, reported_at=None), headers=portal)
    internal = await client.post(
        URL, json=call(it, reported_at=None, custom={"po_number": "PO-1", "root_cause": "user"}), headers=portal
    )
    logged = await client.post(URL, json=call(it, reported_at=None, custom={"po_number": "PO-1"}), headers=portal)
    triaged = await client.patch(
        f"{URL}/{logged.json()['id']}", json={"version": 1, "custom": {"root_cause": "wear"}}, headers=agent
    )
    staff_view = await client.get(f"{URL}/{logged.json()['id']}", headers=agent)
    portal_view = await client.get(f"{URL}/{logged.json()['id']}", headers=portal)
    staff_list = await client.get(URL, params={"custom.root_cause": "wear"}, headers=agent)
    portal_list = await client.get(URL, params={"custom.po_number": "PO-1"}, headers=portal)

    assert missing.status_code == 422 and problem_of(missing)["field"] == "custom.po_number"
    assert internal.status_code == 422 and problem_of(internal)["field"] == "custom.root_cause"
    assert logged.status_code == 201 and logged.json()["custom"] == {"po_number": "PO-1"}
    assert triaged.status_code == 200, triaged.text
    assert staff_view.json()["custom"] == {"po_number": "PO-1", "root_cause": "wear"}
    assert portal_view.json()["custom"] == {"po_number": "PO-1"}
    assert staff_list.json()["total"] == 1 and portal_list.json()["total"] == 1
    assert portal_list.json()["items"][0]["custom"] == {"po_number": "PO-1"}


async def test_work_orders_carry_custom_fields(
    client: Client,
    login_as: UserFactory,
    sessions: async_sessionmaker[AsyncSession],
    clock: FixedClock,  # noqa: F811
) -> None:
    it = await covered_printer(sessions, "Mine")
    admin = await login_as("admin")
    planner = await login_as("planner")
    body = {"entity": "work_order", "name": "access_code", "label": "Access code", "type": "integer", "max": 9999}
    assert (await client.post("/api/v1/custom-fields", json=body, headers=admin)).status_code == 201
    request = await client.post(URL, json=call(it), headers=admin)
    assert request.status_code == 201, request.text

    too_big = await client.post(
        "/api/v1/work-orders",
        json={"request_id": request.json()["id"], "custom": {"access_code": 10000}},
        headers=planner,
    )
    created = await client.post(
        "/api/v1/work-orders",
        json={"request_id": request.json()["id"], "custom": {"access_code": 1234}},
        headers=planner,
    )
    listed = await client.get("/api/v1/work-orders", params={"custom.access_code": "1234"}, headers=planner)
    none = await client.get("/api/v1/work-orders", params={"custom.access_code": "4321"}, headers=planner)
    changed = await client.patch(
        f"/api/v1/work-orders/{created.json()['id']}",
        json={"version": 1, "custom": {"access_code": None}},
        headers=planner,
    )

    assert too_big.status_code == 422 and problem_of(too_big)["field"] == "custom.access_code"
    assert created.status_code == 201 and created.json()["custom"] == {"access_code": 1234}
    assert listed.json()["total"] == 1 and listed.json()["items"][0]["custom"] == {"access_code": 1234}
    assert none.json()["total"] == 0
    assert changed.status_code == 200 and changed.json()["custom"] == {}


async def test_contracts_carry_custom_fields_in_any_status(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    contract_admin = await login_as("contract_admin")
    body = {"entity": "contract", "name": "cost_centre", "label": "Cost centre", "type": "integer", "min": 100}
    assert (await client.post("/api/v1/custom-fields", json=body, headers=admin)).status_code == 201
    owner = await client.post("/api/v1/customers", json={"name": "ACME"}, headers=admin)
    terms = {"customer_id": owner.json()["id"], "starts_on": "2027-01-01", "ends_on": "2027-12-31", "currency": "EUR"}

    first = await client.post(
        "/api/v1/contracts", json={**terms, "name": "Print", "custom": {"cost_centre": 300}}, headers=contract_admin
    )
    second = await client.post(
        "/api/v1/contracts", json={**terms, "name": "Scan", "custom": {"cost_centre": 200}}, headers=contract_admin
    )
    too_small = await client.post(
        "/api/v1/contracts", json={**terms, "name": "X", "custom": {"cost_centre": 5}}, headers=contract_admin
    )
    sorted_ = await client.get("/api/v1/contracts", params={"sort": "custom.cost_centre"}, headers=contract_admin)
    filtered = await client.get("/api/v1/contracts", params={"custom.cost_centre": "300"}, headers=contract_admin)
    changed = await client.patch(
        f"/api/v1/contracts/{first.json()['id']}",
        json={"version": 1, "custom": {"cost_centre": 400}},
        headers=contract_admin,
    )

    assert first.status_code == 201, first.text
    assert first.json()["custom"] == {"cost_centre": 300} and second.status_code == 201
    assert too_small.status_code == 422 and problem_of(too_small)["code"] == "custom_field_too_small"
    assert [c["name"] for c in sorted_.json()["items"]] == ["Scan", "Print"]
    assert [c["name"] for c in filtered.json()["items"]] == ["Print"]
    assert changed.status_code == 200 and changed.json()["custom"] == {"cost_centre": 400}


async def test_rmas_carry_custom_fields(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with session_scope(sessions) as session:
        party = await rma_customer(session, "ACME")
    admin = await login_as("admin")
    agent = await login_as("agent")
    portal = await login_as("customer", customer_id=party.it.customer_id)
    for body in (
        {"name": "courier_ref", "type": "text", "visibility": "customer"},
        {"name": "triage_note", "type": "long_text"},
    ):
        definition = {"entity": "rma", "label": body["name"], **body}
        assert (await client.post("/api/v1/custom-fields", json=definition, headers=admin)).status_code == 201
    rma = {"serial_number": "SN-1", "reason_code": "no_power", "problem_description": "dead after a power cut"}

    internal = await client.post("/api/v1/rmas", json={**rma, "custom": {"triage_note": "x"}}, headers=portal)
    created = await client.post("/api/v1/rmas", json={**rma, "custom": {"courier_ref": "DHL-1"}}, headers=portal)
    listed = await client.get("/api/v1/rmas", params={"custom.courier_ref": "DHL-1"}, headers=agent)
    other = await client.get("/api/v1/rmas", params={"custom.courier_ref": "DHL-2"}, headers=agent)

    assert internal.status_code == 422 and problem_of(internal)["field"] == "custom.triage_note"
    assert created.status_code == 201, created.text
    assert created.json()["custom"] == {"courier_ref": "DHL-1"}
    assert listed.json()["total"] == 1 and listed.json()["items"][0]["custom"] == {"courier_ref": "DHL-1"}
    assert other.json()["total"] == 0
