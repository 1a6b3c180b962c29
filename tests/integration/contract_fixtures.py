"""Builders for contract scenarios in tests: plain ORM rows, committed in one go."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import (
    ContractLine,
    ContractLineEquipment,
    CoverageCalendarRecord,
    ServiceContract,
    ServiceLevel,
    ServiceLevelTarget,
    Warranty,
    WarrantyTerm,
)
from masterdata.models import Customer, Equipment, Product, Site

EIGHT_TO_FIVE = [{"weekday": d, "start": "08:00", "end": "17:00"} for d in range(5)]


@dataclass
class Installed:
    customer_id: UUID
    site_id: UUID
    product_id: UUID
    equipment_id: UUID
    service_level_id: UUID


async def installed_printer(session: AsyncSession, name: str = "ACME") -> Installed:
    customer = Customer(number=f"C-{name[:6]}", name=name, status="active")
    session.add(customer)
    await session.flush()
    site = Site(customer_id=customer.id, name="HQ", country="DE", time_zone="Europe/Berlin", opening_hours=[])
    product = Product(
        sku=f"PRN-{name[:6]}",
        name="Printer 4000",
        kind="equipment",
        family="printers",
        serialized=True,
        list_price=Decimal("9999"),
        currency="EUR",
        unit="pc",
    )
    session.add_all([site, product])
    await session.flush()
    unit = Equipment(
        product_id=product.id,
        serial_number="SN-1",
        customer_id=customer.id,
        site_id=site.id,
        status="in_service",
        install_date=dt.date(2026, 1, 10),
    )
    calendar = CoverageCalendarRecord(
        code=f"8x5-{name[:6]}", name="8x5", time_zone=None, windows=EIGHT_TO_FIVE, closures=[]
    )
    session.add_all([unit, calendar])
    await session.flush()
    level = ServiceLevel(code=f"NBD-{name[:6]}", name="8x5 4h", calendar_id=calendar.id)
    session.add(level)
    await session.flush()
    session.add(
        ServiceLevelTarget(service_level_id=level.id, priority="P1", response_minutes=240, resolution_minutes=960)
    )
    await session.flush()
    return Installed(customer.id, site.id, product.id, unit.id, level.id)


async def warranty_for(session: AsyncSession, it: Installed, *, ends_on: dt.date, labour: int = 100) -> Warranty:
    term = WarrantyTerm(
        code=f"W-{ends_on.isoformat()}-{labour}",
        name="Manufacturer 12 months",
        duration_months=12,
        labour_pct=Decimal(labour),
        parts_pct=Decimal(100),
        travel_pct=Decimal(100),
        service_level_id=it.service_level_id,
    )
    session.add(term)
    await session.flush()
    warranty = Warranty(
        equipment_id=it.equipment_id,
        customer_id=it.customer_id,
        term_id=term.id,
        kind="manufacturer",
        starts_on=dt.date(2026, 1, 10),
        ends_on=ends_on,
    )
    session.add(warranty)
    await session.flush()
    return warranty


async def contract_for(
    session: AsyncSession,
    it: Installed,
    *,
    number: str = "SC-000001",
    visits: int | None = 10,
    status: str = "active",
    labour: int = 100,
    excluded: list[str] | None = None,
) -> tuple[ServiceContract, ContractLine]:
    contract = ServiceContract(
        number=number,
        customer_id=it.customer_id,
        name="Full service",
        status=status,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        currency="EUR",
        fee_amount=Decimal("120.00"),
    )
    session.add(contract)
    await session.flush()
    line = ContractLine(
        contract_id=contract.id,
        description="the printer",
        service_level_id=it.service_level_id,
        labour_pct=Decimal(labour),
        parts_pct=Decimal(100),
        travel_pct=Decimal(100),
        quota_period="year",
        quota_visits=visits,
        excluded_service_types=excluded or [],
    )
    session.add(line)
    await session.flush()
    session.add(ContractLineEquipment(line_id=line.id, equipment_id=it.equipment_id))
    await session.flush()
    return contract, line
