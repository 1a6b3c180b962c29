"""Builders for billing scenarios: customers, contracts with billing plans, counters, billable items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.models import (
    BillableItem,
    BillingProfile,
    ContractLine,
    ContractLineEquipment,
    ContractSuspension,
    Invoice,
    InvoiceLine,
    ServiceContract,
)
from core.auth import SYSTEM
from core.clock import FixedClock
from core.db import session_scope
from core.settings import BillingSettings
from masterdata.models import Counter, CounterReading, Customer, Equipment, Product, Site

BILLING = BillingSettings()  # seller in DE: domestic customers pay 19 %
NOV = "2026-11"
AT_MONTH_END = FixedClock(dt.datetime(2026, 11, 30, 22, 0, tzinfo=dt.UTC))


def utc(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


async def customer(session: AsyncSession, number: str, *, country: str | None = "DE") -> UUID:
    row = Customer(number=number, name=f"Customer {number}", status="active", country=country, email=f"{number}@x.test")
    session.add(row)
    await session.flush()
    return row.id


async def contract(
    session: AsyncSession,
    customer_id: UUID,
    number: str,
    *,
    fee: str,
    starts_on: dt.date,
    ends_on: dt.date,
    period: str = "monthly",
    timing: str = "in_advance",
    status: str = "active",
    currency: str = "EUR",
    terminated_on: dt.date | None = None,
    usage: tuple[str, str, str] | None = None,  # counter name, included volume, unit price
) -> ServiceContract:
    row = ServiceContract(
        number=number,
        customer_id=customer_id,
        name=f"Service {number}",
        status=status,
        starts_on=starts_on,
        ends_on=ends_on,
        currency=currency,
        fee_amount=Decimal(fee),
        billing_period=period,
        billing_timing=timing,
        terminated_on=terminated_on,
        usage_counter_name=usage[0] if usage else None,
        usage_included_volume=Decimal(usage[1]) if usage else None,
        usage_unit_price=Decimal(usage[2]) if usage else None,
    )
    session.add(row)
    await session.flush()
    return row


async def suspension(session: AsyncSession, contract_id: UUID, first: dt.date, resumed_on: dt.date | None) -> None:
    session.add(ContractSuspension(contract_id=contract_id, suspended_from=first, resumed_on=resumed_on, reason="t"))
    await session.flush()


async def metered_unit(session: AsyncSession, contract_row: ServiceContract, counter_name: str = "pages") -> UUID:
    """A printer listed on the contract with a counter; answers the counter's id."""
    site = Site(customer_id=contract_row.customer_id, name="HQ", country="DE", time_zone="Europe/Berlin")
    product = Product(
        sku=f"P-{contract_row.number}",
        name="Printer",
        kind="equipment",
        family="printers",
        serialized=True,
        list_price=Decimal(1000),
        currency="EUR",
        unit="pc",
    )
    session.add_all([site, product])
    await session.flush()
    unit = Equipment(
        product_id=product.id,
        serial_number=f"SN-{contract_row.number}",
        customer_id=contract_row.customer_id,
        site_id=site.id,
        status="in_service",
    )
    session.add(unit)
    await session.flush()
    line = ContractLine(
        contract_id=contract_row.id,
        description="printer",
        labour_pct=Decimal(100),
        parts_pct=Decimal(100),
        travel_pct=Decimal(100),
    )
    counter = Counter(equipment_id=unit.id, name=counter_name, unit="pages")
    session.add_all([line, counter])
    await session.flush()
    session.add(ContractLineEquipment(line_id=line.id, equipment_id=unit.id))
    await session.flush()
    return counter.id


async def reading(session: AsyncSession, counter_id: UUID, value: str, at: dt.datetime, kind: str = "regular") -> None:
    session.add(
        CounterReading(
            counter_id=counter_id, value=Decimal(value), read_at=at, source="manual", kind=kind, recorded_by="t"
        )
    )
    await session.flush()


async def billable_item(
    session: AsyncSession,
    customer_id: UUID,
    ref: str,
    *,
    amount: str,
    quantity: str = "1",
    unit_price: str | None = None,
    coverage: str = "0",
    service_date: dt.date = dt.date(2026, 11, 12),
    currency: str = "EUR",
) -> UUID:
    price = Decimal(unit_price if unit_price is not None else amount)
    row = BillableItem(
        source_kind="work_order",
        source_id=customer_id,
        source_ref=ref,
        line_key=f"labour:{ref}",
        customer_id=customer_id,
        kind="labour",
        description=f"Labour {ref}",
        quantity=Decimal(quantity),
        unit="h",
        unit_price=price,
        currency=currency,
        coverage_pct=Decimal(coverage),
        covered_amount=(Decimal(quantity) * price - Decimal(amount)).quantize(Decimal("0.01")),
        amount=Decimal(amount),
        service_date=service_date,
    )
    session.add(row)
    await session.flush()
    return row.id


async def bill_to_parent(session: AsyncSession, child_id: UUID, parent_id: UUID) -> None:
    session.add(BillingProfile(customer_id=child_id, bill_to_customer_id=parent_id, tax_rate=Decimal("19.00")))
    await session.flush()


# --- reading results back ----------------------------------------------------------------------------


async def invoices_of(sessions: async_sessionmaker[AsyncSession], customer_id: UUID) -> list[Invoice]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Invoice).where(Invoice.customer_id == customer_id).order_by(Invoice.created_at)
        )
        return list(rows.all())


async def lines_of(sessions: async_sessionmaker[AsyncSession], invoice_id: UUID) -> list[InvoiceLine]:
    async with sessions() as session:
        rows = await session.scalars(
            select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id).order_by(InvoiceLine.position)
        )
        return list(rows.all())


async def count_lines(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(InvoiceLine)) or 0)


async def key_counts(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session:
        rows = await session.execute(
            select(InvoiceLine.source_key, func.count())
            .where(InvoiceLine.source_key.is_not(None))
            .group_by(InvoiceLine.source_key)
        )
        return {key: int(n) for key, n in rows.tuples() if key is not None}


async def issue_directly(sessions: async_sessionmaker[AsyncSession], invoice_id: UUID, number: str) -> None:
    """Issue a draft by hand (the issue service is tested elsewhere): number, dates, no draft key."""
    async with session_scope(sessions) as session:
        invoice = await session.get(Invoice, invoice_id)
        assert invoice is not None
        invoice.status, invoice.number, invoice.open_draft_key = "issued", number, None
        invoice.issued_on, invoice.due_on = dt.date(2026, 11, 30), dt.date(2026, 12, 30)


ACTOR = SYSTEM
