"""An admin lists a user's sessions and ends them: /api/v1/users/{id}/sessions."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
ME = "/api/v1/auth/me"


async def dora_on_two_devices(client: Client, admin: dict[str, str]) -> tuple[str, dict[str, str], dict[str, str]]:
    created = await client.post(
        "/api/v1/users", json={"username": "dora", "password": "first-pw", "role": "planner"}, headers=admin
    )
    tokens = []
    for agent in ("Phone/1", "Laptop/1"):
        response = await client.post(
            "/api/v1/auth/login", json={"username": "dora", "password": "first-pw"}, headers={"User-Agent": agent}
        )
        tokens.append({"Authorization": f"Bearer {response.json()['access_token']}"})
    return created.json()["id"], tokens[0], tokens[1]


def sessions_of(user_id: str) -> str:
    return f"/api/v1/users/{user_id}/sessions"


async def test_an_admin_sees_a_users_live_sessions_and_ends_one(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    dora, phone, laptop = await dora_on_two_devices(client, admin)

    listed = (await client.get(sessions_of(dora), headers=admin)).json()
    phone_session = next(s for s in listed["items"] if s["user_agent"] == "Phone/1")
    ended = await client.delete(f"{sessions_of(dora)}/{phone_session['id']}", headers=admin)
    live_after = (await client.get(sessions_of(dora), headers=admin)).json()
    everything = (await client.get(sessions_of(dora), params={"include_ended": True}, headers=admin)).json()

    assert listed["total"] == 2
    assert {s["user_agent"] for s in listed["items"]} == {"Phone/1", "Laptop/1"}
    assert all(s["username"] == "dora" and s["transport"] == "bearer" for s in listed["items"])
    assert all(s["revoked_at"] is None and s["address"] == "testclient" for s in listed["items"])
    assert ended.status_code == 200 and ended.json() == {"revoked": [phone_session["id"]]}
    assert (await client.get(ME, headers=phone)).status_code == 401
    assert (await client.get(ME, headers=laptop)).status_code == 200
    assert [s["user_agent"] for s in live_after["items"]] == ["Laptop/1"]
    revoked = next(s for s in everything["items"] if s["id"] == phone_session["id"])
    assert everything["total"] == 2 and revoked["revoked_reason"] == "revoked_by_admin"


async def test_an_admin_ends_all_of_a_users_sessions(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    dora, phone, laptop = await dora_on_two_devices(client, admin)

    ended = await client.delete(sessions_of(dora), headers=admin)
    again = await client.delete(sessions_of(dora), headers=admin)

    assert ended.status_code == 200 and len(ended.json()["revoked"]) == 2
    assert again.json() == {"revoked": []}
    for token in (phone, laptop):
        assert (await client.get(ME, headers=token)).status_code == 401
    assert (await client.get(sessions_of(dora), headers=admin)).json()["total"] == 0


async def test_sessions_of_unknown_users_or_of_someone_else_are_not_found(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("admin")
    dora, _, _ = await dora_on_two_devices(client, admin)
    admins_own: dict[str, Any] = (await client.get(ME, headers=admin)).json()
    admins_session = (await client.get(sessions_of(admins_own["user_id"]), headers=admin)).json()["items"][0]

    unknown_user = await client.get(sessions_of(str(uuid.uuid4())), headers=admin)
    someone_elses = await client.delete(f"{sessions_of(dora)}/{admins_session['id']}", headers=admin)

    assert unknown_user.status_code == 404 and problem_of(unknown_user)["code"] == "user_not_found"
    assert someone_elses.status_code == 404 and problem_of(someone_elses)["code"] == "session_not_found"
    assert (await client.get(ME, headers=admin)).status_code == 200


async def test_only_admins_manage_sessions(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    dora, phone, _ = await dora_on_two_devices(client, admin)

    listed = await client.get(sessions_of(dora), headers=phone)
    ended = await client.delete(sessions_of(dora), headers=phone)

    assert listed.status_code == ended.status_code == 403
    assert (await client.get(ME, headers=phone)).status_code == 200
