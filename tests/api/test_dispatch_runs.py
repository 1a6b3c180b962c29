"""Dispatch runs over HTTP: a real solve in the process pool, publish, stale publish, what-if, cancel,
the API answering while a run solves, and who may do what.

Runs that should finish solve bound by work (``solves_bound_by_work``), not by their time limit; the
one that should not finish has two minutes, which only a hang reaches. No assertion times anything."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select, update

from core.auth import Role
from core.db import session_scope
from service_mgmt.models import DispatchRun, Task, TaskAssignment
from tests.api.test_work_orders import Client, Sessions
from tests.conftest import UserFactory, problem_of
from tests.integration.dispatch_fixtures import engineer, job, next_day, site, solves_bound_by_work  # noqa: F401

RUNS = "/api/v1/dispatch/runs"


async def scenario(sessions: Sessions, tasks: int = 3) -> dict[str, Any]:
    """Two engineers in Berlin (every day 08-17); printer jobs nearby; one site without coordinates."""
    async with session_scope(sessions) as session:
        anna = await engineer(session, "Anna", {"printers": 3})
        ben = await engineer(session, "Ben", {"printers": 1}, home=(52.45, 13.30))
        ids = []
        for i in range(tasks):
            at = await site(session, f"Customer {i}", (52.40 + 0.02 * i, 13.25 + 0.03 * (i % 5)))
            ids.append((await job(session, at, minutes=45, skills={"printers": 1 + (i % 2)})).id)
        nowhere = await site(session, "Nowhere", None)
        lost = (await job(session, nowhere)).id
    return {"anna": anna.id, "ben": ben.id, "tasks": ids, "lost": lost}


async def finished(client: Client, headers: dict[str, str], run_id: str, within: float = 120) -> dict[str, Any]:
    """The run once it ended; ``within`` guards against a hang, it times nothing."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        body: dict[str, Any] = (await client.get(f"{RUNS}/{run_id}", headers=headers)).json()
        if body["status"] in {"succeeded", "failed", "cancelled"}:
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish in {within}s")


