"""Service requests over HTTP: logging with snapshots, lifecycle, scoping, roles, the error contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import api.routes.service_requests as routes
from contracts.models import CreditAccount, ServiceLevelTarget
from core.clock import FixedClock
from core.db import session_scope
from masterdata.models import Contact
from tests.conftest import UserFactory, problem_of
from tests.integration.contract_fixtures import Installed, contract_for, installed_printer
from tests.integration.knowledge_fixtures import add_codes

Client = AsyncTestClient[Litestar]
URL = "/api/v1/service-requests"
FRIDAY_AFTERNOON = "2026-11-20T16:30:00+01:00"
JUST_AFTER = dt.datetime(2026, 11, 20, 15, 35, tzinfo=dt.UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    fixed = FixedClock(JUST_AFTER)
    monkeypatch.setattr(routes, "CLOCK", fixed)
    return fixed


def call(it: Installed, **body: Any) -> dict[str, Any]:
    return {
        "customer_id": str(it.customer_id),
        "equipment_id": str(it.equipment_id),
        "symptom": "paper jam in tray 2",
        "priority": "P1",
        "service_type": "repair",
        "channel": "phone",
        "reported_at": FRIDAY_AFTERNOON,
        **body,
    }


async def log(client: Client, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def covered_printer(sessions: async_sessionmaker[AsyncSession], name: str = "ACME") -> Installed:
    async with session_scope(sessions) as session:
        it = await installed_printer(session, name)
        await contract_for(session, it, number=f"SC-{name[:6]}")
    return it


async def catalogue(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        await add_codes(session, symptoms=("PAPER_JAM",), resolutions=("REPLACED_FUSER",))


async def test_an_agent_logs_a_call_for_a_covered_unit_and_reads_its_snapshot(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    it = await covered_printer(sessions)
    agent = await login_as("agent")

    logged = await log(client, agent, call(it))
    read = await client.get(f"{URL}/{logged['id']}", headers=agent)
    events = await client.get(f"{URL}/{logged['id']}/events", headers=agent)

    assert logged["number"] == "SR-000001" and logged["status"] == "new" and logged["version"] == 1
    assert logged["site_id"] == str(it.site_id) and logged["channel"] == "phone"
    assert logged["covered_by"] == "contract_line" and logged["labour_pct"] == "100.00"
    assert logged["response_due"] == "2026-11-23T10:30:00Z"  # Monday 11:30 in Berlin
    assert logged["entitlement"]["winner"]["label"] == "contract SC-ACME"
    assert logged["entitlement"]["service_level"]["response_minutes"] == 240
    assert logged["credit_outcome"] is None and logged["credit"]["checked"] is False
    assert read.status_code == 200 and read.json() == logged
    assert events.status_code == 200
    [event] = events.json()["items"]
    assert (event["kind"], event["to_status"], event["detail"]["covered_by"]) == ("logged", "new", "contract_line")


async def test_billable_work_of_a_customer_on_credit_hold_stores_the_hold_with_reasons(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    async with session_scope(sessions) as session:
        it = await installed_printer(session)
        session.add(
            CreditAccount(
                customer_id=it.customer_id,
                credit_limit=Decimal("10000.00"),
                currency="EUR",
                on_hold=True,
                hold_reason="cheque bounced",
                hold_set_by="cadmin",
                hold_set_at=JUST_AFTER - dt.timedelta(days=2),
            )
        )
    agent = await login_as("agent")
    portal = await login_as("customer", customer_id=it.customer_id)

    logged = await log(client, agent, call(it, estimated_amount="250.00"))
    seen_by_customer = (await client.get(f"{URL}/{logged['id']}", headers=portal)).json()

    assert logged["covered_by"] == "none" and logged["entitlement"]["billable"] is True
    assert logged["credit_outcome"] == "hold" and logged["estimated_amount"] == "250.00"
    assert logged["credit"]["reference"] == logged["number"]
    assert [(r["code"], r["hold_reason"]) for r in logged["credit"]["reasons"]] == [("on_hold", "cheque bounced")]
    # The customer sees that its credit holds the work up, not the staff's figures and names.
    assert seen_by_customer["credit_outcome"] == "hold" and seen_by_customer["credit"] is None


async def test_the_lifecycle_runs_by_the_table_and_refuses_illegal_moves(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    it = await covered_printer(sessions)
    await catalogue(sessions)
    agent = await login_as("agent")
    request = await log(client, agent, call(it))
    moves = f"{URL}/{request['id']}/transitions"

    triaged = await client.post(moves, json={"status": "triaged", "version": 1}, headers=agent)
    clock.advance(dt.timedelta(hours=1))
    started = await client.post(moves, json={"status": "in_progress"}, headers=agent)
    skipped = await client.post(moves, json={"status": "closed"}, headers=agent)
    no_code = await client.post(moves, json={"status": "resolved"}, headers=agent)
    resolved = await client.post(
        moves, json={"status": "resolved", "resolution_code": "REPLACED_FUSER", "notes": "fuser swapped"}, headers=agent
    )
    closed = await client.post(moves, json={"status": "closed"}, headers=agent)
    unknown_status = await client.post(moves, json={"status": "archived"}, headers=agent)
    events = await client.get(f"{URL}/{request['id']}/events", headers=agent)

    assert triaged.status_code == 200 and triaged.json()["status"] == "triaged"
    assert started.json()["responded_at"] == "2026-11-20T16:35:00Z"
    assert skipped.status_code == 409
    assert problem_of(skipped)["code"] == "illegal_transition"
    assert problem_of(skipped)["current_status"] == "in_progress"
    assert no_code.status_code == 422 and problem_of(no_code)["field"] == "resolution_code"
    assert resolved.json()["resolution_notes"] == "fuser swapped"
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"] == "2026-11-20T16:35:00Z"
    assert unknown_status.status_code == 422 and problem_of(unknown_status)["field"] == "status"
    assert [(e["from_status"], e["to_status"]) for e in events.json()["items"]] == [
        (None, "new"),
        ("new", "triaged"),
        ("triaged", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
    ]


async def test_waiting_for_the_customer_pauses_the_sla_clock(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    it = await covered_printer(sessions)
    agent = await login_as("agent")
    request = await log(client, agent, call(it))
    url = f"{URL}/{request['id']}"

    waiting = await client.post(f"{url}/wait-for-customer", json={"notes": "needs badge"}, headers=agent)
    clock.advance(dt.timedelta(minutes=45))
    resumed = await client.post(f"{url}/resume", headers=agent)  # the body is optional
    again = await client.post(f"{url}/resume", json={}, headers=agent)

    assert waiting.status_code == 200 and waiting.json()["waiting_for_customer_since"] == "2026-11-20T15:35:00Z"
    assert resumed.json()["paused_seconds"] == 2700 and resumed.json()["waiting_for_customer_since"] is None
    assert again.status_code == 409 and problem_of(again)["code"] == "not_waiting_for_customer"


async def test_customers_log_and_read_only_their_own_requests(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    mine = await covered_printer(sessions, "Mine")
    theirs = await covered_printer(sessions, "Theirs")
    agent = await login_as("agent")
    portal = await login_as("customer", customer_id=mine.customer_id)
    their_request = await log(client, agent, call(theirs))

    own = await log(client, portal, call(mine, channel="email", reported_at=None))
    foreign_unit = await client.post(URL, json=call(mine, equipment_id=str(theirs.equipment_id)), headers=portal)
    foreign_customer = await client.post(URL, json=call(theirs), headers=portal)
    read_foreign = await client.get(f"{URL}/{their_request['id']}", headers=portal)
    foreign_events = await client.get(f"{URL}/{their_request['id']}/events", headers=portal)
    listed = await client.get(URL, headers=portal)
    filtered = await client.get(URL, params={"customer_id": str(theirs.customer_id)}, headers=portal)

    assert own["channel"] == "portal" and own["reported_at"] == "2026-11-20T15:35:00Z"
    assert foreign_unit.status_code == 404 and problem_of(foreign_unit)["code"] == "equipment_not_found"
    assert foreign_customer.status_code == 404 and problem_of(foreign_customer)["code"] == "customer_not_found"
    assert read_foreign.status_code == 404 and problem_of(read_foreign)["code"] == "service_request_not_found"
    assert foreign_events.status_code == 404
    assert [r["number"] for r in listed.json()["items"]] == [own["number"]]
    assert filtered.json()["total"] == 0


async def test_roles_that_may_not_log_or_triage_get_403(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    it = await covered_printer(sessions)
    agent = await login_as("agent")
    request = await log(client, agent, call(it))
    technician = await login_as("technician")
    planner = await login_as("planner")
    manager = await login_as("manager")
    contract_admin = await login_as("contract_admin")
    portal = await login_as("customer", customer_id=it.customer_id)
    one = f"{URL}/{request['id']}"

    refused = [
        await client.get(URL, headers=technician),
        await client.get(one, headers=technician),
        await client.post(URL, json=call(it), headers=technician),
        await client.post(URL, json=call(it), headers=planner),
        await client.post(f"{one}/transitions", json={"status": "triaged"}, headers=planner),
        await client.post(f"{one}/transitions", json={"status": "cancelled"}, headers=portal),
        await client.patch(one, json={"version": 1, "priority": "P2"}, headers=contract_admin),
        await client.post(f"{one}/wait-for-customer", json={}, headers=manager),
    ]
    allowed = [
        await client.get(URL, headers=planner),
        await client.get(one, headers=manager),
        await client.get(f"{one}/events", headers=contract_admin),
    ]

    assert [r.status_code for r in refused] == [403] * len(refused)
    assert all(problem_of(r)["code"] == "role_not_allowed" for r in refused)
    assert [r.status_code for r in allowed] == [200, 200, 200]


async def test_bad_calls_answer_422_naming_the_field(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    it = await covered_printer(sessions)
    other = await covered_printer(sessions, "Other")
    async with session_scope(sessions) as session:
        stranger = Contact(customer_id=other.customer_id, first_name="Eve", last_name="Other")
        session.add(stranger)
    agent = await login_as("agent")

    async def refused(body: dict[str, Any]) -> tuple[int, str | None, str | None]:
        response = await client.post(URL, json=body, headers=agent)
        problem = problem_of(response)
        return response.status_code, problem["code"], problem["field"]

    missing_symptom = {k: v for k, v in call(it).items() if k != "symptom"}
    assert await refused(missing_symptom) == (422, "validation_failed", "symptom")
    assert await refused(call(it, symptom="   ")) == (422, "symptom_required", "symptom")
    assert await refused(call(it, priority="P9")) == (422, "validation_failed", "priority")
    assert await refused(call(it, service_type="cleaning")) == (422, "validation_failed", "service_type")
    assert await refused(call(it, channel="fax")) == (422, "validation_failed", "channel")
    assert await refused(call(it, colour="red")) == (422, "validation_failed", "colour")
    assert await refused(call(it, equipment_id=None)) == (422, "object_required", "equipment_id")
    assert await refused(call(it, contact_id=str(stranger.id))) == (422, "contact_not_of_customer", "contact_id")
    assert await refused(call(it, site_id=str(other.site_id))) == (422, "site_not_of_customer", "site_id")
    assert await refused(call(it, reported_at="2026-11-20T16:30:00")) == (422, "naive_datetime", "reported_at")
    assert await refused(call(it, reported_at="2026-11-21T09:00:00Z")) == (422, "reported_in_future", "reported_at")
    assert await refused(call(it, estimated_amount="-5")) == (422, "invalid_amount", "estimated_amount")
    assert await refused(call(it, estimated_amount="lots")) == (422, "validation_failed", "estimated_amount")
    assert await refused(call(it, symptom_code="no spaces")) == (422, "validation_failed", "symptom_code")


async def test_a_new_priority_recomputes_the_due_times_and_a_stale_version_is_refused(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    it = await covered_printer(sessions)
    async with session_scope(sessions) as session:
        session.add(
            ServiceLevelTarget(
                service_level_id=it.service_level_id, priority="P2", response_minutes=480, resolution_minutes=1440
            )
        )
    await catalogue(sessions)
    agent = await login_as("agent")
    request = await log(client, agent, call(it))
    url = f"{URL}/{request['id']}"

    changed = await client.patch(url, json={"version": 1, "priority": "P2", "symptom_code": "PAPER_JAM"}, headers=agent)
    stale = await client.patch(url, json={"version": 1, "symptom": "too late"}, headers=agent)
    events = await client.get(f"{url}/events", headers=agent)

    assert changed.status_code == 200, changed.text
    body = changed.json()
    # 8 business hours from Friday 16:30 Berlin: Monday 15:30 Berlin.
    assert body["priority"] == "P2" and body["response_due"] == "2026-11-23T14:30:00Z"
    assert body["entitlement"]["service_level"]["response_minutes"] == 480
    assert body["symptom_code"] == "PAPER_JAM" and body["version"] == 2
    assert stale.status_code == 409 and problem_of(stale)["code"] == "stale_version"
    assert [e["kind"] for e in events.json()["items"]] == ["logged", "updated"]


async def test_lists_filter_sort_and_find_overdue_requests(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    it = await covered_printer(sessions)
    agent = await login_as("agent")
    urgent = await log(client, agent, call(it, symptom="no power at all"))
    routine = await log(client, agent, call(it, priority="P3", symptom="squeaks"))
    by_site = await log(client, agent, call(it, equipment_id=None, site_id=str(it.site_id), symptom="lights"))
    await client.post(f"{URL}/{routine['id']}/transitions", json={"status": "cancelled"}, headers=agent)
    clock.advance(dt.timedelta(days=3))  # Monday afternoon: the P1 response was due at 11:30

    async def numbers(**params: Any) -> list[str]:
        response = await client.get(URL, params=params, headers=agent)
        assert response.status_code == 200, response.text
        return [r["number"] for r in response.json()["items"]]

    assert await numbers(sort="number") == [urgent["number"], routine["number"], by_site["number"]]
    assert await numbers(sort="-number") == [by_site["number"], routine["number"], urgent["number"]]
    assert await numbers(overdue="true") == [urgent["number"]]
    assert await numbers(status="cancelled") == [routine["number"]]
    assert await numbers(priority="P3") == [routine["number"]]
    assert await numbers(equipment_id=str(it.equipment_id), sort="number") == [urgent["number"], routine["number"]]
    assert await numbers(q="POWER") == [urgent["number"]]
    assert await numbers(q=urgent["number"]) == [urgent["number"]]
    bad_sort = await client.get(URL, params={"sort": "symptom"}, headers=agent)
    assert bad_sort.status_code == 422 and problem_of(bad_sort)["field"] == "sort"


async def test_an_unknown_request_answers_404(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    missing = UUID(int=7)

    read = await client.get(f"{URL}/{missing}", headers=agent)
    moved = await client.post(f"{URL}/{missing}/transitions", json={"status": "triaged"}, headers=agent)

    assert read.status_code == 404 and problem_of(read)["code"] == "service_request_not_found"
    assert moved.status_code == 404
