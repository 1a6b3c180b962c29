"""Error pages mirror the API's problem: the same status and `code`, worded for people in their
language; API routes and scripts keep problem+json; nothing a page answers is cached."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar, Router, get
from litestar.testing import AsyncTestClient

from core.auth import Role
from core.errors import Conflict, Invalid, NotFound, StaleVersion
from core.settings import Settings
from tests.conftest import problem_of
from tests.web.conftest import HTML, Client, SignedIn
from web.app import create_app
from web.pages.errors import PAGE_EXCEPTION_HANDLERS

PUBLIC = {"exclude_from_auth": True}


@get("/broken/stale", opt=PUBLIC, sync_to_thread=False)
def stale() -> None:
    raise StaleVersion("work order", 3, 4)


@get("/broken/conflict", opt=PUBLIC, sync_to_thread=False)
def conflict() -> None:
    raise Conflict("illegal_transition", "work order cannot go from closed to open", field="status")


@get("/broken/invalid", opt=PUBLIC, sync_to_thread=False)
def invalid() -> None:
    raise Invalid("bad_window", "the window ends before it starts", field="end")


@get("/broken/missing", opt=PUBLIC, sync_to_thread=False)
def missing() -> None:
    raise NotFound("work_order", "WO-000001")


@get("/broken/bug", opt=PUBLIC, sync_to_thread=False)
def bug() -> None:
    raise RuntimeError("secret internals: password=hunter2")


@pytest.fixture
async def broken(settings: Settings) -> AsyncIterator[Client]:
    """The product with a few page routes that fail, under the pages' own error handling."""
    app = create_app(settings)
    app.register(
        Router(
            path="/",
            route_handlers=[stale, conflict, invalid, missing, bug],
            exception_handlers=PAGE_EXCEPTION_HANDLERS,
        )
    )
    async with AsyncTestClient(app=app) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "status", "code", "heading"),
    [
        ("/broken/stale", 409, "stale_version", "This was changed in the meantime"),
        ("/broken/conflict", 409, "illegal_transition", "This was changed in the meantime"),
        ("/broken/invalid", 422, "bad_window", "The information sent cannot be used"),
        ("/broken/missing", 404, "work_order_not_found", "Page not found"),
        ("/broken/bug", 500, "internal_error", "Something went wrong"),
    ],
)
async def test_a_page_error_is_a_page_with_the_problems_status_and_code(
    broken: Client, path: str, status: int, code: str, heading: str
) -> None:
    page = await broken.get(path, headers=HTML)

    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert f"<h1>{heading}</h1>" in page.text
    assert code in page.text
    assert "hunter2" not in page.text and "Traceback" not in page.text

    api = await broken.get(path)  # a script asking the same address gets the API's problem
    assert problem_of(api)["code"] == code and api.status_code == status


async def test_error_pages_speak_the_viewers_language(broken: Client) -> None:
    page = await broken.get("/broken/stale", headers={**HTML, "accept-language": "zh-CN,zh;q=0.9"})

    assert page.status_code == 409
    assert "此内容已被他人修改" in page.text and "stale_version" in page.text


async def test_a_wrong_address_is_a_page_for_browsers_and_a_problem_for_the_api(client: Client) -> None:
    page = await client.get("/no/such/page", headers=HTML)
    assert page.status_code == 404 and "Page not found" in page.text
    assert page.headers["cache-control"] == "no-store"

    api = await client.get("/api/v1/no/such/thing", headers=HTML)  # even when HTML is asked for
    assert api.status_code == 404 and problem_of(api)["code"] == "not_found"
    record = await client.get("/api/v1/customers/00000000-0000-0000-0000-000000000000", headers=HTML)
    assert record.status_code == 401 and problem_of(record)["code"] == "unauthenticated"


async def test_a_bad_query_value_on_a_page_is_the_422_page(client: Client, signed_in: SignedIn) -> None:
    await signed_in(Role.PLANNER)

    page = await client.get("/planner/board?days=5", headers=HTML)

    assert page.status_code in {400, 422}
    assert page.headers["content-type"].startswith("text/html")
    assert "validation_failed" in page.text or "bad_request" in page.text


async def test_pages_and_their_redirects_are_never_cached(client: Client, signed_in: SignedIn) -> None:
    assert (await client.get("/sign-in", headers=HTML)).headers["cache-control"] == "no-store"
    assert (await client.get("/home", headers=HTML, follow_redirects=False)).headers["cache-control"] == "no-store"
    await signed_in(Role.ADMIN)
    for path in ("/home", "/planner/board", "/track"):
        assert (await client.get(path, headers=HTML)).headers["cache-control"] == "no-store", path
    asset = await client.get("/assets/" + "missing.css")
    assert asset.status_code == 404


async def test_api_errors_stay_problem_json_for_a_signed_in_browser(client: Client, signed_in: SignedIn) -> None:
    await signed_in(Role.TECHNICIAN)

    refused = await client.get("/api/v1/users", headers=HTML)

    assert refused.status_code == 403 and problem_of(refused)["code"] == "role_not_allowed"


def test_the_mapping_is_the_apis(app: Litestar) -> None:
    """Every exception class the API maps is mapped for pages too (none falls through to JSON)."""
    from api.problems import EXCEPTION_HANDLERS

    assert set(EXCEPTION_HANDLERS) <= set(PAGE_EXCEPTION_HANDLERS)
