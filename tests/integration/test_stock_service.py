"""Inventory services: moves keep levels and the ledger in step, stock never goes negative,
reservations hold stock and issues consume them, serialized units move one by one."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import session_scope
from core.errors import Conflict, Invalid, NotFound
from returns.choices import ReservationStatus, SerialStatus, StockLocationKind
from returns.models import StockMove, StockSerial
from returns.services import reservations, stock
from returns.services.stock_locations import ensure_van
from tests.integration.stock_fixtures import (
    DEPOT_USER,
    NOW,
    engineer_row,
    level_of,
    spare_part,
    stock_location,
    stocked,
)

D = Decimal


async def issue_for_repair(
    session: AsyncSession,
    location_id: uuid.UUID,
    product_id: uuid.UUID,
    quantity: str,
    repair_order_id: uuid.UUID | None = None,
    serial: str | None = None,
) -> StockMove:
    return await stock.issue(
        session,
        DEPOT_USER,
        location_id=location_id,
        product_id=product_id,
        quantity=D(quantity),
        reference_kind="repair_order",
        reference_id=repair_order_id or uuid.uuid4(),
        reference_ref="DR-000001",
        now=NOW,
        serial_number=serial,
    )


async def test_each_move_updates_the_levels_and_writes_one_ledger_line(session: AsyncSession) -> None:
    toner = await spare_part(session)
    warehouse = await stock_location(session, "WH")
    depot = await stock_location(session, "DEPOT", StockLocationKind.DEPOT)

    await stocked(session, warehouse, toner, "10")
    await stock.transfer(
        session,
        DEPOT_USER,
        from_location_id=warehouse.id,
        to_location_id=depot.id,
        product_id=toner.id,
        quantity=D("4"),
        now=NOW,
    )
    await issue_for_repair(session, depot.id, toner.id, "1.5")
    await stock.return_to_stock(
        session,
        DEPOT_USER,
        location_id=depot.id,
        product_id=toner.id,
        quantity=D("0.5"),
        now=NOW,
        reference_kind="repair_order",
        reference_ref="DR-000001",
    )
    await stock.scrap(
        session,
        DEPOT_USER,
        location_id=warehouse.id,
        product_id=toner.id,
        quantity=D(1),
        reason="crushed in transport",
        now=NOW,
    )
    await stock.adjust(
        session, DEPOT_USER, location_id=warehouse.id, product_id=toner.id, delta=D(-2), reason="count 2026-03", now=NOW
    )
    await stock.adjust(
        session, DEPOT_USER, location_id=depot.id, product_id=toner.id, delta=D("1"), reason="found on shelf", now=NOW
    )

    assert await level_of(session, warehouse, toner) == (D(3), D(0))
    assert await level_of(session, depot, toner) == (D(4), D(0))
    kinds = (await session.scalars(select(StockMove.kind).order_by(StockMove.id))).all()
    assert kinds == ["receipt", "transfer", "issue", "return", "scrap", "adjustment", "adjustment"]


async def test_a_move_beyond_what_is_available_is_refused_with_what_is_there(session: AsyncSession) -> None:
    toner = await spare_part(session)
    warehouse = await stock_location(session, "WH")
    await stocked(session, warehouse, toner, "2")

    with pytest.raises(Conflict) as refused:
        await issue_for_repair(session, warehouse.id, toner.id, "3")

    assert refused.value.code == "insufficient_stock"
    assert refused.value.field == "quantity"
    assert refused.value.extra["available"] == "2.000"
    assert refused.value.extra["on_hand"] == "2.000"
    assert refused.value.extra["location"] == "WH"
    assert refused.value.extra["product"] == "TONER-K"
    assert await level_of(session, warehouse, toner) == (D(2), D(0))


async def test_quantities_are_positive_with_three_decimals(session: AsyncSession) -> None:
    toner = await spare_part(session)
    warehouse = await stock_location(session, "WH")
    for bad in ("0", "-1", "1.0001", "NaN"):
        with pytest.raises(Invalid) as refused:
            await stocked(session, warehouse, toner, bad)
        assert refused.value.code == "invalid_quantity"
    with pytest.raises(Invalid) as no_reason:
        await stock.adjust(
            session, DEPOT_USER, location_id=warehouse.id, product_id=toner.id, delta=D(1), reason=" ", now=NOW
        )
    assert no_reason.value.code == "reason_required"
    with pytest.raises(NotFound):
        await stock.receive(
            session, DEPOT_USER, location_id=warehouse.id, product_id=uuid.uuid4(), quantity=D(1), now=NOW
        )


async def test_a_reservation_reduces_what_is_available_and_an_issue_consumes_it(session: AsyncSession) -> None:
    toner = await spare_part(session)
    depot = await stock_location(session, "DEPOT", StockLocationKind.DEPOT)
    await stocked(session, depot, toner, "3")
    repair_order = uuid.uuid4()

    held = await reservations.reserve(
        session,
        DEPOT_USER,
        location_id=depot.id,
        product_id=toner.id,
        quantity=D(2),
        reference_kind="repair_order",
        reference_id=repair_order,
        now=NOW,
    )
    assert await level_of(session, depot, toner) == (D(3), D(2))
    with pytest.raises(Conflict) as refused:  # somebody else gets only the free one
        await issue_for_repair(session, depot.id, toner.id, "2")
    assert refused.value.extra["available"] == "1.000"
    assert refused.value.extra["reserved"] == "2.000"

    await issue_for_repair(session, depot.id, toner.id, "1", repair_order_id=repair_order)  # from its reservation
    assert await level_of(session, depot, toner) == (D(2), D(1))
    await issue_for_repair(session, depot.id, toner.id, "2", repair_order_id=repair_order)  # rest + the free one
    assert await level_of(session, depot, toner) == (D(0), D(0))
    await session.refresh(held)
    assert held.status == ReservationStatus.CONSUMED.value


async def test_reserving_more_than_available_is_refused_and_release_frees_it(session: AsyncSession) -> None:
    toner = await spare_part(session)
    depot = await stock_location(session, "DEPOT", StockLocationKind.DEPOT)
    await stocked(session, depot, toner, "2")
    args = dict(location_id=depot.id, product_id=toner.id, reference_kind="repair_order", now=NOW)

    first = await reservations.reserve(session, DEPOT_USER, quantity=D(2), reference_id=uuid.uuid4(), **args)
    with pytest.raises(Conflict) as refused:
        await reservations.reserve(session, DEPOT_USER, quantity=D(1), reference_id=uuid.uuid4(), **args)
    assert refused.value.code == "insufficient_stock"

    await reservations.release(session, DEPOT_USER, first.id, now=NOW)
    assert await level_of(session, depot, toner) == (D(2), D(0))
    with pytest.raises(Conflict) as twice:
        await reservations.release(session, DEPOT_USER, first.id, now=NOW)
    assert twice.value.code == "reservation_not_active"


async def test_availability_says_what_is_short_and_where_else_it_is(session: AsyncSession) -> None:
    toner = await spare_part(session)
    warehouse = await stock_location(session, "WH")
    depot = await stock_location(session, "DEPOT", StockLocationKind.DEPOT)
    await stocked(session, warehouse, toner, "5")
    await stocked(session, depot, toner, "1")

    [line] = await reservations.check_lines(session, DEPOT_USER, [(toner.id, D(3))], depot.id)

    assert (line.available, line.short) == (D(1), D(2))
    assert [(s.location_code, s.available) for s in line.elsewhere] == [("WH", D(5))]


async def test_serialized_units_move_one_by_one_with_their_serial(session: AsyncSession) -> None:
    board = await spare_part(session, "BOARD-1", serialized=True)
    toner = await spare_part(session)
    warehouse = await stock_location(session, "WH")
    depot = await stock_location(session, "DEPOT", StockLocationKind.DEPOT)

    with pytest.raises(Invalid) as no_serial:
        await stocked(session, warehouse, board, "1")
    assert no_serial.value.code == "serial_required"
    with pytest.raises(Invalid) as two_at_once:
        await stocked(session, warehouse, board, "2", serial="SN-1")
    assert two_at_once.value.code == "invalid_quantity"
    with pytest.raises(Invalid) as serial_on_toner:
        await stocked(session, warehouse, toner, "1", serial="SN-1")
    assert serial_on_toner.value.code == "serial_not_allowed"

    await stocked(session, warehouse, board, "1", serial="SN-1")
    with pytest.raises(Conflict) as twice:
        await stocked(session, depot, board, "1", serial="SN-1")
    assert twice.value.code == "serial_already_in_stock"
    await stocked(session, depot, board, "1", serial="SN-2")
    with pytest.raises(Conflict) as wrong_place:  # SN-1 is at the warehouse, not the depot
        await issue_for_repair(session, depot.id, board.id, "1", serial="SN-1")
    assert wrong_place.value.code == "serial_not_available"

    await stock.transfer(
        session,
        DEPOT_USER,
        from_location_id=warehouse.id,
        to_location_id=depot.id,
        product_id=board.id,
        quantity=D(1),
        serial_number="SN-1",
        now=NOW,
    )
    await issue_for_repair(session, depot.id, board.id, "1", serial="SN-1")

    unit = await session.scalar(select(StockSerial).where(StockSerial.serial_number == "SN-1"))
    assert unit is not None and (unit.status, unit.location_id) == (SerialStatus.ISSUED.value, None)
    assert await level_of(session, depot, board) == (D(1), D(0))  # SN-2 remains
    assert await level_of(session, warehouse, board) == (D(0), D(0))


async def test_the_ledger_is_append_only(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        toner = await spare_part(session)
        warehouse = await stock_location(session, "WH")
        await stocked(session, warehouse, toner, "1")

    for statement in ("UPDATE stock_moves SET quantity = 5", "DELETE FROM stock_moves"):
        with pytest.raises((IntegrityError, DBAPIError)):
            async with session_scope(sessions) as session:
                await session.execute(text(statement))

    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(StockMove)) == 1


async def test_a_van_is_created_for_an_engineer_once(session: AsyncSession) -> None:
    engineer = await engineer_row(session)
    van = await ensure_van(session, DEPOT_USER, engineer.id)
    again = await ensure_van(session, DEPOT_USER, engineer.id)
    assert van.id == again.id
    assert (van.kind, van.code, van.engineer_id) == ("van", "VAN-E-000101", engineer.id)


@pytest.mark.postgres_only
async def test_two_issues_of_the_last_unit_at_once_one_wins(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        toner = await spare_part(session)
        depot = await stock_location(session, "DEPOT", StockLocationKind.DEPOT)
        await stocked(session, depot, toner, "1")
    gate = asyncio.Event()

    async def take() -> str:
        try:
            async with session_scope(sessions) as session:
                await gate.wait()
                await issue_for_repair(session, depot.id, toner.id, "1")
            return "issued"
        except Conflict as exc:
            return exc.code

    runs = [asyncio.create_task(take()) for _ in range(2)]
    await asyncio.sleep(0.05)
    gate.set()
    assert sorted(await asyncio.gather(*runs)) == ["insufficient_stock", "issued"]
    async with sessions() as session:
        assert await level_of(session, depot, toner) == (D(0), D(0))
        assert await session.scalar(select(func.count()).select_from(StockMove)) == 2  # receipt + one issue


@pytest.mark.postgres_only
async def test_opposite_transfers_at_once_do_not_deadlock(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        toner = await spare_part(session)
        a = await stock_location(session, "A")
        b = await stock_location(session, "B")
        await stocked(session, a, toner, "50")
        await stocked(session, b, toner, "50")

    async def shuttle(source: uuid.UUID, target: uuid.UUID) -> None:
        for _ in range(10):
            async with session_scope(sessions) as session:
                await stock.transfer(
                    session,
                    DEPOT_USER,
                    from_location_id=source,
                    to_location_id=target,
                    product_id=toner.id,
                    quantity=D(1),
                    now=NOW,
                )

    await asyncio.gather(shuttle(a.id, b.id), shuttle(b.id, a.id))
    async with sessions() as session:
        assert await level_of(session, a, toner) == (D(50), D(0))
        assert await level_of(session, b, toner) == (D(50), D(0))
