"""Depot repair over HTTP: the out-of-warranty path (quote, credit hold, override, approval,
repair, billable items), documents, and who may do what (customer B gets the 404 of an unknown RMA)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.models import BillableItem
from core.auth import Role
from core.db import session_scope
from tests.conftest import UserFactory, problem_of
from tests.integration.contract_fixtures import installed_printer
from tests.integration.repair_fixtures import Scenario, credit_account, received_rma, repair_scenario

Client = AsyncTestClient[Litestar]


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


async def setup(sessions: async_sessionmaker[AsyncSession], *, on_hold: bool = False, **coverage: str) -> Scenario:
    async with session_scope(sessions) as s:
        it = await repair_scenario(s, **coverage)
        await credit_account(s, it.installed.customer_id, on_hold=on_hold)
    return it


async def diagnose_and_quote(client: Client, depot: dict[str, str], it: Scenario) -> dict[str, Any]:
    response = await client.post(f"/api/v1/rmas/{it.rma_id}/repair-order", headers=depot)
    assert response.status_code == 201, response.text
    rid = response.json()["id"]
    response = await client.post(
        f"/api/v1/repair-orders/{rid}/diagnosis",
        json={"fault_codes": ["FUS-2"], "diagnosis": "Fuser worn", "inspection_fee": "45.00"},
        headers=depot,
    )
    assert response.status_code == 200, response.text
    estimate = {"labour_hours": "2", "parts": [{"product_id": str(it.depot.part_id), "quantity": "1"}]}
    response = await client.post(f"/api/v1/repair-orders/{rid}/quote", json=estimate, headers=depot)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_out_of_warranty_quote_credit_hold_override_approval_repair_billing(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    it = await setup(sessions, on_hold=True, covered_by="none", labour_pct="0", parts_pct="0")
    depot = await login_as(Role.DEPOT)
    customer = await login_as(Role.CUSTOMER, customer_id=it.installed.customer_id)
    quoted = await diagnose_and_quote(client, depot, it)
    assert quoted["status"] == "awaiting_approval" and quoted["quote_amount"] == "316.00"
    rid = quoted["id"]

    quote = await client.get(f"/api/v1/rmas/{it.rma_id}/quote", headers=customer)
    assert quote.json()["quote_status"] == "sent" and len(quote.json()["quote_lines"]) == 2
    pdf = await client.get(f"/api/v1/rmas/{it.rma_id}/documents/quote", headers=customer)
    assert pdf.status_code == 200 and "316.00" in pdf_text(pdf.content)

    refused = await client.post(f"/api/v1/rmas/{it.rma_id}/quote/approve", headers=customer)
    assert refused.status_code == 409
    assert problem_of(refused)["code"] == "credit_check_failed" and problem_of(refused)["outcome"] == "hold"

    agent = await login_as(Role.AGENT)
    agent_id = (await client.get("/api/v1/auth/me", headers=agent)).json()["user_id"]
    override = {
        "customer_id": str(it.installed.customer_id),
        "amount": "316.00",
        "currency": "EUR",
        "reason": "long-standing customer",
        "requested_by_id": agent_id,
        "reference": quoted["number"],
    }
    approved_override = await client.post(
        "/api/v1/credit/overrides", json=override, headers=await login_as(Role.CONTRACT_ADMIN)
    )
    assert approved_override.status_code == 201, approved_override.text

    approved = await client.post(f"/api/v1/rmas/{it.rma_id}/quote/approve", json={"comment": "go"}, headers=customer)
    assert approved.status_code == 200, approved.text
    assert approved.json()["quote_status"] == "approved" and approved.json()["rma_status"] == "in_repair"

    labour = await client.post(
        f"/api/v1/repair-orders/{rid}/labour", json={"minutes": 120, "description": "fuser swapped"}, headers=depot
    )
    assert labour.status_code == 201
    part = {"product_id": str(it.depot.part_id), "quantity": "1"}
    key = {**depot, "Idempotency-Key": "part-1"}
    first = await client.post(f"/api/v1/repair-orders/{rid}/parts", json=part, headers=key)
    again = await client.post(f"/api/v1/repair-orders/{rid}/parts", json=part, headers=key)
    assert first.status_code == again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert len(again.json()["parts"]) == 1
    assert (await client.post(f"/api/v1/repair-orders/{rid}/finish", headers=depot)).status_code == 200
    done = await client.post(f"/api/v1/repair-orders/{rid}/qa", json={"passed": True}, headers=depot)
    assert done.json()["status"] == "done" and done.json()["rma_status"] == "in_qa"

    async with session_scope(sessions) as s:
        items = (await s.scalars(select(BillableItem).where(BillableItem.source_ref == quoted["number"]))).all()
    assert sorted(str(i.amount) for i in items) == ["120.00", "196.00"]
    report = await client.get(f"/api/v1/rmas/{it.rma_id}/documents/repair-report", headers=customer)
    assert report.status_code == 200 and "fuser swapped" in pdf_text(report.content)


async def test_decline_bills_the_inspection_fee(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    it = await setup(sessions, covered_by="none", labour_pct="0", parts_pct="0")
    depot = await login_as(Role.DEPOT)
    await diagnose_and_quote(client, depot, it)
    declined = await client.post(
        f"/api/v1/rmas/{it.rma_id}/quote/decline",
        headers=await login_as(Role.CUSTOMER, customer_id=it.installed.customer_id),
    )
    assert declined.status_code == 200 and declined.json()["quote_status"] == "declined"
    async with session_scope(sessions) as s:
        fee = await s.scalar(select(BillableItem).where(BillableItem.source_kind == "inspection_fee"))
    assert fee is not None and str(fee.amount) == "45.00"


async def test_who_may_act_and_see(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    it = await setup(sessions, covered_by="none", labour_pct="0", parts_pct="0")
    async with session_scope(sessions) as s:
        beta = await installed_printer(s, "BETA")
        other_rma = await received_rma(s, beta)
    depot = await login_as(Role.DEPOT)
    quoted = await diagnose_and_quote(client, depot, it)
    stranger = await login_as(Role.CUSTOMER, customer_id=beta.customer_id)

    unknown = await client.post(f"/api/v1/rmas/{other_rma.id}/quote/approve", headers=stranger)  # no quote there
    for path in ("/quote", "/documents/label", "/documents/quote"):
        theirs = await client.get(f"/api/v1/rmas/{it.rma_id}{path}", headers=stranger)
        assert theirs.status_code == 404, path
        assert problem_of(theirs)["code"] == "rma_not_found"
    approve = await client.post(f"/api/v1/rmas/{it.rma_id}/quote/approve", headers=stranger)
    assert approve.status_code == 404 and problem_of(approve)["code"] == "rma_not_found"
    assert unknown.status_code == 404  # their own RMA has no repair order yet

    # who repairs does not approve the bill
    assert (await client.post(f"/api/v1/rmas/{it.rma_id}/quote/approve", headers=depot)).status_code == 403
    manager = await login_as(Role.MANAGER)
    assert (await client.get(f"/api/v1/repair-orders/{quoted['id']}", headers=manager)).status_code == 200
    labour = {"minutes": 10, "description": "x"}
    assert (
        await client.post(f"/api/v1/repair-orders/{quoted['id']}/labour", json=labour, headers=manager)
    ).status_code == 403
    customer = await login_as(Role.CUSTOMER, customer_id=it.installed.customer_id)
    assert (await client.get(f"/api/v1/repair-orders/{quoted['id']}", headers=customer)).status_code == 403

    bad = await client.post(
        f"/api/v1/repair-orders/{quoted['id']}/labour", json={"minutes": 0, "description": "x"}, headers=depot
    )
    assert bad.status_code in (400, 422) and problem_of(bad)
    label = await client.get(f"/api/v1/rmas/{it.rma_id}/documents/label", headers=customer)
    assert label.status_code == 200 and it.rma_number in pdf_text(label.content)
