"""Demo contracts: a believable contracts layer over the demo installed base, the same for the same seed."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import ContractStatus, CoveredBy, Reason
from contracts.models import (
    ContractLine,
    ContractLineEquipment,
    CoverageCalendarRecord,
    EntitlementUsage,
    ProductWarrantyTerm,
    ServiceContract,
    ServiceLevel,
    ServiceLevelTarget,
    Warranty,
    WarrantyTerm,
)
from core.auth import Principal, Role
from masterdata.models import Customer, Equipment, Site
from service_mgmt.demo_contracts import load_demo_contracts
from service_mgmt.demo_data import REFERENCE_DATE, DemoSize, load_demo_data
from service_mgmt.services.entitlement_check import EntitlementQuery, run_entitlement_check

SMALL = DemoSize(customers=30, equipment=300, engineers=3)
SEED = 11
ADMIN = Principal(user_id=uuid.uuid4(), username="admin", role=Role.ADMIN)
# The Monday after the demo data's reference date, mid-morning in the sites' zone.
MONDAY_MORNING = dt.datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


async def _load(session: AsyncSession, size: DemoSize = SMALL, seed: int = SEED, share: float = 1.0) -> Any:
    await load_demo_data(session, size)
    return await load_demo_contracts(session, seed=seed, contract_share=share)


async def _count(session: AsyncSession, model: type[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_about_one_contract_per_customer_and_every_unit_has_its_warranty(session: AsyncSession) -> None:
    summary = await _load(session)

    assert summary.contracts == await _count(session, ServiceContract) == SMALL.customers
    assert summary.contract_lines == await _count(session, ContractLine) >= summary.contracts
    assert summary.listed_equipment == await _count(session, ContractLineEquipment) > 0
    assert summary.usage == await _count(session, EntitlementUsage) > 0
    assert summary.warranties == await _count(session, Warranty) == SMALL.equipment + summary.extended_warranties
    manufacturer = await session.scalar(
        select(func.count(func.distinct(Warranty.equipment_id))).where(Warranty.kind == "manufacturer")
    )
    assert manufacturer == SMALL.equipment
    statuses = dict(
        (await session.execute(select(ServiceContract.status, func.count()).group_by(ServiceContract.status)))
        .tuples()
        .all()
    )
    assert statuses[ContractStatus.ACTIVE.value] > SMALL.customers // 2
    assert set(statuses) <= {s.value for s in ContractStatus}
    numbers = (await session.scalars(select(ServiceContract.number).order_by(ServiceContract.number))).all()
    assert numbers == [f"SC-{n:06d}" for n in range(1, SMALL.customers + 1)]


async def test_calendars_levels_and_terms_are_complete(session: AsyncSession) -> None:
    summary = await _load(session)

    calendars = (await session.scalars(select(CoverageCalendarRecord))).all()
    assert len(calendars) == summary.calendars
    eight_to_five = next(c for c in calendars if c.code == "8X5-BY")
    assert (eight_to_five.time_zone, eight_to_five.holiday_country, eight_to_five.holiday_subdivision) == (
        None,
        "DE",
        "BY",
    )
    assert [(w["weekday"], w["start"], w["end"]) for w in eight_to_five.windows] == [
        (day, "08:00", "17:00") for day in range(5)
    ]
    assert next(c for c in calendars if c.code == "24X7").holiday_country is None

    targets = await session.execute(
        select(ServiceLevelTarget.service_level_id, func.count()).group_by(ServiceLevelTarget.service_level_id)
    )
    assert (
        sorted(n for _, n in targets.tuples())
        == [4] * summary.service_levels
        == [4] * await _count(session, ServiceLevel)
    )
    gold = await session.scalar(select(ServiceLevel).where(ServiceLevel.code == "GOLD"))
    assert gold is not None and gold.name == "Gold 24×7 4h"
    # Every serialized demo product has a default term, and some terms also end at a count.
    assert await _count(session, ProductWarrantyTerm) == 20
    assert await session.scalar(select(func.count()).where(WarrantyTerm.counter_name.is_not(None))) == 3


async def test_contracts_are_consistent(session: AsyncSession) -> None:
    await _load(session)

    contracts = {c.id: c for c in (await session.scalars(select(ServiceContract))).all()}
    lines = (await session.scalars(select(ContractLine))).all()
    listed: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for line_id, equipment_id in await session.execute(
        select(ContractLineEquipment.line_id, ContractLineEquipment.equipment_id)
    ):
        listed[line_id].append(equipment_id)
    owners = dict((await session.execute(select(Equipment.id, Equipment.customer_id))).tuples().all())
    site_owners = dict((await session.execute(select(Site.id, Site.customer_id))).tuples().all())

    assert {line.contract_id for line in lines} == set(contracts)  # every contract has a line
    for line in lines:
        contract = contracts[line.contract_id]
        assert listed[line.id] or line.site_id or line.product_family, "a line covers something"
        assert all(owners[unit] == contract.customer_id for unit in listed[line.id])
        assert line.site_id is None or site_owners[line.site_id] == contract.customer_id
        assert line.service_level_id is not None
        assert all(0 <= pct <= 100 for pct in (line.labour_pct, line.parts_pct, line.travel_pct))
    for contract in contracts.values():
        assert contract.starts_on <= contract.ends_on
        assert contract.fee_amount > 0 and contract.currency == "EUR"
        live = contract.starts_on <= REFERENCE_DATE <= contract.ends_on
        assert live == (contract.status not in ("draft", "expired")), contract.number
        usage = (contract.usage_counter_name, contract.usage_included_volume, contract.usage_unit_price)
        assert usage[0] in (None, "pages") and (None in usage) == (usage[0] is None)


async def test_warranties_end_after_they_start_and_usage_stays_within_quota(session: AsyncSession) -> None:
    await _load(session)

    warranties = (await session.scalars(select(Warranty))).all()
    assert all(w.ends_on is not None and w.ends_on > w.starts_on for w in warranties)
    assert any(w.counter_limit is not None for w in warranties)
    by_unit: dict[uuid.UUID, list[Warranty]] = defaultdict(list)
    for warranty in warranties:
        by_unit[warranty.equipment_id].append(warranty)
    for unit_warranties in by_unit.values():
        extended = [w for w in unit_warranties if w.kind == "extended"]
        (own,) = [w for w in unit_warranties if w.kind == "manufacturer"]
        assert all(own.ends_on and w.starts_on == own.ends_on + dt.timedelta(days=1) for w in extended)

    used = await session.execute(
        select(ContractLine.quota_visits, func.sum(EntitlementUsage.visits))
        .join(EntitlementUsage, EntitlementUsage.line_id == ContractLine.id)
        .group_by(ContractLine.id, ContractLine.quota_visits, EntitlementUsage.period_start)
    )
    assert all(quota is None or visits <= quota for quota, visits in used.tuples())


async def test_share_scales_the_number_of_contracts(session: AsyncSession) -> None:
    summary = await _load(session, share=2.0)

    assert summary.contracts == 2 * SMALL.customers
    biggest = await session.scalar(
        select(func.count()).select_from(ServiceContract).group_by(ServiceContract.customer_id).order_by(
            func.count().desc()
        ).limit(1)
    )  # fmt: skip
    assert biggest and biggest >= 2


async def _content(session: AsyncSession) -> list[tuple[Any, ...]]:
    rows = await session.execute(
        select(
            ServiceContract.number, Customer.number, ServiceContract.name, ServiceContract.status,
            ServiceContract.starts_on, ServiceContract.ends_on, ServiceContract.fee_amount,
            ServiceContract.billing_period, ContractLine.description, Site.name, ContractLine.product_family,
            ServiceLevel.code, ContractLine.labour_pct, ContractLine.parts_pct, ContractLine.travel_pct,
            ContractLine.quota_visits, ContractLine.excluded_service_types,
        )
        .join(Customer, Customer.id == ServiceContract.customer_id)
        .join(ContractLine, ContractLine.contract_id == ServiceContract.id)
        .join(ServiceLevel, ServiceLevel.id == ContractLine.service_level_id)
        .outerjoin(Site, Site.id == ContractLine.site_id)
    )  # fmt: skip
    listed = await session.execute(
        select(ServiceContract.number, Equipment.serial_number)
        .join(ContractLine, ContractLine.contract_id == ServiceContract.id)
        .join(ContractLineEquipment, ContractLineEquipment.line_id == ContractLine.id)
        .join(Equipment, Equipment.id == ContractLineEquipment.equipment_id)
    )
    return sorted(tuple(map(str, row)) for row in [*rows, *listed])


async def test_same_seed_same_contracts_other_seed_other_contracts(session: AsyncSession) -> None:
    await _load(session)
    first = await _content(session)
    await session.rollback()

    await _load(session)
    again = await _content(session)
    await session.rollback()

    await _load(session, seed=SEED + 1)
    other = await _content(session)

    assert first == again
    assert len(first) > SMALL.customers
    assert first != other


async def test_listed_units_are_judged_by_their_line(session: AsyncSession) -> None:
    await _load(session)
    listed = (
        await session.execute(
            select(ContractLineEquipment.line_id, Equipment.id, Equipment.customer_id)
            .join(Equipment, Equipment.id == ContractLineEquipment.equipment_id)
            .join(ContractLine, ContractLine.id == ContractLineEquipment.line_id)
            .join(ServiceContract, ServiceContract.id == ContractLine.contract_id)
            .where(ServiceContract.status == ContractStatus.ACTIVE.value)
            .order_by(Equipment.serial_number)
        )
    ).all()
    assert listed

    outcomes = []
    for line_id, equipment_id, customer_id in listed:
        decision = await run_entitlement_check(
            session, ADMIN, EntitlementQuery(customer_id=customer_id, equipment_id=equipment_id), MONDAY_MORNING
        )
        (own_line,) = [c for c in decision.candidates if c.id == line_id]
        assert own_line.kind is CoveredBy.CONTRACT_LINE
        assert own_line.reason is not Reason.OBJECT_NOT_COVERED
        outcomes.append(decision.covered_by)

    assert CoveredBy.CONTRACT_LINE in outcomes


async def test_refuses_without_demo_data_or_when_loaded_already(session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="demo data"):
        await load_demo_contracts(session, seed=SEED)
    await _load(session, DemoSize(customers=5, equipment=20, engineers=1))
    with pytest.raises(ValueError, match="no calendars"):
        await load_demo_contracts(session, seed=SEED)


async def test_reports_progress_per_table(session: AsyncSession) -> None:
    seen: dict[str, tuple[int, int]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        assert 0 <= done <= total
        seen[stage] = (done, total)

    await load_demo_data(session, SMALL)
    summary = await load_demo_contracts(session, seed=SEED, progress=progress)

    assert set(seen) == {
        "calendars", "service levels", "warranty terms", "warranties", "contracts", "contract lines",
        "line equipment", "usage",
    }  # fmt: skip
    assert seen["contracts"] == (summary.contracts, summary.contracts)
    assert seen["warranties"] == (summary.warranties, summary.warranties)
