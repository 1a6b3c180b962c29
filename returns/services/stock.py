"""Inventory use cases: the six kinds of stock move, and reading levels, serials and the ledger.

Each move writes one `StockMove` ledger row and updates `StockLevel` in the same transaction
(see `stock_moves.post_move`). Stock never goes negative: a move that would take more than is
available (on hand − reserved) answers 409 `insufficient_stock` naming what is there.
Depot repair (`returns.services.repair_orders`) and van consumption (`returns.reactions`) call
`issue`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.auth import Principal
from core.errors import Invalid
from core.listing import Page, PageRequest, paginate
from returns.choices import SerialStatus, StockLocationKind, StockMoveKind
from returns.errors import Code
from returns.models import StockLevel, StockLocation, StockMove, StockSerial
from returns.services.stock_levels import checked_quantity
from returns.services.stock_locations import van_of
from returns.services.stock_moves import MoveSpec, post_move

T = TypeVar("T")

__all__ = [
    "LevelFilter",
    "MoveFilter",
    "SerialFilter",
    "adjust",
    "issue",
    "list_levels",
    "list_moves",
    "list_serials",
    "receive",
    "return_to_stock",
    "scrap",
    "transfer",
]


async def issue(
    session: AsyncSession,
    actor: Principal,
    *,
    location_id: UUID,
    product_id: UUID,
    quantity: Decimal,
    reference_kind: str,
    reference_id: UUID,
    reference_ref: str,
    now: dt.datetime,
    serial_number: str | None = None,
) -> StockMove:
    """Take stock out of `location_id` for a work order or repair order.

    An active reservation of that reference (or, for a work order, of one of its tasks) at that
    location is consumed first; the rest must be available."""
    return await post_move(
        session,
        actor,
        MoveSpec(
            kind=StockMoveKind.ISSUE,
            product_id=product_id,
            quantity=quantity,
            now=now,
            from_location_id=location_id,
            serial_number=serial_number,
            reference_kind=reference_kind,
            reference_id=reference_id,
            reference_ref=reference_ref,
            consume_reservation=True,
        ),
    )


async def receive(
    session: AsyncSession,
    actor: Principal,
    *,
    location_id: UUID,
    product_id: UUID,
    quantity: Decimal,
    now: dt.datetime,
    serial_number: str | None = None,
    reason: str | None = None,
    reference_kind: str | None = None,
    reference_id: UUID | None = None,
    reference_ref: str | None = None,
) -> StockMove:
    """Goods in from a supplier (or a returned unit received at the depot)."""
    return await post_move(
        session,
        actor,
        MoveSpec(
            kind=StockMoveKind.RECEIPT,
            product_id=product_id,
            quantity=quantity,
            now=now,
            to_location_id=location_id,
            serial_number=serial_number,
            reason=reason,
            reference_kind=reference_kind,
            reference_id=reference_id,
            reference_ref=reference_ref,
        ),
    )


async def transfer(
    session: AsyncSession,
    actor: Principal,
    *,
    from_location_id: UUID,
    to_location_id: UUID,
    product_id: UUID,
    quantity: Decimal,
    now: dt.datetime,
    serial_number: str | None = None,
    reason: str | None = None,
) -> StockMove:
    return await post_move(
        session,
        actor,
        MoveSpec(
            kind=StockMoveKind.TRANSFER,
            product_id=product_id,
            quantity=quantity,
            now=now,
            from_location_id=from_location_id,
            to_location_id=to_location_id,
            serial_number=serial_number,
            reason=reason,
        ),
    )


async def return_to_stock(
    session: AsyncSession,
    actor: Principal,
    *,
    location_id: UUID,
    product_id: UUID,
    quantity: Decimal,
    now: dt.datetime,
    reference_kind: str | None = None,
    reference_id: UUID | None = None,
    reference_ref: str | None = None,
    serial_number: str | None = None,
    reason: str | None = None,
) -> StockMove:
    """An unused part (or a returned unit) back into stock, from the reference it was issued to."""
    return await post_move(
        session,
        actor,
        MoveSpec(
            kind=StockMoveKind.RETURN,
            product_id=product_id,
            quantity=quantity,
            now=now,
            to_location_id=location_id,
            serial_number=serial_number,
            reason=reason,
            reference_kind=reference_kind,
            reference_id=reference_id,
            reference_ref=reference_ref,
        ),
    )


async def scrap(
    session: AsyncSession,
    actor: Principal,
    *,
    location_id: UUID,
    product_id: UUID,
    quantity: Decimal,
    reason: str,
    now: dt.datetime,
    serial_number: str | None = None,
) -> StockMove:
    return await post_move(
        session,
        actor,
        MoveSpec(
            kind=StockMoveKind.SCRAP,
            product_id=product_id,
            quantity=quantity,
            now=now,
            from_location_id=location_id,
            serial_number=serial_number,
            reason=_checked_reason(reason),
        ),
    )


async def adjust(
    session: AsyncSession,
    actor: Principal,
    *,
    location_id: UUID,
    product_id: UUID,
    delta: Decimal,
    reason: str,
    now: dt.datetime,
    serial_number: str | None = None,
) -> StockMove:
    """A counting difference: `delta` > 0 adds stock, < 0 takes it away; the reason is mandatory."""
    reason = _checked_reason(reason)
    if delta.is_finite() and delta < 0:
        quantity, source, target = -delta, location_id, None
    else:
        quantity, source, target = delta, None, location_id
    checked_quantity(quantity, "delta")
    return await post_move(
        session,
        actor,
        MoveSpec(
            kind=StockMoveKind.ADJUSTMENT,
            product_id=product_id,
            quantity=quantity,
            now=now,
            from_location_id=source,
            to_location_id=target,
            serial_number=serial_number,
            reason=reason,
        ),
    )


def _checked_reason(reason: str | None) -> str:
    if reason is None or not reason.strip():
        raise Invalid(Code.REASON_REQUIRED, "say why (reason)", field="reason")
    return reason.strip()


# --- reading ---------------------------------------------------------------------------------


class LevelFilter(msgspec.Struct, kw_only=True):
    product_id: UUID | None = None
    location_id: UUID | None = None
    location_kind: StockLocationKind | None = None
    in_stock: bool | None = None  # True: only rows with something on hand


class SerialFilter(msgspec.Struct, kw_only=True):
    product_id: UUID | None = None
    location_id: UUID | None = None
    serial_number: str | None = None
    status: SerialStatus | None = None


class MoveFilter(msgspec.Struct, kw_only=True):
    product_id: UUID | None = None
    location_id: UUID | None = None  # from or to
    kind: StockMoveKind | None = None
    reference_kind: str | None = None
    reference_id: UUID | None = None
    reference_ref: str | None = None
    moved_from: dt.datetime | None = None
    moved_to: dt.datetime | None = None  # exclusive


async def visible_location(session: AsyncSession, viewer: Principal) -> UUID | None:
    """For a technician, the one location they may see (their van; a random id if none, so that
    lists are empty); None for staff, who see all."""
    if not viewer.is_technician:
        return None
    van = await van_of(session, viewer.engineer_id) if viewer.engineer_id else None
    return van.id if van is not None else UUID(int=0)


async def list_levels(
    session: AsyncSession, viewer: Principal, filters: LevelFilter, page: PageRequest
) -> Page[StockLevel]:
    stmt = select(StockLevel)
    if filters.product_id is not None:
        stmt = stmt.where(StockLevel.product_id == filters.product_id)
    if filters.location_id is not None:
        stmt = stmt.where(StockLevel.location_id == filters.location_id)
    if filters.location_kind is not None:
        kinds = select(StockLocation.id).where(StockLocation.kind == filters.location_kind.value)
        stmt = stmt.where(StockLevel.location_id.in_(kinds))
    if filters.in_stock is True:
        stmt = stmt.where(StockLevel.on_hand > 0)
    elif filters.in_stock is False:
        stmt = stmt.where(StockLevel.on_hand == 0)
    stmt = await _scoped(session, viewer, stmt, StockLevel.location_id)
    sortable = {"on_hand": StockLevel.on_hand, "reserved": StockLevel.reserved, "created_at": StockLevel.created_at}
    return await paginate(session, stmt, page, sortable=sortable, default_sort="created_at", tie_breaker=StockLevel.id)


async def list_serials(
    session: AsyncSession, viewer: Principal, filters: SerialFilter, page: PageRequest
) -> Page[StockSerial]:
    stmt = select(StockSerial)
    if filters.product_id is not None:
        stmt = stmt.where(StockSerial.product_id == filters.product_id)
    if filters.location_id is not None:
        stmt = stmt.where(StockSerial.location_id == filters.location_id)
    if filters.serial_number:
        stmt = stmt.where(StockSerial.serial_number == filters.serial_number)
    if filters.status is not None:
        stmt = stmt.where(StockSerial.status == filters.status.value)
    stmt = await _scoped(session, viewer, stmt, StockSerial.location_id)
    sortable = {"serial_number": StockSerial.serial_number, "created_at": StockSerial.created_at}
    return await paginate(
        session, stmt, page, sortable=sortable, default_sort="serial_number", tie_breaker=StockSerial.id
    )


async def list_moves(
    session: AsyncSession, viewer: Principal, filters: MoveFilter, page: PageRequest
) -> Page[StockMove]:
    stmt = select(StockMove)
    if filters.product_id is not None:
        stmt = stmt.where(StockMove.product_id == filters.product_id)
    if filters.location_id is not None:
        stmt = stmt.where(
            (StockMove.from_location_id == filters.location_id) | (StockMove.to_location_id == filters.location_id)
        )
    if filters.kind is not None:
        stmt = stmt.where(StockMove.kind == filters.kind.value)
    if filters.reference_kind is not None:
        stmt = stmt.where(StockMove.reference_kind == filters.reference_kind)
    if filters.reference_id is not None:
        stmt = stmt.where(StockMove.reference_id == filters.reference_id)
    if filters.reference_ref is not None:
        stmt = stmt.where(StockMove.reference_ref == filters.reference_ref)
    if filters.moved_from is not None:
        stmt = stmt.where(StockMove.moved_at >= filters.moved_from)
    if filters.moved_to is not None:
        stmt = stmt.where(StockMove.moved_at < filters.moved_to)
    own = await visible_location(session, viewer)
    if own is not None:
        stmt = stmt.where((StockMove.from_location_id == own) | (StockMove.to_location_id == own))
    sortable = {"moved_at": StockMove.moved_at}
    return await paginate(session, stmt, page, sortable=sortable, default_sort="-moved_at", tie_breaker=StockMove.id)


async def _scoped(
    session: AsyncSession, viewer: Principal, stmt: Select[tuple[T]], column: InstrumentedAttribute[Any]
) -> Select[tuple[T]]:
    own = await visible_location(session, viewer)
    if own is None:
        return stmt
    return stmt.where(column == own)
