"""Maintenance plans over HTTP: CRUD with versions, validation problems, who may do what, calls,
forecast and generation on demand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import session_scope
from service_mgmt.services.pm_schedule import add_months
from tests.conftest import UserFactory, problem_of
from tests.integration.contract_fixtures import Installed, contract_for, installed_printer
from tests.integration.pm_fixtures import hours_counter, pm_template

Client = AsyncTestClient[Litestar]
Sessions = async_sessionmaker[AsyncSession]
URL = "/api/v1/pm-plans"


@dataclass
class Scene:
    it: Installed
    other: Installed  # another customer's printer
    template_id: UUID
    retired_template_id: UUID
    line_id: UUID


async def scene(sessions: Sessions) -> Scene:
    async with session_scope(sessions) as session:
        it = await installed_printer(session)
        other = await installed_printer(session, "OTHER")
        template = await pm_template(session)
        retired = await pm_template(session, "PM-OLD", active=False)
        await hours_counter(session, it.equipment_id)
        contract, line = await contract_for(session, it)
        # The fixture's contract ran in 2026; keep it in force around today, whenever the test runs.
        today = dt.datetime.now(dt.UTC).date()
        contract.starts_on, contract.ends_on = today - dt.timedelta(days=200), today + dt.timedelta(days=400)
        return Scene(it, other, template.id, retired.id, line.id)


def monthly(s: Scene, **fields: Any) -> dict[str, Any]:
    starts = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=20)
    return {
        "name": "Monthly service",
        "equipment_id": str(s.it.equipment_id),
        "template_id": str(s.template_id),
        "interval_months": 1,
        "starts_on": starts.isoformat(),
    } | fields


async def created(client: Client, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_planner_creates_reads_changes_and_deactivates_a_plan(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    s = await scene(sessions)
    planner = await login_as("planner")

    plan = await created(client, planner, monthly(s))
    fetched = await client.get(f"{URL}/{plan['id']}", headers=planner)
    changed = await client.patch(
        f"{URL}/{plan['id']}", json={"version": 1, "call_horizon_days": 30, "priority": "P3"}, headers=planner
    )
    stale = await client.patch(f"{URL}/{plan['id']}", json={"version": 1, "name": "late"}, headers=planner)
    off = await client.post(f"{URL}/{plan['id']}/deactivate", json={}, headers=planner)
    listed = await client.get(URL, params={"active": "false"}, headers=planner)

    assert plan["number"].startswith("PM-") and plan["version"] == 1 and plan["priority"] == "P4"
    assert fetched.json() == plan
    assert changed.status_code == 200, changed.text
    assert (changed.json()["version"], changed.json()["call_horizon_days"], changed.json()["priority"]) == (2, 30, "P3")
    assert stale.status_code == 409 and problem_of(stale)["code"] == "stale_version"
    assert off.status_code == 200 and off.json()["active"] is False
    assert [p["id"] for p in listed.json()["items"]] == [plan["id"]]


async def test_bad_plans_answer_a_problem_with_code_and_field(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    s = await scene(sessions)
    planner = await login_as("planner")
    cases = [
        (monthly(s, interval_months=None), 422, "interval_required", "interval_months"),
        (monthly(s, interval_units="500"), 422, "counter_name_required", "counter_name"),
        (monthly(s, counter_name="operating hours"), 422, "counter_name_without_units", "counter_name"),
        (monthly(s, interval_units="500", counter_name="pages"), 422, "counter_not_on_unit", "counter_name"),
        (monthly(s, interval_units="0", counter_name="operating hours"), 422, "invalid_interval", "interval_units"),
        (monthly(s, template_id=str(s.retired_template_id)), 422, "template_inactive", "template_id"),
        (monthly(s, template_id=str(s.it.site_id)), 404, "job_template_not_found", "template_id"),
        (monthly(s, ends_on="2020-01-01"), 422, "ends_before_starts", "ends_on"),
        (monthly(s, starts_on="1900-01-01"), 422, "date_out_of_range", "starts_on"),
        (monthly(s, contract_line_id=str(s.line_id)), 422, "one_object_only", "contract_line_id"),
        (monthly(s, equipment_id=None), 422, "object_required", "equipment_id"),
        (monthly(s, equipment_id=str(s.it.site_id)), 404, "equipment_not_found", "equipment_id"),
    ]
    for body, status, code, field in cases:
        response = await client.post(URL, json=body, headers=planner)
        assert response.status_code == status, (code, response.text)
        problem = problem_of(response)
        assert (problem["code"], problem.get("field")) == (code, field), problem

    bad_months = await client.post(URL, json=monthly(s, interval_months=0), headers=planner)
    assert bad_months.status_code in (400, 422) and problem_of(bad_months)["field"] == "interval_months"
    assert (await client.get(URL, headers=planner)).json()["total"] == 0  # nothing half-written


async def test_who_may_manage_and_read_plans(client: Client, login_as: UserFactory, sessions: Sessions) -> None:
    s = await scene(sessions)
    planner, contract_admin = await login_as("planner"), await login_as("contract_admin")
    manager, agent = await login_as("manager"), await login_as("agent")
    technician = await login_as("technician")
    unit_plan = await created(client, planner, monthly(s))
    line_body = monthly(s, equipment_id=None, contract_line_id=str(s.line_id))

    by_contract_admin = await client.post(URL, json=monthly(s), headers=contract_admin)
    line_plan = await created(client, contract_admin, line_body)
    contract_admin_patch = await client.patch(
        f"{URL}/{unit_plan['id']}", json={"version": 1, "name": "x"}, headers=contract_admin
    )
    manager_create = await client.post(URL, json=line_body, headers=manager)
    agent_generate = await client.post(f"{URL}/generate", json={}, headers=agent)
    technician_list = await client.get(URL, headers=technician)
    manager_list = await client.get(URL, headers=manager)

    assert by_contract_admin.status_code == 403 and problem_of(by_contract_admin)["code"] == "line_plans_only"
    assert line_plan["contract_line_id"] == str(s.line_id)
    assert contract_admin_patch.status_code == 403
    assert manager_create.status_code == 403 and agent_generate.status_code == 403
    assert technician_list.status_code == 403
    assert manager_list.json()["total"] == 2


async def test_a_customer_reads_its_own_plans_and_gets_404_for_others(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    s = await scene(sessions)
    planner = await login_as("planner")
    mine = await created(client, planner, monthly(s))
    line = await created(client, planner, monthly(s, equipment_id=None, contract_line_id=str(s.line_id)))
    theirs = await created(client, planner, monthly(s, equipment_id=str(s.other.equipment_id)))
    customer = await login_as("customer", customer_id=s.it.customer_id)

    listed = await client.get(URL, headers=customer)
    own = await client.get(f"{URL}/{mine['id']}/forecast", headers=customer)
    other_plan = await client.get(f"{URL}/{theirs['id']}", headers=customer)
    other_calls = await client.get(f"{URL}/{theirs['id']}/calls", headers=customer)
    other_forecast = await client.get(f"{URL}/{theirs['id']}/forecast", headers=customer)
    change = await client.patch(f"{URL}/{mine['id']}", json={"version": 1, "name": "mine"}, headers=customer)
    generate = await client.post(f"{URL}/generate", json={}, headers=customer)

    assert sorted(p["id"] for p in listed.json()["items"]) == sorted([mine["id"], line["id"]])
    assert own.status_code == 200
    assert [r.status_code for r in (other_plan, other_calls, other_forecast)] == [404, 404, 404]
    assert problem_of(other_plan)["code"] == "pm_plan_not_found"
    assert change.status_code == 403 and generate.status_code == 403


async def test_generation_on_demand_answers_what_it_made_and_the_calls_list_shows_it(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    s = await scene(sessions)
    planner = await login_as("planner")
    starts = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=20)
    plan = await created(client, planner, monthly(s, call_horizon_days=15))
    first_due = add_months(starts, 1)
    today = first_due - dt.timedelta(days=10)

    forecast = await client.get(f"{URL}/{plan['id']}/forecast", params={"until": today.isoformat()}, headers=planner)
    run = await client.post(f"{URL}/generate", json={"today": today.isoformat()}, headers=planner)
    again = await client.post(f"{URL}/generate", json={"today": today.isoformat()}, headers=planner)
    calls = await client.get(f"{URL}/{plan['id']}/calls", headers=planner)
    too_far = await client.post(f"{URL}/generate", json={"today": "2040-01-01"}, headers=planner)
    bad_until = await client.get(f"{URL}/{plan['id']}/forecast", params={"until": "2099-01-01"}, headers=planner)

    assert forecast.status_code == 200, forecast.text
    assert run.status_code == 200, run.text
    made = run.json()["created"]
    assert len(made) == 1 and made[0]["trigger"] == "time" and made[0]["work_order_number"].startswith("WO-")
    assert again.json()["created"] == []
    assert [c["id"] for c in calls.json()["items"]] == [made[0]["id"]]
    order = await client.get(f"/api/v1/work-orders/{made[0]['work_order_id']}", headers=planner)
    assert order.json()["service_type"] == "maintenance"
    assert problem_of(too_far)["code"] == "date_out_of_range" and problem_of(too_far)["field"] == "today"
    assert problem_of(bad_until)["field"] == "until"


async def test_a_reading_posted_over_http_that_crosses_the_threshold_orders_maintenance(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    s = await scene(sessions)
    planner = await login_as("planner")
    plan = await created(
        client, planner, monthly(s, interval_months=None, interval_units="250", counter_name="operating hours")
    )
    counters = await client.get(f"/api/v1/equipment/{s.it.equipment_id}/counters", headers=planner)
    counter_id = counters.json()[0]["id"]
    readings = f"/api/v1/equipment/{s.it.equipment_id}/counters/{counter_id}/readings"

    customer = await login_as("customer", customer_id=s.it.customer_id)  # the customer reads its meter

    for value in ("100", "300", "360"):
        response = await client.post(readings, json={"value": value}, headers=customer)
        assert response.status_code == 201, response.text
    forecast = await client.get(f"{URL}/{plan['id']}/forecast", headers=planner)
    calls = await client.get(f"{URL}/{plan['id']}/calls", headers=planner)

    assert [(c["trigger"], c["counter_value"]) for c in calls.json()["items"]] == [("counter", "350.000")]
    assert forecast.json()["counters"][0]["next_threshold"] in ("600.000", "600")
