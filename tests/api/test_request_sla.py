"""A request's SLA over HTTP (due times with pauses, share used, alerts) and the first-time-fix KPI."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import api.routes.kpis as kpi_routes
import api.routes.request_sla as sla_routes
import api.routes.service_requests as request_routes
from core.clock import FixedClock
from core.db import session_scope
from service_mgmt.services.sla_monitor import evaluate_slas
from tests.api.test_service_requests import JUST_AFTER, call, covered_printer, log
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
URL = "/api/v1/service-requests"
MONDAY_0830_BERLIN = dt.datetime(2026, 11, 23, 7, 30, tzinfo=dt.UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    fixed = FixedClock(JUST_AFTER)
    for module in (request_routes, sla_routes, kpi_routes):
        monkeypatch.setattr(module, "CLOCK", fixed)
    return fixed


async def test_staff_and_the_own_customer_read_the_sla_with_pauses_and_alerts(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    it = await covered_printer(sessions)
    other = await covered_printer(sessions, "OTHER")
    agent = await login_as("agent")
    request = await log(client, agent, call(it))  # Friday 16:30 Berlin, response due Monday 11:30
    url = f"{URL}/{request['id']}"
    # Waits for the customer from Friday 16:35 to Monday 08:30: 55 coverage minutes stood still.
    assert (await client.post(f"{url}/wait-for-customer", headers=agent)).status_code == 200
    clock.advance(MONDAY_0830_BERLIN - clock.now())
    assert (await client.post(f"{url}/resume", headers=agent)).status_code == 200
    # 75% of the response time: 5 minutes on Friday, 175 from 08:30 on Monday.
    clock.advance(dt.timedelta(minutes=175))
    async with session_scope(sessions) as session:
        run = await evaluate_slas(session, clock.now())

    seen = await client.get(f"{url}/sla", headers=agent)
    by_manager = await client.get(f"{url}/sla", headers=await login_as("manager"))
    by_owner = await client.get(f"{url}/sla", headers=await login_as("customer", customer_id=it.customer_id))
    by_stranger = await client.get(f"{url}/sla", headers=await login_as("customer", customer_id=other.customer_id))
    by_technician = await client.get(f"{url}/sla", headers=await login_as("technician"))
    missing = await client.get(f"{URL}/01900000-0000-7000-8000-000000000000/sla", headers=agent)

    assert run.warnings == 1
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["number"] == "SR-000001" and body["time_zone"] == "Europe/Berlin"
    assert body["warning_share"] == 0.75 and body["escalation_level"] == 0 and body["clock_paused"] is False
    response, resolution = body["targets"]
    assert response["target"] == "response" and response["due"] == "2026-11-23T10:30:00Z"
    assert response["effective_due"] == "2026-11-23T11:25:00Z" and response["paused_minutes"] == 55.0
    assert response["share_used"] == 0.75 and response["running"] is True and response["breached"] is False
    assert resolution["target"] == "resolution" and resolution["effective_due"] == "2026-11-24T14:25:00Z"
    assert [(a["target"], a["stage"]) for a in body["alerts"]] == [("response", "warning")]
    assert by_manager.status_code == 200 and by_owner.status_code == 200
    assert by_owner.json()["targets"] == body["targets"]
    assert by_stranger.status_code == 404 and problem_of(by_stranger)["code"] == "service_request_not_found"
    assert by_technician.status_code == 403
    assert missing.status_code == 404


async def test_managers_read_the_first_time_fix_rate_for_a_period(
    client: Client, login_as: UserFactory, clock: FixedClock
) -> None:
    manager = await login_as("manager")
    url = "/api/v1/kpis/first-time-fix"

    answer = await client.get(url, params={"from": "2026-10-01", "to": "2026-10-31"}, headers=manager)
    backwards = await client.get(url, params={"from": "2026-10-31", "to": "2026-10-01"}, headers=manager)
    not_a_date = await client.get(url, params={"from": "October", "to": "2026-10-31"}, headers=manager)
    missing = await client.get(url, params={"to": "2026-10-31"}, headers=manager)
    by_planner = await client.get(
        url, params={"from": "2026-10-01", "to": "2026-10-31"}, headers=await login_as("planner")
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["period_from"], body["period_to"]) == ("2026-10-01", "2026-10-31")
    assert body["final"] == {"completed": 0, "first_time_fixes": 0, "rate": None}
    assert body["final_before"] == "2026-10-21T15:35:00Z"  # 30 days before now
    assert backwards.status_code == 422 and problem_of(backwards)["code"] == "invalid_period"
    assert problem_of(backwards)["field"] == "to"
    assert not_a_date.status_code == 422 and problem_of(not_a_date)["field"] == "from"
    assert not_a_date.status_code == 422 and problem_of(not_a_date)["code"] == "invalid_period"
    assert missing.status_code == 422 and problem_of(missing)["field"] == "from"
    assert by_planner.status_code == 403
