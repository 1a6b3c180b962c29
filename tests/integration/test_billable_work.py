"""Billable items from confirmations: priced, minus coverage, quota consumed once per work order."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.models import BillableItem, EntitlementUsage
from core import outbox
from core.auth import SYSTEM
from core.db import session_scope
from core.errors import Conflict
from service_mgmt.models import WorkOrder
from service_mgmt.services.billable_work import record_billable_items
from service_mgmt.services.work_completion import after_completion
from tests.integration.billable_fixtures import (
    COMPLETED_AT,
    MORNING,
    completed,
    confirm,
    engineer,
    hours,
    job,
    service_products,
    spare_part,
)
from tests.integration.contract_fixtures import contract_for, installed_printer, warranty_for

D = Decimal


def summary(items: list[BillableItem]) -> list[tuple[str, str, str, str, str, str]]:
    """(line key without ids, quantity, unit price, coverage %, covered, amount) per item."""
    return [
        (
            i.line_key.split(":")[0] + (":beyond_quota" if i.line_key.endswith("beyond_quota") else ""),
            f"{D(i.quantity):.2f}",
            f"{D(i.unit_price):.2f}",
            f"{D(i.coverage_pct):.2f}",
            f"{D(i.covered_amount):.2f}",
            f"{D(i.amount):.2f}",
        )
        for i in items
    ]


def add_up(items: list[BillableItem]) -> bool:
    return all(
        D(i.covered_amount) + D(i.amount) == (D(i.quantity) * D(i.unit_price)).quantize(D("0.01"), ROUND_HALF_UP)
        for i in items
    )


async def usage_rows(session: AsyncSession) -> list[EntitlementUsage]:
    return list((await session.scalars(select(EntitlementUsage))).all())


async def test_a_warranty_covering_everything_records_items_at_zero_with_the_covered_amount(
    session: AsyncSession,
) -> None:
    it = await installed_printer(session)
    await warranty_for(session, it, ends_on=dt.date(2026, 12, 31))
    await service_products(session)
    fuser = await spare_part(session, "FUSER-1", "120.00")
    erik = await engineer(session, "E-000001", "Erik")
    work = await job(session, it)
    await confirm(
        session,
        work,
        work.tasks[0],
        erik,
        travel=[hours(MORNING, 0.5)],
        work=[hours(MORNING + dt.timedelta(hours=0.5), 1.5)],
        parts=[(fuser, "1")],
    )

    items = await record_billable_items(session, SYSTEM, completed(work), COMPLETED_AT)

    assert work.request.covered_by == "warranty"
    assert summary(items) == [
        ("labour", "1.50", "98.00", "100.00", "147.00", "0.00"),
        ("travel", "1.00", "85.00", "100.00", "85.00", "0.00"),
        ("part", "1.00", "120.00", "100.00", "120.00", "0.00"),
    ]
    assert {(i.source_kind, i.source_ref, i.service_date, i.status) for i in items} == {
        ("work_order", work.work_order.number, COMPLETED_AT.date(), "open")
    }
    assert {i.currency for i in items} == {"EUR"} and {i.customer_id for i in items} == {it.customer_id}
    assert await usage_rows(session) == []  # a warranty has no quota


async def test_a_two_hour_quota_covers_two_of_three_hours_and_bills_the_third(session: AsyncSession) -> None:
    it = await installed_printer(session)
    _, line = await contract_for(session, it)
    line.quota_hours = D(2)
    await service_products(session)
    erik = await engineer(session, "E-000001", "Erik")
    work = await job(session, it)
    await confirm(
        session, work, work.tasks[0], erik, work=[hours(MORNING, 1), hours(MORNING + dt.timedelta(hours=2), 2)]
    )

    items = await record_billable_items(session, SYSTEM, completed(work), COMPLETED_AT)

    assert work.request.covered_by == "contract_line"
    assert summary(items) == [
        ("labour", "2.00", "98.00", "100.00", "196.00", "0.00"),
        ("labour:beyond_quota", "1.00", "98.00", "0.00", "0.00", "98.00"),
        ("travel", "1.00", "85.00", "100.00", "85.00", "0.00"),
    ]
    [usage] = await usage_rows(session)
    assert (usage.work_order_ref, usage.visits, usage.hours) == (work.work_order.number, 1, D(2))


async def test_the_granted_hours_go_to_the_engineer_who_started_first(session: AsyncSession) -> None:
    it = await installed_printer(session)
    _, line = await contract_for(session, it)
    line.quota_hours = D(2)
    await service_products(session, flat_travel=None)
    erik = await engineer(session, "E-000001", "Erik")
    frida = await engineer(session, "E-000002", "Frida")
    work = await job(session, it)
    await confirm(
        session,
        work,
        work.tasks[0],
        frida,
        work=[hours(MORNING + dt.timedelta(hours=1), 1.5)],
        crew=[(erik, [hours(MORNING, 1.5)])],
    )

    items = await record_billable_items(session, SYSTEM, completed(work), COMPLETED_AT)

    by_key = {i.line_key: i for i in items}
    assert D(by_key[f"labour:{erik.id}"].quantity) == D("1.5") and D(by_key[f"labour:{erik.id}"].amount) == 0
    assert D(by_key[f"labour:{frida.id}"].quantity) == D("0.5") and D(by_key[f"labour:{frida.id}"].amount) == 0
    beyond = by_key[f"labour:{frida.id}:beyond_quota"]
    assert (D(beyond.quantity), D(beyond.amount), beyond.description) == (
        D(1),
        D("98.00"),
        "Labour, Frida, beyond the included hours",
    )
    assert [i.kind for i in items] == ["labour"] * 3  # no travel time, no flat rate: no travel item


async def test_a_parts_value_quota_covers_parts_in_recorded_order_and_blends_the_straddling_one(
    session: AsyncSession,
) -> None:
    it = await installed_printer(session)
    _, line = await contract_for(session, it)
    line.quota_parts_value = D("200.00")
    await service_products(session)
    fuser = await spare_part(session, "FUSER-1", "120.00")
    roller = await spare_part(session, "ROLLER-2", "50.00")
    drum = await spare_part(session, "DRUM-3", "30.00")
    erik = await engineer(session, "E-000001", "Erik")
    work = await job(session, it)
    await confirm(session, work, work.tasks[0], erik, parts=[(fuser, "1"), (roller, "2"), (drum, "1")])

    items = await record_billable_items(session, SYSTEM, completed(work), COMPLETED_AT)

    parts = [i for i in items if i.kind == "parts"]
    assert sorted(summary(parts)) == sorted(
        [
            ("part", "1.00", "120.00", "100.00", "120.00", "0.00"),
            ("part", "2.00", "50.00", "80.00", "80.00", "20.00"),  # 80 of its 100 left in the quota
            ("part", "1.00", "30.00", "0.00", "0.00", "30.00"),
        ]
    )
    [usage] = await usage_rows(session)
    assert (usage.parts_value, usage.hours) == (D("200.00"), D(0))
    assert add_up(items)


async def test_without_coverage_everything_is_billed_and_travel_is_timed_at_the_labour_rate(
    session: AsyncSession,
) -> None:
    it = await installed_printer(session)
    await service_products(session, flat_travel=None)
    fuser = await spare_part(session, "FUSER-1", "120.00")
    erik = await engineer(session, "E-000001", "Erik")
    work = await job(session, it, task_names=("Diagnose", "Repair"))
    await confirm(session, work, work.tasks[0], erik, travel=[hours(MORNING, 0.75)], work=[hours(MORNING, 1)])
    await confirm(
        session,
        work,
        work.tasks[1],
        erik,
        work=[hours(MORNING + dt.timedelta(hours=3), 2)],
        parts=[(fuser, "1")],
    )

    items = await record_billable_items(session, SYSTEM, completed(work), COMPLETED_AT)

    assert work.request.covered_by == "none"
    assert summary(items) == [
        ("labour", "3.00", "98.00", "0.00", "0.00", "294.00"),
        ("travel", "0.75", "98.00", "0.00", "0.00", "73.50"),  # the second visit recorded no travel
        ("part", "1.00", "120.00", "0.00", "0.00", "120.00"),
    ]
    assert items[1].line_key == f"travel:{work.tasks[0].id}" and items[1].description == "Travel, Diagnose"
    assert await usage_rows(session) == []


async def test_amounts_are_rounded_half_up_to_the_cent_and_add_up_exactly(session: AsyncSession) -> None:
    it = await installed_printer(session)
    _, line = await contract_for(session, it)
    line.labour_pct, line.parts_pct = D(50), D(50)
    await service_products(session, labour="97.55")
    odd = await spare_part(session, "ODD-1", "10.3350")
    fee = await spare_part(session, "FEE-1", "32.1700")
    erik = await engineer(session, "E-000001", "Erik")
    work = await job(session, it)
    # 20 minutes of work: 0.33 h
    await confirm(
        session,
        work,
        work.tasks[0],
        erik,
        work=[(MORNING, MORNING + dt.timedelta(minutes=20))],
        parts=[(odd, "3"), (fee, "1")],
    )

    items = await record_billable_items(session, SYSTEM, completed(work), COMPLETED_AT)

    assert sorted(summary(items)) == sorted(  # parts recorded in one go: their order is not the point here
        [
            # 0.33 × 97.55 = 32.1915 → 32.19; half of it 16.095 → 16.10 (half-up)
            ("labour", "0.33", "97.55", "50.00", "16.10", "16.09"),
            ("travel", "1.00", "85.00", "100.00", "85.00", "0.00"),
            # 3 × 10.335 = 31.005 → 31.01; half 15.505 → 15.51
            ("part", "3.00", "10.34", "50.00", "15.51", "15.50"),
            # 32.17 / 2 = 16.085 → 16.09 (banker's rounding would say 16.08)
            ("part", "1.00", "32.17", "50.00", "16.09", "16.08"),
        ]
    )
    assert D("10.3350") in {D(i.unit_price) for i in items}  # shown as 10.34 above
    assert add_up(items)


async def test_a_second_call_returns_the_same_items_and_consumes_nothing_more(session: AsyncSession) -> None:
    it = await installed_printer(session)
    _, line = await contract_for(session, it)
    line.quota_hours = D(2)
    await service_products(session)
    erik = await engineer(session, "E-000001", "Erik")
    work = await job(session, it)
    await confirm(session, work, work.tasks[0], erik, work=[hours(MORNING, 3)])
    order = completed(work)

    first = await record_billable_items(session, SYSTEM, order, COMPLETED_AT)
    again = await record_billable_items(session, SYSTEM, order, COMPLETED_AT + dt.timedelta(days=2))

    assert [i.id for i in again] == [i.id for i in first]
    assert len(await usage_rows(session)) == 1
    count = await session.scalar(select(func.count()).select_from(BillableItem))
    assert count == len(first) == 3


async def test_a_missing_labour_price_refuses_the_completion_naming_the_sku(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await contract_for(session, it)
    erik = await engineer(session, "E-000001", "Erik")
    work = await job(session, it)
    await confirm(session, work, work.tasks[0], erik, work=[hours(MORNING, 1)])

    with pytest.raises(Conflict) as refused:
        await record_billable_items(session, SYSTEM, completed(work), COMPLETED_AT)

    assert refused.value.code == "price_missing" and refused.value.extra == {"sku": "SVC-LABOUR"}
    assert await usage_rows(session) == []  # refused before any quota was taken


async def test_a_part_priced_in_another_currency_than_the_contract_is_refused(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await contract_for(session, it)
    await service_products(session)
    imported = await spare_part(session, "US-9", "40.00", currency="USD")
    erik = await engineer(session, "E-000001", "Erik")
    work = await job(session, it)
    await confirm(session, work, work.tasks[0], erik, work=[hours(MORNING, 1)], parts=[(imported, "1")])

    with pytest.raises(Conflict) as refused:
        await record_billable_items(session, SYSTEM, completed(work), COMPLETED_AT)

    assert refused.value.code == "currency_mismatch"
    assert refused.value.extra == {"sku": "US-9", "currency": "USD", "expected_currency": "EUR"}
    assert await usage_rows(session) == []


async def test_a_visit_quota_used_up_since_the_call_bills_the_travel(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await contract_for(session, it, visits=1)
    await service_products(session)
    erik = await engineer(session, "E-000001", "Erik")
    first, second = await job(session, it), await job(session, it)  # both logged while a visit was left
    for work in (first, second):
        await confirm(session, work, work.tasks[0], erik, work=[hours(MORNING, 1)])
        await record_billable_items(session, SYSTEM, completed(work), COMPLETED_AT)

    items = await record_billable_items(session, SYSTEM, second.work_order, COMPLETED_AT)

    assert second.request.covered_by == "contract_line"
    assert summary(items) == [
        ("labour", "1.00", "98.00", "100.00", "98.00", "0.00"),  # no hours quota on this line
        ("travel", "1.00", "85.00", "0.00", "0.00", "85.00"),
    ]
    assert sorted(u.visits for u in await usage_rows(session)) == [0, 1]


async def test_a_work_order_without_confirmations_bills_nothing_and_consumes_nothing(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await contract_for(session, it)
    work = await job(session, it)

    assert await record_billable_items(session, SYSTEM, completed(work), COMPLETED_AT) == []
    assert await usage_rows(session) == []


async def test_completion_records_the_items_and_queues_the_report(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await warranty_for(session, it, ends_on=dt.date(2026, 12, 31))
    await service_products(session)
    erik = await engineer(session, "E-000001", "Erik")
    work = await job(session, it)
    await confirm(session, work, work.tasks[0], erik, work=[hours(MORNING, 1)])

    await after_completion(session, SYSTEM, completed(work), COMPLETED_AT)

    assert await session.scalar(select(func.count()).select_from(BillableItem)) == 2
    queued = await session.scalar(select(func.count()).select_from(outbox.OutboxMessage))
    assert queued == 1


async def test_concurrent_completions_record_the_items_and_consume_the_quota_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(sessions) as session:
        it = await installed_printer(session)
        _, line = await contract_for(session, it)
        line.quota_hours = D(2)
        await service_products(session)
        erik = await engineer(session, "E-000001", "Erik")
        work = await job(session, it)
        await confirm(session, work, work.tasks[0], erik, work=[hours(MORNING, 3)])
        completed(work)
        work_order_id = work.work_order.id

    async def complete() -> list[str]:
        async with session_scope(sessions) as s:
            order = await s.get(WorkOrder, work_order_id)
            assert order is not None
            return [str(i.id) for i in await record_billable_items(s, SYSTEM, order, COMPLETED_AT)]

    answers = await asyncio.gather(*(complete() for _ in range(5)))

    assert all(answer == answers[0] for answer in answers) and len(answers[0]) == 3
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(BillableItem)) == 3
        [usage] = await usage_rows(s)
        assert usage.hours == D(2)
