"""Demo inventory on top of the demo company: a warehouse, a depot, vans for some engineers,
spare parts on the shelves and in the vans. Deterministic for a seed; never on a real installation."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import SYSTEM
from masterdata.models import Engineer, Product
from returns.choices import StockLocationKind
from returns.models import StockLocation
from returns.services import stock
from returns.services.stock_locations import LocationCreate, create_location, ensure_van

VANS = 6  # the first engineers (by number) get a stocked van
SERIALS_PER_PART = 3


@dataclass(frozen=True, slots=True)
class DemoStockSummary:
    locations: int
    moves: int


async def load_demo_stock(session: AsyncSession, *, seed: int, now: dt.datetime | None = None) -> DemoStockSummary:
    if await session.scalar(select(StockLocation.id).limit(1)) is not None:
        raise ValueError("the database already holds stock locations")
    now = now or dt.datetime.now(dt.UTC)
    rng = random.Random(seed)
    warehouse = await create_location(
        session, SYSTEM, LocationCreate(code="WH-MAIN", name="Central warehouse", kind=StockLocationKind.WAREHOUSE)
    )
    depot = await create_location(
        session, SYSTEM, LocationCreate(code="DEPOT-1", name="Repair depot", kind=StockLocationKind.DEPOT)
    )
    engineers = (await session.scalars(select(Engineer).order_by(Engineer.number).limit(VANS))).all()
    vans = [await ensure_van(session, SYSTEM, engineer.id) for engineer in engineers]
    parts = (
        await session.scalars(
            select(Product)
            .where(Product.kind.in_(("spare_part", "consumable")), Product.active.is_(True))
            .order_by(Product.sku)
        )
    ).all()
    moves = 0
    for part in parts:
        if part.serialized:
            for n in range(SERIALS_PER_PART):
                serial = f"{part.sku}-S{seed % 1000:03d}{n + 1:03d}"
                await stock.receive(
                    session,
                    SYSTEM,
                    location_id=warehouse.id,
                    product_id=part.id,
                    quantity=Decimal(1),
                    serial_number=serial,
                    now=now,
                )
                moves += 1
            continue
        await stock.receive(
            session,
            SYSTEM,
            location_id=warehouse.id,
            product_id=part.id,
            quantity=Decimal(rng.randint(20, 60)),
            now=now,
        )
        await stock.transfer(
            session,
            SYSTEM,
            from_location_id=warehouse.id,
            to_location_id=depot.id,
            product_id=part.id,
            quantity=Decimal(rng.randint(2, 6)),
            now=now,
        )
        moves += 2
        for van in vans:  # every van carries a few of each part, so demo confirmations find them
            await stock.transfer(
                session,
                SYSTEM,
                from_location_id=warehouse.id,
                to_location_id=van.id,
                product_id=part.id,
                quantity=Decimal(rng.randint(1, 3)),
                now=now,
            )
            moves += 1
    return DemoStockSummary(locations=2 + len(vans), moves=moves)