@pytest.mark.usefixtures("solves_bound_by_work")
async def test_a_run_solves_in_the_pool_and_its_plan_publishes_to_the_tasks(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    world = await scenario(sessions)
    planner = await login_as(Role.PLANNER)

    response = await client.post(
        RUNS, json={"first_day": next_day().isoformat(), "days": 1, "time_limit_seconds": 1}, headers=planner
    )
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    assert response.headers["location"] == f"{RUNS}/{run_id}"
    assert response.json()["status"] == "queued"

    run = await finished(client, planner, run_id)
    assert run["status"] == "succeeded", run
    assert run["started_at"] and run["finished_at"] and run["progress"]
    async with sessions() as session:  # the driver's heartbeat (what tells a live run from a lost one)
        assert await session.scalar(select(DispatchRun.heartbeat_at).where(DispatchRun.id == UUID(run_id)))
    plan = run["plan"]
    planned = {v["task_id"] for r in plan["routes"] for v in r["visits"]}
    assert planned == {str(t) for t in world["tasks"]}
    assert plan["unassigned"] == [
        {"task_id": str(world["lost"]), "reason": "no_coordinates", "text": "site has no coordinates"}
    ]
    assert plan["violations"] == []
    assert {e["task_id"] for e in plan["explanations"]} == planned
    # explanations name people, not the solver's engineer ids
    assert all(e["engineer_name"] and e["text"].startswith(e["engineer_name"]) for e in plan["explanations"])
    assert not any(
        str(engineer) in e["text"] for e in plan["explanations"] for engineer in (world["anna"], world["ben"])
    )
    assert run["kpis"]["tasks_assigned"] == 3 and run["kpis"]["tasks_unassigned"] == 1
    # a printers-2 job only Anna can do
    anna_jobs = {v["task_id"] for r in plan["routes"] if r["engineer_id"] == str(world["anna"]) for v in r["visits"]}
    assert str(world["tasks"][1]) in anna_jobs

    published = await client.post(f"{RUNS}/{run_id}/publish", json={}, headers=planner)
    assert published.status_code == 200, published.text
    assert sorted(published.json()["published"]) == sorted(str(t) for t in world["tasks"])
    async with sessions() as session:
        rows = (await session.scalars(select(Task).where(Task.id.in_(world["tasks"])))).all()
        assert {t.status for t in rows} == {"scheduled"} and all(t.planned_start for t in rows)
        crews = (await session.scalars(select(TaskAssignment).where(TaskAssignment.task_id.in_(world["tasks"])))).all()
        assert len(crews) == 3 and all(a.lead for a in crews)

    again = await client.post(f"{RUNS}/{run_id}/publish", json={}, headers=planner)
    assert problem_of(again)["code"] == "run_already_published"


@pytest.mark.usefixtures("solves_bound_by_work")
async def test_a_plan_is_stale_once_a_task_changed_and_nothing_is_written(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    world = await scenario(sessions, tasks=2)
    planner = await login_as(Role.PLANNER)
    run_id = (
        await client.post(RUNS, json={"first_day": next_day().isoformat(), "time_limit_seconds": 0.5}, headers=planner)
    ).json()["id"]
    assert (await finished(client, planner, run_id))["status"] == "succeeded"
    async with session_scope(sessions) as session:
        await session.execute(
            update(Task).where(Task.id == world["tasks"][0]).values(name="Changed", version=Task.version + 1)
        )

    response = await client.post(f"{RUNS}/{run_id}/publish", json={}, headers=planner)

    assert response.status_code == 409
    body = problem_of(response)
    assert body["code"] == "plan_stale"
    assert [t["task_id"] for t in body["tasks"]] == [str(world["tasks"][0])]
    async with sessions() as session:
        assert await session.scalar(select(TaskAssignment.id)) is None


@pytest.mark.usefixtures("solves_bound_by_work")
async def test_what_if_compares_with_the_published_plan_and_is_never_published(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    world = await scenario(sessions, tasks=2)
    planner = await login_as(Role.PLANNER)
    day = next_day()
    response = await client.post(
        RUNS,
        json={
            "kind": "what_if",
            "first_day": day.isoformat(),
            "time_limit_seconds": 0.5,
            "changes": {
                "sick": [
                    {"engineer_id": str(world["anna"]), "first_day": day.isoformat(), "last_day": day.isoformat()}
                ],
                "extra_engineers": [
                    {
                        "name": "Contractor",
                        "skills": [{"skill": "printers", "level": 3}],
                        "home_latitude": 52.5,
                        "home_longitude": 13.4,
                        "time_zone": "Europe/Berlin",
                    }
                ],
                "policy_weights": {"travel_per_second": 2},
            },
        },
        headers=planner,
    )
    assert response.status_code == 202, response.text
    run = await finished(client, planner, response.json()["id"])

    assert run["status"] == "succeeded"
    engineers = {r["engineer_id"] for r in run["plan"]["routes"]}
    assert str(world["anna"]) not in engineers and "extra-1" in engineers
    compared = run["kpis"]["compared_with_published"]
    assert compared["tasks_assigned"] == 2  # nothing is published yet
    refused = await client.post(f"{RUNS}/{run['id']}/publish", json={}, headers=planner)
    assert refused.status_code == 409 and problem_of(refused)["code"] == "what_if_not_publishable"


async def test_a_cancelled_run_stops_and_the_api_answers_while_it_solves(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    await scenario(sessions, tasks=40)
    planner = await login_as(Role.PLANNER)
    run_id = (
        await client.post(
            RUNS, json={"first_day": next_day().isoformat(), "days": 2, "time_limit_seconds": 120}, headers=planner
        )
    ).json()["id"]
    deadline = time.monotonic() + 120  # a hang guard: the pool's process starts within it
    while (await client.get(f"{RUNS}/{run_id}", headers=planner)).json()["status"] != "running":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)

    for _ in range(10):
        answer = await client.get(f"{RUNS}?limit=5", headers=planner)
        assert answer.status_code == 200
        await asyncio.sleep(0.05)
    # answered while the solve goes on: a solve in this process would have held every answer back
    # until its two minutes were over
    assert (await client.get(f"{RUNS}/{run_id}", headers=planner)).json()["status"] == "running"

    response = await client.post(f"{RUNS}/{run_id}/cancel", headers=planner)
    assert response.status_code == 202 and response.json()["cancel_requested"] is True
    run = await finished(client, planner, run_id)
    assert run["status"] == "cancelled"  # only the cancel could end it this side of two minutes
    assert run["plan"] is not None  # the best plan found so far is kept
    refused = await client.post(f"{RUNS}/{run_id}/publish", json={}, headers=planner)
    assert problem_of(refused)["code"] == "run_not_succeeded"
    late = await client.post(f"{RUNS}/{run_id}/cancel", headers=planner)
    assert problem_of(late)["code"] == "run_finished"


async def test_only_planners_run_and_managers_read(client: Client, sessions: Sessions, login_as: UserFactory) -> None:
    async with session_scope(sessions) as session:
        own = await site(session, "ACME", (52.5, 13.4))
    technician = await login_as(Role.TECHNICIAN)
    customer = await login_as(Role.CUSTOMER, customer_id=own.customer_id)
    manager = await login_as(Role.MANAGER)
    body = {"time_limit_seconds": 1}
    for headers in (technician, customer, manager):
        assert (await client.post(RUNS, json=body, headers=headers)).status_code == 403
    for headers in (technician, customer):
        assert (await client.get(RUNS, headers=headers)).status_code == 403
        for path in ("/api/v1/dispatch/insertions", "/api/v1/dispatch/offers", "/api/v1/dispatch/moves"):
            assert (await client.post(path, json={}, headers=headers)).status_code == 403
    assert (await client.get(RUNS, headers=manager)).status_code == 200
    missing = await client.get(f"{RUNS}/{UUID(int=1)}", headers=manager)
    assert missing.status_code == 404


async def test_bad_run_input_is_a_problem_with_its_field(client: Client, login_as: UserFactory) -> None:
    planner = await login_as(Role.PLANNER)
    cases = [
        ({"policy": "fastest"}, "unknown_policy", "policy"),
        ({"days": 40}, None, "days"),
        ({"changes": {"sick": []}}, "changes_only_for_what_if", "changes"),
        (
            {
                "kind": "what_if",
                "changes": {
                    "extra_engineers": [
                        {"name": "X", "home_latitude": 1, "home_longitude": 1, "time_zone": "Mars/Base"}
                    ]
                },
            },
            None,
            None,
        ),
    ]
    for body, code, field in cases:
        response = await client.post(RUNS, json=body, headers=planner)
        assert response.status_code == 422, response.text
        problem = problem_of(response)
        if code:
            assert problem["code"] == code
        if field:
            assert problem["field"] == field
    assert (await client.get(RUNS, headers=planner)).json()["total"] == 0
