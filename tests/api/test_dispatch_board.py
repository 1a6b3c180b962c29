"""The dispatch board over HTTP: manual moves checked by the plan checker, urgent insertions ranked
over the published plan, appointment offers."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Litestar
from sqlalchemy import select

from core.auth import Role
from core.db import session_scope
from service_mgmt.models import TaskAssignment
from tests.api.test_work_orders import Client, Sessions
from tests.conftest import UserFactory, problem_of
from tests.integration.dispatch_fixtures import engineer, job, next_day, site

BERLIN = ZoneInfo("Europe/Berlin")
MOVES = "/api/v1/dispatch/moves"
INSERTIONS = "/api/v1/dispatch/insertions"
OFFERS = "/api/v1/dispatch/offers"


def tomorrow(hour: int, minute: int = 0) -> dt.datetime:
    """Tomorrow at this Berlin wall-clock time, in UTC."""
    return dt.datetime.combine(next_day(), dt.time(hour, minute), tzinfo=BERLIN).astimezone(dt.UTC)


async def board(sessions: Sessions) -> dict[str, Any]:
    """Anna (printers 3) has a job pinned tomorrow 09:00-10:00; Ben (printers 1) is free; an open printers-2 job."""
    async with session_scope(sessions) as session:
        anna = await engineer(session, "Anna", {"printers": 3})
        ben = await engineer(session, "Ben", {"printers": 1}, home=(52.45, 13.30))
        near = await site(session, "Near", (52.53, 13.41))
        other = await site(session, "Other", (52.48, 13.35))
        busy = await job(
            session, near, status="scheduled", pinned=True, planned=tomorrow(9), crew=[anna.id], name="Booked"
        )
        free = await job(session, other, minutes=45, skills={"printers": 2}, name="Urgent")
    return {"anna": anna.id, "ben": ben.id, "busy": busy.id, "free": free.id, "site": other.id}


def move(world: dict[str, Any], who: str, at: dt.datetime, version: int = 1) -> dict[str, Any]:
    return {
        "task_id": str(world["free"]),
        "engineer_ids": [str(world[who])],
        "start": at.isoformat(),
        "version": version,
    }


async def test_a_move_that_breaks_a_constraint_answers_the_violations_and_changes_nothing(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    world = await board(sessions)
    planner = await login_as(Role.PLANNER)

    unskilled = problem_of(await client.post(MOVES, json=move(world, "ben", tomorrow(11)), headers=planner))
    overlapping = problem_of(await client.post(MOVES, json=move(world, "anna", tomorrow(9, 30)), headers=planner))
    at_night = problem_of(await client.post(MOVES, json=move(world, "anna", tomorrow(3)), headers=planner))

    assert unskilled["status"] == 422 and unskilled["code"] == "move_violates_constraints"
    assert [v["code"] for v in unskilled["violations"]] == ["skill"]
    assert {v["code"] for v in overlapping["violations"]} == {"travel"}
    # times as the planner reads them, in Anna's zone, never the solver's seconds
    day = next_day().strftime("%a %d %b")
    assert f"starts at {day} 09:30, cannot arrive before {day} 10:" in overlapping["violations"][0]["text"]
    assert at_night["violations"][0]["code"] == "no_shift"
    async with sessions() as session:
        assert await session.scalar(select(TaskAssignment.id).where(TaskAssignment.task_id == world["free"])) is None


async def test_a_valid_move_is_applied_and_a_stale_one_refused(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    world = await board(sessions)
    planner = await login_as(Role.PLANNER)

    response = await client.post(MOVES, json=move(world, "anna", tomorrow(11)), headers=planner)

    assert response.status_code == 200, response.text
    task = response.json()
    assert task["status"] == "scheduled"
    assert task["assignments"] == [{"engineer_id": str(world["anna"]), "lead": True}]
    assert dt.datetime.fromisoformat(task["planned_start"]) == tomorrow(11)
    assert dt.datetime.fromisoformat(task["planned_end"]) == tomorrow(11, 45)
    stale = await client.post(MOVES, json=move(world, "anna", tomorrow(13)), headers=planner)
    assert stale.status_code == 409 and problem_of(stale)["code"] == "stale_version"
    past = await client.post(
        MOVES, json=move(world, "anna", tomorrow(13) - dt.timedelta(days=3), task["version"]), headers=planner
    )
    assert problem_of(past)["code"] == "start_in_past"


async def test_an_urgent_task_gets_ranked_feasible_insertions_from_the_cached_plan(
    client: Client, sessions: Sessions, login_as: UserFactory, app: Litestar
) -> None:
    world = await board(sessions)
    planner = await login_as(Role.PLANNER)

    response = await client.post(INSERTIONS, json={"task_id": str(world["free"]), "days": 3}, headers=planner)

    assert response.status_code == 200, response.text
    options = response.json()["options"]
    assert options and {o["engineer_id"] for o in options} == {str(world["anna"])}  # Ben lacks the level
    costs = [o["cost_units"] for o in options]
    assert costs == sorted(costs)
    for option in options:  # money in the engineer's currency, named, travel in minutes
        assert option["cost"] == {"amount": f"{option['cost_units'] / 100:.2f}", "currency": "EUR"}
        assert option["engineer_name"] == "Anna"
        assert option["added_travel_minutes"] == round(option["added_travel_seconds"] / 60)
    now = dt.datetime.now(dt.UTC)
    booked = (tomorrow(9), tomorrow(10))
    for option in options:
        start, end = dt.datetime.fromisoformat(option["start"]), dt.datetime.fromisoformat(option["end"])
        assert start >= now - dt.timedelta(seconds=5)
        assert end <= booked[0] or start >= booked[1]  # never on top of Anna's booked job
    assert response.json()["reoptimization_run_id"] is None

    again = await client.post(INSERTIONS, json={"task_id": str(world["free"]), "days": 3}, headers=planner)
    assert again.json()["options"] == options
    assert app.state.dispatcher.published.hits >= 1


async def test_insertion_refuses_a_site_without_coordinates(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    async with session_scope(sessions) as session:
        await engineer(session, "Anna", {})
        lost = await job(session, await site(session, "Nowhere", None))
    planner = await login_as(Role.PLANNER)
    response = await client.post(INSERTIONS, json={"task_id": str(lost.id)}, headers=planner)
    body = problem_of(response)
    assert (response.status_code, body["code"], body["field"]) == (422, "task_not_plannable", "task_id")
    assert "site has no coordinates" in body["detail"]


async def test_offers_are_feasible_windows_cheapest_first(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    world = await board(sessions)
    agent = await login_as(Role.AGENT)
    spec = {
        "site_id": str(world["site"]),
        "duration_minutes": 60,
        "required_skills": [{"skill": "printers", "level": 2}],
    }

    response = await client.post(OFFERS, json={"task": spec, "days": 3, "slot_minutes": 120, "limit": 5}, headers=agent)

    assert response.status_code == 200, response.text
    offers = response.json()["offers"]
    assert len(offers) == 5
    assert [o["cost"] for o in offers] == sorted(o["cost"] for o in offers)
    for offer in offers:
        begins, ends = dt.datetime.fromisoformat(offer["window_start"]), dt.datetime.fromisoformat(offer["window_end"])
        start = dt.datetime.fromisoformat(offer["start"])
        assert ends - begins == dt.timedelta(hours=2) and begins <= start < ends
        assert offer["engineer_id"] == str(world["anna"])
        local = start.astimezone(BERLIN)
        assert dt.time(8) <= local.time() and (local + dt.timedelta(hours=1)).time() <= dt.time(17)
    both = await client.post(OFFERS, json={"task": spec, "task_id": str(world["free"])}, headers=agent)
    assert problem_of(both)["code"] == "task_or_spec"
    by_task = await client.post(OFFERS, json={"task_id": str(world["free"]), "days": 2}, headers=agent)
    assert by_task.status_code == 200 and by_task.json()["offers"]
