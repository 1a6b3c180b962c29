"""Sessions that can be taken back: a token stops working when its user is deactivated, deleted,
demoted or given a new password, when it is logged out, and when it names no live session.

The process that makes a change forgets what it cached at once; a change it did not make (a
row deleted by hand, or a change made through another process: see
test_sessions_two_processes.py) reaches it when its cache entry ages out, which these tests
show by moving the cache's clock rather than by waiting.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import jwt
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.session_principals import SessionPrincipals
from core.clock import FixedClock
from core.db import session_scope
from core.settings import Settings
from masterdata.models import User
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_user(client: Client, admin: dict[str, str], username: str, role: str) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/users", json={"username": username, "password": "first-pw", "role": role}, headers=admin
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def token_of(client: Client, username: str, password: str = "first-pw") -> dict[str, str]:
    response = await client.post(LOGIN, json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


async def change(client: Client, admin: dict[str, str], user: dict[str, Any], **fields: Any) -> dict[str, Any]:
    current = (await client.get(f"/api/v1/users/{user['id']}", headers=admin)).json()
    response = await client.patch(
        f"/api/v1/users/{user['id']}", json={"version": current["version"], **fields}, headers=admin
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def frozen_cache_clock(app: Litestar) -> FixedClock:
    """Stop the app's session clock at now, so a test can age the cache without sleeping."""
    principals: SessionPrincipals = app.state.principals
    clock = FixedClock(dt.datetime.now(dt.UTC))
    principals.clock = clock
    return clock


async def test_a_deactivated_users_token_is_refused_and_stays_refused_after_reactivation(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("admin")
    dora = await make_user(client, admin, "dora", "planner")
    token = await token_of(client, "dora")
    assert (await client.get(ME, headers=token)).status_code == 200

    await change(client, admin, dora, active=False)
    while_inactive = await client.get(ME, headers=token)
    await change(client, admin, dora, active=True)
    after_reactivation = await client.get(ME, headers=token)

    assert while_inactive.status_code == 401 and problem_of(while_inactive)["code"] == "unauthenticated"
    # deactivation revoked the session: it does not come back with the user
    assert after_reactivation.status_code == 401
    assert (await client.get(ME, headers=await token_of(client, "dora"))).status_code == 200


async def test_a_demoted_contract_admin_no_longer_reads_billing_runs_with_the_old_token(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("admin")
    carl = await make_user(client, admin, "carl", "contract_admin")
    token = await token_of(client, "carl")
    before = await client.get("/api/v1/billing-runs", headers=token)

    await change(client, admin, carl, role="depot")
    after = await client.get("/api/v1/billing-runs", headers=token)
    me = await client.get(ME, headers=token)

    assert before.status_code == 200
    assert after.status_code == 403 and problem_of(after)["code"] == "role_not_allowed"
    assert me.status_code == 200 and me.json()["role"] == "depot"  # same session, new role


async def test_a_new_password_ends_the_users_sessions(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    dora = await make_user(client, admin, "dora", "planner")
    phone, laptop = await token_of(client, "dora"), await token_of(client, "dora")

    await change(client, admin, dora, password="second-pw")

    for token in (phone, laptop):
        refused = await client.get(ME, headers=token)
        assert refused.status_code == 401 and problem_of(refused)["code"] == "unauthenticated"
    assert (await client.get(ME, headers=await token_of(client, "dora", "second-pw"))).status_code == 200


async def test_changing_ones_own_password_keeps_the_session_that_did_it_and_ends_the_others(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("admin")
    me_now = (await client.get(ME, headers=admin)).json()
    other_device = await token_of(client, "admin1", "secret-pw")

    await change(client, admin, {"id": me_now["user_id"]}, password="new-admin-pw")

    assert (await client.get(ME, headers=admin)).status_code == 200
    assert (await client.get(ME, headers=other_device)).status_code == 401


async def test_a_deleted_users_token_is_refused_once_the_cache_entry_ages_out(
    client: Client, app: Litestar, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    clock = frozen_cache_clock(app)
    admin = await login_as("admin")
    dora = await make_user(client, admin, "dora", "planner")
    token = await token_of(client, "dora")
    assert (await client.get(ME, headers=token)).status_code == 200  # now cached

    async with session_scope(sessions) as s:  # deleted behind the app's back
        await s.execute(delete(User).where(User.id == uuid.UUID(dora["id"])))
    within_ttl = await client.get(ME, headers=token)
    clock.advance(dt.timedelta(seconds=settings.auth.session_cache_seconds + 1))
    after_ttl = await client.get(ME, headers=token)

    assert settings.auth.session_cache_seconds <= 60
    assert within_ttl.status_code == 200  # the cache's bound, not a promise
    assert after_ttl.status_code == 401 and problem_of(after_ttl)["code"] == "unauthenticated"


async def test_a_session_ends_with_its_lifetime_on_the_server_side_too(
    client: Client, app: Litestar, login_as: UserFactory, settings: Settings
) -> None:
    clock = frozen_cache_clock(app)
    token = await login_as("planner")
    assert (await client.get(ME, headers=token)).status_code == 200

    clock.advance(dt.timedelta(minutes=settings.auth.token_ttl_minutes, seconds=1))

    assert (await client.get(ME, headers=token)).status_code == 401


async def test_logging_out_ends_the_session_and_only_that_one(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    await make_user(client, admin, "dora", "planner")
    phone, laptop = await token_of(client, "dora"), await token_of(client, "dora")

    out = await client.post("/api/v1/auth/logout", headers=phone)
    again = await client.post("/api/v1/auth/logout", headers=phone)

    assert out.status_code == 204
    assert (await client.get(ME, headers=phone)).status_code == 401
    assert again.status_code == 401
    assert (await client.get(ME, headers=laptop)).status_code == 200


async def test_tokens_signed_with_the_real_key_but_naming_no_live_session_are_refused(
    client: Client, login_as: UserFactory, settings: Settings
) -> None:
    planner = await login_as("planner")
    real = jwt.decode(planner["Authorization"].removeprefix("Bearer "), options={"verify_signature": False})
    exp = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)

    def forged(**claims: Any) -> dict[str, str]:
        body = {"exp": exp, "iat": dt.datetime.now(dt.UTC), "username": "ghost", "role": "admin"} | claims
        return bearer(jwt.encode(body, settings.auth.secret_key, algorithm="HS256"))

    cases = {
        "no such user, no such session": forged(sub=str(uuid.uuid4()), jti=str(uuid.uuid4())),
        "no such user, a real session": forged(sub=str(uuid.uuid4()), jti=real["jti"]),
        "a real user, no such session": forged(sub=real["sub"], jti=str(uuid.uuid4())),
        "a real user, no session at all": forged(sub=real["sub"]),
        "a session id that is no id": forged(sub=real["sub"], jti="../admin"),
    }

    for case, headers in cases.items():
        response = await client.get(ME, headers=headers)
        assert response.status_code == 401, case
        assert problem_of(response)["code"] == "unauthenticated", case
    assert (await client.get(ME, headers=planner)).status_code == 200
