"""The facts an entitlement check reads in its few statements: readings, quota periods, sites, targets."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import CoveredBy, Priority, Reason
from contracts.entitlement_rule import Candidate, Decision
from contracts.models import ContractLine, ServiceLevelTarget
from contracts.services.entitlement_usage import consume
from core.auth import Principal, Role
from masterdata.models import Counter, CounterReading
from service_mgmt.services.entitlement_check import EntitlementQuery, run_entitlement_check
from tests.integration.contract_fixtures import Installed, contract_for, installed_printer, warranty_for

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_AFTERNOON = dt.datetime(2026, 11, 20, 16, 30, tzinfo=BERLIN)
AGENT = Principal(user_id=uuid.uuid4(), username="agent", role=Role.AGENT)


async def _check(
    session: AsyncSession, it: Installed, *, site_only: bool = False, priority: Priority = Priority.P1
) -> Decision:
    query = (
        EntitlementQuery(customer_id=it.customer_id, site_id=it.site_id, priority=priority)
        if site_only
        else EntitlementQuery(customer_id=it.customer_id, equipment_id=it.equipment_id, priority=priority)
    )
    return await run_entitlement_check(session, AGENT, query, FRIDAY_AFTERNOON)


def _only(decision: Decision, kind: CoveredBy) -> Candidate:
    (candidate,) = [c for c in decision.candidates if c.kind is kind]
    return candidate


async def _read(session: AsyncSession, counter: Counter, value: int, day: dt.date) -> None:
    session.add(
        CounterReading(
            counter_id=counter.id,
            value=Decimal(value),
            read_at=dt.datetime.combine(day, dt.time(9), dt.UTC),
            source="technician",
            kind="regular",
            recorded_by="test",
        )
    )
    await session.flush()


async def test_a_page_limited_warranty_ends_when_the_latest_reading_reaches_the_limit(session: AsyncSession) -> None:
    it = await installed_printer(session)
    warranty = await warranty_for(session, it, ends_on=dt.date(2027, 1, 9))
    warranty.counter_name, warranty.counter_limit = "pages", Decimal(150_000)
    pages = Counter(equipment_id=it.equipment_id, name="pages", unit="pc")
    hours = Counter(equipment_id=it.equipment_id, name="operating_hours", unit="h")
    session.add_all([pages, hours])
    await session.flush()
    await _read(session, pages, 60_000, dt.date(2026, 5, 1))
    await _read(session, pages, 140_000, dt.date(2026, 10, 1))
    await _read(session, hours, 900_000, dt.date(2026, 10, 1))  # another counter: no limit of this warranty

    below = await _check(session, it)
    await _read(session, pages, 150_000, dt.date(2026, 11, 2))
    reached = await _check(session, it)

    assert below.covered_by is CoveredBy.WARRANTY
    assert _only(reached, CoveredBy.WARRANTY).reason is Reason.COUNTER_LIMIT_REACHED
    assert "150000" in _only(reached, CoveredBy.WARRANTY).detail
    assert reached.covered_by is CoveredBy.NONE


async def test_a_monthly_quota_counts_only_this_months_work_orders(session: AsyncSession) -> None:
    it = await installed_printer(session)
    _, line = await contract_for(session, it, visits=2)
    line.quota_period = "month"
    await session.flush()
    october = dt.datetime(2026, 10, 14, 10, tzinfo=BERLIN)
    for order in ("WO-1", "WO-2"):
        await consume(session, AGENT, line.id, order, visits=1, moment=october)

    fresh_month = await _check(session, it)
    await consume(session, AGENT, line.id, "WO-3", visits=1, moment=FRIDAY_AFTERNOON - dt.timedelta(days=3))
    one_used = await _check(session, it)

    assert fresh_month.covered_by is CoveredBy.CONTRACT_LINE
    assert fresh_month.remaining is not None and fresh_month.remaining.visits == 2
    assert one_used.remaining is not None and one_used.remaining.visits == 1


async def _long_contract(session: AsyncSession, it: Installed, quota_period: str, visits: int) -> ContractLine:
    contract, line = await contract_for(session, it, visits=visits)
    contract.starts_on = dt.date(2024, 3, 1)
    line.quota_period = quota_period
    await session.flush()
    return line


async def test_a_term_quota_counts_work_orders_since_the_contract_began(session: AsyncSession) -> None:
    it = await installed_printer(session)
    line = await _long_contract(session, it, "term", visits=3)
    await consume(session, AGENT, line.id, "WO-2024", visits=1, moment=dt.datetime(2024, 4, 2, 9, tzinfo=BERLIN))
    await consume(session, AGENT, line.id, "WO-2026", visits=1, moment=dt.datetime(2026, 2, 2, 9, tzinfo=BERLIN))

    decision = await _check(session, it)

    assert decision.covered_by is CoveredBy.CONTRACT_LINE
    assert decision.remaining is not None and decision.remaining.visits == 1


async def test_a_yearly_quota_refills_on_the_contract_anniversary(session: AsyncSession) -> None:
    it = await installed_printer(session)
    line = await _long_contract(session, it, "year", visits=2)
    for order, moment in (
        ("WO-1", dt.datetime(2025, 2, 27, 9, tzinfo=BERLIN)),  # the year that began on 1 March 2024
        ("WO-2", dt.datetime(2025, 4, 2, 9, tzinfo=BERLIN)),  # the year that began on 1 March 2025
        ("WO-3", dt.datetime(2026, 3, 2, 9, tzinfo=BERLIN)),  # this year, from 1 March 2026
    ):
        await consume(session, AGENT, line.id, order, visits=1, moment=moment)

    decision = await _check(session, it)

    assert decision.remaining is not None and decision.remaining.visits == 1


async def test_a_site_check_finds_the_site_line_but_not_a_line_of_listed_units(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await warranty_for(session, it, ends_on=dt.date(2027, 1, 9))
    contract, listed_line = await contract_for(session, it)
    site_line = ContractLine(
        contract_id=contract.id,
        description="everything at HQ",
        site_id=it.site_id,
        service_level_id=it.service_level_id,
        labour_pct=Decimal(50),
        parts_pct=Decimal(50),
        travel_pct=Decimal(0),
        quota_period="year",
        excluded_service_types=[],
    )
    session.add(site_line)
    await session.flush()

    by_site = await _check(session, it, site_only=True)
    by_unit = await _check(session, it)

    reasons = {c.id: c.reason for c in by_site.candidates}
    assert reasons == {listed_line.id: Reason.OBJECT_NOT_COVERED, site_line.id: Reason.APPLIES}
    assert by_site.winner is not None and by_site.winner.id == site_line.id
    assert {c.id for c in by_unit.candidates if c.reason is Reason.APPLIES} >= {listed_line.id, site_line.id}


async def test_due_times_follow_the_target_of_the_requested_priority(session: AsyncSession) -> None:
    it = await installed_printer(session)  # its service level has a P1 target of 4 business hours
    await contract_for(session, it)
    session.add(
        ServiceLevelTarget(
            service_level_id=it.service_level_id, priority="P3", response_minutes=540, resolution_minutes=1080
        )
    )
    await session.flush()

    p1 = await _check(session, it, priority=Priority.P1)
    p3 = await _check(session, it, priority=Priority.P3)
    p2 = await _check(session, it, priority=Priority.P2)

    assert p1.due is not None and p1.due.response_due == dt.datetime(2026, 11, 23, 11, 30, tzinfo=BERLIN)
    assert p3.due is not None and p3.due.response_due == dt.datetime(2026, 11, 23, 16, 30, tzinfo=BERLIN)
    assert p2.covered_by is CoveredBy.CONTRACT_LINE and p2.due is None


async def test_drafts_are_not_candidates_and_other_customers_lines_are_not_read(session: AsyncSession) -> None:
    it = await installed_printer(session)
    other = await installed_printer(session, "Other")
    await contract_for(session, it, number="SC-000001", status="draft")
    await contract_for(session, other, number="SC-000002")
    await contract_for(session, it, number="SC-000003", status="suspended")

    decision = await _check(session, it)

    assert [(c.label, c.reason) for c in decision.candidates] == [("contract SC-000003", Reason.SUSPENDED)]
