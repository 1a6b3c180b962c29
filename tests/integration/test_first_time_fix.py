"""First-time fix: a return within 30 days undoes the previous repair's fix; the rate, final and provisional."""

from __future__ import annotations

import datetime as dt
import uuid
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import Priority, ServiceType
from core.audit import audit_log
from core.auth import Principal, Role
from core.clock import FixedClock
from core.errors import Invalid
from service_mgmt.models import WorkOrder
from service_mgmt.services.first_time_fix import first_time_fix_rate
from service_mgmt.services.work_orders import WorkOrderCreate, create_work_order
from tests.integration.contract_fixtures import Installed, installed_printer

PLANNER = Principal(user_id=uuid.uuid4(), username="planner", role=Role.PLANNER)
NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)


async def completed_repair(
    session: AsyncSession,
    it: Installed,
    completed_at: dt.datetime,
    *,
    first_time_fix: bool | None = True,
    service_type: str = "repair",
    number: str | None = None,
) -> WorkOrder:
    """A repair order as completion leaves it (the one-visit flag set by the completion step)."""
    order = WorkOrder(
        number=number or f"WO-T{uuid.uuid4().hex[:8]}",
        customer_id=it.customer_id,
        site_id=it.site_id,
        equipment_id=it.equipment_id,
        service_type=service_type,
        priority="P3",
        status="completed",
        completed_at=completed_at,
        first_time_fix=first_time_fix,
    )
    session.add(order)
    await session.flush()
    return order


async def new_order(session: AsyncSession, it: Installed, service_type: ServiceType = ServiceType.REPAIR) -> UUID:
    data = WorkOrderCreate(
        customer_id=it.customer_id,
        site_id=it.site_id,
        equipment_id=it.equipment_id,
        service_type=service_type,
        priority=Priority.P3,
    )
    view = await create_work_order(session, PLANNER, data, clock=FixedClock(NOW))
    return view.work_order.id


async def test_a_repair_within_30_days_is_a_return_and_the_previous_fix_did_not_hold(session: AsyncSession) -> None:
    it = await installed_printer(session)
    older = await completed_repair(session, it, NOW - dt.timedelta(days=25))
    previous = await completed_repair(session, it, NOW - dt.timedelta(days=10))

    returned_with = await new_order(session, it)

    assert previous.first_time_fix is False
    assert older.first_time_fix is True  # only the last repair is undone by a return
    rows = (
        await session.execute(
            select(audit_log.c.actor_name, audit_log.c.after).where(
                audit_log.c.entity_id == str(previous.id), audit_log.c.action == "first_time_fix_revoked"
            )
        )
    ).all()
    [(actor, after)] = rows
    assert actor == "planner"
    assert after["first_time_fix"] is False and after["return_work_order_id"] == str(returned_with)


@pytest.mark.parametrize(
    ("days_ago", "previous_type", "new_type", "flag"),
    [
        (31, "repair", ServiceType.REPAIR, True),  # outside the window: the fix held
        (5, "maintenance", ServiceType.REPAIR, True),  # a maintenance visit is no repair to undo
        (5, "repair", ServiceType.INSPECTION, True),  # an inspection is no return
        (5, "repair", ServiceType.REPAIR, None),  # the fix was never recorded: nothing to undo
    ],
)
async def test_what_is_no_return(
    session: AsyncSession, days_ago: int, previous_type: str, new_type: ServiceType, flag: bool | None
) -> None:
    it = await installed_printer(session)
    previous = await completed_repair(
        session, it, NOW - dt.timedelta(days=days_ago), service_type=previous_type, first_time_fix=flag
    )

    await new_order(session, it, new_type)

    assert previous.first_time_fix is flag


async def test_the_rate_counts_final_completions_and_reports_young_ones_as_provisional(session: AsyncSession) -> None:
    it = await installed_printer(session)
    for days_ago, fixed in [(60, True), (50, True), (45, False), (40, True), (20, True), (5, False)]:
        await completed_repair(session, it, NOW - dt.timedelta(days=days_ago), first_time_fix=fixed)
    await completed_repair(session, it, NOW - dt.timedelta(days=42), first_time_fix=None)  # unknown: left out
    await completed_repair(session, it, NOW - dt.timedelta(days=41), service_type="maintenance")
    await completed_repair(session, it, NOW - dt.timedelta(days=90))  # before the period

    rate = await first_time_fix_rate(session, (NOW - dt.timedelta(days=70)).date(), NOW.date(), NOW)

    assert (rate.final.completed, rate.final.first_time_fixes, rate.final.rate) == (4, 3, 0.75)
    assert (rate.provisional.completed, rate.provisional.first_time_fixes, rate.provisional.rate) == (2, 1, 0.5)
    assert rate.final_before == NOW - dt.timedelta(days=30)
    empty = await first_time_fix_rate(session, dt.date(2020, 1, 1), dt.date(2020, 1, 31), NOW)
    assert empty.final.rate is None and empty.provisional.completed == 0
    with pytest.raises(Invalid) as backwards:
        await first_time_fix_rate(session, dt.date(2026, 2, 1), dt.date(2026, 1, 1), NOW)
    assert (backwards.value.code, backwards.value.field) == ("invalid_period", "to")
