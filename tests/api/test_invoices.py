"""/api/v1/invoices: the contract administrator's drafts, issue, void and credit notes; who may
read what (customers: their own issued invoices only); problem+json with code and field."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import api.routes.invoices
from core.db import session_scope
from tests.conftest import UserFactory, problem_of
from tests.integration.invoice_fixtures import CLOCK, customer

Client = AsyncTestClient[Litestar]
Sessions = async_sessionmaker[AsyncSession]
INVOICES = "/api/v1/invoices"
PM_VISITS = {"description": "PM visit", "quantity": "3", "unit": "ea", "unit_price": "33.33"}
LABOUR = {"description": "Labour", "quantity": "1.5", "unit": "h", "unit_price": "98.00", "reference": "WO-000042"}


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    saved = api.routes.invoices.CLOCK
    api.routes.invoices.CLOCK = CLOCK  # issued on 2026-12-01
    yield
    api.routes.invoices.CLOCK = saved


async def new_customer(sessions: Sessions, name: str, email: str | None = None) -> UUID:
    async with session_scope(sessions) as s:
        return (await customer(s, name, email=email)).id


async def draft(client: Client, admin: dict[str, str], customer_id: UUID, *lines: dict[str, str]) -> dict[str, Any]:
    created = await client.post(INVOICES, json={"customer_id": str(customer_id), "currency": "EUR"}, headers=admin)
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    for line in lines:
        added = await client.post(f"{INVOICES}/{body['id']}/lines", json=line, headers=admin)
        assert added.status_code == 201, added.text
        body = added.json()
    return body


async def issued(client: Client, admin: dict[str, str], customer_id: UUID, *lines: dict[str, str]) -> dict[str, Any]:
    body = await draft(client, admin, customer_id, *lines)
    response = await client.post(f"{INVOICES}/{body['id']}/issue", json={"version": body["version"]}, headers=admin)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


async def test_the_contract_admin_drafts_adds_lines_issues_and_downloads_the_pdf(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    acme = await new_customer(sessions, "ACME", "accounts@acme.example")
    admin = await login_as("contract_admin")

    body = await draft(client, admin, acme, PM_VISITS, LABOUR)
    assert (body["status"], body["number"], body["net_amount"], body["tax_amount"], body["gross_amount"]) == (
        "draft",
        None,
        "246.99",
        "46.93",
        "293.92",
    )
    assert [(line["position"], line["net_amount"], line["tax_amount"], line["source"]) for line in body["lines"]] == [
        (1, "99.99", "19.00", "manual"),
        (2, "147.00", "27.93", "manual"),
    ]

    response = await client.post(f"{INVOICES}/{body['id']}/issue", json={"version": body["version"]}, headers=admin)

    assert response.status_code == 200, response.text
    invoice = response.json()
    assert (invoice["number"], invoice["status"], invoice["issued_on"], invoice["due_on"]) == (
        "INV-000001",
        "issued",
        "2026-12-01",
        "2026-12-31",
    )
    assert (invoice["payment_reference"], invoice["open_amount"], invoice["bill_to"]["name"]) == (
        "INV-000001",
        "293.92",
        "ACME",
    )

    pdf = await client.get(f"{INVOICES}/{body['id']}/pdf", headers=admin)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="INV-000001.pdf"'
    text = pdf_text(pdf.content)
    assert "Invoice INV-000001" in text and "WO-000042" in text and "Total due 293.92 EUR" in text
    again = await client.get(f"{INVOICES}/{body['id']}/pdf", headers=await login_as("manager"))
    assert again.content == pdf.content  # stored at the first download


async def test_writes_are_validated_with_a_code_and_the_field(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    acme = await new_customer(sessions, "ACME")
    admin = await login_as("contract_admin")
    body = await draft(client, admin, acme)
    lines = f"{INVOICES}/{body['id']}/lines"

    cases = [
        (INVOICES, {"customer_id": str(acme), "currency": "eur"}, 422, "currency"),
        (INVOICES, {"customer_id": str(acme)}, 422, "currency"),
        (INVOICES, {"customer_id": str(UUID(int=7)), "currency": "EUR"}, 404, "customer_id"),
        (lines, PM_VISITS | {"quantity": "0"}, 422, "quantity"),
        (lines, PM_VISITS | {"quantity": "1.0005"}, 422, "quantity"),
        (lines, PM_VISITS | {"unit_price": "-1"}, 422, "unit_price"),
        (lines, PM_VISITS | {"description": ""}, 422, "description"),
        (lines, PM_VISITS | {"colour": "red"}, 422, None),
        (f"{INVOICES}/{body['id']}/issue", {"version": body["version"]}, 422, "lines"),
        (f"{INVOICES}/{body['id']}/issue", {"version": 0}, 422, "version"),
    ]
    for url, payload, status, field in cases:
        response = await client.post(url, json=payload, headers=admin)
        assert response.status_code == status, (payload, response.text)
        problem = problem_of(response)
        if field is not None:
            assert problem.get("field") == field, (payload, problem)
    empty = problem_of(await client.post(f"{INVOICES}/{body['id']}/issue", json={"version": 1}, headers=admin))
    assert empty["code"] == "invoice_empty"

    filled = await client.post(lines, json=PM_VISITS, headers=admin)
    stale = await client.post(f"{INVOICES}/{body['id']}/issue", json={"version": 1}, headers=admin)
    assert filled.json()["version"] > 1
    assert (stale.status_code, problem_of(stale)["code"]) == (409, "stale_version")


async def test_void_and_delete_follow_the_status(client: Client, login_as: UserFactory, sessions: Sessions) -> None:
    acme = await new_customer(sessions, "ACME")
    admin = await login_as("contract_admin")
    invoice = await issued(client, admin, acme, PM_VISITS)
    void_url = f"{INVOICES}/{invoice['id']}/void"

    no_reason = await client.post(void_url, json={"version": invoice["version"], "reason": ""}, headers=admin)
    assert (no_reason.status_code, problem_of(no_reason)["field"]) == (422, "reason")
    voided = await client.post(void_url, json={"version": invoice["version"], "reason": "duplicate"}, headers=admin)
    assert voided.status_code == 200, voided.text
    assert (voided.json()["status"], voided.json()["void_reason"], voided.json()["open_amount"]) == (
        "void",
        "duplicate",
        "0.00",
    )
    twice = await client.post(void_url, json={"version": voided.json()["version"], "reason": "again"}, headers=admin)
    assert (twice.status_code, problem_of(twice)["code"]) == (409, "invoice_not_editable")

    cannot_delete = await client.delete(f"{INVOICES}/{invoice['id']}", headers=admin)
    assert (cannot_delete.status_code, problem_of(cannot_delete)["code"]) == (409, "invoice_not_editable")
    scrap = await draft(client, admin, acme, PM_VISITS)
    deleted = await client.delete(f"{INVOICES}/{scrap['id']}", headers=admin)
    assert deleted.status_code == 204
    assert (await client.get(f"{INVOICES}/{scrap['id']}", headers=admin)).status_code == 404


async def test_a_credit_note_is_drafted_within_what_is_creditable_and_issued_against_the_invoice(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    acme = await new_customer(sessions, "ACME")
    admin = await login_as("contract_admin")
    invoice = await issued(client, admin, acme, PM_VISITS, LABOUR)
    credit_url = f"{INVOICES}/{invoice['id']}/credit-notes"
    pm_line = invoice["lines"][0]["id"]

    too_much = await client.post(
        credit_url, json={"reason": "price", "lines": [{"line_id": pm_line, "amount": "100.00"}]}, headers=admin
    )
    assert too_much.status_code == 422
    assert (problem_of(too_much)["code"], problem_of(too_much)["field"]) == (
        "credit_exceeds_invoice",
        "lines[0].amount",
    )
    no_reason = await client.post(credit_url, json={"lines": [{"line_id": pm_line}]}, headers=admin)
    assert (no_reason.status_code, problem_of(no_reason)["field"]) == (422, "reason")

    drafted = await client.post(
        credit_url,
        json={"reason": "one visit missed", "lines": [{"line_id": pm_line, "amount": "33.33"}]},
        headers=admin,
    )
    assert drafted.status_code == 201, drafted.text
    note = drafted.json()
    assert (note["kind"], note["status"], note["corrects_invoice_id"], note["gross_amount"]) == (
        "credit_note",
        "draft",
        invoice["id"],
        "-39.66",
    )
    assert note["lines"][0]["corrects_line_id"] == pm_line and note["lines"][0]["tax_amount"] == "-6.33"

    issued_note = await client.post(f"{INVOICES}/{note['id']}/issue", json={"version": note["version"]}, headers=admin)
    assert issued_note.status_code == 200, issued_note.text
    assert (issued_note.json()["number"], issued_note.json()["settled_amount"]) == ("CN-000001", "39.66")
    after = (await client.get(f"{INVOICES}/{invoice['id']}", headers=admin)).json()
    assert (after["status"], after["settled_amount"], after["open_amount"]) == ("partially_paid", "39.66", "254.26")
    assert [(line["credited_amount"], line["creditable_amount"]) for line in after["lines"]] == [
        ("33.33", "66.66"),
        ("0.00", "147.00"),
    ]
    credit_pdf = await client.get(f"{INVOICES}/{note['id']}/pdf", headers=admin)
    assert "Credit note for INV-000001" in pdf_text(credit_pdf.content)

    void_settled = await client.post(
        f"{INVOICES}/{invoice['id']}/void", json={"version": after["version"], "reason": "x"}, headers=admin
    )
    assert (void_settled.status_code, problem_of(void_settled)["code"]) == (409, "invoice_has_settlements")


async def test_who_may_do_what(client: Client, login_as: UserFactory, sessions: Sessions) -> None:
    acme = await new_customer(sessions, "ACME")
    admin = await login_as("contract_admin")
    invoice = await issued(client, admin, acme, PM_VISITS)
    a_draft = await draft(client, admin, acme, PM_VISITS)
    one = f"{INVOICES}/{invoice['id']}"
    note = (await client.post(one + "/credit-notes", json={"reason": "price"}, headers=admin)).json()

    for role in ("manager", "agent", "admin"):
        reader = await login_as(role)
        assert (await client.get(INVOICES, headers=reader)).status_code == 200, role
        assert (await client.get(one, headers=reader)).status_code == 200, role
        assert (await client.get(one + "/pdf", headers=reader)).status_code == 200, role
    for role in ("depot", "planner", "technician"):
        outsider = await login_as(role)
        assert (await client.get(INVOICES, headers=outsider)).status_code == 403, role
        assert (await client.get(one, headers=outsider)).status_code == 403, role
        assert (await client.get(one + "/pdf", headers=outsider)).status_code == 403, role

    depot = await login_as("depot")
    manager = await login_as("manager")
    refused = [
        await client.post(INVOICES, json={"customer_id": str(acme), "currency": "EUR"}, headers=depot),
        await client.post(one + "/credit-notes", json={"reason": "x"}, headers=depot),
        await client.post(f"{INVOICES}/{note['id']}/issue", json={"version": note["version"]}, headers=depot),
        await client.post(one + "/credit-notes", json={"reason": "x"}, headers=manager),
        await client.post(f"{INVOICES}/{a_draft['id']}/issue", json={"version": a_draft["version"]}, headers=manager),
        await client.post(one + "/void", json={"version": invoice["version"], "reason": "x"}, headers=manager),
        await client.post(f"{INVOICES}/{a_draft['id']}/lines", json=PM_VISITS, headers=manager),
        await client.delete(f"{INVOICES}/{a_draft['id']}", headers=manager),
    ]
    assert [response.status_code for response in refused] == [403] * len(refused)
    assert {problem_of(response)["code"] for response in refused} == {"role_not_allowed"}
    # Nothing happened: the draft is still a draft, the invoice still issued.
    assert (await client.get(f"{INVOICES}/{a_draft['id']}", headers=admin)).json()["status"] == "draft"
    assert (await client.get(one, headers=admin)).json()["status"] == "issued"
    assert (await client.get(f"{INVOICES}/{note['id']}", headers=admin)).json()["status"] == "draft"


async def test_a_customer_reads_and_downloads_only_its_own_issued_invoices(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    acme = await new_customer(sessions, "ACME")
    globex = await new_customer(sessions, "Globex")
    admin = await login_as("contract_admin")
    ours = await issued(client, admin, acme, PM_VISITS)
    our_draft = await draft(client, admin, acme, LABOUR)
    theirs = await issued(client, admin, globex, LABOUR)
    acme_user = await login_as("customer", customer_id=acme)

    listed = await client.get(INVOICES, headers=acme_user)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [ours["id"]]
    assert listed.json()["items"][0]["issued_by"] is None  # staff names stay inside
    filtered = await client.get(INVOICES, params={"customer_id": str(globex)}, headers=acme_user)
    assert filtered.json()["items"] == []

    own = await client.get(f"{INVOICES}/{ours['id']}", headers=acme_user)
    assert own.status_code == 200 and own.json()["lines"][0]["source_key"] is None
    own_pdf = await client.get(f"{INVOICES}/{ours['id']}/pdf", headers=acme_user)
    assert own_pdf.status_code == 200 and "INV-000001" in pdf_text(own_pdf.content)
    for hidden in (theirs["id"], our_draft["id"]):
        for suffix in ("", "/pdf"):
            response = await client.get(f"{INVOICES}/{hidden}{suffix}", headers=acme_user)
            assert response.status_code == 404, (hidden, suffix)
            assert problem_of(response)["code"] == "invoice_not_found"
    writes = [
        await client.post(INVOICES, json={"customer_id": str(acme), "currency": "EUR"}, headers=acme_user),
        await client.post(f"{INVOICES}/{ours['id']}/credit-notes", json={"reason": "x"}, headers=acme_user),
    ]
    assert [response.status_code for response in writes] == [403, 403]


async def test_lists_filter_by_status_kind_period_and_issue_dates(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    acme = await new_customer(sessions, "ACME")
    admin = await login_as("contract_admin")
    invoice = await issued(client, admin, acme, PM_VISITS)
    await draft(client, admin, acme, PM_VISITS)
    note = (await client.post(f"{INVOICES}/{invoice['id']}/credit-notes", json={"reason": "x"}, headers=admin)).json()

    async def ids(**params: str) -> list[str]:
        response = await client.get(INVOICES, params=params, headers=admin)
        assert response.status_code == 200, response.text
        return sorted(item["id"] for item in response.json()["items"])

    assert await ids(kind="credit_note") == [note["id"]]
    assert await ids(status="issued") == [invoice["id"]]
    assert await ids(issued_from="2026-12-01", issued_to="2026-12-01") == [invoice["id"]]
    assert await ids(issued_from="2026-12-02") == []
    assert len(await ids(customer_id=str(acme))) == 3
    bad = await client.get(INVOICES, params={"billing_period": "2026-13"}, headers=admin)
    assert (bad.status_code, problem_of(bad)["field"]) == (422, "billing_period")
    sorted_by_number = await client.get(INVOICES, params={"sort": "-number"}, headers=admin)
    assert sorted_by_number.status_code == 200
