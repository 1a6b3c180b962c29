"""Installed-base services without HTTP: the reusable component replacement, audit records, injected
clocks, and concurrent writers (duplicate serials, readings of one counter)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit import audit_log
from core.auth import SYSTEM, Principal, Role
from core.clock import FixedClock
from core.errors import Conflict, Invalid
from masterdata.models import Equipment, EquipmentEvent, Product, Site
from masterdata.services.component_replacement import ComponentReplacement, NewComponent, replace_component
from masterdata.services.counters import CounterCreate, ReadingCreate, create_counter, record_reading
from masterdata.services.customers import CustomerCreate, create_customer
from masterdata.services.equipment import EquipmentCreate, EquipmentMove, create_equipment, move_equipment

NOON = dt.datetime(2025, 6, 2, 12, 0, tzinfo=dt.UTC)
TECHNICIAN = Principal(user_id=UUID(int=42), username="tech.anna", role=Role.TECHNICIAN)


@dataclass
class Installed:
    customer_id: UUID
    site_id: UUID
    product_id: UUID
    machine: Equipment
    board: Equipment


async def installed(session: AsyncSession, name: str = "ACME") -> Installed:
    customer = await create_customer(session, SYSTEM, CustomerCreate(name=name))
    site = Site(customer_id=customer.id, name="Plant", country="DE", time_zone="Europe/Berlin")
    product = Product(
        sku=f"{name}-X", name="Machine", kind="equipment", serialized=True,
        list_price=Decimal(1), currency="EUR", unit="pc",
    )  # fmt: skip
    session.add_all([site, product])
    await session.flush()
    clock = FixedClock(NOON - dt.timedelta(days=30))
    machine = await create_equipment(
        session,
        SYSTEM,
        EquipmentCreate(product_id=product.id, serial_number=f"{name}-M", customer_id=customer.id, site_id=site.id),
        clock=clock,
    )
    board = await create_equipment(
        session,
        SYSTEM,
        EquipmentCreate(
            product_id=product.id, serial_number=f"{name}-B1", customer_id=customer.id,
            parent_id=machine.id, position="main board",
        ),
        clock=clock,
    )  # fmt: skip
    return Installed(customer.id, site.id, product.id, machine, board)


async def events_of(session: AsyncSession, equipment_id: UUID) -> list[EquipmentEvent]:
    stmt = select(EquipmentEvent).where(EquipmentEvent.equipment_id == equipment_id).order_by(EquipmentEvent.at)
    return list((await session.scalars(stmt)).all())


async def test_a_technician_replacement_is_dated_by_the_clock_and_audited(session: AsyncSession) -> None:
    base = await installed(session)
    clock = FixedClock(NOON)

    result = await replace_component(
        session,
        TECHNICIAN,
        base.machine.id,
        ComponentReplacement(
            old_component_id=base.board.id,
            new_component=NewComponent(product_id=base.product_id, serial_number="ACME-B2"),
        ),
        clock=clock,
    )

    assert result.installed.install_date == NOON.date()
    assert (result.installed.parent_id, result.installed.position) == (base.machine.id, "main board")
    old_events = await events_of(session, base.board.id)
    assert [(e.kind, e.at, e.actor_name) for e in old_events[-1:]] == [("replaced_by", NOON, "tech.anna")]
    assert (old_events[-1].from_status, old_events[-1].to_status) == ("in_service", "removed")
    audited = (
        await session.execute(
            select(audit_log.c.entity_id, audit_log.c.after).where(
                audit_log.c.action == "replace_component", audit_log.c.actor_name == "tech.anna"
            )
        )
    ).all()
    by_unit = {row.entity_id: row.after for row in audited}
    assert by_unit[str(base.board.id)]["status"] == "removed"
    assert by_unit[str(result.installed.id)]["parent_id"] == str(base.machine.id)


async def test_a_move_bumps_versions_and_skips_units_already_there(session: AsyncSession) -> None:
    base = await installed(session)
    second_site = Site(customer_id=base.customer_id, name="Depot", country="DE", time_zone="Europe/Berlin")
    session.add(second_site)
    await session.flush()
    # The board was (wrongly) recorded at the destination already: it needs no second `moved` event.
    base.board.site_id = second_site.id
    await session.flush()

    move = EquipmentMove(site_id=second_site.id)
    await move_equipment(session, SYSTEM, base.machine.id, move, clock=FixedClock(NOON))

    assert base.machine.site_id == base.board.site_id == second_site.id
    assert base.machine.version == 2
    assert [e.kind for e in await events_of(session, base.machine.id)][-1] == "moved"
    assert [e.kind for e in await events_of(session, base.board.id)] == ["created"]


async def test_the_future_is_judged_by_the_injected_clock(session: AsyncSession) -> None:
    base = await installed(session)
    counter = await create_counter(session, SYSTEM, base.machine.id, CounterCreate(name="hours", unit="h"))
    clock = FixedClock(NOON)

    async def read(value: int, at: dt.datetime) -> None:
        data = ReadingCreate(value=Decimal(value), read_at=at)
        await record_reading(session, SYSTEM, base.machine.id, counter.id, data, clock=clock)

    await read(10, NOON + dt.timedelta(seconds=30))  # within the tolerance for a fast device clock
    with pytest.raises(Invalid) as future:
        await read(20, NOON + dt.timedelta(minutes=5))
    clock.advance(dt.timedelta(minutes=10))
    await read(20, NOON + dt.timedelta(minutes=5))

    assert future.value.code == "reading_in_future" and future.value.field == "read_at"


async def test_racing_registrations_of_one_serial_end_in_one_unit_and_a_clean_conflict(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as setup:
        base = await installed(setup)
        await setup.commit()
    body = EquipmentCreate(product_id=base.product_id, serial_number="RACE-1", customer_id=base.customer_id)

    async with sessions() as first, sessions() as second:
        await create_equipment(first, SYSTEM, body)
        racing = asyncio.create_task(create_equipment(second, SYSTEM, body))
        await asyncio.sleep(0.3)
        assert not racing.done(), "the second writer must wait for the first"
        await first.commit()
        with pytest.raises(Conflict) as lost:
            await racing
        # The savepoint kept the loser's session usable.
        count = await second.scalar(select(func.count()).where(Equipment.serial_number == "RACE-1"))
        await second.rollback()

    assert lost.value.code == "duplicate_serial" and lost.value.field == "serial_number"
    assert count == 1


async def test_concurrent_readings_of_one_counter_are_checked_one_after_the_other(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as setup:
        base = await installed(setup)
        counter = await create_counter(setup, SYSTEM, base.machine.id, CounterCreate(name="hours", unit="h"))
        await setup.commit()
    clock = FixedClock(NOON)

    async with sessions() as first, sessions() as second:
        earlier = ReadingCreate(value=Decimal(100), read_at=NOON - dt.timedelta(hours=2))
        later_but_lower = ReadingCreate(value=Decimal(50), read_at=NOON - dt.timedelta(hours=1))
        await record_reading(first, SYSTEM, base.machine.id, counter.id, earlier, clock=clock)
        racing = asyncio.create_task(
            record_reading(second, SYSTEM, base.machine.id, counter.id, later_but_lower, clock=clock)
        )
        await asyncio.sleep(0.3)
        assert not racing.done(), "the second reading must wait for the counter lock"
        await first.commit()
        with pytest.raises(Invalid) as refused:
            await racing
        await second.rollback()

    assert refused.value.code == "reading_below_previous"
