"""RMAs over HTTP: the portal (customer A vs B), staff steps by role, events, bad input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import session_scope
from tests.conftest import UserFactory, problem_of
from tests.integration.rma_fixtures import RmaParty, rma_customer

Client = AsyncTestClient[Litestar]
URL = "/api/v1/rmas"


@dataclass
class Portal:
    a: RmaParty
    b: RmaParty
    as_a: dict[str, str]
    as_b: dict[str, str]


async def two_customers(sessions: async_sessionmaker[AsyncSession], login_as: UserFactory) -> Portal:
    async with session_scope(sessions) as session:
        a, b = await rma_customer(session, "ACME"), await rma_customer(session, "BETA")
    as_a = await login_as("customer", customer_id=a.it.customer_id)
    as_b = await login_as("customer", customer_id=b.it.customer_id)
    return Portal(a, b, as_a, as_b)


async def portal_rma(client: Client, portal: Portal) -> dict[str, Any]:
    body = {"serial_number": "SN-1", "reason_code": "no_power", "problem_description": "dead after a power cut"}
    response = await client.post(URL, json=body, headers=portal.as_a)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_customer_requests_an_rma_for_its_own_unit_in_the_portal(
    client: Client, sessions: async_sessionmaker[AsyncSession], login_as: UserFactory
) -> None:
    portal = await two_customers(sessions, login_as)
    rma = await portal_rma(client, portal)
    assert (rma["customer_id"], rma["equipment_id"]) == (str(portal.a.it.customer_id), str(portal.a.it.equipment_id))
    assert (rma["status"], rma["covered_by"], rma["rma_type"]) == ("requested", "warranty", "repair_return")
    assert rma["entitlement"] is None and rma["created_by"] is None  # staff-only fields
    listed = (await client.get(URL, headers=portal.as_a)).json()
    assert [r["number"] for r in listed["items"]] == [rma["number"]]
    assert (await client.get(URL, headers=portal.as_b)).json()["items"] == []

    foreign = {"equipment_id": str(portal.b.it.equipment_id), "reason_code": "x", "problem_description": "x"}
    refused = await client.post(URL, json=foreign, headers=portal.as_a)
    assert refused.status_code == 404 and problem_of(refused)["code"] == "equipment_not_found"


async def test_another_customers_rma_answers_exactly_like_an_unknown_one(
    client: Client, sessions: async_sessionmaker[AsyncSession], login_as: UserFactory
) -> None:
    portal = await two_customers(sessions, login_as)
    rma = await portal_rma(client, portal)
    number = rma["number"]
    unknown_number = "RMA-999999"

    mine = await client.get(f"{URL}/by-number/{number}", headers=portal.as_a)
    assert mine.status_code == 200 and mine.json()["id"] == rma["id"]

    theirs = await client.get(f"{URL}/by-number/{number}", headers=portal.as_b)
    unknown = await client.get(f"{URL}/by-number/{unknown_number}", headers=portal.as_b)
    assert theirs.status_code == unknown.status_code == 404
    strip = lambda body: {k: v for k, v in body.items() if k not in {"detail", "instance"}}  # noqa: E731
    assert strip(problem_of(theirs)) == strip(problem_of(unknown))
    assert problem_of(theirs)["detail"].replace(number, "#") == problem_of(unknown)["detail"].replace(
        unknown_number, "#"
    )

    unknown_id = "00000000-0000-4000-8000-000000000000"
    by_id = await client.get(f"{URL}/{rma['id']}", headers=portal.as_b)
    by_unknown_id = await client.get(f"{URL}/{unknown_id}", headers=portal.as_b)
    assert by_id.status_code == by_unknown_id.status_code == 404
    assert strip(problem_of(by_id)) == strip(problem_of(by_unknown_id))
    events = await client.get(f"{URL}/{rma['id']}/events", headers=portal.as_b)
    assert events.status_code == 404


async def test_customers_cannot_act_as_staff(
    client: Client, sessions: async_sessionmaker[AsyncSession], login_as: UserFactory
) -> None:
    portal = await two_customers(sessions, login_as)
    rma = await portal_rma(client, portal)
    for step in ("authorize", "receive", "ship", "close", "cancel", "ship-replacement"):
        response = await client.post(f"{URL}/{rma['id']}/{step}", json={}, headers=portal.as_a)
        assert response.status_code == 403, step
    manager = await login_as("manager")
    assert (await client.post(f"{URL}/{rma['id']}/authorize", json={}, headers=manager)).status_code == 403
    assert (await client.get(f"{URL}/{rma['id']}", headers=manager)).status_code == 200


async def test_the_depot_flow_over_http_with_a_hold_and_customer_visible_events(
    client: Client, sessions: async_sessionmaker[AsyncSession], login_as: UserFactory
) -> None:
    portal = await two_customers(sessions, login_as)
    rma = await portal_rma(client, portal)
    agent, depot = await login_as("agent"), await login_as("depot")
    path = f"{URL}/{rma['id']}"

    assert (await client.post(f"{path}/receive", json={"serial_number": "SN-1"}, headers=agent)).status_code == 403
    authorized = await client.post(f"{path}/authorize", json={"internal_note": "known batch issue"}, headers=agent)
    assert authorized.status_code == 200 and authorized.json()["status"] == "awaiting_receipt"

    received = await client.post(f"{path}/receive", json={"serial_number": "SN-77"}, headers=depot)
    assert received.status_code == 200
    assert received.json()["on_hold"] is True
    assert received.json()["hold_reason"] == "serial mismatch: expected SN-1, received SN-77"
    closing = await client.post(f"{path}/close", json={}, headers=depot)
    assert closing.status_code == 409 and problem_of(closing)["code"] == "rma_on_hold"
    seen = (await client.get(path, headers=portal.as_a)).json()
    assert seen["on_hold"] is True and seen["hold_reason"] is None

    back = await client.post(f"{path}/resolve-hold", json={"decision": "return"}, headers=depot)
    assert back.status_code == 200 and back.json()["status"] == "in_diagnosis"
    shipped = await client.post(f"{path}/ship", json={"carrier_tracking": "1Z42"}, headers=depot)
    assert shipped.status_code == 200 and shipped.json()["carrier_tracking"] == "1Z42"
    assert (await client.post(f"{path}/close", json={}, headers=depot)).json()["status"] == "closed"

    staff_events = (await client.get(f"{path}/events", headers=agent)).json()["items"]
    customer_events = (await client.get(f"{path}/events", headers=portal.as_a)).json()["items"]
    assert any(e["internal_note"] == "known batch issue" for e in staff_events)
    assert {"hold", "hold_resolved"} <= {e["kind"] for e in staff_events}
    assert all(e["customer_visible"] for e in customer_events)
    assert all(e["internal_note"] is None and e["actor_name"] is None for e in customer_events)
    assert [e["to_status"] for e in customer_events if e["kind"] == "status_changed"] == [
        "authorized",
        "awaiting_receipt",
        "received",
        "shipped",
        "closed",
    ]


async def test_bad_input_answers_a_problem_and_writes_nothing(
    client: Client, sessions: async_sessionmaker[AsyncSession], login_as: UserFactory
) -> None:
    portal = await two_customers(sessions, login_as)
    rma = await portal_rma(client, portal)
    agent, depot = await login_as("agent"), await login_as("depot")
    path = f"{URL}/{rma['id']}"

    blank = await client.post(f"{path}/reject", json={"reason": "   "}, headers=agent)
    assert blank.status_code == 422 and problem_of(blank)["field"] == "reason"
    missing = await client.post(URL, json={"reason_code": "x", "problem_description": "x"}, headers=agent)
    assert missing.status_code == 422 and problem_of(missing)["field"] == "customer_id"
    no_unit = {"customer_id": str(portal.a.it.customer_id), "reason_code": "x", "problem_description": "x"}
    none = await client.post(URL, json=no_unit, headers=agent)
    assert none.status_code == 422 and problem_of(none)["code"] == "equipment_required"
    not_ax = await client.post(f"{path}/ship-replacement", json={"new_unit": {"serial_number": "SN-R"}}, headers=depot)
    assert not_ax.status_code == 409 and problem_of(not_ax)["code"] == "not_advance_exchange"
    early = await client.post(f"{path}/ship", json={"carrier_tracking": "1Z"}, headers=depot)
    assert early.status_code == 409 and problem_of(early)["code"] == "illegal_transition"
    assert (await client.get(path, headers=agent)).json()["shipped_at"] is None

    rejected = await client.post(f"{path}/reject", json={"reason": "Sold by another dealer"}, headers=agent)
    assert rejected.status_code == 200 and rejected.json()["rejection_reason"] == "Sold by another dealer"


async def test_an_advance_exchange_over_http(
    client: Client, sessions: async_sessionmaker[AsyncSession], login_as: UserFactory
) -> None:
    portal = await two_customers(sessions, login_as)
    agent, depot = await login_as("agent"), await login_as("depot")
    body = {
        "customer_id": str(portal.a.it.customer_id),
        "equipment_id": str(portal.a.it.equipment_id),
        "contact_id": str(portal.a.contact_id),
        "rma_type": "advance_exchange",
        "reason_code": "no_power",
        "problem_description": "dead",
    }
    created = await client.post(URL, json=body, headers=agent)
    assert created.status_code == 201, created.text
    path = f"{URL}/{created.json()['id']}"
    await client.post(f"{path}/authorize", json={}, headers=agent)
    shipped = await client.post(
        f"{path}/ship-replacement", json={"new_unit": {"serial_number": "SN-R9"}}, headers=depot
    )
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["replacement_equipment_id"] is not None and shipped.json()["return_due_on"] is not None
    again = await client.post(f"{path}/ship-replacement", json={"new_unit": {"serial_number": "SN-R8"}}, headers=depot)
    assert again.status_code == 409 and problem_of(again)["code"] == "replacement_already_shipped"
