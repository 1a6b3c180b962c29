"""Knowledge codes over HTTP: the catalogue, who keeps it, and codes checked on requests."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import api.routes.service_requests as request_routes
from core.clock import FixedClock
from tests.api.test_service_requests import JUST_AFTER, call, covered_printer, log
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
URL = "/api/v1/knowledge-codes"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    fixed = FixedClock(JUST_AFTER)
    monkeypatch.setattr(request_routes, "CLOCK", fixed)
    return fixed


async def add(client: Client, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_managers_keep_the_catalogue_and_every_staff_role_reads_it(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    it = await covered_printer(sessions)
    manager = await login_as("manager")
    jam = await add(
        client, manager, kind="symptom", code="paper_jam", description="Paper jam", product_family="printers"
    )
    await add(client, manager, kind="symptom", code="NO_POWER", description="No power")
    await add(client, manager, kind="resolution", code="CLEANED", description="Cleaned")
    await add(client, manager, kind="symptom", code="NO_COOLING", description="No cooling", product_family="hvac")

    technician = await login_as("technician")
    for_printers = await client.get(URL, params={"kind": "symptom", "product_family": "printers"}, headers=technician)
    resolutions = await client.get(URL, params={"kind": "resolution"}, headers=await login_as("agent"))
    duplicate = await client.post(
        URL, json={"kind": "symptom", "code": "PAPER_JAM", "description": "again"}, headers=manager
    )
    by_agent = await client.post(
        URL, json={"kind": "symptom", "code": "SMOKE", "description": "Smoke"}, headers=await login_as("agent")
    )
    by_customer = await client.get(URL, headers=await login_as("customer", customer_id=it.customer_id))
    bad_kind = await client.post(URL, json={"kind": "finding", "code": "X", "description": "x"}, headers=manager)

    assert jam["code"] == "PAPER_JAM" and jam["active"] is True and jam["version"] == 1
    # A family filter lists the family's codes and the codes for any product.
    assert [c["code"] for c in for_printers.json()["items"]] == ["NO_POWER", "PAPER_JAM"]
    assert [c["code"] for c in resolutions.json()["items"]] == ["CLEANED"]
    assert duplicate.status_code == 409 and problem_of(duplicate)["code"] == "duplicate_knowledge_code"
    assert problem_of(duplicate)["field"] == "code"
    assert by_agent.status_code == 403 and by_customer.status_code == 403
    assert bad_kind.status_code == 422 and problem_of(bad_kind)["field"] == "kind"


async def test_a_deactivated_or_unknown_code_is_refused_on_requests_with_its_field(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    it = await covered_printer(sessions)
    admin = await login_as("admin")
    old = await add(client, admin, kind="symptom", code="TONER_LOW", description="Toner low")
    await add(client, admin, kind="symptom", code="PAPER_JAM", description="Paper jam")
    await add(client, admin, kind="resolution", code="ADJUSTED", description="Adjusted")
    agent = await login_as("agent")

    retired = await client.patch(f"{URL}/{old['id']}", json={"version": 1, "active": False}, headers=admin)
    stale = await client.patch(f"{URL}/{old['id']}", json={"version": 1, "description": "x"}, headers=admin)
    refused_retired = await client.post(
        "/api/v1/service-requests", json=call(it, symptom_code="TONER_LOW"), headers=agent
    )
    refused_unknown = await client.post("/api/v1/service-requests", json=call(it, symptom_code="SMOKE"), headers=agent)
    # A resolution code is no symptom code.
    refused_kind = await client.post("/api/v1/service-requests", json=call(it, symptom_code="ADJUSTED"), headers=agent)
    logged = await log(client, agent, call(it, symptom_code="paper_jam"))
    moves = f"/api/v1/service-requests/{logged['id']}/transitions"
    await client.post(moves, json={"status": "in_progress"}, headers=agent)
    wrong_resolution = await client.post(moves, json={"status": "resolved", "resolution_code": "FIXED"}, headers=agent)
    resolved = await client.post(moves, json={"status": "resolved", "resolution_code": "adjusted"}, headers=agent)

    assert retired.status_code == 200 and retired.json()["active"] is False and retired.json()["version"] == 2
    assert stale.status_code == 409 and problem_of(stale)["code"] == "stale_version"
    for refused in (refused_retired, refused_unknown, refused_kind):
        assert refused.status_code == 422
        assert (problem_of(refused)["code"], problem_of(refused)["field"]) == ("unknown_symptom_code", "symptom_code")
    assert logged["symptom_code"] == "PAPER_JAM"  # the catalogue's spelling
    assert wrong_resolution.status_code == 422
    assert (problem_of(wrong_resolution)["code"], problem_of(wrong_resolution)["field"]) == (
        "unknown_resolution_code",
        "resolution_code",
    )
    assert resolved.status_code == 200 and resolved.json()["resolution_code"] == "ADJUSTED"
    changed = await client.patch(
        f"/api/v1/service-requests/{logged['id']}", json={"version": 3, "symptom_code": "NOPE"}, headers=agent
    )
    assert changed.status_code == 422 and problem_of(changed)["code"] == "unknown_symptom_code"


async def test_an_unknown_code_id_is_404_and_a_blank_description_422(client: Client, login_as: UserFactory) -> None:
    manager = await login_as("manager")
    code = await add(client, manager, kind="resolution", code="NFF", description="No fault found")

    missing = await client.get(f"{URL}/01900000-0000-7000-8000-000000000000", headers=manager)
    blank = await client.patch(f"{URL}/{code['id']}", json={"version": 1, "description": "   "}, headers=manager)

    assert missing.status_code == 404 and problem_of(missing)["code"] == "knowledge_code_not_found"
    assert blank.status_code == 422 and problem_of(blank)["field"] == "description"
