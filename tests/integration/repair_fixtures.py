"""Builders for depot repair scenarios: a received RMA (written as a row, with its coverage),
a depot with a spare part in stock, and the service products repairs are priced with."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import CreditAccount
from core.auth import SYSTEM
from core.numbering import next_number
from masterdata.models import Contact
from returns.choices import RmaStatus, StockLocationKind
from returns.models import Rma, StockLocation
from returns.services import stock
from tests.integration.billable_fixtures import service_products, spare_part
from tests.integration.contract_fixtures import Installed, installed_printer

RECEIVED_AT = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
LATER = RECEIVED_AT + dt.timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class Depot:
    location_id: UUID
    part_id: UUID  # PART-FUSER, list price 120.00 EUR, 5 in stock


@dataclass(frozen=True, slots=True)
class Scenario:
    installed: Installed
    depot: Depot
    rma_id: UUID
    rma_number: str


async def depot_with_stock(session: AsyncSession) -> Depot:
    await service_products(session, labour="98.00", flat_travel=None)
    depot = StockLocation(
        code="DEPOT",
        name="Central repair depot",
        kind=StockLocationKind.DEPOT.value,
        address="Werkstrasse 1, 10115 Berlin, DE",
        active=True,
    )
    session.add(depot)
    await session.flush()
    part = await spare_part(session, "PART-FUSER", "120.00")
    await stock.receive(
        session,
        SYSTEM,
        location_id=depot.id,
        product_id=part.id,
        quantity=Decimal(5),
        now=RECEIVED_AT - dt.timedelta(days=1),
    )
    return Depot(depot.id, part.id)


async def received_rma(
    session: AsyncSession,
    installed: Installed,
    *,
    covered_by: str = "warranty",
    labour_pct: str = "100",
    parts_pct: str = "100",
    email: str = "buyer@example.com",
) -> Rma:
    contact = Contact(customer_id=installed.customer_id, first_name="Ada", last_name="Buyer", email=email)
    session.add(contact)
    await session.flush()
    rma = Rma(
        number=await next_number(session, "rma"),
        customer_id=installed.customer_id,
        contact_id=contact.id,
        equipment_id=installed.equipment_id,
        serial_number="SN-1",
        rma_type="repair_return",
        reason_code="no_power",
        problem_description="Does not switch on",
        status=RmaStatus.RECEIVED.value,
        requested_at=RECEIVED_AT - dt.timedelta(days=5),
        entitlement={"covered_by": covered_by},
        covered_by=covered_by,
        labour_pct=Decimal(labour_pct),
        parts_pct=Decimal(parts_pct),
        ship_to={"name": "ACME", "street": "Hauptstr. 5", "postal_code": "10117", "city": "Berlin", "country": "DE"},
        received_at=RECEIVED_AT,
        received_serial="SN-1",
        created_by="agent1",
    )
    session.add(rma)
    await session.flush()
    return rma


async def credit_account(
    session: AsyncSession, customer_id: UUID, *, limit: str = "10000", on_hold: bool = False
) -> None:
    account = CreditAccount(customer_id=customer_id, credit_limit=Decimal(limit), currency="EUR")
    if on_hold:
        account.on_hold = True
        account.hold_reason = "unpaid invoices"
    session.add(account)
    await session.flush()


async def repair_scenario(session: AsyncSession, *, name: str = "ACME", **coverage: str) -> Scenario:
    installed = await installed_printer(session, name)
    depot = await depot_with_stock(session)
    rma = await received_rma(session, installed, **coverage)
    return Scenario(installed, depot, rma.id, rma.number)
