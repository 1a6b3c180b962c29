"""The login audit: every attempt, logout and revocation, read by admins at /api/v1/auth/events."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth_events import AuthEvent
from core.db import session_scope
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
LOGIN = "/api/v1/auth/login"
EVENTS = "/api/v1/auth/events"
BROWSER = {"User-Agent": "Firefox/140 (audit test)"}


async def attempt(client: Client, username: str, password: str) -> Any:
    return await client.post(LOGIN, json={"username": username, "password": password}, headers=BROWSER)


async def events(client: Client, admin: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await client.get(EVENTS, params={"sort": "at", **params}, headers=admin)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def test_every_kind_of_login_attempt_is_recorded_with_who_where_and_how(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("admin")
    dora = (
        await client.post(
            "/api/v1/users", json={"username": "dora", "password": "right-pw", "role": "planner"}, headers=admin
        )
    ).json()
    ok = await attempt(client, "dora", "right-pw")
    await attempt(client, "dora", "wrong-pw")
    await attempt(client, "nobody", "any-pw")
    await client.patch(f"/api/v1/users/{dora['id']}", json={"version": 1, "active": False}, headers=admin)
    await attempt(client, "dora", "right-pw")  # inactive
    for n in range(3):  # five failures in all: the limit
        await attempt(client, "dora", f"guess-{n}")
    throttled = await attempt(client, "dora", "right-pw")

    doras = await events(client, admin, username="dora")
    nobody = await events(client, admin, username="nobody")

    assert ok.status_code == 200 and throttled.status_code == 429
    assert [e["outcome"] for e in doras] == [
        "logged_in",
        "wrong_password",
        "revoked",  # the deactivation ended the session opened first
        "inactive",
        *["wrong_password"] * 3,
        "throttled",
    ]
    assert all(e["user_id"] == dora["id"] for e in doras if e["outcome"] != "throttled")
    assert all(e["address"] == "testclient" and e["user_agent"] == BROWSER["User-Agent"] for e in doras[:2])
    assert doras[0]["session_id"] is not None and doras[1]["session_id"] is None
    assert doras[2]["reason"] == "deactivated" and doras[2]["session_id"] == doras[0]["session_id"]
    assert nobody == [
        nobody[0] | {"outcome": "unknown_user", "user_id": None, "username": "nobody", "address": "testclient"}
    ]


async def test_logouts_and_an_admins_revocations_are_recorded_with_the_actor(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("admin")
    admin_id = (await client.get("/api/v1/auth/me", headers=admin)).json()["user_id"]
    planner = await login_as("planner")
    planner_id = (await client.get("/api/v1/auth/me", headers=planner)).json()["user_id"]
    second = await client.post(LOGIN, json={"username": "planner2", "password": "secret-pw"})

    await client.post("/api/v1/auth/logout", headers=planner | BROWSER)
    await client.delete(f"/api/v1/users/{planner_id}/sessions", headers=admin)

    ended = [e for e in await events(client, admin, user_id=planner_id) if e["outcome"] != "logged_in"]
    assert second.status_code == 200
    assert [(e["outcome"], e["reason"], e["actor_id"]) for e in ended] == [
        ("logged_out", "logout", planner_id),
        ("revoked", "revoked_by_admin", admin_id),
    ]
    assert ended[0]["user_agent"] == BROWSER["User-Agent"]
    assert ended[0]["session_id"] != ended[1]["session_id"]


async def test_the_audit_is_for_admins_and_filters_and_pages_like_other_lists(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("admin")
    manager = await login_as("manager")
    for _ in range(3):
        await attempt(client, "ghost", "boo")

    forbidden = await client.get(EVENTS, headers=manager)
    page = await client.get(EVENTS, params={"outcome": "unknown_user", "limit": 2}, headers=admin)
    bad_outcome = await client.get(EVENTS, params={"outcome": "maybe"}, headers=admin)

    assert forbidden.status_code == 403 and problem_of(forbidden)["code"] == "role_not_allowed"
    body = page.json()
    assert (body["total"], body["limit"], len(body["items"])) == (3, 2, 2)
    assert body["items"][0]["at"] >= body["items"][1]["at"]  # newest first by default
    assert bad_outcome.status_code == 422 and problem_of(bad_outcome)["field"] == "outcome"


async def test_the_login_audit_cannot_be_rewritten(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await login_as("planner")

    for statement in (update(AuthEvent).values(outcome="logged_out"), text("DELETE FROM auth_events")):
        with pytest.raises(DBAPIError, match="append-only"):
            async with session_scope(sessions) as s:
                await s.execute(statement)
