"""Browser sessions: a cookie login, CSRF tokens on unsafe requests, bearer tokens beside cookies,
logging out in the browser."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from http.cookies import SimpleCookie
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from core.auth import SYSTEM, Role
from core.db import session_scope
from core.settings import Settings
from masterdata.services.users import UserCreate, create_user
from tests.conftest import problem_of

Client = AsyncTestClient[Litestar]
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"
SESSION, CSRF = "__Host-session", "__Host-csrf_token"


@pytest.fixture
async def browser(app: Litestar) -> AsyncIterator[Client]:
    """A client on HTTPS, where browsers keep Secure cookies."""
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as c:
        yield c


@pytest.fixture
async def users(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as s:
        for username, role in (("agnes", Role.AGENT), ("petra", Role.PLANNER)):
            await create_user(s, SYSTEM, UserCreate(username=username, password="secret-pw", role=role))


async def cookie_login(client: Client, username: str = "agnes") -> Any:
    response = await client.post(LOGIN, json={"username": username, "password": "secret-pw", "cookie": True})
    assert response.status_code == 200, response.text
    return response


def set_cookies(response: Any) -> dict[str, SimpleCookie]:
    found: dict[str, SimpleCookie] = {}
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        found.update(dict.fromkeys(cookie, cookie))
    return found


@pytest.mark.usefixtures("users")
async def test_a_cookie_login_sets_an_httponly_session_cookie_and_gives_the_page_its_csrf_token(
    browser: Client, settings: Settings
) -> None:
    response = await cookie_login(browser)
    body = response.json()
    cookies = set_cookies(response)
    session, csrf = cookies[SESSION][SESSION], cookies[CSRF][CSRF]

    assert body == {
        "token_type": "cookie",
        "expires_in": settings.auth.token_ttl_minutes * 60,
        "role": "agent",
        "csrf_token": csrf.value,
    }
    assert "access_token" not in body  # the token stays where scripts cannot read it
    assert session["httponly"] and session["secure"] and session["samesite"].lower() == "lax"
    assert session["path"] == "/" and not session["domain"]
    assert session["max-age"] == str(settings.auth.token_ttl_minutes * 60)
    assert not csrf["httponly"] and csrf["secure"] and csrf["samesite"].lower() == "lax"
    me = await browser.get(ME)  # safe methods need no CSRF token
    assert me.status_code == 200 and me.json()["username"] == "agnes"


@pytest.mark.usefixtures("users")
async def test_unsafe_requests_on_the_cookie_need_the_csrf_token_of_their_own_session(browser: Client) -> None:
    petras = (await cookie_login(browser, "petra")).json()["csrf_token"]
    agnes = (await cookie_login(browser)).json()["csrf_token"]  # the jar now holds agnes's session
    customer = {"name": "ACME"}

    missing = await browser.post("/api/v1/customers", json=customer)
    wrong = await browser.post("/api/v1/customers", json=customer, headers={"X-CSRF-Token": "x" * 43})
    other_session = await browser.post("/api/v1/customers", json=customer, headers={"X-CSRF-Token": petras})
    right = await browser.post("/api/v1/customers", json=customer, headers={"X-CSRF-Token": agnes})

    assert missing.status_code == 403
    assert problem_of(missing)["code"] == "csrf_token_missing" and problem_of(missing)["field"] == "X-CSRF-Token"
    assert wrong.status_code == other_session.status_code == 403
    assert problem_of(wrong)["code"] == problem_of(other_session)["code"] == "csrf_token_invalid"
    assert right.status_code == 201, right.text
    listed = await browser.get("/api/v1/customers")
    assert [c["name"] for c in listed.json()["items"]] == ["ACME"]  # only the request with the token did anything


@pytest.mark.usefixtures("users")
async def test_a_form_may_send_the_csrf_token_as_a_field(browser: Client) -> None:
    token = (await cookie_login(browser)).json()["csrf_token"]

    refused = await browser.post("/api/v1/auth/logout", data={"_csrf": "not-it"})
    logged_out = await browser.post("/api/v1/auth/logout", data={"_csrf": token})

    assert refused.status_code == 403 and problem_of(refused)["code"] == "csrf_token_invalid"
    assert logged_out.status_code == 204


@pytest.mark.usefixtures("users")
async def test_a_bearer_request_needs_no_csrf_token_and_wins_over_the_cookie(browser: Client) -> None:
    await cookie_login(browser, "agnes")  # the browser holds agnes's cookie
    petra = await browser.post(LOGIN, json={"username": "petra", "password": "secret-pw"})
    headers = {"Authorization": f"Bearer {petra.json()['access_token']}"}

    me = await browser.get(ME, headers=headers)
    created = await browser.post("/api/v1/engineers", json=_engineer(), headers=headers)

    assert me.json()["username"] == "petra"
    assert created.status_code == 201, created.text  # a planner's action, no CSRF token, cookie ignored


@pytest.mark.usefixtures("users")
async def test_logging_out_in_the_browser_revokes_the_session_and_clears_both_cookies(browser: Client) -> None:
    login = await cookie_login(browser)
    old_cookie = browser.cookies[SESSION]

    out = await browser.post("/api/v1/auth/logout", headers={"X-CSRF-Token": login.json()["csrf_token"]})
    cleared = set_cookies(out)
    without_cookie = await browser.get(ME)
    browser.cookies.set(SESSION, old_cookie, domain="testserver.local")
    replayed = await browser.get(ME)

    assert out.status_code == 204
    for name in (SESSION, CSRF):
        assert cleared[name][name].value == "" and cleared[name][name]["max-age"] == "0"
        assert cleared[name][name]["secure"] and cleared[name][name]["path"] == "/"
    assert without_cookie.status_code == 401
    assert replayed.status_code == 401 and problem_of(replayed)["code"] == "unauthenticated"


@pytest.mark.usefixtures("users")
async def test_a_cookie_login_must_come_as_json_so_other_sites_cannot_post_it(browser: Client) -> None:
    # a form on a foreign page can only send text/plain that happens to look like JSON
    body = '{"username": "agnes", "password": "secret-pw", "cookie": true}'
    response = await browser.post(LOGIN, content=body, headers={"Content-Type": "text/plain"})

    assert response.status_code == 403 and problem_of(response)["code"] == "cross_site_login"
    assert "set-cookie" not in response.headers


@pytest.mark.usefixtures("users")
async def test_with_secure_cookies_off_the_cookies_lose_the_secure_flag_and_the_host_prefix(
    settings: Settings,
) -> None:
    plain_http = create_app(replace(settings, auth=replace(settings.auth, cookie_secure=False)))
    async with AsyncTestClient(app=plain_http) as client:
        login = await cookie_login(client)
        cookies = set_cookies(login)
        created = await client.post(
            "/api/v1/customers", json={"name": "ACME"}, headers={"X-CSRF-Token": login.json()["csrf_token"]}
        )

    assert set(cookies) == {"session", "csrf_token"}
    assert not cookies["session"]["session"]["secure"] and cookies["session"]["session"]["httponly"]
    assert created.status_code == 201


def _engineer() -> dict[str, Any]:
    return {
        "name": "Tom",
        "home_latitude": 52.5,
        "home_longitude": 13.4,
        "time_zone": "Europe/Berlin",
        "cost_rate": "50.00",
        "currency": "EUR",
    }
