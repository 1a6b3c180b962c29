"""Platform behaviour every endpoint shares: health, readiness, limits, errors, OpenAPI."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]


async def test_health_and_readiness_need_no_login(client: Client) -> None:
    health = await client.get("/health")
    ready = await client.get("/ready")

    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


async def test_a_body_above_the_limit_answers_413(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    huge = {"name": "x", "notes": "n" * 70_000}  # the test app allows 64 KiB

    response = await client.post("/api/v1/customers", json=huge, headers=agent)

    assert response.status_code == 413
    assert problem_of(response)["code"] == "body_too_large"


async def test_unknown_paths_and_methods_answer_problems(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    missing = await client.get("/api/v1/nothing-here", headers=admin)
    wrong_method = await client.put("/api/v1/customers", json={}, headers=admin)
    bad_id = await client.get("/api/v1/customers/not-a-uuid", headers=admin)

    assert missing.status_code == 404 and problem_of(missing)["code"] == "not_found"
    assert wrong_method.status_code == 405 and problem_of(wrong_method)["code"] == "method_not_allowed"
    assert bad_id.status_code == 404


async def test_the_openapi_schema_documents_security_on_every_operation(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()

    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    undocumented = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            description = operation.get("description", "")
            public = operation.get("security") == [{}]
            if public and "Access: public" in description:
                continue
            if not public and "Access: bearer token with role" in description:
                continue
            undocumented.append(f"{method.upper()} {path}")
    assert undocumented == []
    assert schema["security"] == [{"BearerToken": []}]


async def test_responses_to_errors_never_leak_internals(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    response = await client.post("/api/v1/customers", json={"name": "x" * 500}, headers=agent)

    body = problem_of(response)
    assert response.status_code == 422
    assert body["field"] == "name"
    assert "Traceback" not in response.text
