"""Logging in: tokens, wrong credentials, throttling, tampered and expired tokens, bindings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jwt
from litestar import Litestar
from litestar.testing import AsyncTestClient

from core.settings import Settings
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"


async def log_in(client: Client, username: str, password: str) -> Any:
    return await client.post(LOGIN, json={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_user(client: Client, login_as: UserFactory, **body: Any) -> dict[str, Any]:
    admin = await login_as("admin")
    response = await client.post("/api/v1/users", json={"password": "right-pw", **body}, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_user_logs_in_and_the_token_identifies_it(client: Client, login_as: UserFactory) -> None:
    user = await make_user(client, login_as, username="paula", role="planner")

    response = await log_in(client, "paula", "right-pw")
    token = response.json()
    me = await client.get(ME, headers=bearer(token["access_token"]))

    assert response.status_code == 200
    assert token["token_type"] == "bearer" and token["role"] == "planner"
    assert token["expires_in"] == 480 * 60
    assert me.status_code == 200
    assert me.json() == {
        "user_id": user["id"],
        "username": "paula",
        "role": "planner",
        "customer_id": None,
        "engineer_id": None,
    }


async def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client: Client, login_as: UserFactory) -> None:
    await make_user(client, login_as, username="paula", role="planner")

    wrong_password = await log_in(client, "paula", "wrong-pw")
    unknown_user = await log_in(client, "nobody", "wrong-pw")

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert problem_of(wrong_password)["code"] == "invalid_credentials"
    strip = {"instance"}
    assert {k: v for k, v in wrong_password.json().items() if k not in strip} == {
        k: v for k, v in unknown_user.json().items() if k not in strip
    }


async def test_the_sixth_attempt_after_five_failures_is_throttled_even_with_the_right_password(
    client: Client, login_as: UserFactory
) -> None:
    await make_user(client, login_as, username="paula", role="planner")

    failures = [await log_in(client, "paula", f"guess-{n}") for n in range(5)]
    sixth = await log_in(client, "paula", "right-pw")
    other_user = await log_in(client, "admin1", "secret-pw")

    assert [r.status_code for r in failures] == [401] * 5
    assert sixth.status_code == 429
    assert problem_of(sixth)["code"] == "too_many_attempts"
    assert sixth.headers["Retry-After"] == "300"
    assert other_user.status_code == 200


async def test_a_tampered_token_is_refused(client: Client, login_as: UserFactory) -> None:
    headers = await login_as("planner")
    header, payload, signature = headers["Authorization"].removeprefix("Bearer ").split(".")
    claims = jwt.utils.base64url_decode(payload)
    promoted = jwt.utils.base64url_encode(claims.replace(b'"planner"', b'"admin"')).decode()
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")

    forged_role = await client.get(ME, headers=bearer(f"{header}.{promoted}.{signature}"))
    bad_signature = await client.get(ME, headers=bearer(f"{header}.{payload}.{flipped}"))
    garbage = await client.get(ME, headers=bearer("not-a-jwt"))

    for response in (forged_role, bad_signature, garbage):
        assert response.status_code == 401
        assert problem_of(response)["code"] == "unauthenticated"


async def test_an_expired_token_is_refused_and_the_same_token_unexpired_works(
    client: Client, login_as: UserFactory, settings: Settings
) -> None:
    user = await make_user(client, login_as, username="paula", role="planner")
    issued = (await log_in(client, "paula", "right-pw")).json()["access_token"]
    session_id = jwt.decode(issued, options={"verify_signature": False})["jti"]
    now = dt.datetime.now(dt.UTC)

    def token(expires: dt.datetime) -> str:
        claims = {
            "sub": user["id"],
            "jti": session_id,
            "iat": now - dt.timedelta(hours=2),
            "exp": expires,
            "username": "paula",
            "role": "planner",
        }
        return jwt.encode(claims, settings.auth.secret_key, algorithm="HS256")

    fresh = await client.get(ME, headers=bearer(token(now + dt.timedelta(minutes=5))))
    expired = await client.get(ME, headers=bearer(token(now - dt.timedelta(minutes=1))))
    wrong_secret = await client.get(
        ME,
        headers=bearer(
            jwt.encode(
                {
                    "sub": user["id"],
                    "jti": session_id,
                    "iat": now,
                    "exp": now + dt.timedelta(minutes=5),
                    "username": "paula",
                    "role": "admin",
                },
                "guessed-secret" * 3,
                algorithm="HS256",
            )
        ),
    )

    assert fresh.status_code == 200 and fresh.json()["username"] == "paula"
    assert expired.status_code == 401 and problem_of(expired)["code"] == "unauthenticated"
    assert wrong_secret.status_code == 401


async def test_no_token_is_refused(client: Client) -> None:
    response = await client.get(ME)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_technicians_session_carries_its_engineer_once_an_engineer_links_the_user(
    client: Client, login_as: UserFactory
) -> None:
    tom = await make_user(client, login_as, username="tom", role="technician")
    planner = await login_as("planner")
    before_link = (await log_in(client, "tom", "right-pw")).json()["access_token"]
    engineer = await client.post(
        "/api/v1/engineers",
        json={
            "name": "Tom",
            "home_latitude": 52.5,
            "home_longitude": 13.4,
            "time_zone": "Europe/Berlin",
            "cost_rate": "50.00",
            "currency": "EUR",
        },
        headers=planner,
    )
    linked = await client.patch(
        f"/api/v1/engineers/{engineer.json()['id']}", json={"version": 1, "user_id": tom["id"]}, headers=planner
    )
    after_link = (await log_in(client, "tom", "right-pw")).json()["access_token"]

    assert linked.status_code == 200, linked.text
    # the principal is read from the database per session, so the older token sees the link too
    for token in (before_link, after_link):
        me = (await client.get(ME, headers=bearer(token))).json()
        assert (me["role"], me["engineer_id"]) == ("technician", engineer.json()["id"])
        own = await client.get(f"/api/v1/engineers/{engineer.json()['id']}", headers=bearer(token))
        assert own.status_code == 200


async def test_a_customer_users_token_carries_its_customer(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    customer = (await client.post("/api/v1/customers", json={"name": "ACME"}, headers=agent)).json()
    await make_user(client, login_as, username="carla", role="customer", customer_id=customer["id"])

    token = (await log_in(client, "carla", "right-pw")).json()
    me = (await client.get(ME, headers=bearer(token["access_token"]))).json()

    assert token["role"] == "customer"
    assert (me["role"], me["customer_id"], me["engineer_id"]) == ("customer", customer["id"], None)
