"""Logging calls through the services: entitlement and credit snapshots, lifecycle, SLA pause."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.choices import CoveredBy, Priority, ServiceType
from contracts.models import ContractLine, ServiceContract, ServiceLevel, ServiceLevelTarget
from contracts.services import credit
from core.auth import Principal, Role
from core.clock import FixedClock
from core.db import session_scope
from core.errors import Conflict, IllegalTransition, Invalid, NotFound
from core.listing import PageRequest
from masterdata.models import Product, Site
from service_mgmt.choices import Channel, RequestStatus
from service_mgmt.models import ServiceRequest, ServiceRequestEvent
from service_mgmt.services.entitlement_check import EntitlementQuery, run_entitlement_check
from service_mgmt.services.request_lifecycle import (
    Transition,
    WaitChange,
    resume,
    sla_paused_seconds,
    transition,
    wait_for_customer,
)
from service_mgmt.services.service_requests import (
    RequestCreate,
    RequestFilter,
    RequestUpdate,
    list_requests,
    log_request,
    update_request,
)
from tests.integration.contract_fixtures import Installed, contract_for, installed_printer, warranty_for
from tests.integration.knowledge_fixtures import add_codes

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_AFTERNOON = dt.datetime(2026, 11, 20, 16, 30, tzinfo=BERLIN)
MONDAY_1130_BERLIN = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.UTC)
AGENT = Principal(user_id=uuid.uuid4(), username="agent", role=Role.AGENT)
CONTRACT_ADMIN = Principal(user_id=uuid.uuid4(), username="cadmin", role=Role.CONTRACT_ADMIN)


def clock_at(moment: dt.datetime = FRIDAY_AFTERNOON) -> FixedClock:
    return FixedClock(moment + dt.timedelta(minutes=2))


def call(it: Installed, **overrides: Any) -> RequestCreate:
    fields: dict[str, Any] = {
        "customer_id": it.customer_id,
        "equipment_id": it.equipment_id,
        "symptom": "paper jam in tray 2, error E-204",
        "priority": Priority.P1,
        "service_type": ServiceType.REPAIR,
        "channel": Channel.PHONE,
        "reported_at": FRIDAY_AFTERNOON,
        **overrides,
    }
    return RequestCreate(**fields)


async def labour_hour(session: AsyncSession, price: str = "98.00", currency: str = "EUR") -> None:
    session.add(
        Product(
            sku="SVC-LABOUR",
            name="Labour hour",
            kind="service",
            family="services",
            serialized=False,
            list_price=Decimal(price),
            currency=currency,
            unit="h",
        )
    )
    await session.flush()


async def open_account(session: AsyncSession, customer_id: UUID, currency: str = "EUR") -> None:
    data = credit.CreditAccountCreate(customer_id=customer_id, credit_limit=Decimal("5000.00"), currency=currency)
    await credit.create_account(session, CONTRACT_ADMIN, data)


async def events_of(session: AsyncSession, request_id: UUID) -> list[ServiceRequestEvent]:
    rows = await session.scalars(
        select(ServiceRequestEvent)
        .where(ServiceRequestEvent.request_id == request_id)
        .order_by(ServiceRequestEvent.at, ServiceRequestEvent.id)
    )
    return list(rows)


# --- entitlement snapshot -------------------------------------------------------------------


async def test_a_covered_unit_is_logged_with_the_contract_line_and_its_due_times(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await warranty_for(session, it, ends_on=dt.date(2026, 6, 30))
    await contract_for(session, it, number="SC-000042")

    request = await log_request(session, AGENT, call(it), clock=clock_at())

    assert request.number == "SR-000001" and request.status == "new" and request.logged_by == "agent"
    assert request.site_id == it.site_id  # the unit's site, since none was given
    assert request.covered_by == "contract_line"
    assert (request.labour_pct, request.parts_pct, request.travel_pct) == (Decimal(100),) * 3
    # P1 on 8x5 with 4 h response, called Friday 16:30 Berlin: due Monday 11:30 Berlin.
    assert request.response_due == MONDAY_1130_BERLIN
    # 16 h resolution: half an hour on Friday, nine on Monday, six and a half on Tuesday.
    assert request.resolution_due == dt.datetime(2026, 11, 24, 14, 30, tzinfo=BERLIN)
    snapshot = request.entitlement
    assert snapshot["covered_by"] == "contract_line" and snapshot["billable"] is False
    assert snapshot["winner"]["label"] == "contract SC-000042"
    assert [(c["kind"], c["reason"]) for c in snapshot["candidates"]] == [
        ("warranty", "expired"),
        ("contract_line", "applies"),
    ]
    assert snapshot["due"]["response_due"] == "2026-11-23T10:30:00Z"
    assert snapshot["service_level"]["response_minutes"] == 240
    assert snapshot["service_level"]["pause_on_customer_wait"] is True
    assert snapshot["as_of"] == "2026-11-20T15:30:00Z"
    assert request.credit_outcome is None and request.credit is not None
    assert request.credit["checked"] is False and "not billable" in request.credit["reason"]
    [logged] = await events_of(session, request.id)
    assert (logged.kind, logged.to_status, logged.actor_name) == ("logged", "new", "agent")
    assert logged.detail["covered_by"] == "contract_line"


async def test_the_snapshot_does_not_change_when_the_contract_changes_afterwards(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(sessions) as session:
        it = await installed_printer(session)
        contract, line = await contract_for(session, it)
        request = await log_request(session, AGENT, call(it), clock=clock_at())
        request_id, logged_snapshot = request.id, request.entitlement

    async with session_scope(sessions) as session:
        await session.execute(
            update(ServiceContract).where(ServiceContract.id == contract.id).values(status="suspended")
        )
        await session.execute(update(ContractLine).where(ContractLine.id == line.id).values(labour_pct=Decimal(50)))

    async with sessions() as session:
        stored = await session.get(ServiceRequest, request_id)
        today = await run_entitlement_check(
            session,
            AGENT,
            EntitlementQuery(customer_id=it.customer_id, equipment_id=it.equipment_id, priority=Priority.P1),
            FRIDAY_AFTERNOON,
        )

    assert today.covered_by is CoveredBy.NONE  # the contract change is real...
    assert stored is not None  # ...and the request keeps what was decided when the call came in
    assert stored.entitlement == logged_snapshot
    assert stored.covered_by == "contract_line" and stored.labour_pct == 100
    assert stored.response_due == MONDAY_1130_BERLIN


async def test_the_unit_at_another_site_than_given_is_refused(session: AsyncSession) -> None:
    it = await installed_printer(session)
    annex = Site(customer_id=it.customer_id, name="Annex", country="DE", time_zone="Europe/Berlin", opening_hours=[])
    session.add(annex)
    await session.flush()

    with pytest.raises(Invalid) as refused:
        await log_request(session, AGENT, call(it, site_id=annex.id), clock=clock_at())
    by_site = await log_request(session, AGENT, call(it, equipment_id=None, site_id=annex.id), clock=clock_at())

    assert refused.value.code == "equipment_not_at_site" and refused.value.field == "site_id"
    assert by_site.site_id == annex.id and by_site.equipment_id is None and by_site.covered_by == "none"


# --- credit ---------------------------------------------------------------------------------


async def test_billable_work_of_a_customer_on_credit_hold_stores_the_hold_with_its_reasons(
    session: AsyncSession,
) -> None:
    it = await installed_printer(session)
    await labour_hour(session)
    await open_account(session, it.customer_id)
    await credit.set_hold(session, CONTRACT_ADMIN, it.customer_id, credit.HoldSet(reason="three invoices unpaid"))

    request = await log_request(session, AGENT, call(it), clock=clock_at())

    assert request.covered_by == "none" and request.entitlement["billable"] is True
    assert request.credit_outcome == "hold"
    # No amount given: two labour hours at 98.00, nothing of the labour covered.
    assert request.estimated_amount == Decimal("196.00")
    assert request.credit is not None
    assert request.credit["checked"] is True and request.credit["reference"] == request.number
    assert request.credit["amount"] == {"value": "196.00", "currency": "EUR"}
    reasons = request.credit["reasons"]
    assert [r["code"] for r in reasons] == ["on_hold"]
    assert reasons[0]["hold_reason"] == "three invoices unpaid"
    assert "SVC-LABOUR" in request.credit["estimate"]


async def test_a_customer_without_credit_account_fails_the_check_but_the_call_is_logged(
    session: AsyncSession,
) -> None:
    it = await installed_printer(session)
    await labour_hour(session)

    request = await log_request(session, AGENT, call(it, estimated_amount=Decimal("350.00")), clock=clock_at())

    assert request.status == "new"
    assert request.credit_outcome == "fail" and request.estimated_amount == Decimal("350.00")
    assert request.credit is not None
    assert [r["code"] for r in request.credit["reasons"]] == ["no_credit_account"]
    assert request.credit["amount"]["currency"] == "EUR"
    assert request.credit["estimate"] == "given when the call was logged"


async def test_the_estimate_charges_only_the_labour_share_not_covered(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await labour_hour(session)
    await open_account(session, it.customer_id)
    await warranty_for(session, it, ends_on=dt.date(2026, 12, 31), labour=50)

    request = await log_request(session, AGENT, call(it), clock=clock_at())

    assert request.covered_by == "warranty" and request.labour_pct == 50
    assert request.estimated_amount == Decimal("98.00")
    assert request.credit_outcome == "pass"


async def test_an_unknown_amount_skips_the_credit_check_and_says_why(session: AsyncSession) -> None:
    without_product = await installed_printer(session, "NoPrice")
    other_currency = await installed_printer(session, "Swiss")
    await open_account(session, other_currency.customer_id, currency="CHF")

    no_product = await log_request(session, AGENT, call(without_product), clock=clock_at())
    await labour_hour(session)
    mismatch = await log_request(session, AGENT, call(other_currency), clock=clock_at())

    assert no_product.credit_outcome is None and no_product.estimated_amount is None
    assert no_product.credit is not None and no_product.credit["checked"] is False
    assert "SVC-LABOUR" in no_product.credit["reason"]
    assert mismatch.credit_outcome is None and mismatch.credit is not None
    assert "CHF" in mismatch.credit["reason"] and "EUR" in mismatch.credit["reason"]


async def test_a_given_amount_is_checked_in_the_account_currency(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await open_account(session, it.customer_id, currency="CHF")

    request = await log_request(session, AGENT, call(it, estimated_amount=Decimal("480.00")), clock=clock_at())

    assert request.credit_outcome == "pass"
    assert request.credit is not None and request.credit["amount"] == {"value": "480.00", "currency": "CHF"}


async def test_an_amount_with_more_than_two_decimals_is_refused(session: AsyncSession) -> None:
    it = await installed_printer(session)

    with pytest.raises(Invalid) as refused:
        await log_request(session, AGENT, call(it, estimated_amount=Decimal("10.005")), clock=clock_at())

    assert refused.value.field == "estimated_amount"


# --- who logs -------------------------------------------------------------------------------


async def test_a_customer_logs_through_the_portal_for_its_own_equipment_only(session: AsyncSession) -> None:
    mine = await installed_printer(session, "Mine")
    theirs = await installed_printer(session, "Theirs")
    portal_user = Principal(user_id=uuid.uuid4(), username="portal", role=Role.CUSTOMER, customer_id=mine.customer_id)
    clock = clock_at()

    own = await log_request(
        session,
        portal_user,
        call(mine, channel=Channel.PHONE, reported_at=FRIDAY_AFTERNOON - dt.timedelta(days=3)),
        clock=clock,
    )
    with pytest.raises(NotFound) as foreign_unit:
        await log_request(session, portal_user, call(mine, equipment_id=theirs.equipment_id), clock=clock)
    with pytest.raises(NotFound) as foreign_customer:
        await log_request(session, portal_user, call(theirs), clock=clock)

    assert own.channel == "portal" and own.reported_at == clock.now()
    assert foreign_unit.value.code == "equipment_not_found" and foreign_unit.value.field == "equipment_id"
    assert foreign_customer.value.code == "customer_not_found"


async def test_reported_at_must_be_aware_and_not_in_the_future(session: AsyncSession) -> None:
    it = await installed_printer(session)

    with pytest.raises(Invalid) as naive:
        await log_request(session, AGENT, call(it, reported_at=dt.datetime(2026, 11, 20, 16, 30)), clock=clock_at())
    with pytest.raises(Invalid) as future:
        await log_request(
            session, AGENT, call(it, reported_at=FRIDAY_AFTERNOON + dt.timedelta(hours=1)), clock=clock_at()
        )

    assert (naive.value.code, naive.value.field) == ("naive_datetime", "reported_at")
    assert (future.value.code, future.value.field) == ("reported_in_future", "reported_at")


# --- changes --------------------------------------------------------------------------------


async def test_a_new_priority_reruns_the_check_as_of_the_call_and_keeps_the_old_times_in_the_event(
    session: AsyncSession,
) -> None:
    it = await installed_printer(session)
    session.add(
        ServiceLevelTarget(
            service_level_id=it.service_level_id, priority="P3", response_minutes=540, resolution_minutes=1080
        )
    )
    await session.flush()
    await contract_for(session, it)
    clock = clock_at()
    request = await log_request(session, AGENT, call(it), clock=clock)
    clock.advance(dt.timedelta(days=3))

    changed = await update_request(
        session, AGENT, request.id, RequestUpdate(version=1, priority=Priority.P3), clock=clock
    )

    # 9 business hours from Friday 16:30 Berlin: Monday 16:30 Berlin.
    assert changed.priority == "P3" and changed.version == 2
    assert changed.response_due == dt.datetime(2026, 11, 23, 16, 30, tzinfo=BERLIN)
    assert changed.entitlement["service_level"]["response_minutes"] == 540
    events = await events_of(session, request.id)
    assert [e.kind for e in events] == ["logged", "updated"]
    assert events[1].detail["before"]["priority"] == "P1"
    assert events[1].detail["before"]["response_due"] == "2026-11-23T10:30:00+00:00"
    assert events[1].detail["after"]["response_due"] == "2026-11-23T15:30:00+00:00"


async def test_a_closed_request_cannot_be_changed(session: AsyncSession) -> None:
    it = await installed_printer(session)
    request = await log_request(session, AGENT, call(it), clock=clock_at())
    await transition(session, AGENT, request.id, Transition(status=RequestStatus.CANCELLED), clock=clock_at())

    with pytest.raises(Conflict) as refused:
        await update_request(session, AGENT, request.id, RequestUpdate(version=2, symptom="other"), clock=clock_at())

    assert refused.value.code == "request_not_open"


# --- lifecycle ------------------------------------------------------------------------------


async def test_the_happy_path_stamps_response_resolution_and_closing(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await add_codes(session, resolutions=("REPLACED_ROLLER",))
    clock = clock_at()
    request = await log_request(session, AGENT, call(it), clock=clock)
    steps = [
        (RequestStatus.TRIAGED, None, dt.timedelta(minutes=10)),
        (RequestStatus.IN_PROGRESS, None, dt.timedelta(hours=1)),
        (RequestStatus.RESOLVED, "REPLACED_ROLLER", dt.timedelta(hours=2)),
        (RequestStatus.CLOSED, None, dt.timedelta(days=1)),
    ]
    stamped: dict[str, dt.datetime] = {}
    for status, code, later in steps:
        clock.advance(later)
        stamped[status.value] = clock.now()
        await transition(session, AGENT, request.id, Transition(status=status, resolution_code=code), clock=clock)

    assert request.status == "closed" and request.resolution_code == "REPLACED_ROLLER"
    assert request.responded_at == stamped["in_progress"]
    assert request.resolved_at == stamped["resolved"] and request.closed_at == stamped["closed"]
    events = await events_of(session, request.id)
    assert [(e.kind, e.from_status, e.to_status) for e in events] == [
        ("logged", None, "new"),
        ("status_changed", "new", "triaged"),
        ("status_changed", "triaged", "in_progress"),
        ("status_changed", "in_progress", "resolved"),
        ("status_changed", "resolved", "closed"),
    ]
    assert events[3].detail["resolution_code"] == "REPLACED_ROLLER"


async def test_illegal_moves_name_the_current_status_and_resolving_needs_a_code(session: AsyncSession) -> None:
    it = await installed_printer(session)
    request = await log_request(session, AGENT, call(it), clock=clock_at())

    with pytest.raises(IllegalTransition) as skipped:
        await transition(session, AGENT, request.id, Transition(status=RequestStatus.CLOSED), clock=clock_at())
    await transition(session, AGENT, request.id, Transition(status=RequestStatus.TRIAGED), clock=clock_at())
    with pytest.raises(Invalid) as no_code:
        await transition(session, AGENT, request.id, Transition(status=RequestStatus.RESOLVED), clock=clock_at())
    with pytest.raises(Invalid) as code_too_early:
        move = Transition(status=RequestStatus.IN_PROGRESS, resolution_code="FIXED")
        await transition(session, AGENT, request.id, move, clock=clock_at())
    await transition(session, AGENT, request.id, Transition(status=RequestStatus.CANCELLED), clock=clock_at())
    with pytest.raises(IllegalTransition) as from_final:
        await transition(session, AGENT, request.id, Transition(status=RequestStatus.IN_PROGRESS), clock=clock_at())

    assert skipped.value.extra == {"current_status": "new", "target_status": "closed"}
    assert (no_code.value.code, no_code.value.field) == ("resolution_code_required", "resolution_code")
    assert code_too_early.value.code == "resolution_code_not_allowed"
    assert from_final.value.extra["current_status"] == "cancelled"
    assert request.status == "cancelled"


async def test_a_call_solved_on_first_contact_is_resolved_straight_from_new(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await add_codes(session, resolutions=("ADVICE",))
    clock = clock_at()
    request = await log_request(session, AGENT, call(it), clock=clock)
    clock.advance(dt.timedelta(minutes=4))

    resolve = Transition(status=RequestStatus.RESOLVED, resolution_code="ADVICE", notes="reset explained on the phone")
    await transition(session, AGENT, request.id, resolve, clock=clock)
    events = (
        await session.scalars(
            select(ServiceRequestEvent)
            .where(ServiceRequestEvent.request_id == request.id)
            .order_by(ServiceRequestEvent.at, ServiceRequestEvent.id)
        )
    ).all()

    # The call answered and solved in one: response and resolution both stop at the same moment.
    assert request.status == "resolved" and request.resolution_code == "ADVICE"
    assert request.responded_at == request.resolved_at == clock.now()
    assert [(e.from_status, e.to_status) for e in events] == [(None, "new"), ("new", "resolved")]


async def test_reopening_clears_the_resolution_but_keeps_the_first_response(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await add_codes(session, resolutions=("ADVICE",))
    clock = clock_at()
    request = await log_request(session, AGENT, call(it), clock=clock)
    await transition(session, AGENT, request.id, Transition(status=RequestStatus.TRIAGED), clock=clock)
    clock.advance(dt.timedelta(hours=1))
    resolve = Transition(status=RequestStatus.RESOLVED, resolution_code="ADVICE", notes="fixed on the phone")
    await transition(session, AGENT, request.id, resolve, clock=clock)
    answered_at = request.responded_at
    clock.advance(dt.timedelta(hours=1))
    await transition(session, AGENT, request.id, Transition(status=RequestStatus.IN_PROGRESS), clock=clock)

    # Solved on the phone counts as the response; reopening does not move it.
    assert answered_at == clock.now() - dt.timedelta(hours=1) and request.responded_at == answered_at
    assert request.status == "in_progress"
    assert (request.resolved_at, request.resolution_code, request.resolution_notes) == (None, None, None)


async def test_stale_version_on_a_transition_is_a_conflict(session: AsyncSession) -> None:
    it = await installed_printer(session)
    request = await log_request(session, AGENT, call(it), clock=clock_at())
    await transition(session, AGENT, request.id, Transition(status=RequestStatus.TRIAGED, version=1), clock=clock_at())

    with pytest.raises(Conflict) as stale:
        move = Transition(status=RequestStatus.IN_PROGRESS, version=1)
        await transition(session, AGENT, request.id, move, clock=clock_at())

    assert stale.value.code == "stale_version"


# --- waiting for the customer ---------------------------------------------------------------


async def test_waiting_for_the_customer_stops_the_sla_clock_when_the_level_says_so(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await contract_for(session, it)
    clock = clock_at()
    request = await log_request(session, AGENT, call(it), clock=clock)

    await wait_for_customer(session, AGENT, request.id, WaitChange(notes="awaiting access badge"), clock=clock)
    clock.advance(dt.timedelta(minutes=90))
    running = sla_paused_seconds(request, clock.now())
    with pytest.raises(Conflict) as twice:
        await wait_for_customer(session, AGENT, request.id, WaitChange(), clock=clock)
    clock.advance(dt.timedelta(minutes=30))
    await resume(session, AGENT, request.id, WaitChange(), clock=clock)
    with pytest.raises(Conflict) as not_waiting:
        await resume(session, AGENT, request.id, WaitChange(), clock=clock)

    assert running == 5400 and twice.value.code == "already_waiting_for_customer"
    assert request.paused_seconds == 7200 and request.waiting_for_customer_since is None
    assert not_waiting.value.code == "not_waiting_for_customer"
    events = await events_of(session, request.id)
    assert [e.kind for e in events] == ["logged", "waiting_for_customer", "resumed"]
    assert events[1].detail == {"clock_paused": True, "notes": "awaiting access badge"}
    assert events[2].detail["clock_paused_seconds"] == 7200


async def test_a_level_without_pause_keeps_the_clock_running_while_waiting(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await session.execute(
        update(ServiceLevel).where(ServiceLevel.id == it.service_level_id).values(pause_on_customer_wait=False)
    )
    await contract_for(session, it)
    clock = clock_at()
    request = await log_request(session, AGENT, call(it), clock=clock)

    await wait_for_customer(session, AGENT, request.id, WaitChange(), clock=clock)
    clock.advance(dt.timedelta(hours=1))
    await resume(session, AGENT, request.id, WaitChange(), clock=clock)

    assert request.entitlement["service_level"]["pause_on_customer_wait"] is False
    assert request.paused_seconds == 0
    assert (await events_of(session, request.id))[-1].detail["waited_seconds"] == 3600


async def test_resolving_ends_a_running_wait_and_closed_requests_do_not_wait(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await contract_for(session, it)
    await add_codes(session, resolutions=("CUSTOMER_FIXED",))
    clock = clock_at()
    request = await log_request(session, AGENT, call(it), clock=clock)
    await transition(session, AGENT, request.id, Transition(status=RequestStatus.IN_PROGRESS), clock=clock)
    await wait_for_customer(session, AGENT, request.id, WaitChange(), clock=clock)
    clock.advance(dt.timedelta(minutes=20))

    resolve = Transition(status=RequestStatus.RESOLVED, resolution_code="CUSTOMER_FIXED")
    await transition(session, AGENT, request.id, resolve, clock=clock)
    with pytest.raises(Conflict) as refused:
        await wait_for_customer(session, AGENT, request.id, WaitChange(), clock=clock)

    assert request.waiting_for_customer_since is None and request.paused_seconds == 1200
    assert refused.value.code == "request_not_open"


# --- lists ----------------------------------------------------------------------------------


async def test_overdue_lists_open_requests_past_a_due_time_not_met(session: AsyncSession) -> None:
    it = await installed_printer(session)
    await contract_for(session, it)
    clock = clock_at()
    late = await log_request(session, AGENT, call(it, symptom="no power"), clock=clock)
    answered = await log_request(session, AGENT, call(it, symptom="streaks"), clock=clock)
    uncovered = await log_request(session, AGENT, call(it, equipment_id=None, site_id=it.site_id), clock=clock)
    await transition(session, AGENT, answered.id, Transition(status=RequestStatus.IN_PROGRESS), clock=clock)
    monday_noon = clock_at(dt.datetime(2026, 11, 23, 12, 0, tzinfo=BERLIN)).now()

    async def numbers(**filters: Any) -> list[str]:
        page = await list_requests(
            session, AGENT, RequestFilter(**filters), PageRequest(sort="number"), now=monday_noon
        )
        return [r.number for r in page.items]

    assert await numbers(overdue=True) == [late.number]
    assert await numbers(overdue=False) == [answered.number, uncovered.number]
    assert await numbers(q="STREAK") == [answered.number]
    assert uncovered.response_due is None  # a site nothing covers has no due time, so is never late
