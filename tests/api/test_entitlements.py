"""POST /api/v1/entitlements/check over HTTP: the decision, its candidates, and who may ask."""

from __future__ import annotations

import datetime as dt
import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import session_scope
from tests.conftest import UserFactory, problem_of
from tests.integration.contract_fixtures import contract_for, installed_printer, warranty_for

Client = AsyncTestClient[Litestar]
FRIDAY_AFTERNOON = "2026-11-20T16:30:00+01:00"


async def test_an_agent_sees_the_winning_line_and_why_the_warranty_did_not_apply(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with session_scope(sessions) as session:
        it = await installed_printer(session)
        await warranty_for(session, it, ends_on=dt.date(2026, 6, 30))
        await contract_for(session, it, number="SC-000042")
    agent = await login_as("agent")

    response = await client.post(
        "/api/v1/entitlements/check",
        json={
            "customer_id": str(it.customer_id),
            "equipment_id": str(it.equipment_id),
            "service_type": "repair",
            "priority": "P1",
            "moment": FRIDAY_AFTERNOON,
        },
        headers=agent,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["covered_by"] == "contract_line" and body["billable"] is False
    assert body["due"]["response_due"] == "2026-11-23T10:30:00Z"  # Monday 11:30 in Berlin
    assert [(c["kind"], c["reason"]) for c in body["candidates"]] == [
        ("warranty", "expired"),
        ("contract_line", "applies"),
    ]
    assert body["remaining"]["visits"] == "10"
    assert "SC-000042" in body["why"]


async def test_nothing_covers_a_unit_without_warranty_or_contract(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with session_scope(sessions) as session:
        it = await installed_printer(session)
    planner = await login_as("planner")

    response = await client.post(
        "/api/v1/entitlements/check",
        json={"customer_id": str(it.customer_id), "equipment_id": str(it.equipment_id)},
        headers=planner,
    )

    assert response.status_code == 200
    assert response.json()["covered_by"] == "none" and response.json()["billable"] is True


async def test_customers_check_only_their_own_equipment(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with session_scope(sessions) as session:
        mine = await installed_printer(session, "Mine")
        theirs = await installed_printer(session, "Theirs")
    portal = await login_as("customer", customer_id=mine.customer_id)
    technician = await login_as("technician")

    own = await client.post(
        "/api/v1/entitlements/check",
        json={"customer_id": str(mine.customer_id), "equipment_id": str(mine.equipment_id)},
        headers=portal,
    )
    foreign = await client.post(
        "/api/v1/entitlements/check",
        json={"customer_id": str(theirs.customer_id), "equipment_id": str(theirs.equipment_id)},
        headers=portal,
    )
    by_technician = await client.post(
        "/api/v1/entitlements/check",
        json={"customer_id": str(mine.customer_id), "equipment_id": str(mine.equipment_id)},
        headers=technician,
    )

    assert own.status_code == 200
    assert foreign.status_code == 404 and problem_of(foreign)["code"] == "customer_not_found"
    assert by_technician.status_code == 403


async def test_another_customers_site_answers_like_an_unknown_one(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with session_scope(sessions) as session:
        mine = await installed_printer(session, "Mine")
        theirs = await installed_printer(session, "Theirs")
    portal = await login_as("customer", customer_id=mine.customer_id)
    agent = await login_as("agent")

    def check(site_id: object) -> dict[str, str]:
        return {"customer_id": str(mine.customer_id), "site_id": str(site_id)}

    foreign = await client.post("/api/v1/entitlements/check", json=check(theirs.site_id), headers=portal)
    unknown = await client.post("/api/v1/entitlements/check", json=check(uuid.uuid4()), headers=portal)
    own = await client.post("/api/v1/entitlements/check", json=check(mine.site_id), headers=portal)
    by_staff = await client.post("/api/v1/entitlements/check", json=check(theirs.site_id), headers=agent)

    assert own.status_code == 200
    assert [(r.status_code, problem_of(r)["code"], problem_of(r)["field"]) for r in (foreign, unknown)] == [
        (404, "site_not_found", "site_id")
    ] * 2
    # staff see every site: for them it is a plain mistake
    assert by_staff.status_code == 422 and problem_of(by_staff)["code"] == "site_not_of_customer"


async def test_bad_requests_name_the_field(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    customer = (await client.post("/api/v1/customers", json={"name": "X"}, headers=agent)).json()

    no_object = await client.post("/api/v1/entitlements/check", json={"customer_id": customer["id"]}, headers=agent)
    bad_priority = await client.post(
        "/api/v1/entitlements/check",
        json={"customer_id": customer["id"], "site_id": customer["id"], "priority": "P9"},
        headers=agent,
    )
    naive = await client.post(
        "/api/v1/entitlements/check",
        json={"customer_id": customer["id"], "site_id": customer["id"], "moment": "2026-11-20T16:30:00"},
        headers=agent,
    )

    assert no_object.status_code == 422 and problem_of(no_object)["field"] == "equipment_id"
    assert bad_priority.status_code == 422 and problem_of(bad_priority)["field"] == "priority"
    assert naive.status_code == 422 and problem_of(naive)["field"] == "moment"
