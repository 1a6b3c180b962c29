"""A technician's day on the phone: own tasks only, and everything needed on site."""

from __future__ import annotations

import datetime as dt

from core.db import session_scope
from service_mgmt.models import Task
from tests.api.technician_fixtures import TECH_URL, Job, dispatched_job, now, on_site
from tests.api.test_work_orders import Client, Sessions
from tests.conftest import UserFactory, problem_of


async def test_a_technician_lists_only_the_tasks_of_their_engineer_in_the_period(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    mine = await dispatched_job(client, login_as, sessions, "ACME")
    theirs = await dispatched_job(client, login_as, sessions, "Other")
    tomorrow = (now() + dt.timedelta(days=1)).date()

    default = await client.get(TECH_URL, headers=mine.technician)
    today_only = await client.get(TECH_URL, params={"from": now().date().isoformat()}, headers=mine.technician)
    just_today = await client.get(
        TECH_URL, params={"from": now().date().isoformat(), "to": now().date().isoformat()}, headers=mine.technician
    )
    tomorrow_only = await client.get(
        TECH_URL, params={"from": tomorrow.isoformat(), "to": tomorrow.isoformat()}, headers=mine.technician
    )
    other = await client.get(TECH_URL, headers=theirs.technician)

    assert default.status_code == 200, default.text
    (job,) = default.json()
    assert job["task_id"] == mine.task["id"] and job["status"] == "dispatched"
    assert job["work_order_number"] == mine.work_order["number"]
    assert job["customer"]["name"] == "ACME" and job["site"]["name"] == "HQ"
    assert job["equipment"]["serial_number"] == "SN-1"
    assert [j["task_id"] for j in today_only.json()] == [mine.task["id"]]  # today + 7 days
    assert just_today.json() == []
    assert [j["task_id"] for j in tomorrow_only.json()] == [mine.task["id"]]
    assert [j["task_id"] for j in other.json()] == [theirs.task["id"]]


async def test_tasks_under_way_are_listed_whatever_their_planned_start(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    await on_site(client, job)
    async with session_scope(sessions) as session:  # it was planned for last month and is still going on
        task = await session.get(Task, job.task["id"])
        assert task is not None
        task.planned_start = now() - dt.timedelta(days=30)
        task.planned_end = task.planned_start + dt.timedelta(hours=1)

    listed = await client.get(TECH_URL, headers=job.technician)

    assert [(j["task_id"], j["status"]) for j in listed.json()] == [(job.task["id"], "on_site")]


async def test_bad_periods_and_other_roles_are_refused(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    unlinked = await login_as("technician")
    agent = await login_as("agent")
    customer = await login_as("customer", customer_id=job.call.it.customer_id)

    backwards = await client.get(TECH_URL, params={"from": "2030-01-10", "to": "2030-01-01"}, headers=job.technician)
    too_long = await client.get(TECH_URL, params={"from": "2030-01-01", "to": "2030-03-01"}, headers=job.technician)
    not_a_date = await client.get(TECH_URL, params={"from": "soon"}, headers=job.technician)
    no_engineer = await client.get(TECH_URL, headers=unlinked)

    assert backwards.status_code == 422 and problem_of(backwards)["field"] == "to"
    assert too_long.status_code == 422 and problem_of(too_long)["code"] == "date_range_too_long"
    assert not_a_date.status_code == 422 and problem_of(not_a_date)["field"] == "from"
    assert no_engineer.status_code == 403 and problem_of(no_engineer)["code"] == "no_engineer"
    for headers in (agent, customer, job.planner):
        for response in (
            await client.get(TECH_URL, headers=headers),
            await client.get(job.url(), headers=headers),
            await client.post(
                job.url(action="status"), json={"status": "en_route", "at": now().isoformat()}, headers=headers
            ),
            await client.post(
                job.url(action="confirmation"), json={"completed_at": now().isoformat()}, headers=headers
            ),
        ):
            assert response.status_code == 403, response.text


async def test_another_engineers_task_does_not_exist_for_a_technician(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    mine = await dispatched_job(client, login_as, sessions, "ACME")
    theirs = await dispatched_job(client, login_as, sessions, "Other")

    responses = [
        await client.get(theirs.url(), headers=mine.technician),
        await client.post(
            theirs.url(action="status"), json={"status": "en_route", "at": now().isoformat()}, headers=mine.technician
        ),
        await client.post(
            theirs.url(action="confirmation"), json={"completed_at": now().isoformat()}, headers=mine.technician
        ),
    ]

    for response in responses:
        assert response.status_code == 404, response.text
        assert problem_of(response)["code"] == "task_not_found"


async def test_the_job_on_site_has_customer_site_contact_unit_history_counters_coverage_and_parts(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job: Job = await dispatched_job(client, login_as, sessions)

    response = await client.get(job.url(), headers=job.technician)

    assert response.status_code == 200, response.text
    bundle = response.json()
    assert bundle["task"]["id"] == job.task["id"] and bundle["task"]["status"] == "dispatched"
    assert bundle["task"]["time_windows"][0]["kind"] == "sla"
    assert [(m["engineer_id"], m["lead"]) for m in bundle["crew"]] == [(str(job.engineer_id), True)]
    assert bundle["status_events"] == [] and bundle["confirmation_id"] is None
    assert bundle["work_order"]["number"] == job.work_order["number"]
    assert (bundle["work_order"]["priority"], bundle["work_order"]["service_type"]) == ("P2", "repair")
    assert (bundle["customer"]["name"], bundle["customer"]["number"]) == ("ACME", "C-ACME")
    site = bundle["site"]
    assert site["access_notes"] == "Ring at gate B; badge at reception"
    assert site["opening_hours"] == [{"weekday": 0, "opens": "08:00", "closes": "17:00"}]
    assert site["time_zone"] == "Europe/Berlin"
    assert (bundle["contact"]["first_name"], bundle["contact"]["phone"]) == ("Pat", "+49 30 1234")
    assert bundle["symptom"] == "paper jam, fuser error E5" and bundle["request"]["status"] == "triaged"
    coverage = bundle["coverage"]
    assert coverage["covered_by"] == "warranty"
    assert (coverage["labour_pct"], coverage["parts_pct"], coverage["travel_pct"]) == ("100.00", "100.00", "100.00")
    unit = bundle["equipment"]
    assert unit["serial_number"] == "SN-1" and unit["product"]["name"] == "Printer 4000"
    assert [(c["serial_number"], c["position"]) for c in unit["components"]] == [("PSU-OLD-1", "PSU")]
    assert [e["kind"] for e in unit["history"]] == ["component_installed"]
    (counter,) = unit["counters"]
    assert counter["name"] == "pages" and counter["latest_reading"]["value"] == "1000.000"
    (part,) = bundle["planned_parts"]
    assert (part["sku"], part["quantity"], part["serialized"]) == ("FUSER-ACME", "1.000", False)
