"""Warranties at the service level: granting the manufacturer warranty, selling extensions,
voiding, and turning stored service levels into the facts the entitlement rule uses."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import Priority, StartBasis
from contracts.models import Warranty
from contracts.services import calendars, service_levels, warranties
from contracts.services.warranties import WarrantySale, WarrantyTermCreate, WarrantyVoid
from core.audit import audit_log
from core.auth import Principal, Role
from core.clock import FixedClock
from core.errors import NotFound
from core.listing import PageRequest
from masterdata.models import Counter, CounterReading, Customer, Equipment, Product
from masterdata.services.visibility import CustomerScope

ADMIN = Principal(user_id=uuid.uuid4(), username="carla", role=Role.CONTRACT_ADMIN)
D = dt.date


@dataclass
class Unit:
    customer: Customer
    product: Product
    equipment: Equipment


async def a_unit(
    session: AsyncSession,
    *,
    installed: dt.date | None = D(2026, 3, 10),
    shipped: dt.date | None = D(2026, 2, 20),
    serial: str = "SN-1",
) -> Unit:
    customer = Customer(number=f"C-{serial}", name="ACME Printing", status="active")
    product = Product(
        sku=f"PRN-{serial}",
        name="Office printer",
        kind="equipment",
        serialized=True,
        list_price=Decimal("2400"),
        currency="EUR",
        unit="pc",
    )
    session.add_all([customer, product])
    await session.flush()
    equipment = Equipment(
        product_id=product.id,
        serial_number=serial,
        customer_id=customer.id,
        install_date=installed,
        ship_date=shipped,
        status="in_service",
    )
    session.add(equipment)
    await session.flush()
    return Unit(customer, product, equipment)


async def a_term(session: AsyncSession, code: str = "STD-24", **overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "code": code,
        "name": "Standard 24 months",
        "duration_months": 24,
        "labour_pct": Decimal(100),
        "parts_pct": Decimal(100),
        "travel_pct": Decimal(50),
        **overrides,
    }
    return await warranties.create_term(session, ADMIN, WarrantyTermCreate(**fields))


async def grant(session: AsyncSession, unit: Unit, readings: dict[str, Decimal] | None = None) -> Warranty | None:
    e = unit.equipment
    return await warranties.grant_default_warranty(
        session, ADMIN, e.id, e.customer_id, e.product_id, e.install_date, e.ship_date, readings or {}
    )


async def test_a_new_unit_gets_the_manufacturer_warranty_of_its_products_default_term(session: AsyncSession) -> None:
    unit = await a_unit(session, installed=D(2026, 3, 10))
    term = await a_term(session)
    await warranties.set_product_term(session, ADMIN, unit.product.id, term.id)

    warranty = await grant(session, unit)

    assert warranty is not None
    assert (warranty.kind, warranty.starts_on, warranty.ends_on) == ("manufacturer", D(2026, 3, 10), D(2028, 3, 9))
    assert (warranty.customer_id, warranty.term_id, warranty.void) == (unit.customer.id, term.id, False)
    assert warranty.counter_name is None and warranty.counter_limit is None
    audited = (await session.execute(select(audit_log).where(audit_log.c.entity == "warranty"))).mappings().one()
    assert (audited["action"], audited["actor_name"]) == ("grant", "carla")
    assert audited["after"]["ends_on"] == "2028-03-09"


async def test_a_ship_date_term_starts_on_the_ship_date(session: AsyncSession) -> None:
    unit = await a_unit(session, installed=D(2026, 3, 10), shipped=D(2026, 1, 31))
    term = await a_term(session, duration_months=1, start_basis=StartBasis.SHIP_DATE)
    await warranties.set_product_term(session, ADMIN, unit.product.id, term.id)

    warranty = await grant(session, unit)

    assert warranty is not None
    assert (warranty.starts_on, warranty.ends_on) == (D(2026, 1, 31), D(2026, 2, 28))


async def test_no_warranty_without_a_default_term_or_without_the_start_date(session: AsyncSession) -> None:
    no_term = await a_unit(session, serial="SN-1")
    not_installed = await a_unit(session, installed=None, serial="SN-2")
    await warranties.set_product_term(session, ADMIN, not_installed.product.id, (await a_term(session)).id)

    assert await grant(session, no_term) is None
    assert await grant(session, not_installed) is None
    assert (await session.scalars(select(Warranty))).all() == []


async def test_a_counter_limit_starts_from_the_units_reading(session: AsyncSession) -> None:
    used = await a_unit(session, serial="SN-1")
    new = await a_unit(session, serial="SN-2")
    term = await a_term(session, duration_months=36, counter_name="pages", counter_units=Decimal(300000))
    for unit in (used, new):
        await warranties.set_product_term(session, ADMIN, unit.product.id, term.id)

    refurbished = await grant(session, used, {"pages": Decimal(1250), "hours": Decimal(7)})
    fresh = await grant(session, new)

    assert refurbished is not None and fresh is not None
    assert (refurbished.counter_name, refurbished.counter_limit) == ("pages", Decimal(301250))
    assert fresh.counter_limit == Decimal(300000)
    assert refurbished.ends_on == D(2029, 3, 9)  # and whichever comes first: 36 months


async def test_granting_twice_keeps_one_manufacturer_warranty(session: AsyncSession) -> None:
    unit = await a_unit(session)
    await warranties.set_product_term(session, ADMIN, unit.product.id, (await a_term(session)).id)

    first = await grant(session, unit)
    again = await grant(session, unit)

    assert first is not None and again is not None and again.id == first.id
    assert len((await session.scalars(select(Warranty))).all()) == 1


async def test_an_extended_warranty_follows_on_from_the_manufacturer_warranty(session: AsyncSession) -> None:
    unit = await a_unit(session, installed=D(2026, 1, 31))
    await warranties.set_product_term(session, ADMIN, unit.product.id, (await a_term(session, duration_months=12)).id)
    manufacturer = await grant(session, unit)
    extension = await a_term(session, "EXT-12", name="Extension 12 months", duration_months=12)
    clock = FixedClock(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC))

    sold = await warranties.sell_extended_warranty(
        session, ADMIN, WarrantySale(equipment_id=unit.equipment.id, term_id=extension.id), clock=clock
    )

    assert manufacturer is not None and manufacturer.ends_on == D(2027, 1, 30)
    assert sold.warranty.kind == "extended"
    assert (sold.warranty.starts_on, sold.warranty.ends_on) == (D(2027, 1, 31), D(2028, 1, 30))
    assert sold.warranty.customer_id == unit.customer.id and sold.term.code == "EXT-12"


async def test_an_extension_after_a_lapse_starts_today_and_a_given_date_wins(session: AsyncSession) -> None:
    unit = await a_unit(session, installed=D(2020, 5, 5))
    await warranties.set_product_term(session, ADMIN, unit.product.id, (await a_term(session, duration_months=12)).id)
    await grant(session, unit)
    extension = await a_term(session, "EXT-6", duration_months=6)
    clock = FixedClock(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC))
    sale = WarrantySale(equipment_id=unit.equipment.id, term_id=extension.id)

    after_lapse = await warranties.sell_extended_warranty(session, ADMIN, sale, clock=clock)
    dated = await warranties.sell_extended_warranty(
        session,
        ADMIN,
        WarrantySale(equipment_id=unit.equipment.id, term_id=extension.id, starts_on=D(2026, 8, 31)),
        clock=clock,
    )

    assert (after_lapse.warranty.starts_on, after_lapse.warranty.ends_on) == (D(2026, 6, 1), D(2026, 11, 30))
    assert (dated.warranty.starts_on, dated.warranty.ends_on) == (D(2026, 8, 31), D(2027, 2, 28))


async def test_an_extension_by_counter_starts_from_the_latest_recorded_reading(session: AsyncSession) -> None:
    unit = await a_unit(session)
    counter = Counter(equipment_id=unit.equipment.id, name="hours", unit="h")
    session.add(counter)
    await session.flush()
    for day, value in ((1, "410"), (20, "655.5"), (10, "500")):
        session.add(
            CounterReading(
                counter_id=counter.id,
                value=Decimal(value),
                read_at=dt.datetime(2026, 5, day, tzinfo=dt.UTC),
                source="manual",
                recorded_by="carla",
            )
        )
    await session.flush()
    term = await a_term(session, "EXT-H", duration_months=None, counter_name="hours", counter_units=Decimal(2000))
    sale = WarrantySale(equipment_id=unit.equipment.id, term_id=term.id, starts_on=D(2026, 6, 1))

    from_readings = await warranties.sell_extended_warranty(session, ADMIN, sale)
    told = await warranties.sell_extended_warranty(
        session,
        ADMIN,
        WarrantySale(
            equipment_id=unit.equipment.id, term_id=term.id, starts_on=D(2026, 6, 1), counter_at_start=Decimal(700)
        ),
    )

    assert from_readings.warranty.counter_limit == Decimal("2655.5")
    assert from_readings.warranty.ends_on is None  # limited by the counter only
    assert told.warranty.counter_limit == Decimal(2700)


async def test_selling_for_an_unknown_unit_or_term_is_not_found(session: AsyncSession) -> None:
    unit = await a_unit(session)
    term = await a_term(session)

    with pytest.raises(NotFound) as no_unit:
        await warranties.sell_extended_warranty(
            session, ADMIN, WarrantySale(equipment_id=uuid.uuid4(), term_id=term.id)
        )
    with pytest.raises(NotFound) as no_term:
        await warranties.sell_extended_warranty(
            session, ADMIN, WarrantySale(equipment_id=unit.equipment.id, term_id=uuid.uuid4())
        )

    assert (no_unit.value.code, no_unit.value.field) == ("equipment_not_found", "equipment_id")
    assert (no_term.value.code, no_term.value.field) == ("warranty_term_not_found", "term_id")


async def test_a_void_warranty_is_no_longer_active_and_does_not_push_the_next_start(session: AsyncSession) -> None:
    unit = await a_unit(session, installed=D(2026, 3, 10))
    await warranties.set_product_term(session, ADMIN, unit.product.id, (await a_term(session)).id)
    warranty = await grant(session, unit)
    assert warranty is not None
    extension = await a_term(session, "EXT-12", duration_months=12)
    clock = FixedClock(dt.datetime(2026, 4, 1, tzinfo=dt.UTC))

    voided = await warranties.void_warranty(session, ADMIN, warranty.id, WarrantyVoid(version=1, reason="sold as used"))
    active = await warranties.list_warranties(
        session, warranties.WarrantyFilter(active_on=D(2026, 4, 1)), PageRequest(), CustomerScope.everyone()
    )
    sold = await warranties.sell_extended_warranty(
        session, ADMIN, WarrantySale(equipment_id=unit.equipment.id, term_id=extension.id), clock=clock
    )

    assert voided.warranty.void and voided.warranty.version == 2
    assert active.total == 0
    assert sold.warranty.starts_on == D(2026, 4, 1)


async def test_a_warranty_of_an_invisible_customer_is_not_found(session: AsyncSession) -> None:
    unit = await a_unit(session)
    await warranties.set_product_term(session, ADMIN, unit.product.id, (await a_term(session)).id)
    warranty = await grant(session, unit)
    assert warranty is not None

    own = await warranties.get_warranty(session, warranty.id, CustomerScope.only({unit.customer.id}))
    with pytest.raises(NotFound) as other:
        await warranties.get_warranty(session, warranty.id, CustomerScope.only({uuid.uuid4()}))
    with pytest.raises(NotFound) as other_unit:
        await warranties.list_equipment_warranties(session, unit.equipment.id, CustomerScope.only({uuid.uuid4()}))

    assert own.warranty.id == warranty.id
    assert other.value.code == "warranty_not_found"
    assert other_unit.value.code == "equipment_not_found"


# --- service level facts ------------------------------------------------------------------


async def an_sla(session: AsyncSession, code: str, time_zone: str | None, **calendar: Any) -> Any:
    record = await calendars.create_calendar(
        session,
        ADMIN,
        calendars.CalendarCreate(
            code=f"CAL-{code}",
            name="8x5",
            time_zone=time_zone,
            windows=[calendars.CalendarWindow(weekday=d, start="08:00", end="17:00") for d in range(5)],
            **calendar,
        ),
    )
    targets = [
        service_levels.TargetIn(priority=p, response_minutes=240 * (i + 1), resolution_minutes=480 * (i + 1))
        for i, p in enumerate(Priority)
    ]
    view = await service_levels.create_service_level(
        session,
        ADMIN,
        service_levels.ServiceLevelCreate(code=code, name=f"SLA {code}", calendar_id=record.id, targets=targets),
    )
    return view.level


async def test_a_p1_logged_friday_afternoon_is_due_monday_morning_in_the_sites_zone(session: AsyncSession) -> None:
    level = await an_sla(session, "8X5", time_zone=None)

    facts = await service_levels.load_service_level_facts(session, [level.id], time_zone_for_site="Europe/Berlin")

    sla = facts[level.id]
    logged = dt.datetime(2026, 11, 20, 16, 30, tzinfo=sla.calendar.zone)  # a Friday in Berlin
    target = sla.targets[Priority.P1]
    assert sla.calendar.time_zone == "Europe/Berlin"
    assert target.response == dt.timedelta(hours=4) and target.resolution == dt.timedelta(hours=8)
    assert sla.calendar.add(logged, target.response) == dt.datetime(2026, 11, 23, 11, 30, tzinfo=sla.calendar.zone)
    assert set(sla.targets) == set(Priority)


async def test_a_calendar_with_its_own_zone_and_holidays_ignores_the_sites_zone(session: AsyncSession) -> None:
    level = await an_sla(
        session,
        "8X5-BY",
        time_zone="Europe/Berlin",
        holiday_country="DE",
        holiday_subdivision="BY",
        closures=[D(2026, 12, 24)],
    )
    unknown = uuid.uuid4()

    facts = await service_levels.load_service_level_facts(session, [level.id, unknown], time_zone_for_site="Asia/Tokyo")

    calendar = facts[level.id].calendar
    assert set(facts) == {level.id}
    assert calendar.time_zone == "Europe/Berlin"
    assert not calendar.is_working_day(D(2026, 1, 6))  # Epiphany, a holiday in Bavaria
    assert not calendar.is_working_day(D(2026, 12, 24))  # a closure day
    assert calendar.is_working_day(D(2026, 12, 23))


async def test_without_any_zone_the_sla_clock_runs_in_utc(session: AsyncSession) -> None:
    level = await an_sla(session, "8X5-UTC", time_zone=None)

    facts = await service_levels.load_service_level_facts(session, {level.id})

    assert facts[level.id].calendar.time_zone == "UTC"
    assert await service_levels.load_service_level_facts(session, []) == {}
