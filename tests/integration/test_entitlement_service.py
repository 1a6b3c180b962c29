"""Entitlement through the services: facts loaded from the database, quota consumed once."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.choices import CoveredBy, Priority, Reason
from contracts.models import EntitlementUsage
from contracts.services.entitlement_usage import consume
from core.auth import Principal, Role
from core.db import session_scope
from service_mgmt.services.entitlement_check import EntitlementQuery, run_entitlement_check
from tests.integration.contract_fixtures import contract_for, installed_printer, warranty_for

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_AFTERNOON = dt.datetime(2026, 11, 20, 16, 30, tzinfo=BERLIN)
AGENT = Principal(user_id=uuid.uuid4(), username="agent", role=Role.AGENT)


async def test_a_covered_unit_gets_the_contract_and_a_due_time_in_the_site_zone(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await warranty_for(session, it, ends_on=dt.date(2026, 6, 30))
    await contract_for(session, it)

    decision = await run_entitlement_check(
        session,
        AGENT,
        EntitlementQuery(customer_id=it.customer_id, equipment_id=it.equipment_id, priority=Priority.P1),
        FRIDAY_AFTERNOON,
    )

    assert decision.covered_by is CoveredBy.CONTRACT_LINE
    assert decision.due is not None and decision.due.response_due == dt.datetime(2026, 11, 23, 11, 30, tzinfo=BERLIN)
    assert [c.reason for c in decision.candidates] == [Reason.EXPIRED, Reason.APPLIES]
    assert decision.remaining is not None and decision.remaining.visits == 10


async def test_consumption_is_counted_once_per_work_order(session: AsyncSession) -> None:
    it = await installed_printer(session)
    _, line = await contract_for(session, it, visits=2)

    first = await consume(session, AGENT, line.id, "WO-1", visits=1, moment=FRIDAY_AFTERNOON)
    replay = await consume(session, AGENT, line.id, "WO-1", visits=1, moment=FRIDAY_AFTERNOON)
    second = await consume(session, AGENT, line.id, "WO-2", visits=1, moment=FRIDAY_AFTERNOON)
    third = await consume(session, AGENT, line.id, "WO-3", visits=1, moment=FRIDAY_AFTERNOON)
    decision = await run_entitlement_check(
        session, AGENT, EntitlementQuery(customer_id=it.customer_id, equipment_id=it.equipment_id), FRIDAY_AFTERNOON
    )

    assert (first.visits, replay.visits, replay.replayed, second.visits, third.visits) == (1, 1, True, 1, 0)
    assert decision.covered_by is CoveredBy.NONE
    assert decision.candidates[0].reason is Reason.QUOTA_EXHAUSTED


async def test_someone_elses_equipment_is_not_found(session: AsyncSession) -> None:
    mine = await installed_printer(session, "Mine")
    theirs = await installed_printer(session, "Theirs")
    portal = Principal(user_id=uuid.uuid4(), username="c", role=Role.CUSTOMER, customer_id=mine.customer_id)

    from core.errors import NotFound

    with pytest.raises(NotFound):
        await run_entitlement_check(
            session,
            portal,
            EntitlementQuery(customer_id=theirs.customer_id, equipment_id=theirs.equipment_id),
            FRIDAY_AFTERNOON,
        )
    with pytest.raises(NotFound):
        await run_entitlement_check(
            session,
            AGENT,
            EntitlementQuery(customer_id=mine.customer_id, equipment_id=theirs.equipment_id),
            FRIDAY_AFTERNOON,
        )


async def test_twenty_concurrent_consumers_get_exactly_the_quota(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        it = await installed_printer(session)
        _, line = await contract_for(session, it, visits=5)
    line_id = line.id

    async def one_work_order(n: int) -> int:
        async with session_scope(sessions) as session:
            grant = await consume(session, AGENT, line_id, f"WO-{n}", visits=1, moment=FRIDAY_AFTERNOON)
            return grant.visits

    granted = await asyncio.gather(*(one_work_order(n) for n in range(20)))

    async with sessions() as session:
        recorded = await session.scalar(select(func.sum(EntitlementUsage.visits)))
    assert sum(granted) == 5 and granted.count(1) == 5
    assert recorded == 5
