"""Builders for invoice scenarios: customers, manual drafts through the services, and a draft
shaped like a billing run's (fee, usage and billable item lines with their source keys), written
as plain rows so these tests do not depend on the billing run."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import InvoiceLineSource
from contracts.invoice_math import TaxRate, line_net, taxed
from contracts.models import BillableItem, BillingProfile, Invoice, InvoiceLine, ServiceContract, UsagePeriod
from contracts.services.invoice_issue import issue_invoice
from contracts.services.invoice_totals import refresh_totals
from contracts.services.invoices import InvoiceCreate, InvoiceIssue, InvoiceLineCreate, add_line, create_draft
from core.auth import Principal, Role
from core.clock import FixedClock
from core.settings import BillingSettings
from masterdata.models import Customer
from tests.integration.contract_fixtures import contract_for, installed_printer

BILLING = BillingSettings(
    seller_name="Acme Field Service GmbH",
    seller_address="Industriestr. 5, 10115 Berlin, Germany",
    seller_tax_id="DE123456789",
    seller_email="billing@acme-service.example",
    seller_iban="DE89 3704 0044 0532 0130 00",
    seller_country="DE",
    default_payment_terms_days=30,
)
CLARA = Principal(user_id=uuid.uuid4(), username="clara", role=Role.CONTRACT_ADMIN)
ISSUE_DAY = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
CLOCK = FixedClock(ISSUE_DAY)
DE = TaxRate(Decimal("19.00"))

Line = tuple[str, str, str, str]  # description, quantity, unit, unit price


async def customer(
    session: AsyncSession,
    name: str,
    *,
    country: str | None = "DE",
    email: str | None = None,
    parent_id: uuid.UUID | None = None,
) -> Customer:
    row = Customer(
        number=f"C-{uuid.uuid4().hex[:8]}",
        name=name,
        status="active",
        country=country,
        email=email,
        parent_id=parent_id,
    )
    session.add(row)
    await session.flush()
    return row


async def exempt_profile(session: AsyncSession, customer_id: uuid.UUID, reason: str) -> BillingProfile:
    profile = BillingProfile(
        customer_id=customer_id,
        billing_name="Globex AG (Accounts payable)",
        invoice_email="ap@globex.example",
        street="Bahnhofstrasse 1",
        postal_code="8001",
        city="Zürich",
        country="CH",
        tax_id="CHE-123.456.789",
        tax_rate=Decimal("0.00"),
        tax_exemption_reason=reason,
        payment_terms_days=14,
    )
    session.add(profile)
    await session.flush()
    return profile


async def manual_draft(
    session: AsyncSession, customer_id: uuid.UUID, lines: list[Line], currency: str = "EUR"
) -> Invoice:
    view = await create_draft(session, CLARA, InvoiceCreate(customer_id=customer_id, currency=currency), BILLING)
    for description, quantity, unit, price in lines:
        data = InvoiceLineCreate(
            description=description, quantity=Decimal(quantity), unit=unit, unit_price=Decimal(price)
        )
        await add_line(session, CLARA, view.invoice.id, data, BILLING)
    return view.invoice


async def issued_invoice(session: AsyncSession, customer_id: uuid.UUID, lines: list[Line]) -> Invoice:
    draft = await manual_draft(session, customer_id, lines)
    view = await issue_invoice(session, CLARA, draft.id, InvoiceIssue(version=draft.version), BILLING, clock=CLOCK)
    return view.invoice


@dataclass
class RunDraft:
    invoice: Invoice
    contract: ServiceContract
    item: BillableItem
    usage: UsagePeriod
    fee_line: InvoiceLine
    usage_line: InvoiceLine
    item_line: InvoiceLine


async def run_like_draft(session: AsyncSession, name: str = "ACME") -> RunDraft:
    """A November draft as a billing run leaves it: a monthly fee, usage above the included
    volume and two hours of billable labour, each line holding its source key."""
    it = await installed_printer(session, name)
    contract, _ = await contract_for(session, it, number=f"SC-{name[:6]}")
    item = BillableItem(
        source_kind="work_order",
        source_id=uuid.uuid4(),
        source_ref="WO-000042",
        line_key="labour",
        customer_id=it.customer_id,
        kind="labour",
        description="Labour: drum replacement",
        quantity=Decimal("2.000"),
        unit="h",
        unit_price=Decimal("98.0000"),
        currency="EUR",
        coverage_pct=Decimal("0.00"),
        covered_amount=Decimal("0.00"),
        amount=Decimal("196.00"),
        service_date=dt.date(2026, 11, 12),
        status="billed",
    )
    session.add(item)
    invoice = Invoice(
        customer_id=it.customer_id,
        currency="EUR",
        billing_period="2026-11",
        open_draft_key=f"{it.customer_id}:EUR:2026-11",
        bill_to={},
    )
    session.add(invoice)
    await session.flush()
    start = dt.date(2026, 11, 1)
    fee = _line(
        invoice, 1, InvoiceLineSource.CONTRACT_FEE, f"fee:{contract.id}:{start}", "Monthly fee", "1", "mo", "120.00"
    )
    fee.contract_id, fee.reference = contract.id, contract.number
    fee.service_from, fee.service_to = start, dt.date(2026, 11, 30)
    usage = _line(
        invoice,
        2,
        InvoiceLineSource.USAGE,
        f"usage:{contract.id}:{start}",
        "Pages above 1,000",
        "1500",
        "pages",
        "0.0125",
    )
    usage.contract_id, usage.reference = contract.id, contract.number
    labour = _line(invoice, 3, InvoiceLineSource.BILLABLE_ITEM, f"item:{item.id}", item.description, "2", "h", "98.00")
    labour.billable_item_id, labour.reference = item.id, item.source_ref
    session.add_all([fee, usage, labour])
    await session.flush()
    period = UsagePeriod(
        contract_id=contract.id,
        period_start=start,
        used_volume=Decimal("2500"),
        included_volume=Decimal("1000"),
        billable_volume=Decimal("1500"),
        invoice_line_id=usage.id,
    )
    session.add(period)
    await refresh_totals(session, invoice)
    return RunDraft(invoice, contract, item, period, fee, usage, labour)


def _line(
    invoice: Invoice, position: int, source: InvoiceLineSource, key: str, text: str, qty: str, unit: str, price: str
) -> InvoiceLine:
    line = taxed(line_net(Decimal(qty), Decimal(price)), DE)
    return InvoiceLine(
        invoice_id=invoice.id,
        position=position,
        source=source.value,
        source_key=key,
        description=text,
        quantity=Decimal(qty),
        unit=unit,
        unit_price=Decimal(price),
        net_amount=line.net,
        tax_rate=line.rate.percent,
        tax_amount=line.tax,
        details={},
    )
