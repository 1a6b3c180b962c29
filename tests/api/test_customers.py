"""Customers over HTTP: create, change, scope, delete, and the error contract."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]


async def create(client: Client, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/customers", json={"name": "ACME Printing", **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_an_agent_creates_customers_with_sequential_numbers(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    first = await create(client, agent, country="DE", email="info@acme.example")
    second = await create(client, agent, name="Globex", parent_id=first["id"])

    assert (first["number"], second["number"]) == ("C-000001", "C-000002")
    assert second["parent_id"] == first["id"]
    assert first["status"] == "active" and first["version"] == 1


async def test_a_malformed_body_answers_422_naming_the_field(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    response = await client.post("/api/v1/customers", json={"name": "X", "country": "Germany"}, headers=agent)

    body = problem_of(response)
    assert response.status_code == 422
    assert body["code"] == "validation_failed" and body["field"] == "country"


async def test_unknown_fields_and_wrong_types_are_refused(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    unknown = await client.post("/api/v1/customers", json={"name": "X", "colour": "red"}, headers=agent)
    wrong_type = await client.post("/api/v1/customers", json={"name": 42}, headers=agent)
    not_json = await client.post(
        "/api/v1/customers", content=b"{not json", headers={**agent, "content-type": "application/json"}
    )

    assert unknown.status_code == 422 and problem_of(unknown)["field"] == "colour"
    assert wrong_type.status_code == 422 and problem_of(wrong_type)["field"] == "name"
    assert not_json.status_code == 400 and problem_of(not_json)["code"] == "malformed_json"


async def test_a_stale_version_is_a_conflict(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    customer = await create(client, agent)
    url = f"/api/v1/customers/{customer['id']}"

    first = await client.patch(url, json={"version": 1, "name": "ACME Print & Copy"}, headers=agent)
    second = await client.patch(url, json={"version": 1, "name": "Too late"}, headers=agent)

    assert first.status_code == 200 and first.json()["version"] == 2
    assert second.status_code == 409
    assert problem_of(second)["code"] == "stale_version"
    assert problem_of(second)["field"] == "version"


async def test_blocking_needs_a_reason(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    customer = await create(client, admin)
    url = f"/api/v1/customers/{customer['id']}"

    no_reason = await client.patch(url, json={"version": 1, "status": "blocked"}, headers=admin)
    blocked = await client.patch(
        url, json={"version": 1, "status": "blocked", "blocked_reason": "unpaid"}, headers=admin
    )

    assert no_reason.status_code == 422 and problem_of(no_reason)["field"] == "blocked_reason"
    assert blocked.status_code == 200 and blocked.json()["status"] == "blocked"


async def test_only_contract_admins_block_and_unblock_though_agents_edit_the_rest(
    client: Client, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    contract_admin = await login_as("contract_admin")
    customer = await create(client, agent)
    url = f"/api/v1/customers/{customer['id']}"

    block = await client.patch(url, json={"version": 1, "status": "blocked", "blocked_reason": "unpaid"}, headers=agent)
    reason_only = await client.patch(url, json={"version": 1, "blocked_reason": "unpaid"}, headers=agent)
    read_back = await client.patch(url, json={"version": 1, "status": "active", "name": "ACME Print"}, headers=agent)
    blocked = await client.patch(
        url, json={"version": 2, "status": "blocked", "blocked_reason": "unpaid"}, headers=contract_admin
    )
    unblock = await client.patch(url, json={"version": 3, "status": "active"}, headers=agent)
    current = await client.get(url, headers=agent)

    assert block.status_code == 403
    assert (problem_of(block)["code"], problem_of(block)["field"]) == ("field_not_allowed", "status")
    assert reason_only.status_code == 403 and problem_of(reason_only)["field"] == "blocked_reason"
    assert read_back.status_code == 200 and read_back.json()["name"] == "ACME Print"  # unchanged status is fine
    assert blocked.status_code == 200 and blocked.json()["status"] == "blocked"
    assert unblock.status_code == 403 and problem_of(unblock)["field"] == "status"
    assert current.json()["status"] == "blocked" and current.json()["version"] == 3


async def test_a_hierarchy_cycle_is_refused(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    group = await create(client, agent, name="Group")
    child = await create(client, agent, name="Child", parent_id=group["id"])

    response = await client.patch(
        f"/api/v1/customers/{group['id']}", json={"version": 1, "parent_id": child["id"]}, headers=agent
    )

    assert response.status_code == 422
    assert problem_of(response)["code"] == "customer_hierarchy_cycle"


async def test_a_customer_user_sees_its_own_customer_and_subsidiaries_only(
    client: Client, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    group = await create(client, agent, name="Group")
    child = await create(client, agent, name="Subsidiary", parent_id=group["id"])
    stranger = await create(client, agent, name="Someone else")
    portal = await login_as("customer", customer_id=group["id"])

    listed = await client.get("/api/v1/customers", headers=portal)
    other = await client.get(f"/api/v1/customers/{stranger['id']}", headers=portal)

    assert {c["id"] for c in listed.json()["items"]} == {group["id"], child["id"]}
    assert listed.json()["total"] == 2
    assert other.status_code == 404 and problem_of(other)["code"] == "customer_not_found"


async def test_forbidden_roles(client: Client, login_as: UserFactory) -> None:
    technician = await login_as("technician")
    planner = await login_as("planner")
    agent = await login_as("agent")
    customer = await create(client, agent)
    portal = await login_as("customer", customer_id=customer["id"])

    tech_create = await client.post("/api/v1/customers", json={"name": "X"}, headers=technician)
    tech_list = await client.get("/api/v1/customers", headers=technician)
    planner_create = await client.post("/api/v1/customers", json={"name": "X"}, headers=planner)
    portal_create = await client.post("/api/v1/customers", json={"name": "X"}, headers=portal)
    agent_delete = await client.delete(f"/api/v1/customers/{customer['id']}", headers=agent)
    anonymous = await client.get("/api/v1/customers")

    for response in (tech_create, tech_list, planner_create, portal_create, agent_delete):
        assert response.status_code == 403, response.text
        assert problem_of(response)["code"] == "role_not_allowed"
    assert anonymous.status_code == 401 and problem_of(anonymous)["code"] == "unauthenticated"


async def test_deleting_a_referenced_customer_lists_its_dependents(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    group = await create(client, admin, name="Group")
    await create(client, admin, name="Child", parent_id=group["id"])
    lonely = await create(client, admin, name="Lonely")

    refused = await client.delete(f"/api/v1/customers/{group['id']}", headers=admin)
    deleted = await client.delete(f"/api/v1/customers/{lonely['id']}", headers=admin)
    gone = await client.get(f"/api/v1/customers/{lonely['id']}", headers=admin)

    assert refused.status_code == 409
    assert problem_of(refused)["dependents"] == {"subsidiaries": 1}
    assert deleted.status_code == 204
    assert gone.status_code == 404


async def test_listing_pages_sorts_and_filters(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    for name in ["Delta", "Alpha", "Charlie", "Bravo"]:
        await create(client, agent, name=name)

    page = await client.get("/api/v1/customers", params={"sort": "name", "limit": 2, "offset": 1}, headers=agent)
    desc = await client.get("/api/v1/customers", params={"sort": "-name", "limit": 1}, headers=agent)
    search = await client.get("/api/v1/customers", params={"q": "ARL"}, headers=agent)
    bad_sort = await client.get("/api/v1/customers", params={"sort": "password"}, headers=agent)
    too_big = await client.get("/api/v1/customers", params={"limit": 1000}, headers=agent)

    assert [c["name"] for c in page.json()["items"]] == ["Bravo", "Charlie"]
    assert page.json()["total"] == 4
    assert [c["name"] for c in desc.json()["items"]] == ["Delta"]
    assert [c["name"] for c in search.json()["items"]] == ["Charlie"]
    assert bad_sort.status_code == 422 and problem_of(bad_sort)["field"] == "sort"
    assert too_big.status_code == 422 and problem_of(too_big)["field"] == "limit"
