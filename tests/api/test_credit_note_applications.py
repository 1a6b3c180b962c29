"""POST /api/v1/invoices/{credit_note_id}/applications: a credit note's rest applied to another
open invoice of the same customer and currency (contract_admin only)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import api.routes.invoices
import api.routes.payments
from core.db import session_scope
from tests.conftest import UserFactory, problem_of
from tests.integration.invoice_fixtures import CLOCK, customer

Client = AsyncTestClient[Litestar]
Sessions = async_sessionmaker[AsyncSession]
INVOICES = "/api/v1/invoices"
FEE = {"description": "Monthly fee", "quantity": "1", "unit": "mo", "unit_price": "100.00"}  # 119.00
LABOUR = {"description": "Labour", "quantity": "2", "unit": "h", "unit_price": "100.00"}  # 238.00


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    saved = api.routes.invoices.CLOCK, api.routes.payments.CLOCK
    api.routes.invoices.CLOCK = api.routes.payments.CLOCK = CLOCK  # 2026-12-01
    yield
    api.routes.invoices.CLOCK, api.routes.payments.CLOCK = saved


async def issued(
    client: Client, admin: dict[str, str], customer_id: UUID, line: dict[str, str], currency: str = "EUR"
) -> dict[str, Any]:
    body = (
        await client.post(INVOICES, json={"customer_id": str(customer_id), "currency": currency}, headers=admin)
    ).json()
    body = (await client.post(f"{INVOICES}/{body['id']}/lines", json=line, headers=admin)).json()
    response = await client.post(f"{INVOICES}/{body['id']}/issue", json={"version": body["version"]}, headers=admin)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def paid_and_credited(client: Client, admin: dict[str, str], customer_id: UUID) -> dict[str, Any]:
    """An invoice paid in full and then credited in full: the credit note keeps its whole 119.00."""
    invoice = await issued(client, admin, customer_id, FEE)
    payment = {"customer_id": str(customer_id), "amount": "119.00", "currency": "EUR", "received_on": "2026-12-01"}
    assert (await client.post("/api/v1/payments", json=payment, headers=admin)).status_code == 201
    draft = await client.post(f"{INVOICES}/{invoice['id']}/credit-notes", json={"reason": "Fee waived"}, headers=admin)
    assert draft.status_code == 201, draft.text
    credit = await client.post(
        f"{INVOICES}/{draft.json()['id']}/issue", json={"version": draft.json()["version"]}, headers=admin
    )
    assert credit.status_code == 200, credit.text
    body: dict[str, Any] = credit.json()
    return body


async def new_customer(sessions: Sessions, name: str) -> UUID:
    async with session_scope(sessions) as s:
        return (await customer(s, name)).id


async def test_the_contract_admin_applies_a_credit_notes_rest_to_the_next_invoice(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    acme = await new_customer(sessions, "ACME")
    admin = await login_as("contract_admin")
    credit_note = await paid_and_credited(client, admin, acme)
    later = await issued(client, admin, acme, LABOUR)
    assert (credit_note["number"], credit_note["open_amount"], later["open_amount"]) == (
        "CN-000001",
        "119.00",
        "238.00",
    )

    response = await client.post(
        f"{INVOICES}/{credit_note['id']}/applications",
        json={"invoice_id": later["id"], "amount": "119.00"},
        headers=admin,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["credit_note_id"], body["invoice_id"], body["amount"], body["allocated_on"]) == (
        credit_note["id"],
        later["id"],
        "119.00",
        "2026-12-01",
    )
    assert (body["credit_note"]["settled_amount"], body["credit_note"]["open_amount"]) == ("119.00", "0.00")
    assert (body["invoice"]["status"], body["invoice"]["open_amount"]) == ("partially_paid", "119.00")
    again = await client.post(
        f"{INVOICES}/{credit_note['id']}/applications",
        json={"invoice_id": later["id"], "amount": "0.01"},
        headers=admin,
    )
    assert again.status_code == 422
    assert (problem_of(again)["code"], problem_of(again)["field"]) == ("allocation_exceeds_payment", "amount")


async def test_refusals_and_roles(client: Client, login_as: UserFactory, sessions: Sessions) -> None:
    acme, globex = await new_customer(sessions, "ACME"), await new_customer(sessions, "Globex")
    admin = await login_as("contract_admin")
    credit_note = await paid_and_credited(client, admin, acme)
    later = await issued(client, admin, acme, LABOUR)
    theirs = await issued(client, admin, globex, LABOUR)
    dollars = await issued(client, admin, acme, LABOUR, currency="USD")
    small = await issued(client, admin, acme, {**FEE, "unit_price": "10.00"})  # 11.90
    applications = f"{INVOICES}/{credit_note['id']}/applications"

    cases = [
        ({"invoice_id": theirs["id"], "amount": "10.00"}, 422, "customer_mismatch", "invoice_id"),
        ({"invoice_id": dollars["id"], "amount": "10.00"}, 422, "currency_mismatch", "invoice_id"),
        ({"invoice_id": small["id"], "amount": "11.91"}, 422, "allocation_exceeds_open", "amount"),
        ({"invoice_id": later["id"], "amount": "119.01"}, 422, "allocation_exceeds_payment", "amount"),
        ({"invoice_id": later["id"], "amount": "-5.00"}, 422, "invalid_amount", "amount"),
        ({"invoice_id": later["id"], "amount": "abc"}, 422, "validation_failed", "amount"),
        ({"invoice_id": str(UUID(int=5)), "amount": "1.00"}, 404, "invoice_not_found", "invoice_id"),
    ]
    for body, status, code, field in cases:
        response = await client.post(applications, json=body, headers=admin)
        assert response.status_code == status, (body, response.text)
        assert (problem_of(response)["code"], problem_of(response)["field"]) == (code, field), body
    # An invoice is not a credit note to apply.
    wrong = await client.post(
        f"{INVOICES}/{later['id']}/applications", json={"invoice_id": small["id"], "amount": "1.00"}, headers=admin
    )
    assert wrong.status_code == 409 and problem_of(wrong)["code"] == "invoice_not_editable"
    unknown = await client.post(
        f"{INVOICES}/{UUID(int=9)}/applications", json={"invoice_id": later["id"], "amount": "1.00"}, headers=admin
    )
    assert unknown.status_code == 404
    for role in ("manager", "agent", "admin"):
        refused = await client.post(
            applications, json={"invoice_id": later["id"], "amount": "1.00"}, headers=await login_as(role)
        )
        assert refused.status_code == 403, role
    untouched = (await client.get(f"{INVOICES}/{credit_note['id']}", headers=admin)).json()
    assert untouched["settled_amount"] == "0.00"
