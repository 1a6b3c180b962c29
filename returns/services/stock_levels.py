"""Stock level rows: creating them on demand and locking them in one order.

Lock order (documented in docs/returns.md): RMA → repair order → stock levels. Within stock,
level rows are locked sorted by (location_id, product_id), so two moves touching the same two
rows (a transfer A→B and another B→A) take the locks in the same order and cannot deadlock.
Reservations and serials of a (location, product) are only changed while its level row is
locked, so the level lock guards them too.

A missing level row is created first with INSERT .. ON CONFLICT DO NOTHING: two first-ever
movers of a product into a location may race; the loser's insert does nothing and both then
lock the one row.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import upsert_insert
from core.errors import Invalid
from returns.errors import Code
from returns.models import StockLevel

LevelKey = tuple[UUID, UUID]  # (location_id, product_id)

QUANTITY_SCALE = Decimal("0.001")
QUANTITY_LIMIT = Decimal(10) ** 11  # Numeric(14, 3)


def checked_quantity(value: Decimal, field: str = "quantity") -> Decimal:
    """A quantity > 0 with at most 3 decimal places, or 422."""
    if not value.is_finite() or value <= 0:
        raise Invalid(Code.INVALID_QUANTITY, f"{field} must be a number greater than 0", field=field)
    if value >= QUANTITY_LIMIT:
        raise Invalid(Code.INVALID_QUANTITY, f"{field} must be below {QUANTITY_LIMIT}", field=field)
    if value.quantize(QUANTITY_SCALE) != value:
        raise Invalid(Code.INVALID_QUANTITY, f"{field} may have at most 3 decimal places", field=field)
    return value.quantize(QUANTITY_SCALE)


def available(level: StockLevel | None) -> Decimal:
    if level is None:
        return Decimal("0.000")
    return Decimal(level.on_hand) - Decimal(level.reserved)


async def locked_levels(session: AsyncSession, keys: Iterable[LevelKey]) -> dict[LevelKey, StockLevel]:
    """The level rows of `keys`, created if missing, each locked (FOR UPDATE on PostgreSQL).

    Rows are locked one by one in sorted order; SQLite serialises writers anyway (BEGIN
    IMMEDIATE, see core.db), where FOR UPDATE is a no-op."""
    wanted = sorted(set(keys))
    await _create_missing(session, wanted)
    levels: dict[LevelKey, StockLevel] = {}
    for location_id, product_id in wanted:
        level = await session.scalar(
            select(StockLevel)
            .where(StockLevel.location_id == location_id, StockLevel.product_id == product_id)
            .with_for_update()
            .execution_options(populate_existing=True)  # the values as of the lock, not a stale copy
        )
        assert level is not None  # created above
        levels[(location_id, product_id)] = level
    return levels


async def _create_missing(session: AsyncSession, keys: list[LevelKey]) -> None:
    if not keys:
        return
    existing = set(
        (
            await session.execute(
                select(StockLevel.location_id, StockLevel.product_id).where(
                    StockLevel.location_id.in_({k[0] for k in keys}),
                    StockLevel.product_id.in_({k[1] for k in keys}),
                )
            )
        )
        .tuples()
        .all()
    )
    missing = [key for key in keys if key not in existing]
    if not missing:
        return
    insert = upsert_insert(session)
    for location_id, product_id in missing:
        await session.execute(
            insert(StockLevel)
            .values(location_id=location_id, product_id=product_id, on_hand=Decimal(0), reserved=Decimal(0))
            .on_conflict_do_nothing(index_elements=["location_id", "product_id"])
        )
