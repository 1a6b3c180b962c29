"""Users over HTTP (admins only): create, list, change role, deactivate, reset a password."""

from __future__ import annotations

import json
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import audit_log
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]


async def create(client: Client, admin: dict[str, str], **body: Any) -> dict[str, Any]:
    payload = {"username": "dora", "password": "first-pw", "role": "planner"} | body
    response = await client.post("/api/v1/users", json=payload, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def log_in(client: Client, username: str, password: str) -> Any:
    return await client.post("/api/v1/auth/login", json={"username": username, "password": password})


async def test_an_admin_creates_lists_and_reads_users_without_ever_seeing_a_hash(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("admin")
    dora = await create(client, admin, display_name="Dora Planner", email="dora@example.com")
    await create(client, admin, username="ted", role="technician")

    planners = await client.get("/api/v1/users", params={"role": "planner"}, headers=admin)
    everyone = await client.get("/api/v1/users", headers=admin)
    one = await client.get(f"/api/v1/users/{dora['id']}", headers=admin)
    unknown_role = await client.get("/api/v1/users", params={"role": "wizard"}, headers=admin)

    assert dora["role"] == "planner" and dora["active"] is True and dora["version"] == 1
    assert dora["display_name"] == "Dora Planner" and dora["customer_id"] is None
    assert [u["username"] for u in planners.json()["items"]] == ["dora"]
    assert {u["username"] for u in everyone.json()["items"]} == {"admin1", "dora", "ted"}
    assert one.json() == dora
    for response in (one, planners, everyone):
        assert "hash" not in response.text and "first-pw" not in response.text
    assert unknown_role.status_code == 422 and problem_of(unknown_role)["field"] == "role"
    assert (await log_in(client, "dora", "first-pw")).status_code == 200


async def test_invalid_users_are_refused_with_a_code_and_field(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    await create(client, admin)

    duplicate = await client.post(
        "/api/v1/users", json={"username": "dora", "password": "xxxx", "role": "agent"}, headers=admin
    )
    portal_without_customer = await client.post(
        "/api/v1/users", json={"username": "carl", "password": "xxxx", "role": "customer"}, headers=admin
    )
    bad_username = await client.post(
        "/api/v1/users", json={"username": "no spaces", "password": "xxxx", "role": "agent"}, headers=admin
    )
    short_password = await client.post(
        "/api/v1/users", json={"username": "eve", "password": "x", "role": "agent"}, headers=admin
    )

    assert duplicate.status_code == 409
    assert (problem_of(duplicate)["code"], problem_of(duplicate)["field"]) == ("duplicate_username", "username")
    assert portal_without_customer.status_code == 422
    assert problem_of(portal_without_customer)["code"] == "customer_binding"
    assert bad_username.status_code == 422 and problem_of(bad_username)["field"] == "username"
    assert short_password.status_code == 422 and problem_of(short_password)["field"] == "password"


async def test_a_deactivated_user_cannot_log_in_and_a_new_password_replaces_the_old(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("admin")
    dora = await create(client, admin)
    url = f"/api/v1/users/{dora['id']}"

    reset = await client.patch(url, json={"version": 1, "password": "second-pw"}, headers=admin)
    old_password = await log_in(client, "dora", "first-pw")
    new_password = await log_in(client, "dora", "second-pw")
    deactivated = await client.patch(url, json={"version": 2, "active": False}, headers=admin)
    after_deactivation = await log_in(client, "dora", "second-pw")
    reactivated = await client.patch(url, json={"version": 3, "active": True}, headers=admin)
    after_reactivation = await log_in(client, "dora", "second-pw")

    assert reset.status_code == 200 and reset.json()["version"] == 2
    assert old_password.status_code == 401 and new_password.status_code == 200
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    assert after_deactivation.status_code == 401
    assert problem_of(after_deactivation)["code"] == "invalid_credentials"
    assert reactivated.status_code == 200 and after_reactivation.status_code == 200


async def test_changing_role_and_profile_with_the_binding_rules(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    customer = await client.post("/api/v1/customers", json={"name": "ACME"}, headers=admin)
    dora = await create(client, admin)
    url = f"/api/v1/users/{dora['id']}"

    promoted = await client.patch(
        url, json={"version": 1, "role": "manager", "display_name": "Dora M.", "email": None}, headers=admin
    )
    portal_without_customer = await client.patch(url, json={"version": 2, "role": "customer"}, headers=admin)
    portal = await client.patch(
        url, json={"version": 2, "role": "customer", "customer_id": customer.json()["id"]}, headers=admin
    )
    stale = await client.patch(url, json={"version": 1, "display_name": "late"}, headers=admin)
    unknown = await client.patch(
        "/api/v1/users/00000000-0000-0000-0000-000000000001", json={"version": 1, "active": False}, headers=admin
    )
    extra_field = await client.patch(url, json={"version": 3, "password_hash": "x"}, headers=admin)

    assert promoted.status_code == 200
    assert (promoted.json()["role"], promoted.json()["display_name"]) == ("manager", "Dora M.")
    assert portal_without_customer.status_code == 422
    assert (problem_of(portal_without_customer)["code"], problem_of(portal_without_customer)["field"]) == (
        "customer_binding",
        "customer_id",
    )
    assert portal.status_code == 200 and portal.json()["customer_id"] == customer.json()["id"]
    assert stale.status_code == 409 and problem_of(stale)["code"] == "stale_version"
    assert unknown.status_code == 404 and problem_of(unknown)["code"] == "user_not_found"
    assert extra_field.status_code == 422 and problem_of(extra_field)["field"] == "password_hash"


async def test_a_technician_linked_to_an_engineer_keeps_its_role(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    ted = await create(client, admin, username="ted", role="technician")
    engineer = await client.post(
        "/api/v1/engineers",
        json={
            "name": "Ted",
            "home_latitude": 52.5,
            "home_longitude": 13.4,
            "time_zone": "Europe/Berlin",
            "cost_rate": "50",
            "currency": "EUR",
            "user_id": ted["id"],
        },
        headers=admin,
    )
    assert engineer.status_code == 201, engineer.text

    refused = await client.patch(f"/api/v1/users/{ted['id']}", json={"version": 1, "role": "agent"}, headers=admin)

    assert refused.status_code == 409
    assert (problem_of(refused)["code"], problem_of(refused)["field"]) == ("user_linked_to_engineer", "role")


async def test_an_admin_cannot_lock_itself_out(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    me = (await client.get("/api/v1/auth/me", headers=admin)).json()
    url = f"/api/v1/users/{me['user_id']}"

    deactivate = await client.patch(url, json={"version": 1, "active": False}, headers=admin)
    demote = await client.patch(url, json={"version": 1, "role": "planner"}, headers=admin)
    rename = await client.patch(url, json={"version": 1, "display_name": "The Admin"}, headers=admin)

    assert deactivate.status_code == 409 and problem_of(deactivate)["code"] == "self_lockout"
    assert demote.status_code == 409 and problem_of(demote)["field"] == "role"
    assert rename.status_code == 200


async def test_only_admins_manage_users(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    dora = await create(client, admin)
    body = {"username": "mallory", "password": "xxxx", "role": "admin"}

    refused = []
    for role in ("planner", "agent", "manager", "technician"):
        headers = await login_as(role)
        refused += [
            await client.post("/api/v1/users", json=body, headers=headers),
            await client.get("/api/v1/users", headers=headers),
            await client.patch(f"/api/v1/users/{dora['id']}", json={"version": 1, "role": "admin"}, headers=headers),
        ]

    for response in refused:
        assert response.status_code == 403, response.text
        assert problem_of(response)["code"] == "role_not_allowed"


async def test_user_changes_are_audited_without_password_hashes(
    client: Client, login_as: UserFactory, session: AsyncSession
) -> None:
    admin = await login_as("admin")
    dora = await create(client, admin)
    await client.patch(
        f"/api/v1/users/{dora['id']}", json={"version": 1, "password": "second-pw", "role": "agent"}, headers=admin
    )

    rows = (
        (
            await session.execute(
                select(audit_log)
                .where(audit_log.c.entity == "user", audit_log.c.entity_id == dora["id"])
                .order_by(audit_log.c.id)
            )
        )
        .mappings()
        .all()
    )

    assert [r["action"] for r in rows] == ["create", "update"]
    update = rows[1]
    assert update["before"] == {"role": "planner", "version": 1}
    assert update["after"] == {"role": "agent", "version": 2, "password_changed": True}
    logged = json.dumps([dict(r["before"] or {}) | dict(r["after"] or {}) for r in rows])
    assert "$argon2" not in logged and "second-pw" not in logged and "first-pw" not in logged
