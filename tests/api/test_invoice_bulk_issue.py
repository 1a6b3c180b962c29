"""POST /api/v1/invoices/issue-drafts: the contract administrator issues the reviewed month."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import api.routes.invoices
from contracts.services.billing_run import run_billing
from core.db import session_scope
from tests.conftest import UserFactory, problem_of
from tests.integration.billing_fixtures import ACTOR, AT_MONTH_END, BILLING, NOV, contract, customer
from tests.integration.invoice_fixtures import CLOCK

Client = AsyncTestClient[Litestar]
Sessions = async_sessionmaker[AsyncSession]
ISSUE_DRAFTS = "/api/v1/invoices/issue-drafts"


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    saved = api.routes.invoices.CLOCK
    api.routes.invoices.CLOCK = CLOCK  # issued on 2026-12-01
    yield
    api.routes.invoices.CLOCK = saved


async def november_drafts(sessions: Sessions) -> dict[str, UUID]:
    ids: dict[str, UUID] = {}
    async with session_scope(sessions) as s:
        for number, fee in (("C-020", "200.00"), ("C-010", "100.00")):
            ids[number] = await customer(s, number)
            year = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
            await contract(s, ids[number], f"SC-{number}", fee=fee, starts_on=year[0], ends_on=year[1])
    await run_billing(sessions, ACTOR, NOV, BILLING, clock=AT_MONTH_END)
    return ids


async def test_the_contract_admin_issues_the_months_drafts_once(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    ids = await november_drafts(sessions)
    admin = await login_as("contract_admin")

    response = await client.post(ISSUE_DRAFTS, json={"period": NOV}, headers=admin)
    again = await client.post(ISSUE_DRAFTS, json={"period": NOV}, headers=admin)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "period": "2026-11",
        "drafts": 2,
        "issued": 2,
        "skipped": 0,
        "empty": 0,
        "first_number": "INV-000001",
        "last_number": "INV-000002",
        "totals": {"EUR": {"invoices": 2, "net": "300.00", "tax": "57.00", "gross": "357.00"}},
    }
    assert again.status_code == 200 and (again.json()["drafts"], again.json()["issued"]) == (0, 0)
    listed = await client.get("/api/v1/invoices", params={"sort": "number"}, headers=admin)
    assert [(i["number"], i["customer_id"], i["issued_on"]) for i in listed.json()["items"]] == [
        ("INV-000001", str(ids["C-010"]), "2026-12-01"),
        ("INV-000002", str(ids["C-020"]), "2026-12-01"),
    ]


async def test_only_the_contract_admin_issues_and_the_period_is_checked(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    ids = await november_drafts(sessions)
    admin = await login_as("contract_admin")

    for role in ("manager", "agent", "admin", "planner"):
        refused = await client.post(ISSUE_DRAFTS, json={"period": NOV}, headers=await login_as(role))
        assert refused.status_code == 403, role
    customer_user = await login_as("customer", customer_id=ids["C-010"])
    assert (await client.post(ISSUE_DRAFTS, json={"period": NOV}, headers=customer_user)).status_code == 403
    cases = [
        ({"period": "2026-13"}, "invalid_billing_period", "period"),
        ({"period": "November"}, "validation_failed", "period"),
        ({}, "validation_failed", "period"),
        ({"period": NOV, "chunk_size": 5}, "validation_failed", "chunk_size"),
    ]
    for body, code, field in cases:
        bad = await client.post(ISSUE_DRAFTS, json=body, headers=admin)
        assert bad.status_code == 422, body
        assert (problem_of(bad)["code"], problem_of(bad)["field"]) == (code, field), body
    nothing = await client.get("/api/v1/invoices", params={"status": "issued"}, headers=admin)
    assert nothing.json()["total"] == 0
