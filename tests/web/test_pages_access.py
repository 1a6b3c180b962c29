"""Who gets which page: each role's landing page, a navigation showing only what the role may use,
signing out, the CSRF check, the public pages, and where the sign-in page may send the browser."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from api.session_cookies import session_cookie_name
from core.auth import Role
from core.settings import Settings
from tests.conftest import problem_of
from tests.web.conftest import HTML, PASSWORD, Client, PersonFactory, SignedIn, csrf_of, form_value, submit_sign_in

LANDING = {
    Role.PLANNER: "/planner/board",
    Role.MANAGER: "/planner/board",
    Role.ADMIN: "/home",
    Role.TECHNICIAN: "/home",
    Role.AGENT: "/home",
    Role.CONTRACT_ADMIN: "/home",
    Role.DEPOT: "/home",
    Role.CUSTOMER: "/home",
}
NAV = {
    Role.PLANNER: ["/home", "/planner/board", "/schema"],
    Role.MANAGER: ["/home", "/planner/board", "/schema"],
    Role.ADMIN: ["/home", "/planner/board", "/schema"],
    Role.TECHNICIAN: ["/home", "/schema"],
    Role.AGENT: ["/home", "/schema"],
    Role.CONTRACT_ADMIN: ["/home", "/schema"],
    Role.DEPOT: ["/home", "/schema"],
    Role.CUSTOMER: ["/home"],
}
PUBLIC_PAGES = {
    ("GET", "/"),
    ("GET", "/sign-in"),
    ("POST", "/sign-in"),
    ("GET", "/track"),
    ("POST", "/track"),
    ("GET", "/track/{token:str}"),
    ("POST", "/track/{token:str}/quote"),
}


def nav_links(html: str) -> list[str]:
    match = re.search(r'<nav id="site-nav".*?</nav>', html, re.S)
    return re.findall(r'<a href="([^"]+)"', match.group(0)) if match else []


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
async def test_each_role_lands_on_its_work_and_sees_only_what_it_may_use(
    client: Client, person: PersonFactory, role: Role
) -> None:
    who = await person(role)

    signed = await submit_sign_in(client, who.username, PASSWORD)
    assert signed.status_code == 303  # type: ignore[attr-defined]
    assert signed.headers["location"] == LANDING[role]  # type: ignore[attr-defined]
    landing = await client.get(LANDING[role], headers=HTML)
    assert landing.status_code == 200, landing.text
    assert nav_links(landing.text) == NAV[role]
    for href in NAV[role]:  # everything shown opens
        assert (await client.get(href, headers=HTML)).status_code == 200, href
    if "/planner/board" not in NAV[role]:  # and what is not shown would be refused
        refused = await client.get("/planner/board", headers=HTML)
        assert refused.status_code == 403
        assert "Not allowed" in refused.text and "role_not_allowed" in refused.text


async def test_root_sends_people_to_their_work_and_strangers_to_sign_in(client: Client, signed_in: SignedIn) -> None:
    assert (await client.get("/", follow_redirects=False)).headers["location"] == "/sign-in"
    await signed_in(Role.PLANNER)
    assert (await client.get("/", follow_redirects=False)).headers["location"] == "/planner/board"


async def test_signed_in_the_sign_in_page_sends_people_on_to_their_work(client: Client, signed_in: SignedIn) -> None:
    await signed_in(Role.PLANNER)

    again = await client.get("/sign-in", headers=HTML, follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, "/planner/board")
    onward = await client.get("/sign-in?next=/home", headers=HTML, follow_redirects=False)
    assert onward.headers["location"] == "/home"
    away = await client.get("/sign-in?next=//evil.example/", headers=HTML, follow_redirects=False)
    assert away.headers["location"] == "/planner/board"


async def test_signing_out_ends_the_session(client: Client, signed_in: SignedIn, settings: Settings) -> None:
    await signed_in(Role.AGENT)
    home = await client.get("/home", headers=HTML)

    out = await client.post("/sign-out", data={"_csrf": csrf_of(home.text)}, headers=HTML, follow_redirects=False)

    assert (out.status_code, out.headers["location"]) == (303, "/sign-in")
    assert session_cookie_name(settings.auth) not in client.cookies
    after = await client.get("/home", headers=HTML, follow_redirects=False)
    assert (after.status_code, after.headers["location"]) == (303, "/sign-in?next=/home")


async def test_a_form_with_a_wrong_or_missing_csrf_token_gets_the_403_page_and_changes_nothing(
    client: Client, signed_in: SignedIn
) -> None:
    await signed_in(Role.AGENT)

    forged = await client.post("/sign-out", data={"_csrf": "forged"}, headers=HTML)
    missing = await client.post("/account/locale", data={"locale": "zh_CN", "next": "/home"}, headers=HTML)

    assert forged.status_code == missing.status_code == 403
    assert forged.headers["content-type"].startswith("text/html")
    assert "Not allowed" in forged.text and "csrf_token_invalid" in forged.text
    assert "csrf_token_missing" in missing.text
    home = await client.get("/home", headers=HTML)  # still signed in, still in English
    assert home.status_code == 200 and '<html lang="en">' in home.text
    # a script (no HTML asked for) gets the API's problem
    assert problem_of(await client.post("/sign-out", data={"_csrf": "forged"}))["code"] == "csrf_token_invalid"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/home",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "/%0A/evil.example".replace("%0A", "\n"),
        "javascript:alert(1)",
        "home",
    ],
)
async def test_sign_in_never_sends_the_browser_to_another_site(
    client: Client, person: PersonFactory, target: str
) -> None:
    who = await person(Role.AGENT)
    form_page = await client.get("/sign-in", params={"next": target}, headers=HTML)
    assert form_value(form_page.text, "next") == ""  # not even carried in the form

    form = {
        "username": who.username,
        "password": PASSWORD,
        "next": target,  # a forged form
        "form_token": form_value(form_page.text, "form_token"),
    }
    signed = await client.post("/sign-in", data=form, headers=HTML, follow_redirects=False)
    assert (signed.status_code, signed.headers["location"]) == (303, "/home")


async def test_a_page_asked_for_without_a_session_comes_back_after_sign_in(
    client: Client, person: PersonFactory
) -> None:
    who = await person(Role.PLANNER)
    asked = await client.get("/planner/board?days=3&sort=name", headers=HTML, follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"] == "/sign-in?next=/planner/board%3Fdays%3D3%26sort%3Dname"

    form_page = await client.get(asked.headers["location"], headers=HTML)
    assert form_value(form_page.text, "next") == "/planner/board?days=3&sort=name"
    signed = await submit_sign_in(client, who.username, PASSWORD, next_path="/planner/board%3Fdays%3D3%26sort%3Dname")
    assert signed.headers["location"] == "/planner/board?days=3&sort=name"  # type: ignore[attr-defined]


async def test_an_htmx_request_without_a_session_is_told_to_load_the_sign_in_page(client: Client) -> None:
    answer = await client.get("/home", headers={"HX-Request": "true"}, follow_redirects=False)

    assert answer.status_code == 401
    assert answer.headers["hx-redirect"] == "/sign-in?next=/home"


def page_operations(app: Litestar) -> list[tuple[str, str, HTTPRouteHandler]]:
    found = []
    for route in app.routes:
        # /calendar/<token>.ics is the API's public iCalendar feed (tests/api/route_catalog.py), not a page
        api_paths = ("/api/", "/schema", "/health", "/ready", "/calendar/")
        if not isinstance(route, HTTPRoute) or route.path.startswith(api_paths):
            continue
        for method, handler in route.route_handler_map.items():
            if method not in {"OPTIONS", "HEAD"} and not route.path.startswith("/assets"):
                found.append((method, route.path, handler[0] if isinstance(handler, tuple) else handler))
    return found


async def test_only_the_sign_in_and_tracking_pages_are_public(app: Litestar, client: Client) -> None:
    operations = page_operations(app)
    public = {(method, path) for method, path, handler in operations if handler.opt.get("exclude_from_auth")}
    assert public == PUBLIC_PAGES
    for method, path, _handler in operations:
        if (method, path) in PUBLIC_PAGES:
            continue
        url = re.sub(r"\{\w+:[^}]+\}", "x", path)
        answer: Any = await client.request(method, url, headers=HTML, follow_redirects=False)
        if method == "GET":
            assert (answer.status_code, answer.headers["location"]) == (303, f"/sign-in?next={url}"), path
        else:  # a form posted without a session: to sign in, not acted on
            assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in"), path


async def test_too_many_wrong_passwords_are_refused_for_a_while(
    client: Client, person: PersonFactory, settings: Settings
) -> None:
    who = await person(Role.AGENT)
    for _ in range(settings.auth.login_max_failures):
        wrong: Any = await submit_sign_in(client, who.username, "wrong-password")
        assert wrong.status_code == 401 and 'id="field-password-error"' in wrong.text

    refused: Any = await submit_sign_in(client, who.username, PASSWORD)  # even the right one waits now

    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(settings.auth.login_window_seconds)
    assert "Too many failed sign-ins" in refused.text


async def test_a_form_sent_after_the_session_ended_comes_back_to_its_page_after_sign_in(client: Client) -> None:
    own = {**HTML, "referer": "https://testserver.local/home?tab=2"}
    foreign = {**HTML, "referer": "https://evil.example/home"}

    sent = await client.post("/account/locale", data={"locale": "en"}, headers=own, follow_redirects=False)
    elsewhere = await client.post("/account/locale", data={"locale": "en"}, headers=foreign, follow_redirects=False)

    assert (sent.status_code, sent.headers["location"]) == (303, "/sign-in?next=/home%3Ftab%3D2")
    assert elsewhere.headers["location"] == "/sign-in"


async def test_an_htmx_sign_in_answers_in_place_and_navigates_on_success(client: Client, person: PersonFactory) -> None:
    who = await person(Role.PLANNER)
    form_page = await client.get("/sign-in", headers=HTML)
    hx = HTML | {"HX-Request": "true"}

    wrong = await client.post(
        "/sign-in",
        data={"username": who.username, "password": "not-it", "form_token": form_value(form_page.text, "form_token")},
        headers=hx,
        follow_redirects=False,
    )
    assert wrong.status_code == 401 and 'id="sign-in"' in wrong.text  # the fragment HTMX swaps in
    assert 'aria-invalid="true"' in wrong.text and "hx-redirect" not in wrong.headers

    right = await client.post(
        "/sign-in",
        data={"username": who.username, "password": PASSWORD, "form_token": form_value(wrong.text, "form_token")},
        headers=hx,
        follow_redirects=False,
    )
    assert (right.status_code, right.headers["hx-redirect"]) == (200, "/planner/board")
    assert (await client.get("/api/v1/auth/me")).json()["username"] == who.username  # the session cookie is set
