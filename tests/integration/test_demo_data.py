"""Demo data: loads into an empty database, complete, consistent and the same for the same seed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from core.auth import Role, verify_password
from core.db import session_scope
from masterdata.models import (
    Certification,
    Contact,
    Counter,
    CounterReading,
    Customer,
    Engineer,
    EngineerSkill,
    Equipment,
    EquipmentEvent,
    Product,
    Site,
    User,
    WorkingHours,
)
from service_mgmt.demo_data import REFERENCE_DATE, DemoSize, database_is_empty, load_demo_data

SMALL = DemoSize(customers=30, equipment=300, engineers=6)


async def _count(session: AsyncSession, model: type[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_default_size_is_a_believable_company(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        assert await database_is_empty(session)
        summary = await load_demo_data(session)

    async with sessions() as session:
        assert not await database_is_empty(session)
        assert summary.customers == await _count(session, Customer) == 240
        assert summary.equipment == await _count(session, Equipment) == 2400
        assert summary.engineers == await _count(session, Engineer) == 24
        assert summary.sites == await _count(session, Site) >= 240
        assert summary.contacts == await _count(session, Contact) >= 240
        assert summary.products == await _count(session, Product)
        assert summary.counters == await _count(session, Counter) > 0
        assert summary.readings == await _count(session, CounterReading) >= 2 * summary.counters
        assert await _count(session, EquipmentEvent) == summary.equipment
        groups = await session.scalar(select(func.count(func.distinct(Customer.parent_id))))
        assert 15 <= (groups or 0) <= 40
        assert await session.scalar(select(func.count()).where(Customer.status == "blocked")) in range(1, 10)


async def test_one_user_per_role_with_password_demo(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        await load_demo_data(session, SMALL)

    async with sessions() as session:
        users = {user.username: user for user in (await session.execute(select(User))).scalars()}
        assert set(users) == {role.value for role in Role}
        assert all(user.role == name and verify_password(user.password_hash, "demo") for name, user in users.items())
        portal = users["customer"].customer_id
        assert portal is not None
        assert (await session.scalar(select(func.count()).where(Customer.parent_id == portal)) or 0) >= 2
        technician = await session.scalar(select(Engineer).where(Engineer.user_id == users["technician"].id))
        assert technician is not None and technician.number == "E-000001"


async def test_installed_base_is_consistent(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        await load_demo_data(session, SMALL)

    async with sessions() as session:
        parent = aliased(Equipment)
        mismatched = await session.scalar(
            select(func.count())
            .select_from(Equipment)
            .join(parent, Equipment.parent_id == parent.id)
            .where((Equipment.site_id != parent.site_id) | (Equipment.customer_id != parent.customer_id))
        )
        assert mismatched == 0
        components = await session.scalar(select(func.count()).where(Equipment.parent_id.is_not(None)))
        assert components and components > 0
        assert await session.scalar(select(func.count()).select_from(Counter).join(Equipment).where(
            Equipment.parent_id.is_not(None)
        )) == 0  # fmt: skip
        not_serialized = await session.scalar(
            select(func.count()).select_from(Equipment).join(Product).where(Product.serialized.is_(False))
        )
        assert not_serialized == 0
        installed = (await session.execute(select(Equipment.install_date, Equipment.ship_date))).all()
        assert all(ship <= install < REFERENCE_DATE for install, ship in installed)

        readings = (
            await session.execute(
                select(CounterReading.counter_id, CounterReading.value).order_by(
                    CounterReading.counter_id, CounterReading.read_at
                )
            )
        ).all()
        last: dict[Any, Any] = {}
        for counter_id, value in readings:
            assert counter_id not in last or value > last[counter_id]
            last[counter_id] = value


async def test_engineers_have_skills_hours_and_some_expired_certificates(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(sessions) as session:
        await load_demo_data(session)

    async with sessions() as session:
        engineers = (await session.execute(select(Engineer))).scalars().all()
        assert {e.territory for e in engineers} == {"north", "central", "south"}
        assert all(e.time_zone == "Europe/Berlin" and 55 <= e.cost_rate <= 95 for e in engineers)
        assert await session.scalar(select(func.count(func.distinct(EngineerSkill.engineer_id)))) == len(engineers)
        assert await session.scalar(select(func.count(func.distinct(WorkingHours.engineer_id)))) == len(engineers)
        expiries = (await session.execute(select(Certification.expires_on))).scalars().all()
        assert any(day < REFERENCE_DATE for day in expiries)
        assert any(day >= REFERENCE_DATE for day in expiries)


async def test_sites_are_in_germany_with_opening_hours(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        await load_demo_data(session, SMALL)

    async with sessions() as session:
        for site in (await session.execute(select(Site))).scalars():
            assert site.latitude is not None and 47.2 < site.latitude < 55.1
            assert site.longitude is not None and 5.8 < site.longitude < 15.1
            assert site.country == "DE" and site.time_zone == "Europe/Berlin"
            assert site.opening_hours and all(0 <= day["weekday"] <= 6 for day in site.opening_hours)


async def _content(session: AsyncSession) -> list[tuple[Any, ...]]:
    parent = aliased(Equipment)
    rows = await session.execute(
        select(
            Equipment.serial_number,
            Customer.number,
            Customer.name,
            Site.name,
            Equipment.install_date,
            Equipment.status,
            parent.serial_number,
        )
        .join(Customer, Equipment.customer_id == Customer.id)
        .join(Site, Equipment.site_id == Site.id)
        .outerjoin(parent, Equipment.parent_id == parent.id)
        .order_by(Equipment.serial_number)
    )
    return [tuple(row) for row in rows]


async def test_same_seed_same_data_other_seed_other_data(session: AsyncSession) -> None:
    size = DemoSize(customers=20, equipment=150, engineers=3)
    await load_demo_data(session, size)
    first = await _content(session)
    await session.rollback()

    await load_demo_data(session, size)
    again = await _content(session)
    await session.rollback()

    await load_demo_data(session, DemoSize(customers=20, equipment=150, engineers=3, seed=7))
    other = await _content(session)

    assert first == again
    assert len(first) == 150
    assert first != other


async def test_refuses_a_database_that_is_not_empty(session: AsyncSession) -> None:
    await load_demo_data(session, DemoSize(customers=5, equipment=10, engineers=1))
    with pytest.raises(ValueError, match="empty"):
        await load_demo_data(session, DemoSize(customers=5, equipment=10, engineers=1))


async def test_reports_progress_per_stage(session: AsyncSession) -> None:
    seen: dict[str, tuple[int, int]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        assert 0 <= done <= total
        seen[stage] = (done, total)

    await load_demo_data(session, SMALL, progress)

    assert {"products", "customers", "contacts", "sites", "users", "engineers", "equipment"} <= set(seen)
    assert seen["equipment"] == (SMALL.equipment, SMALL.equipment)
    assert seen["customers"] == (SMALL.customers, SMALL.customers)
