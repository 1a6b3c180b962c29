"""Inventory fixtures: spare parts, a warehouse, a depot, an engineer with a van."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import SYSTEM, Principal, Role
from masterdata.models import Engineer, Product
from returns.choices import StockLocationKind
from returns.models import StockLevel, StockLocation
from returns.services import stock
from returns.services.stock_locations import LocationCreate, create_location

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
DEPOT_USER = Principal(user_id=SYSTEM.user_id, username="dora", role=Role.DEPOT)


async def spare_part(session: AsyncSession, sku: str = "TONER-K", *, serialized: bool = False) -> Product:
    product = Product(
        sku=sku,
        name=f"Part {sku}",
        kind="spare_part",
        serialized=serialized,
        list_price=Decimal("40"),
        currency="EUR",
        unit="pc",
    )
    session.add(product)
    await session.flush()
    return product


async def stock_location(
    session: AsyncSession, code: str, kind: StockLocationKind = StockLocationKind.WAREHOUSE
) -> StockLocation:
    return await create_location(session, SYSTEM, LocationCreate(code=code, name=f"Location {code}", kind=kind))


async def engineer_row(session: AsyncSession, number: str = "E-000101", name: str = "Vera") -> Engineer:
    row = Engineer(
        number=number,
        name=name,
        home_latitude=52.5,
        home_longitude=13.4,
        time_zone="Europe/Berlin",
        cost_rate=Decimal("55.00"),
        currency="EUR",
    )
    session.add(row)
    await session.flush()
    return row


async def stocked(
    session: AsyncSession, location: StockLocation, product: Product, quantity: str, *, serial: str | None = None
) -> None:
    await stock.receive(
        session,
        DEPOT_USER,
        location_id=location.id,
        product_id=product.id,
        quantity=Decimal(quantity),
        now=NOW,
        serial_number=serial,
    )


async def level_of(session: AsyncSession, location: StockLocation, product: Product) -> tuple[Decimal, Decimal]:
    """(on hand, reserved) as the database has it now."""
    from sqlalchemy import select

    row = await session.scalar(
        select(StockLevel)
        .where(StockLevel.location_id == location.id, StockLevel.product_id == product.id)
        .execution_options(populate_existing=True)
    )
    if row is None:
        return Decimal(0), Decimal(0)
    return Decimal(row.on_hand), Decimal(row.reserved)
