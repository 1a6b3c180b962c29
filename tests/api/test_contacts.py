"""Contacts over HTTP: the people at a customer, kept by staff and by the customer's own users."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit import audit_log
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
Headers = dict[str, str]


async def customer(client: Client, headers: Headers, name: str = "ACME Printing", **body: Any) -> str:
    response = await client.post("/api/v1/customers", json={"name": name, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def contact(client: Client, headers: Headers, customer_id: str, **body: Any) -> dict[str, Any]:
    payload = {"customer_id": customer_id, "first_name": "Jane", "last_name": "Doe", **body}
    response = await client.post("/api/v1/contacts", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_an_agent_records_contacts_and_finds_them_by_name_or_email(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    acme = await customer(client, agent)
    globex = await customer(client, agent, "Globex")
    jane = await contact(
        client, agent, acme, email="jane.doe@acme.example", phone="+49 30 1234", role="Facility Manager"
    )
    await contact(client, agent, acme, first_name="Max", last_name="Mustermann", email="max@acme.example")
    await contact(client, agent, globex, first_name="Hank", last_name="Scorpio")

    by_full_name = await client.get("/api/v1/contacts", params={"q": "jane d"}, headers=agent)
    by_email = await client.get("/api/v1/contacts", params={"q": "MAX@"}, headers=agent)
    of_acme = await client.get("/api/v1/contacts", params={"customer_id": acme, "sort": "first_name"}, headers=agent)

    assert jane["customer_id"] == acme and jane["role"] == "Facility Manager" and jane["version"] == 1
    assert [c["id"] for c in by_full_name.json()["items"]] == [jane["id"]]
    assert [c["last_name"] for c in by_email.json()["items"]] == ["Mustermann"]
    assert [c["first_name"] for c in of_acme.json()["items"]] == ["Jane", "Max"]


async def test_marking_a_contact_primary_demotes_the_previous_one(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    acme = await customer(client, agent)
    first = await contact(client, agent, acme, is_primary=True)
    second = await contact(client, agent, acme, first_name="John", is_primary=True)

    demoted = (await client.get(f"/api/v1/contacts/{first['id']}", headers=agent)).json()
    back = await client.patch(f"/api/v1/contacts/{first['id']}", json={"version": 2, "is_primary": True}, headers=agent)
    second_now = (await client.get(f"/api/v1/contacts/{second['id']}", headers=agent)).json()

    assert demoted["is_primary"] is False and demoted["version"] == 2
    assert back.status_code == 200 and back.json()["is_primary"] is True
    assert second_now["is_primary"] is False


async def test_invalid_input_names_the_field(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    acme = await customer(client, agent)
    base = {"customer_id": acme, "first_name": "Jane", "last_name": "Doe"}

    bad_email = await client.post("/api/v1/contacts", json={**base, "email": "jane-at-acme"}, headers=agent)
    no_name = await client.post("/api/v1/contacts", json={**base, "first_name": ""}, headers=agent)
    move = await client.patch(
        f"/api/v1/contacts/{(await contact(client, agent, acme))['id']}",
        json={"version": 1, "customer_id": acme},
        headers=agent,
    )
    unknown_customer = await client.post(
        "/api/v1/contacts", json={**base, "customer_id": "00000000-0000-0000-0000-000000000001"}, headers=agent
    )

    assert bad_email.status_code == 422 and problem_of(bad_email)["field"] == "email"
    assert no_name.status_code == 422 and problem_of(no_name)["field"] == "first_name"
    assert move.status_code == 422 and problem_of(move)["field"] == "customer_id"
    assert unknown_customer.status_code == 404
    assert problem_of(unknown_customer)["code"] == "customer_not_found"
    assert problem_of(unknown_customer)["field"] == "customer_id"


async def test_a_customer_user_manages_the_contacts_of_its_own_customers_only(
    client: Client, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    group = await customer(client, agent, "Group")
    subsidiary = await customer(client, agent, "Subsidiary", parent_id=group)
    stranger = await customer(client, agent, "Someone else")
    foreign = await contact(client, agent, stranger, first_name="Secret")
    portal = await login_as("customer", customer_id=group)

    own = await contact(client, portal, group)
    at_subsidiary = await contact(client, portal, subsidiary, first_name="Sub")
    renamed = await client.patch(f"/api/v1/contacts/{own['id']}", json={"version": 1, "role": "Buyer"}, headers=portal)
    listed = await client.get("/api/v1/contacts", headers=portal)
    filtered = await client.get("/api/v1/contacts", params={"customer_id": stranger}, headers=portal)
    read_foreign = await client.get(f"/api/v1/contacts/{foreign['id']}", headers=portal)
    change_foreign = await client.patch(f"/api/v1/contacts/{foreign['id']}", json={"version": 1}, headers=portal)
    delete_foreign = await client.delete(f"/api/v1/contacts/{foreign['id']}", headers=portal)
    create_foreign = await client.post(
        "/api/v1/contacts", json={"customer_id": stranger, "first_name": "A", "last_name": "B"}, headers=portal
    )

    assert renamed.status_code == 200 and renamed.json()["role"] == "Buyer"
    assert {c["id"] for c in listed.json()["items"]} == {own["id"], at_subsidiary["id"]}
    assert filtered.json()["items"] == [] and filtered.json()["total"] == 0
    for response in (read_foreign, change_foreign, delete_foreign):
        assert response.status_code == 404 and problem_of(response)["code"] == "contact_not_found"
    assert create_foreign.status_code == 404 and problem_of(create_foreign)["field"] == "customer_id"
    assert (await client.get(f"/api/v1/contacts/{foreign['id']}", headers=agent)).status_code == 200


async def test_roles_without_access_are_refused(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    acme = await customer(client, agent)
    existing = await contact(client, agent, acme)
    technician = await login_as("technician")
    planner = await login_as("planner")
    manager = await login_as("manager")
    body = {"customer_id": acme, "first_name": "A", "last_name": "B"}

    tech_create = await client.post("/api/v1/contacts", json=body, headers=technician)
    tech_list = await client.get("/api/v1/contacts", headers=technician)
    planner_create = await client.post("/api/v1/contacts", json=body, headers=planner)
    manager_delete = await client.delete(f"/api/v1/contacts/{existing['id']}", headers=manager)
    manager_read = await client.get(f"/api/v1/contacts/{existing['id']}", headers=manager)

    for response in (tech_create, tech_list, planner_create, manager_delete):
        assert response.status_code == 403, response.text
        assert problem_of(response)["code"] == "role_not_allowed"
    assert manager_read.status_code == 200


async def test_a_stale_version_is_a_conflict(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    existing = await contact(client, agent, await customer(client, agent))
    url = f"/api/v1/contacts/{existing['id']}"

    first = await client.patch(url, json={"version": 1, "phone": "+49 89 555"}, headers=agent)
    second = await client.patch(url, json={"version": 1, "phone": "+49 89 666"}, headers=agent)

    assert first.status_code == 200 and first.json()["version"] == 2
    assert second.status_code == 409
    assert problem_of(second)["code"] == "stale_version" and problem_of(second)["current_version"] == 2


async def test_every_change_is_audited(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    agent = await login_as("agent")
    existing = await contact(client, agent, await customer(client, agent))
    url = f"/api/v1/contacts/{existing['id']}"
    await client.patch(url, json={"version": 1, "last_name": "Smith"}, headers=agent)
    deleted = await client.delete(url, headers=agent)
    gone = await client.get(url, headers=agent)

    async with sessions() as s:
        rows = (
            await s.execute(
                select(audit_log.c.action, audit_log.c.actor_name, audit_log.c.before, audit_log.c.after)
                .where(audit_log.c.entity == "contact", audit_log.c.entity_id == existing["id"])
                .order_by(audit_log.c.id)
            )
        ).all()

    assert deleted.status_code == 204 and gone.status_code == 404
    assert [(r.action, r.actor_name) for r in rows] == [
        ("create", "agent1"),
        ("update", "agent1"),
        ("delete", "agent1"),
    ]
    assert rows[1].before["last_name"] == "Doe" and rows[1].after["last_name"] == "Smith"
    assert rows[2].before["last_name"] == "Smith" and rows[2].after is None
