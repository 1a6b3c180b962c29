"""Status steps from the phone: en route, on site; the work order and the request follow."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.db import session_scope
from service_mgmt.models import ServiceRequest, TaskStatusEvent
from tests.api.technician_fixtures import ago, dispatched_job, now, step
from tests.api.test_work_orders import URL, Client, Sessions, transition
from tests.conftest import UserFactory, problem_of


async def test_en_route_then_on_site_moves_task_work_order_and_request_with_device_times(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    left, arrived = now() - dt.timedelta(hours=2), now() - dt.timedelta(hours=1)

    en_route = await step(client, job, "en_route", at=left.isoformat(), latitude=52.52, longitude=13.405)
    on_site = await step(client, job, "on_site", at=arrived.isoformat(), note="at gate B")

    assert en_route.status_code == 200, en_route.text
    assert en_route.json()["task_status"] == "en_route" and en_route.json()["work_order_status"] == "en_route"
    assert en_route.json()["request_status"] == "triaged"
    assert (en_route.json()["event"]["latitude"], en_route.json()["event"]["longitude"]) == ("52.520000", "13.405000")
    assert on_site.status_code == 200, on_site.text
    result = on_site.json()
    assert (result["task_status"], result["work_order_status"], result["request_status"]) == (
        "on_site",
        "on_site",
        "in_progress",
    )
    async with session_scope(sessions) as session:
        request = await session.get(ServiceRequest, job.call.request_id)
        events = (await session.scalars(select(TaskStatusEvent).order_by(TaskStatusEvent.at))).all()
    assert request is not None and request.responded_at == arrived  # the arrival, not the sync
    assert [(e.status, e.at, e.note, e.engineer_id) for e in events] == [
        ("en_route", left, None, job.engineer_id),
        ("on_site", arrived, "at gate B", job.engineer_id),
    ]
    bundle = (await client.get(job.url(), headers=job.technician)).json()
    assert [e["status"] for e in bundle["status_events"]] == ["en_route", "on_site"]


async def test_a_scheduled_task_may_set_off_and_the_work_order_passes_through_dispatched(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions, dispatch=False)

    response = await step(client, job, "en_route")

    assert response.status_code == 200, response.text
    assert (response.json()["task_status"], response.json()["work_order_status"]) == ("en_route", "en_route")


async def test_illegal_steps_answer_409_with_the_current_status(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)

    too_early = await step(client, job, "on_site")
    await step(client, job, "en_route")
    twice = await step(client, job, "en_route")
    unknown = await step(client, job, "completed")

    assert too_early.status_code == 409 and problem_of(too_early)["code"] == "illegal_transition"
    assert (problem_of(too_early)["current_status"], problem_of(too_early)["target_status"]) == (
        "dispatched",
        "on_site",
    )
    assert twice.status_code == 409 and problem_of(twice)["current_status"] == "en_route"
    assert unknown.status_code == 422 and problem_of(unknown)["field"] == "status"


async def test_leaving_the_site_and_coming_back_is_a_second_visit_and_the_work_order_stays_on_site(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    for status in ("en_route", "on_site", "en_route"):
        assert (await step(client, job, status)).status_code == 200

    back = await step(client, job, "on_site")

    assert back.status_code == 200 and back.json()["work_order_status"] == "on_site"


async def test_device_times_and_coordinates_are_checked(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)

    future = await step(client, job, "en_route", at=(now() + dt.timedelta(hours=1)).isoformat())
    naive = await step(client, job, "en_route", at="2026-01-01T08:00:00")
    half = await step(client, job, "en_route", latitude=52.5)
    wild = await step(client, job, "en_route", latitude=95.0, longitude=13.4)
    slightly_ahead = await step(client, job, "en_route", at=(now() + dt.timedelta(seconds=20)).isoformat())

    assert future.status_code == 422 and problem_of(future)["code"] == "time_in_future"
    assert problem_of(future)["field"] == "at"
    assert naive.status_code == 422 and problem_of(naive)["field"] == "at"
    assert half.status_code == 422 and problem_of(half)["code"] == "coordinates_incomplete"
    assert problem_of(half)["field"] == "longitude"
    assert wild.status_code == 422 and problem_of(wild)["field"] == "latitude"
    assert slightly_ahead.status_code == 200  # phone clocks run a little fast


async def test_no_steps_while_the_work_order_is_on_hold(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    held = await transition(client, job.planner, job.work_order, "on_hold")
    assert held.status_code == 200

    refused = await step(client, job, "en_route")

    assert refused.status_code == 409 and problem_of(refused)["code"] == "work_order_not_active"
    assert problem_of(refused)["current_status"] == "on_hold"
    after = (await client.get(f"{URL}/{job.work_order['id']}", headers=job.planner)).json()
    assert after["tasks"][0]["status"] == "dispatched"


async def test_a_status_step_is_idempotent_per_key(client: Client, login_as: UserFactory, sessions: Sessions) -> None:
    job = await dispatched_job(client, login_as, sessions)
    at = ago(minutes=20)

    first = await step(client, job, "en_route", at=at, key="phone-1:step-1")
    again = await step(client, job, "en_route", at=at, key="phone-1:step-1")

    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.content == first.content
    async with session_scope(sessions) as session:
        assert len((await session.scalars(select(TaskStatusEvent))).all()) == 1
