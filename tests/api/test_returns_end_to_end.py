"""A customer sends a printer in under warranty and follows it on the public tracking page.

Over HTTP: the customer requests the RMA in the portal, an agent authorizes it, the customer
prints the label, the depot receives the right serial, repairs it with a fuser from depot stock
(the ledger shows the issue), passes QA, ships and closes. The tracking page, opened without a
login, shows each customer-visible step and none of the internal notes.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from litestar import Litestar
from pypdf import PdfReader

from core.db import session_scope
from tests.api.test_work_orders import Client, Sessions
from tests.conftest import UserFactory
from tests.integration.repair_fixtures import Depot, depot_with_stock
from tests.integration.rma_fixtures import RmaParty, rma_customer

URL = "/api/v1/rmas"


@pytest.fixture
def app(web_app: Litestar) -> Litestar:
    """The whole product: the tracking page is one of its pages (web/), beside the API."""
    return web_app


INTERNAL_NOTES = ("VIP account, keep it quick", "outer box dented", "fuser roller scored")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


async def public_page(client: Client, number: str, email: str) -> str:
    """The customer's view without logging in: look the return up with its number and e-mail."""
    form_page = await client.get("/track")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form_page.text)
    assert csrf is not None
    found = await client.post(
        "/track", data={"number": number, "contact": email, "csrf_token": csrf.group(1)}, follow_redirects=False
    )
    assert found.status_code == 303, found.text
    page = await client.get(found.headers["location"])
    assert page.status_code == 200
    return page.text


async def test_an_in_warranty_return_from_request_to_closed_with_public_tracking(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    async with session_scope(sessions) as session:
        party: RmaParty = await rma_customer(session, "ACME")
        depot: Depot = await depot_with_stock(session)
    portal = await login_as("customer", customer_id=party.it.customer_id)
    agent, depot_user = await login_as("agent"), await login_as("depot")

    rma = await ok(
        await client.post(
            URL,
            json={
                "equipment_id": str(party.it.equipment_id),
                "contact_id": str(party.contact_id),
                "reason_code": "defect",
                "problem_description": "Prints streaks; grinding noise from the fuser",
            },
            headers=portal,
        ),
        201,
    )
    rma_url = f"{URL}/{rma['id']}"
    await ok(await client.post(f"{rma_url}/authorize", json={"internal_note": INTERNAL_NOTES[0]}, headers=agent))
    label = await client.get(f"{rma_url}/documents/label", headers=portal)
    await ok(
        await client.post(
            f"{rma_url}/receive", json={"serial_number": "SN-1", "internal_note": INTERNAL_NOTES[1]}, headers=depot_user
        )
    )
    repair = await ok(await client.post(f"{rma_url}/repair-order", headers=depot_user), 201)
    repair_url = f"/api/v1/repair-orders/{repair['id']}"
    await ok(
        await client.post(
            f"{repair_url}/diagnosis",
            json={"fault_codes": ["FUSER-01"], "diagnosis": INTERNAL_NOTES[2]},
            headers=depot_user,
        )
    )
    quoted = await ok(await client.post(f"{repair_url}/quote", json={"labour_hours": "1"}, headers=depot_user))
    part = {"product_id": str(depot.part_id), "quantity": "1"}
    issued = [
        await client.post(f"{repair_url}/parts", json=part, headers=depot_user | {"Idempotency-Key": "fuser-1"})
        for _ in range(2)
    ]
    await ok(
        await client.post(f"{repair_url}/labour", json={"minutes": 60, "description": "new fuser"}, headers=depot_user),
        201,
    )
    await ok(await client.post(f"{repair_url}/finish", headers=depot_user))
    await ok(await client.post(f"{repair_url}/qa", json={"passed": True}, headers=depot_user))
    await ok(await client.post(f"{rma_url}/ship", json={"carrier_tracking": "1Z999AA10123456784"}, headers=depot_user))
    closed = await ok(await client.post(f"{rma_url}/close", json={}, headers=depot_user))
    ledger = await ok(
        await client.get("/api/v1/stock/moves", params={"reference_id": repair["id"]}, headers=depot_user)
    )
    billing = await login_as("contract_admin")
    billed = await ok(
        await client.get("/api/v1/billable-items", params={"customer_id": str(party.it.customer_id)}, headers=billing)
    )
    own_history = await ok(await client.get(f"{rma_url}/events", headers=portal))
    page = await public_page(client, rma["number"], party.email)

    assert rma["number"].startswith("RMA-") and rma["covered_by"] == "warranty"
    assert label.status_code == 200 and rma["number"] in pdf_text(label.content)
    assert quoted["rma_status"] == "in_repair" and quoted["status"] == "in_repair"  # fully covered: no quote
    assert [r.status_code for r in issued] == [201, 201]
    assert issued[1].headers.get("Idempotent-Replayed") == "true"
    [move] = ledger["items"]  # one issue although the depot's scanner sent it twice
    assert (move["kind"], move["quantity"], move["reference_ref"]) == ("issue", "1.000", repair["number"])
    assert closed["status"] == "closed"
    assert billed["items"] and all(item["amount"] == "0.00" for item in billed["items"])  # the warranty pays
    assert {item["source_kind"] for item in billed["items"]} == {"repair_order"}

    seen_steps = [e["to_status"] for e in own_history["items"] if e["to_status"]]
    for step in ("requested", "authorized", "awaiting_receipt", "received", "in_repair", "shipped", "closed"):
        assert step in seen_steps
    assert rma["number"] in page and "1Z999AA10123456784" in page
    for step in (
        "Return requested",
        "Return authorized",
        "Waiting for your unit to arrive",
        "Unit received at our repair centre",
        "Being repaired",
        "Shipped back to you",
        "Completed",
    ):
        assert step in page
    for note in INTERNAL_NOTES:
        assert note not in page
        assert note not in str(own_history)
