"""The accounting export: invoices and payments as CSV, read back with the csv module."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from decimal import Decimal
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.choices import InvoiceStatus, PaymentMethod
from contracts.models import Invoice
from contracts.services import payments
from contracts.services.accounting_export import csv_text, money
from contracts.services.payments import AllocationIn, PaymentCreate
from core.auth import Principal, Role
from core.clock import FixedClock
from core.db import session_scope
from tests.conftest import UserFactory, problem_of
from tests.integration.receivable_fixtures import customer, issued_credit_note, issued_invoice

Client = AsyncTestClient[Litestar]
INVOICES = "/api/v1/exports/invoices.csv"
PAYMENTS = "/api/v1/exports/payments.csv"
CARLA = Principal(user_id=UUID(int=0xCA), username="carla", role=Role.CONTRACT_ADMIN)
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


async def a_month_of_billing(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    async with session_scope(sessions) as s:
        acme = await customer(s, "ACME Printing", "C-300001")
        globex = await customer(s, "Globex, Inc.", "C-300002")
        first = await issued_invoice(s, acme, "1000.00", issued_on=dt.date(2026, 11, 3), number="INV-000001")
        first.bill_to = {"customer_number": "C-300001", "name": "ACME Printing GmbH"}  # as printed
        second = await issued_invoice(
            s, globex, "250.00", tax="0.00", issued_on=dt.date(2026, 11, 10), number="INV-000002"
        )
        voided = await issued_invoice(s, acme, "5.00", issued_on=dt.date(2026, 11, 12), number="INV-000003")
        voided.status = InvoiceStatus.VOID.value
        await issued_credit_note(s, first, "100.00", issued_on=dt.date(2026, 11, 20), number="CN-000001")
        await issued_invoice(s, acme, "70.00", issued_on=dt.date(2026, 10, 31), number="INV-000000")  # October
        draft = Invoice(customer_id=acme, currency="EUR", status="draft", kind="invoice", bill_to={})
        s.add(draft)
        clock = FixedClock(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC))
        for data in (
            PaymentCreate(
                customer_id=acme,
                amount=Decimal("1000.00"),
                currency="EUR",
                received_on=dt.date(2026, 11, 15),
                reference="ACME 11/15",
                allocations=[
                    AllocationIn(invoice_id=first.id, amount=Decimal("600.00")),
                    AllocationIn(invoice_id=first.id, amount=Decimal("300.00")),
                ],
            ),
            PaymentCreate(
                customer_id=globex,
                amount=Decimal("250.00"),
                currency="EUR",
                received_on=dt.date(2026, 11, 16),
                method=PaymentMethod.CARD,
            ),
        ):
            await payments.record_payment(s, CARLA, data, clock=clock)
        # December: outside the exported month.
        december = FixedClock(dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC))
        later = PaymentCreate(
            customer_id=acme, amount=Decimal("9.99"), currency="EUR", received_on=dt.date(2026, 12, 1)
        )
        await payments.record_payment(s, CARLA, later, clock=december)
        return {"second": second.number or ""}


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_invoices_of_a_month_come_back_as_csv_with_fixed_columns_and_plain_amounts(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await a_month_of_billing(sessions)
    manager = await login_as("manager")

    response = await client.get(INVOICES, params=NOVEMBER, headers=manager)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="invoices_2026-11-01_2026-11-30.csv"'
    assert "content-length" not in response.headers  # streamed, not built whole first
    header = next(csv.reader(io.StringIO(response.text)))
    assert header == [
        "number",
        "kind",
        "customer_number",
        "customer_name",
        "issued_on",
        "due_on",
        "currency",
        "net",
        "tax",
        "gross",
        "settled",
        "status",
        "corrects_number",
        "payment_reference",
    ]
    rows = rows_of(response.text)
    assert [r["number"] for r in rows] == ["INV-000001", "INV-000002", "INV-000003", "CN-000001"]
    first, second, voided, note = rows
    assert first == {
        "number": "INV-000001",
        "kind": "invoice",
        "customer_number": "C-300001",
        "customer_name": "ACME Printing GmbH",
        "issued_on": "2026-11-03",
        "due_on": "2026-12-03",
        "currency": "EUR",
        "net": "1000.00",
        "tax": "190.00",
        "gross": "1190.00",
        "settled": "900.00",
        "status": "partially_paid",
        "corrects_number": "",
        "payment_reference": "INV-000001",
    }
    assert (second["customer_name"], second["tax"], second["gross"], second["settled"], second["status"]) == (
        "Globex, Inc.",
        "0.00",
        "250.00",
        "250.00",
        "paid",
    )
    assert (voided["status"], voided["gross"]) == ("void", "5.95")
    assert (note["kind"], note["net"], note["tax"], note["gross"], note["corrects_number"]) == (
        "credit_note",
        "-100.00",
        "-19.00",
        "-119.00",
        "INV-000001",
    )
    assert '"Globex, Inc."' in response.text  # the csv module quotes a comma


async def test_payments_of_a_month_list_their_allocations(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await a_month_of_billing(sessions)
    admin = await login_as("contract_admin")

    response = await client.get(PAYMENTS, params=NOVEMBER, headers=admin)

    assert response.status_code == 200, response.text
    rows = rows_of(response.text)
    assert list(rows[0]) == [
        "number",
        "customer_number",
        "received_on",
        "currency",
        "amount",
        "allocated",
        "unallocated",
        "method",
        "reference",
        "allocations",
    ]
    assert rows == [
        {
            "number": "PAY-000001",
            "customer_number": "C-300001",
            "received_on": "2026-11-15",
            "currency": "EUR",
            "amount": "1000.00",
            "allocated": "900.00",
            "unallocated": "100.00",
            "method": "bank_transfer",
            "reference": "ACME 11/15",
            "allocations": "INV-000001:600.00;INV-000001:300.00",
        },
        {
            "number": "PAY-000002",
            "customer_number": "C-300002",
            "received_on": "2026-11-16",
            "currency": "EUR",
            "amount": "250.00",
            "allocated": "250.00",
            "unallocated": "0.00",
            "method": "card",
            "reference": "",
            "allocations": "INV-000002:250.00",
        },
    ]


async def test_an_empty_range_is_a_header_and_a_reversed_one_a_problem(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await a_month_of_billing(sessions)
    admin = await login_as("contract_admin")

    empty = await client.get(PAYMENTS, params={"from": "2025-01-01", "to": "2025-01-31"}, headers=admin)
    reversed_range = await client.get(INVOICES, params={"from": "2026-11-30", "to": "2026-11-01"}, headers=admin)
    missing = await client.get(INVOICES, params={"from": "2026-11-01"}, headers=admin)

    assert empty.status_code == 200 and empty.text.splitlines()[1:] == []
    assert reversed_range.status_code == 422
    assert (problem_of(reversed_range)["code"], problem_of(reversed_range)["field"]) == ("ends_before_starts", "to")
    assert missing.status_code in (400, 422)


@pytest.mark.parametrize("role", ["agent", "depot", "planner", "technician", "customer"])
async def test_only_contract_admins_and_managers_export(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], role: str
) -> None:
    async with session_scope(sessions) as s:
        acme = await customer(s)
    headers = await login_as(role, customer_id=acme if role == "customer" else None)

    invoices = await client.get(INVOICES, params=NOVEMBER, headers=headers)
    payments_csv = await client.get(PAYMENTS, params=NOVEMBER, headers=headers)

    assert (invoices.status_code, payments_csv.status_code) == (403, 403)


async def test_the_csv_is_written_in_pieces_of_a_batch_of_rows() -> None:
    async def rows() -> AsyncIterator[list[str]]:
        for n in range(1200):
            yield [f"INV-{n:06d}", money(Decimal(n) / 4)]

    pieces = [piece async for piece in csv_text(("number", "amount"), rows(), batch=500)]

    assert [piece.count("\r\n") for piece in pieces] == [501, 500, 200]
    assert pieces[0].startswith("number,amount\r\nINV-000000,0.00\r\nINV-000001,0.25\r\n")
    assert pieces[-1].endswith("INV-001199,299.75\r\n")
