"""Billing runs over HTTP: the contract administrator starts one, watches it finish; others may not."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import session_scope
from tests.conftest import UserFactory, problem_of
from tests.integration.billing_fixtures import billable_item, contract, customer
from tests.integration.test_work_order_service import planned_engineer

Client = AsyncTestClient[Litestar]
RUNS = "/api/v1/billing-runs"


async def headers_for(role: str, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    """A user of the role; customer and technician users are bound to a customer / an engineer."""
    if role == "customer":
        async with session_scope(sessions) as s:
            customer_id = await customer(s, "C-PORTAL")
        return await login_as(role, customer_id=customer_id)
    if role == "technician":
        async with session_scope(sessions) as s:
            engineer_id = (await planned_engineer(s)).id
        return await login_as(role, engineer_id=engineer_id)
    return await login_as(role)


async def test_a_contract_admin_runs_november_and_reads_the_outcome(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with session_scope(sessions) as s:
        acme = await customer(s, "C-ACME")
        await contract(s, acme, "SC-1", fee="100.00", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))
        await billable_item(s, acme, "WO-000001", amount="50.00")
    admin = await login_as("contract_admin")
    manager = await login_as("manager")

    started = await client.post(RUNS, json={"period": "2026-11"}, headers=admin)
    # The run goes on after the 202; the test client waits for background work to end.
    run = await client.get(started.headers["location"], headers=manager)
    listed = await client.get(RUNS, params={"period": "2026-11"}, headers=manager)

    assert started.status_code == 202, started.text
    assert started.json()["status"] == "running" and started.json()["period"] == "2026-11"
    assert run.status_code == 200
    body = run.json()
    assert (body["status"], body["fee_lines"], body["item_lines"], body["invoices_created"]) == ("completed", 1, 1, 1)
    assert (body["progress_done"], body["progress_total"]) == (1, 1)
    assert body["totals"] == {"EUR": {"net": "150.00", "tax": "28.50", "gross": "178.50"}}
    assert body["started_by"].startswith("contract_admin")
    assert [item["id"] for item in listed.json()["items"]] == [body["id"]]


async def test_a_bad_period_is_refused_with_its_field(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")

    month_13 = await client.post(RUNS, json={"period": "2026-13"}, headers=admin)
    no_month = await client.post(RUNS, json={"period": "November"}, headers=admin)
    extra = await client.post(RUNS, json={"period": "2026-11", "dry": True}, headers=admin)

    assert month_13.status_code == 422 and problem_of(month_13)["code"] == "invalid_billing_period"
    assert problem_of(month_13)["field"] == "period"
    assert no_month.status_code in (400, 422) and problem_of(no_month)["field"] == "period"
    assert extra.status_code in (400, 422)


@pytest.mark.parametrize("role", ["manager", "agent", "planner", "depot", "technician", "customer"])
async def test_only_a_contract_admin_starts_a_run(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], role: str
) -> None:
    headers = await headers_for(role, login_as, sessions)

    response = await client.post(RUNS, json={"period": "2026-11"}, headers=headers)

    assert response.status_code == 403 and problem_of(response)["status"] == 403


@pytest.mark.parametrize("role", ["agent", "planner", "depot", "technician", "customer"])
async def test_runs_are_for_billing_staff_to_read(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], role: str
) -> None:
    headers = await headers_for(role, login_as, sessions)

    response = await client.get(RUNS, headers=headers)

    assert response.status_code == 403
