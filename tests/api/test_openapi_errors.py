"""The OpenAPI document lists, for every operation, the problem+json errors it can answer."""

from __future__ import annotations

import re
from typing import Any

from tests.api.openapi_document import error_statuses, openapi_document, operations

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def test_every_error_response_is_a_problem_document() -> None:
    document = openapi_document()
    for (method, path), operation in operations(document).items():
        for status in error_statuses(operation):
            content = operation["responses"][str(status)]["content"]
            assert content == {"application/problem+json": {"schema": PROBLEM_REF}}, (method, path, status)


def test_litestar_default_error_body_is_nowhere() -> None:
    # Litestar documents a 400 of its own ({status_code, detail, extra}); the app never sends it.
    text = str(openapi_document())
    assert "status_code" not in text
    assert "Validation Exception" not in text


def test_the_problem_schema_is_typed_throughout() -> None:
    schemas = openapi_document()["components"]["schemas"]
    problem = schemas["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance", "code", "field"}
    assert problem["properties"]["status"]["type"] == "integer"
    errors = problem["properties"]["errors"]["oneOf"][0]
    assert errors == {"type": "array", "items": {"$ref": "#/components/schemas/InvalidParam"}}
    assert set(schemas["InvalidParam"]["properties"]) == {"field", "message", "source"}


def _statuses(method: str, path: str) -> set[int]:
    return error_statuses(operations(openapi_document())[(method, path)])


def test_statuses_follow_from_what_each_route_declares() -> None:
    # public, no input: nothing can go wrong that the client could act on
    assert _statuses("GET", "/health") == set()
    # public, with a body; wrong credentials and too many attempts are the login's own
    assert _statuses("POST", "/api/v1/auth/login") == {400, 401, 413, 422, 429}
    # authenticated, any role, no input
    assert _statuses("GET", "/api/v1/auth/me") == {401, 403}
    # a path parameter: 404; read-only: no 409
    assert _statuses("GET", "/api/v1/customers/{customer_id}") == {400, 401, 403, 404, 422}
    # a versioned write with a body
    assert _statuses("PATCH", "/api/v1/customers/{customer_id}") == {400, 401, 403, 404, 409, 413, 422}
    # a create whose body names other records (a parent customer) answers 404 when they do not exist
    assert 404 in _statuses("POST", "/api/v1/customers")
    # a create whose body names no record
    assert 404 not in _statuses("POST", "/api/v1/products")


def test_only_login_is_rate_limited_and_every_non_public_operation_may_answer_401() -> None:
    for (method, path), operation in operations(openapi_document()).items():
        statuses = error_statuses(operation)
        assert (429 in statuses) == (path == "/api/v1/auth/login"), (method, path)
        public = operation.get("security") == [{}]
        if not public:
            assert 401 in statuses, (method, path)


def test_schema_names_are_unique_without_module_prefixes() -> None:
    # Litestar prefixes a struct's module when two structs share a name; clients then see two
    # models of one name (openapi-python-client drops both and every schema referring to them).
    names: list[str] = list(openapi_document()["components"]["schemas"])
    prefixed = [n for n in names if re.match(r"^[a-z_]+_[A-Z]", n)]
    assert prefixed == []


def _refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["$ref"]} if isinstance(value.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_refs(v) for v in value))
    return set()


def test_every_reference_resolves() -> None:
    document = openapi_document()
    names = set(document["components"]["schemas"])
    assert {ref.removeprefix("#/components/schemas/") for ref in _refs(document)} <= names
