"""Payments and receivables over HTTP: recording, allocating, aging, roles and customer scope."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import session_scope
from tests.conftest import UserFactory, problem_of
from tests.integration.receivable_fixtures import customer, issued_invoice

Client = AsyncTestClient[Litestar]
PAYMENTS = "/api/v1/payments"
AGING = "/api/v1/receivables/aging"
OPEN_ITEMS = "/api/v1/receivables/open-items"


async def two_customers_with_invoices(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    async with session_scope(sessions) as s:
        acme = await customer(s, "ACME Printing", "C-200001")
        globex = await customer(s, "Globex", "C-200002")
        older = await issued_invoice(s, acme, "100.00", issued_on=dt.date(2026, 9, 1))  # 119.00, due 1 Oct
        newer = await issued_invoice(s, acme, "200.00", issued_on=dt.date(2026, 10, 1))  # 238.00, due 31 Oct
        dollars = await issued_invoice(s, acme, "50.00", issued_on=dt.date(2026, 10, 1), currency="USD")
        theirs = await issued_invoice(s, globex, "100.00", issued_on=dt.date(2026, 9, 1))
        return {
            "acme": str(acme),
            "globex": str(globex),
            "older": (str(older.id), older.number),
            "newer": (str(newer.id), newer.number),
            "dollars": str(dollars.id),
            "theirs": str(theirs.id),
        }


def payment(customer_id: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {"customer_id": customer_id, "amount": amount, "currency": "EUR", "received_on": "2026-11-02", **extra}


async def test_a_contract_admin_records_a_payment_that_pays_the_oldest_invoice_and_part_of_the_next(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    data = await two_customers_with_invoices(sessions)
    admin = await login_as("contract_admin")

    response = await client.post(
        PAYMENTS, json=payment(data["acme"], "200.00", method="bank_transfer", reference="remittance 77"), headers=admin
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["number"], body["amount"], body["allocated_amount"], body["unallocated_amount"]) == (
        "PAY-000001",
        "200.00",
        "200.00",
        "0.00",
    )
    assert [(a["invoice_number"], a["amount"]) for a in body["allocations"]] == [
        (data["older"][1], "119.00"),
        (data["newer"][1], "81.00"),
    ]
    assert (body["reference"], body["recorded_by"]) == ("remittance 77", "contract_admin1")
    fetched = await client.get(f"{PAYMENTS}/{body['id']}", headers=await login_as("agent"))
    assert fetched.status_code == 200 and fetched.json()["allocations"] == body["allocations"]


async def test_an_over_payment_is_credit_until_allocated(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    data = await two_customers_with_invoices(sessions)
    admin = await login_as("contract_admin")
    explicit = [{"invoice_id": data["newer"][0], "amount": "238.00"}]
    created = (
        await client.post(PAYMENTS, json=payment(data["acme"], "300.00", allocations=explicit), headers=admin)
    ).json()
    assert (created["allocated_amount"], created["unallocated_amount"]) == ("238.00", "62.00")

    credit = await client.get(PAYMENTS, params={"unallocated": "true"}, headers=admin)
    later = await client.post(f"{PAYMENTS}/{created['id']}/allocations", json={"auto_allocate": True}, headers=admin)

    assert [p["number"] for p in credit.json()["items"]] == ["PAY-000001"]
    assert later.status_code == 200, later.text
    assert (later.json()["allocated_amount"], later.json()["unallocated_amount"]) == ("300.00", "0.00")
    assert later.json()["allocations"][-1]["invoice_number"] == data["older"][1]
    assert later.json()["allocations"][-1]["amount"] == "62.00"


async def test_bad_payments_answer_problems_with_code_and_field(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    data = await two_customers_with_invoices(sessions)
    admin = await login_as("contract_admin")

    async def post(body: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(PAYMENTS, json=body, headers=admin)
        assert response.status_code == 422, response.text
        return problem_of(response)

    currency = await post(payment(data["acme"], "50.00", allocations=[{"invoice_id": data["dollars"], "amount": "5"}]))
    foreign = await post(payment(data["acme"], "50.00", allocations=[{"invoice_id": data["theirs"], "amount": "5"}]))
    above = await post(payment(data["acme"], "500.00", allocations=[{"invoice_id": data["older"][0], "amount": "120"}]))
    cents = await post(payment(data["acme"], "5.001"))
    method = await post(payment(data["acme"], "5.00", method="bitcoin"))

    assert (currency["code"], currency["field"]) == ("currency_mismatch", "allocations[0].invoice_id")
    assert (foreign["code"], foreign["field"]) == ("customer_mismatch", "allocations[0].invoice_id")
    assert (above["code"], above["field"]) == ("allocation_exceeds_open", "allocations[0].amount")
    assert (cents["code"], cents["field"]) == ("invalid_amount", "amount")
    assert method["field"] == "method"
    listed = await client.get(PAYMENTS, headers=admin)
    assert listed.json()["total"] == 0  # nothing half-written


async def test_customers_see_their_own_payments_and_receivables_only(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    data = await two_customers_with_invoices(sessions)
    admin = await login_as("contract_admin")
    mine = (await client.post(PAYMENTS, json=payment(data["acme"], "10.00"), headers=admin)).json()
    theirs = (await client.post(PAYMENTS, json=payment(data["globex"], "10.00"), headers=admin)).json()
    acme_user = await login_as("customer", customer_id=UUID(data["acme"]))

    listed = await client.get(PAYMENTS, headers=acme_user)
    own = await client.get(f"{PAYMENTS}/{mine['id']}", headers=acme_user)
    other = await client.get(f"{PAYMENTS}/{theirs['id']}", headers=acme_user)
    aging = await client.get(AGING, params={"on": "2026-11-30"}, headers=acme_user)
    other_aging = await client.get(AGING, params={"on": "2026-11-30", "customer_id": data["globex"]}, headers=acme_user)

    assert [p["id"] for p in listed.json()["items"]] == [mine["id"]]
    assert own.status_code == 200
    assert other.status_code == 404 and problem_of(other)["code"] == "payment_not_found"
    assert [line["customer_number"] for line in aging.json()["customers"]] == ["C-200001", "C-200001"]
    assert other_aging.status_code == 404


async def test_aging_over_http_names_the_buckets(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    data = await two_customers_with_invoices(sessions)
    manager = await login_as("manager")

    response = await client.get(AGING, params={"on": "2026-11-30", "customer_id": data["acme"]}, headers=manager)
    items = await client.get(OPEN_ITEMS, params={"on": "2026-11-30", "customer_id": data["acme"]}, headers=manager)

    assert response.status_code == 200, response.text
    eur = next(line for line in response.json()["customers"] if line["currency"] == "EUR")
    # 119.00 due 1 Oct (60 days: 31-60), 238.00 due 31 Oct (30 days: 1-30)
    assert eur["buckets"] == {"current": "0.00", "1-30": "238.00", "31-60": "119.00", "61-90": "0.00", "90+": "0.00"}
    assert eur["total"] == "357.00"
    assert [(i["number"], i["open_amount"]) for i in items.json()] == [
        (data["older"][1], "119.00"),
        (data["newer"][1], "238.00"),
        (items.json()[2]["number"], "59.50"),
    ]


@pytest.mark.parametrize("role", ["depot", "planner", "technician"])
async def test_depot_planner_and_technician_cannot_touch_payments_or_receivables(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], role: str
) -> None:
    data = await two_customers_with_invoices(sessions)
    headers = await login_as(role)
    any_id = "00000000-0000-0000-0000-000000000001"

    answers = [
        await client.post(PAYMENTS, json=payment(data["acme"], "10.00"), headers=headers),
        await client.get(PAYMENTS, headers=headers),
        await client.get(f"{PAYMENTS}/{any_id}", headers=headers),
        await client.post(f"{PAYMENTS}/{any_id}/allocations", json={}, headers=headers),
        await client.get(AGING, headers=headers),
        await client.get(OPEN_ITEMS, headers=headers),
    ]

    assert [a.status_code for a in answers] == [403] * 6


@pytest.mark.parametrize("role", ["manager", "agent", "customer"])
async def test_only_a_contract_admin_records_or_allocates_payments(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], role: str
) -> None:
    data = await two_customers_with_invoices(sessions)
    admin = await login_as("contract_admin")
    created = (
        await client.post(PAYMENTS, json=payment(data["acme"], "500.00", auto_allocate=False), headers=admin)
    ).json()
    headers = await login_as(role, customer_id=UUID(data["acme"]) if role == "customer" else None)

    record = await client.post(PAYMENTS, json=payment(data["acme"], "10.00"), headers=headers)
    allocate = await client.post(f"{PAYMENTS}/{created['id']}/allocations", json={}, headers=headers)

    assert (record.status_code, allocate.status_code) == (403, 403)


async def test_a_payment_sent_twice_with_the_same_idempotency_key_is_recorded_once(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    data = await two_customers_with_invoices(sessions)
    admin = {**await login_as("contract_admin"), "Idempotency-Key": "bank-import-2026-11-02-line-7"}
    body = payment(data["acme"], "119.00")

    first = await client.post(PAYMENTS, json=body, headers=admin)
    again = await client.post(PAYMENTS, json=body, headers=admin)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert (await client.get(PAYMENTS, headers=admin)).json()["total"] == 1


async def test_the_credit_check_fails_while_an_invoice_is_open_and_passes_once_it_is_paid(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    today = dt.datetime.now(dt.UTC).date()
    async with session_scope(sessions) as s:
        acme = str(await customer(s, "ACME Printing"))
    admin = await login_as("contract_admin")
    account = {"customer_id": acme, "credit_limit": "1000.00", "currency": "EUR", "tolerance_days": 30}
    assert (await client.post("/api/v1/credit/accounts", json=account, headers=admin)).status_code == 201
    agent = await login_as("agent")

    async def check() -> str:
        body = {"customer_id": acme, "amount": "600.00", "currency": "EUR"}
        response = await client.post("/api/v1/credit/check", json=body, headers=agent)
        assert response.status_code == 200, response.text
        return str(response.json()["outcome"])

    before = await check()
    async with session_scope(sessions) as s:
        await issued_invoice(s, UUID(acme), "700.00", tax="0.00", issued_on=today)
    owing = await check()
    pay = payment(acme, "700.00", received_on=today.isoformat())
    assert (await client.post(PAYMENTS, json=pay, headers=admin)).status_code == 201
    after = await check()
    shown = (await client.get(f"/api/v1/credit/accounts/{acme}", headers=admin)).json()

    assert (before, owing, after) == ("pass", "fail", "pass")
    assert (shown["open_receivables"], shown["average_days_to_pay"]) == ("0.00", "0.0")  # paid on the day
