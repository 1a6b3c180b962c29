"""Demo inventory: a warehouse, a depot and stocked vans on top of the demo company, reproducible."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import session_scope
from returns.demo_stock import load_demo_stock
from returns.models import StockLevel, StockLocation, StockMove
from service_mgmt.demo_data import DemoSize, load_demo_data

AT = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


async def test_demo_stock_fills_warehouse_depot_and_vans(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        await load_demo_data(session, DemoSize(customers=5, equipment=20, engineers=3))
        summary = await load_demo_stock(session, seed=7, now=AT)

    async with sessions() as session:
        kinds = (await session.scalars(select(StockLocation.kind).order_by(StockLocation.kind))).all()
        assert kinds == ["depot", "van", "van", "van", "warehouse"]
        assert summary.moves == await session.scalar(select(func.count()).select_from(StockMove))
        assert await session.scalar(select(func.count()).where(StockLevel.on_hand < 0)) == 0
        vans_stocked = await session.scalar(
            select(func.count(func.distinct(StockLevel.location_id)))
            .join(StockLocation, StockLocation.id == StockLevel.location_id)
            .where(StockLocation.kind == "van", StockLevel.on_hand > 0)
        )
        assert vans_stocked == 3
    with pytest.raises(ValueError):
        async with session_scope(sessions) as session:
            await load_demo_stock(session, seed=7, now=AT)
