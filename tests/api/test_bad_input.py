"""Bad input is a 4xx problem, never a 500: NUL characters anywhere, JSON nested too deep, malformed JSON.

A NUL reaches no handler (PostgreSQL refuses U+0000 in text, which used to answer 500), so each
kind of input is refused with 422 `nul_character` naming its field, on routes with and without a
login; JSON nested past the limit answers 400 `json_too_deep` rather than a RecursionError.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest
from litestar import Litestar, get
from litestar.params import FromPath
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import DataError

from api.deps import DbSession
from api.input_guard import MAX_JSON_DEPTH
from core.settings import AuthSettings, Settings
from tests.conftest import UserFactory, problem_of
from web.app import create_app  # the product: the API and its pages (the tracking form)

Client = AsyncTestClient[Litestar]
LOGIN = "/api/v1/auth/login"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def app(web_app: Litestar) -> Litestar:
    """The whole product, so the public tracking form and the pages' routes are walked too."""
    return web_app


def assert_nul_refused(response: Any, field: str | None, source: str) -> None:
    assert response.status_code == 422, response.text
    body = problem_of(response)
    assert body["code"] == "nul_character"
    assert body["field"] == field
    assert body["source"] == source


# --- JSON bodies


async def test_a_nul_in_the_login_username_is_refused_before_the_user_lookup(client: Client) -> None:
    response = await client.post(LOGIN, json={"username": "admin\x00", "password": "whatever"})

    assert_nul_refused(response, "username", "body")


async def test_a_nul_deep_in_a_json_body_names_its_path(client: Client, login_as: UserFactory) -> None:
    planner = await login_as("planner")
    template: dict[str, Any] = {
        "code": "FUSER",
        "name": "Fuser swap",
        "service_type": "corrective",
        "tasks": [
            {"sequence": 1, "name": "Swap", "duration_minutes": 30},
            {"sequence": 2, "name": "Test", "duration_minutes": 10, "required_skills": [{"skill": "print\x00ers"}]},
        ],
    }

    response = await client.post("/api/v1/job-templates", json=template, headers=planner)

    assert_nul_refused(response, "tasks[1].required_skills[0].skill", "body")


async def test_a_nul_in_a_json_key_is_refused_too(client: Client) -> None:
    response = await client.post(LOGIN, json={"username": "a", "password": "b", "x\x00": 1})

    assert_nul_refused(response, "x\\u0000", "body")


async def test_an_escaped_backslash_before_u0000_is_no_nul(client: Client) -> None:
    # the text `\u0000` spelled with an escaped backslash is six harmless characters
    response = await client.post(LOGIN, content=rb'{"username": "a\\u0000", "password": "b"}', headers=JSON)

    assert response.status_code == 401, response.text
    assert problem_of(response)["code"] == "invalid_credentials"


# --- query, path, form and header values


async def test_a_nul_in_a_query_parameter_is_refused(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")

    response = await client.get("/api/v1/customers", params={"q": "Ac\x00me"}, headers=admin)

    assert_nul_refused(response, "q", "query")


async def test_a_nul_in_a_query_parameter_name_is_refused(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")

    response = await client.get("/api/v1/customers?a%00b=1", headers=admin)

    assert_nul_refused(response, "a\\u0000b", "query")


async def test_a_nul_in_an_rma_number_path_parameter_is_refused(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")

    response = await client.get("/api/v1/rmas/by-number/RMA-0%0001", headers=agent)

    assert_nul_refused(response, "number", "path")


async def test_a_nul_in_the_public_tracking_form_is_refused(client: Client) -> None:
    response = await client.post("/track", data={"number": "RMA-000001\x00", "contact": "a@b.c", "csrf_token": "t"})

    assert_nul_refused(response, "number", "body")


async def test_a_nul_in_a_multipart_form_is_refused_as_well(client: Client) -> None:
    response = await client.post(
        "/track", files={"number": (None, "RMA-1\x00"), "contact": (None, "a@b.c"), "csrf_token": (None, "t")}
    )

    assert_nul_refused(response, "number", "body")


async def test_a_nul_in_a_header_is_refused(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")

    response = await client.post(
        "/api/v1/customers",
        json={"name": "Acme"},
        headers={**agent, "Idempotency-Key": "key\x00one"},
    )

    assert_nul_refused(response, "idempotency-key", "header")


async def test_clean_input_still_goes_through(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")

    created = await client.post("/api/v1/customers", json={"name": "Acme Ünïcode ☃", "notes": "tab\tok"}, headers=agent)
    found = await client.get("/api/v1/customers", params={"q": "Acme"}, headers=agent)

    assert created.status_code == 201, created.text
    assert [(c["name"], c["notes"]) for c in found.json()["items"]] == [("Acme Ünïcode ☃", "tab\tok")]


def _get_routes_with_path_parameters() -> list[tuple[str, dict[str, type]]]:
    app = create_app(Settings(auth=AuthSettings(secret_key="route-listing-" + "x" * 40)))
    found = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and "GET" in route.methods and route.path_parameters:
            found.append((route.path_format, {name: p.type for name, p in route.path_parameters.items()}))
    return sorted(found)


GET_ROUTES = _get_routes_with_path_parameters()
TEXT_TYPES = {"str", "Path"}


def test_the_route_walk_covers_the_text_path_parameters() -> None:
    texts = {path for path, params in GET_ROUTES if any(t.__name__ in TEXT_TYPES for t in params.values())}
    assert {"/api/v1/rmas/by-number/{number}", "/track/{token}"} <= texts
    assert len(GET_ROUTES) > 40


@pytest.mark.parametrize(("path_format", "params"), GET_ROUTES, ids=[path for path, _ in GET_ROUTES])
async def test_a_nul_in_any_path_parameter_of_any_get_route_is_never_a_500(
    client: Client, login_as: UserFactory, path_format: str, params: dict[str, type]
) -> None:
    admin = await login_as("admin")
    for name, kind in params.items():
        values = {n: str(uuid.uuid4()) if t is uuid.UUID else "1" for n, t in params.items()}
        values[name] = quote("ab\x00cd", safe="")
        response = await client.get(path_format.format(**values), headers=admin)

        assert response.status_code < 500, response.text
        if kind.__name__ in TEXT_TYPES:
            assert_nul_refused(response, name, "path")
        else:  # a uuid with a NUL is no uuid: no route matches
            assert response.status_code == 404


# --- nesting depth


def nested(depth: int, opener: bytes = b"[", closer: bytes = b"]") -> bytes:
    return opener * depth + b"1" + closer * depth


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 30_000])
async def test_json_nested_too_deep_is_refused_on_the_unauthenticated_login(client: Client, depth: int) -> None:
    response = await client.post(LOGIN, content=nested(depth), headers=JSON)

    assert response.status_code == 400, response.text
    body = problem_of(response)
    assert body["code"] == "json_too_deep"
    assert body["max_depth"] == MAX_JSON_DEPTH


async def test_deeply_nested_objects_are_refused_as_well(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    body = b'{"name": "Acme", "notes": ' + b'{"a": ' * 1_000 + b"1" + b"}" * 1_000 + b"}"

    response = await client.post("/api/v1/customers", content=body, headers={**agent, **JSON})

    assert response.status_code == 400, response.text
    assert problem_of(response)["code"] == "json_too_deep"


async def test_json_at_the_depth_limit_reaches_validation(client: Client) -> None:
    response = await client.post(LOGIN, content=nested(MAX_JSON_DEPTH), headers=JSON)

    assert response.status_code in (400, 422), response.text
    assert problem_of(response)["code"] != "json_too_deep"


async def test_brackets_inside_strings_do_not_count_as_nesting(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    notes = "[{" * 1_000 + '\\"[[['  # and an escaped quote does not end the string

    response = await client.post("/api/v1/customers", json={"name": "Acme", "notes": notes}, headers=agent)

    assert response.status_code == 201, response.text
    assert response.json()["notes"] == notes


# --- malformed JSON


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"username": "\xff\xfe", "password": "x"}', id="invalid-utf8"),
        pytest.param(b'{"username": "\\ud800", "password": "x"}', id="lone-high-surrogate"),
        pytest.param(b'{"username": "\\udc00", "password": "x"}', id="lone-low-surrogate"),
        pytest.param(b'{"username": "\x00", "password": "x"}', id="raw-nul-byte"),
        pytest.param(b'{"username": 1' + b"0" * 5_000 + b', "password": "x"}', id="huge-integer"),
        pytest.param(b'{"username": 1e999999, "password": "x"}', id="huge-exponent"),
        pytest.param(b'{"username": NaN, "password": "x"}', id="nan-literal"),
        pytest.param(b'{"username": "a", "password": "x"', id="truncated"),
        pytest.param(b'{"username": "a", "password": "x"}}', id="trailing-brace"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\xef\xbb\xbf{}", id="byte-order-mark"),
    ],
)
async def test_malformed_json_on_the_login_is_a_client_error(client: Client, body: bytes) -> None:
    response = await client.post(LOGIN, content=body, headers=JSON)

    assert 400 <= response.status_code < 500, response.text
    assert problem_of(response)["code"] != "internal_error"


@pytest.mark.parametrize(
    "quantity",
    ["1e999999", "-1e999999", "NaN", "Infinity", "-0", "1" + "0" * 400, "0.0000000000000000000001", 2**63, 10**40],
)
async def test_extreme_numbers_in_a_body_are_a_client_error(
    client: Client, login_as: UserFactory, quantity: Any
) -> None:
    admin = await login_as("admin")
    part = await client.post(
        "/api/v1/products",
        json={"sku": "P-1", "name": "Fuser", "kind": "spare_part", "list_price": "10", "currency": "EUR", "unit": "pc"},
        headers=admin,
    )
    assert part.status_code == 201, part.text
    template = {
        "code": "T1",
        "name": "Fuser swap",
        "service_type": "corrective",
        "tasks": [
            {
                "sequence": 1,
                "name": "Swap",
                "duration_minutes": 30,
                "parts": [{"product_id": part.json()["id"], "quantity": quantity}],
            }
        ],
    }

    response = await client.post("/api/v1/job-templates", json=template, headers=admin)

    assert response.status_code == 422, response.text
    assert problem_of(response)["field"] is not None


@pytest.mark.parametrize("value", [2**31, 2**63, 10**30, -(2**63) - 1])
async def test_extreme_integers_in_a_body_are_a_client_error(client: Client, login_as: UserFactory, value: int) -> None:
    agent = await login_as("agent")
    created = await client.post("/api/v1/customers", json={"name": "Acme"}, headers=agent)
    customer = created.json()

    response = await client.patch(
        f"/api/v1/customers/{customer['id']}", json={"version": value, "name": "Acme 2"}, headers=agent
    )

    assert 400 <= response.status_code < 500, response.text
    assert problem_of(response)["code"] != "internal_error"


@pytest.mark.parametrize("value", [str(2**31), str(2**63), "1" + "0" * 400, "NaN", "-1e999"])
async def test_extreme_numbers_in_a_query_are_a_client_error(client: Client, login_as: UserFactory, value: str) -> None:
    admin = await login_as("admin")

    response = await client.get("/api/v1/customers", params={"limit": value}, headers=admin)

    assert response.status_code == 422, response.text
    assert problem_of(response)["field"] == "limit"


# --- a value the database itself refuses


@pytest.fixture
async def storing_client(settings: Settings) -> AsyncIterator[Client]:
    """The app with one more route that hands a number to the database unchecked."""

    @get("/store/{number:int}", opt={"exclude_from_auth": True}, include_in_schema=False)
    async def store(db_session: DbSession, number: FromPath[int]) -> int:
        value = await db_session.scalar(text("SELECT CAST(:n AS INTEGER) + 0"), {"n": number})
        if db_session.bind.dialect.name == "sqlite":  # SQLite stores any integer: refuse it as PostgreSQL does
            raise DataError("SELECT CAST(:n AS INTEGER)", {"n": number}, OverflowError("integer out of range"))
        return int(value)

    app = create_app(settings)
    app.register(store)
    async with AsyncTestClient(app=app) as client:
        yield client


async def test_a_value_the_database_refuses_is_a_422_not_a_500(storing_client: Client) -> None:
    response = await storing_client.get(f"/store/{2**40}")

    assert response.status_code == 422, response.text
    assert problem_of(response)["code"] == "invalid_value"
