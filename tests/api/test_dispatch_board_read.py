"""The dispatch board read model (GET /dispatch/board), pins, explanations and the published KPIs,
as a planner and a manager see them: people by name, never by id."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import update

from core.auth import Role
from core.db import session_scope
from masterdata.models import User
from scheduling import HaversineTravel, Location
from service_mgmt.models import DispatchRun
from tests.api.test_work_orders import Client, Sessions
from tests.conftest import UserFactory, problem_of
from tests.integration.dispatch_fixtures import BERLIN as BERLIN_HOME
from tests.integration.dispatch_fixtures import engineer, job, next_day, site, window

BERLIN = ZoneInfo("Europe/Berlin")
BOARD = "/api/v1/dispatch/board"
TASKS = "/api/v1/dispatch/tasks"
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NEAR = (52.53, 13.41)


def tomorrow(hour: int, minute: int = 0, days: int = 1) -> dt.datetime:
    return dt.datetime.combine(next_day(days), dt.time(hour, minute), tzinfo=BERLIN).astimezone(dt.UTC)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


async def world(sessions: Sessions) -> dict[str, Any]:
    """Anna (north, printers 3, lunch 30 min in 12:00-13:30) has a late job at 09:00 and a pinned one at
    11:00, and leads a crew with Ben at 14:00; Ben (south, printers 1) is otherwise free; Cleo (north,
    plumbing) is at the doctor 13:00-15:00. Open: a P1 printers job (any time), a P2 plumbing job with
    an appointment tomorrow, a P3 job whose appointment is in three days. The latest run could not plan
    the P1 job and said so naming Anna by id."""
    async with session_scope(sessions) as session:
        anna = await engineer(session, "Anna", {"printers": 3}, territory="north", lunch=(30, "12:00", "13:30"))
        ben = await engineer(session, "Ben", {"printers": 1}, territory="south", home=(52.45, 13.30))
        cleo = await engineer(session, "Cleo", {"plumbing": 2}, territory="north", absent=(tomorrow(13), tomorrow(15)))
        near = await site(session, "Near", NEAR, territory="north")
        late = await job(
            session,
            near,
            status="scheduled",
            planned=tomorrow(9),
            crew=[anna.id],
            name="Late",
            windows=[window(tomorrow(7), tomorrow(9, 30), "sla")],
        )
        pinned = await job(
            session, near, status="scheduled", pinned=True, planned=tomorrow(11), crew=[anna.id], name="Pinned"
        )
        crew = await job(session, near, status="scheduled", planned=tomorrow(14), crew=[anna.id, ben.id], name="Crew")
        urgent = await job(session, near, skills={"printers": 2}, priority="P1", name="Urgent")
        plumbing = await job(
            session,
            near,
            skills={"plumbing": 1},
            priority="P2",
            name="Leak",
            windows=[window(tomorrow(10), tomorrow(12))],
        )
        later = await job(session, near, name="Later", windows=[window(tomorrow(10, days=3), tomorrow(12, days=3))])
        session.add(
            DispatchRun(
                kind="full",
                status="succeeded",
                parameters={},
                progress=[],
                requested_by="planner",
                cancel_requested=False,
                finished_at=dt.datetime.now(dt.UTC),
                plan={
                    "routes": [],
                    "unassigned": [
                        {
                            "task_id": str(urgent.id),
                            "reason": "pin_infeasible",
                            "text": f"pinned engineer {anna.id} cannot do this task",
                        }
                    ],
                },
            )
        )
    return {
        "anna": anna.id,
        "ben": ben.id,
        "cleo": cleo.id,
        "late": late.id,
        "pinned": pinned.id,
        "crew": crew.id,
        "urgent": urgent.id,
        "plumbing": plumbing.id,
        "later": later.id,
    }


async def get_board(client: Client, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get(BOARD, params={"start": next_day().isoformat(), **params}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["name"]: i for i in items}


async def test_the_board_names_people_and_shows_shifts_lunches_absences_travel_and_lateness(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    w = await world(sessions)
    planner = await login_as(Role.PLANNER)

    board = await get_board(client, planner)

    assert board["time_zone"] == "Europe/Berlin" and board["can_edit"] is True
    assert at(board["start"]) == tomorrow(0) and at(board["end"]) == tomorrow(0, days=2)
    assert [e["name"] for e in board["engineers"]] == ["Anna", "Ben", "Cleo"]
    engineers = by_name(board["engineers"])
    anna, cleo = engineers["Anna"], engineers["Cleo"]
    assert anna["skills"] == [{"skill": "printers", "level": 3}] and anna["territory"] == "north"
    assert [(at(s["start"]), at(s["end"])) for s in anna["shifts"]] == [(tomorrow(8), tomorrow(17))]
    # the morning is busy until 12:00 (11:00-12:00 pinned job): lunch right after, inside its window
    assert [(at(s["start"]), at(s["end"])) for s in anna["lunches"]] == [(tomorrow(12), tomorrow(12, 30))]
    assert [(at(s["start"]), at(s["end"])) for s in cleo["shifts"]] == [
        (tomorrow(8), tomorrow(13)),
        (tomorrow(15), tomorrow(17)),
    ]
    assert [a["reason"] for a in cleo["absences"]] == ["doctor"] and cleo["lunches"] == []
    assert anna["utilisation"] == round(180 / 540, 4) and engineers["Ben"]["utilisation"] == round(60 / 540, 4)

    cards = by_name(board["assignments"])
    assert set(cards) == {"Late", "Pinned", "Crew"}
    assert cards["Late"]["engineer_names"] == ["Anna"] and cards["Late"]["late"] is True
    assert at(cards["Late"]["sla_due"]) == tomorrow(9, 30)
    assert cards["Pinned"]["pinned"] is True and cards["Pinned"]["late"] is False
    assert cards["Crew"]["engineer_ids"] == [str(w["anna"]), str(w["ben"])]
    assert cards["Crew"]["engineer_names"] == ["Anna", "Ben"]
    home_to_site = HaversineTravel().matrices([Location(*BERLIN_HOME), Location(*NEAR)]).seconds[0][1]
    assert cards["Late"]["travel_minutes"] == round(home_to_site / 60) > 0
    assert cards["Pinned"]["travel_minutes"] == 0  # same site as the visit before
    assert cards["Late"]["customer_name"] == "Near" and cards["Late"]["site"]["latitude"] == NEAR[0]

    open_tasks = by_name(board["unassigned"])
    assert set(open_tasks) == {"Urgent", "Leak"}  # "Later" is due in three days
    reason = open_tasks["Urgent"]["reason"]
    assert reason == {"code": "pin_infeasible", "text": "pinned engineer Anna cannot do this task"}
    assert open_tasks["Leak"]["reason"] is None
    assert [(at(s["start"]), at(s["end"])) for s in open_tasks["Leak"]["time_windows"]] == [
        (tomorrow(10), tomorrow(12))
    ]
    assert board["counts"]["unassigned_by_priority"] == {"P1": 1, "P2": 1, "P3": 0, "P4": 0}

    routes = {(r["engineer_id"], r["date"]): r["stops"] for r in board["routes"]}
    day = next_day().isoformat()
    assert [s["task_id"] for s in routes[str(w["anna"]), day]] == [str(w["late"]), str(w["pinned"]), str(w["crew"])]
    assert [s["task_id"] for s in routes[str(w["ben"]), day]] == [str(w["crew"])]
    assert not UUID_TEXT.search(str([u["reason"] for u in board["unassigned"]]))


async def test_filters_sort_and_three_days(client: Client, sessions: Sessions, login_as: UserFactory) -> None:
    await world(sessions)
    planner = await login_as(Role.PLANNER)

    north = await get_board(client, planner, territory="north")
    plumbers = await get_board(client, planner, skill="plumbing")
    by_use = await get_board(client, planner, sort="utilisation")
    three = await get_board(client, planner, days=3)

    assert [e["name"] for e in north["engineers"]] == ["Anna", "Cleo"]
    assert {a["name"] for a in north["assignments"]} == {"Late", "Pinned", "Crew"}
    assert [e["name"] for e in plumbers["engineers"]] == ["Cleo"]
    assert plumbers["assignments"] == [] and [u["name"] for u in plumbers["unassigned"]] == ["Leak"]
    assert [e["name"] for e in by_use["engineers"]] == ["Cleo", "Ben", "Anna"]  # least used first
    assert {u["name"] for u in three["unassigned"]} == {"Urgent", "Leak", "Later"}
    assert len(by_name(three["engineers"])["Anna"]["shifts"]) == 3


async def test_bad_queries_answer_problems_naming_the_field(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    planner = await login_as(Role.PLANNER)
    for params, field in (
        ({"days": "5"}, "days"),
        ({"sort": "busy"}, "sort"),
        ({"start": "tomorrow"}, "start"),
        ({"territory": "x" * 65}, "territory"),
    ):
        response = await client.get(BOARD, params=params, headers=planner)
        body = problem_of(response)
        assert response.status_code in {400, 422}, (params, response.text)
        assert body["code"] and body["field"] == field, body
    unknown = await client.get(f"{TASKS}/{UUID(int=7)}/explanation", headers=planner)
    assert (unknown.status_code, problem_of(unknown)["code"]) == (404, "task_not_found")


async def test_roles_readers_read_and_only_planners_pin(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    w = await world(sessions)
    async with session_scope(sessions) as session:
        customer_id = (await site(session, "Customer's own", NEAR)).customer_id
    outsiders = [
        await login_as(Role.TECHNICIAN, engineer_id=w["ben"]),
        await login_as(Role.AGENT),
        await login_as(Role.CUSTOMER, customer_id=customer_id),
    ]
    for headers in outsiders:
        for method, url, body in (
            ("GET", BOARD, None),
            ("GET", f"{TASKS}/{w['pinned']}/explanation", None),
            ("GET", "/api/v1/dispatch/published/kpis", None),
            ("POST", f"{TASKS}/{w['late']}/pin", {"version": 1}),
        ):
            response = await client.request(method, url, json=body, headers=headers)
            assert response.status_code == 403 and problem_of(response)["code"] == "role_not_allowed", (method, url)
    manager = await login_as(Role.MANAGER)
    seen = await get_board(client, manager)
    assert seen["can_edit"] is False and len(seen["assignments"]) == 3
    version = by_name(seen["assignments"])["Late"]["task_version"]
    for path in ("pin", "unpin"):
        response = await client.post(f"{TASKS}/{w['late']}/{path}", json={"version": version}, headers=manager)
        assert response.status_code == 403
    move = {"task_id": str(w["late"]), "engineer_ids": [str(w["anna"])], "start": tomorrow(15).isoformat()}
    moved = await client.post("/api/v1/dispatch/moves", json=move | {"version": version}, headers=manager)
    assert moved.status_code == 403
    kpis = await client.get("/api/v1/dispatch/published/kpis", headers=manager)
    assert kpis.status_code == 200, kpis.text
    explanation = await client.get(f"{TASKS}/{w['pinned']}/explanation", headers=manager)
    assert explanation.status_code == 200


async def test_pin_unpin_and_a_stale_version_names_who_changed_what(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    w = await world(sessions)
    paula = await login_as(Role.PLANNER)
    async with session_scope(sessions) as session:
        await session.execute(update(User).where(User.username == "planner1").values(display_name="Paula Planner"))
    other = await login_as(Role.PLANNER)
    before = await get_board(client, other)
    card = by_name(before["assignments"])["Late"]

    pinned = await client.post(f"{TASKS}/{w['late']}/pin", json={"version": card["task_version"]}, headers=paula)

    assert pinned.status_code == 200, pinned.text
    assert pinned.json()["pinned"] is True and pinned.json()["task_version"] == card["task_version"] + 1
    assert pinned.json()["engineer_names"] == ["Anna"] and pinned.json()["travel_minutes"] == card["travel_minutes"]
    after = await get_board(client, other)
    assert after["revision"] != before["revision"]
    stale = await client.post(f"{TASKS}/{w['late']}/unpin", json={"version": card["task_version"]}, headers=other)
    body = problem_of(stale)
    assert (stale.status_code, body["code"], body["field"]) == (409, "stale_version", "version")
    assert body["changed_by"] == "Paula Planner" and body["changes"] == ["Paula Planner pinned it"]
    assert body["current_version"] == card["task_version"] + 1 and at(body["changed_at"])
    moved = await client.post(
        "/api/v1/dispatch/moves",
        json={
            "task_id": str(w["late"]),
            "engineer_ids": [str(w["anna"])],
            "start": tomorrow(15).isoformat(),
            "version": card["task_version"],
        },
        headers=other,
    )
    assert problem_of(moved)["changed_by"] == "Paula Planner"
    unpinned = await client.post(
        f"{TASKS}/{w['late']}/unpin", json={"version": card["task_version"] + 1}, headers=other
    )
    assert unpinned.status_code == 200 and unpinned.json()["pinned"] is False
    open_task = await client.post(f"{TASKS}/{w['urgent']}/pin", json={"version": 1}, headers=paula)
    assert (open_task.status_code, problem_of(open_task)["code"]) == (409, "task_not_planned")


async def test_a_move_made_stale_by_a_move_lists_the_change_with_names(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    w = await world(sessions)
    first, second = await login_as(Role.PLANNER), await login_as(Role.PLANNER)
    body = {"task_id": str(w["urgent"]), "engineer_ids": [str(w["anna"])], "version": 1}

    done = await client.post("/api/v1/dispatch/moves", json=body | {"start": tomorrow(15).isoformat()}, headers=first)
    assert done.status_code == 200, done.text
    stale = await client.post("/api/v1/dispatch/moves", json=body | {"start": tomorrow(16).isoformat()}, headers=second)

    problem = problem_of(stale)
    assert problem["changed_by"] == "planner1"
    [change] = problem["changes"]
    assert change.startswith("planner1 moved it: engineers nobody → Anna; start — → ")
    assert "15:00" in change and not UUID_TEXT.search(change)


async def test_the_explanation_names_the_engineer_and_the_alternative(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    w = await world(sessions)
    planner = await login_as(Role.PLANNER)

    here = (await client.get(f"{TASKS}/{w['pinned']}/explanation", headers=planner)).json()
    unplanned = (await client.get(f"{TASKS}/{w['urgent']}/explanation", headers=planner)).json()

    assert here["engineer_names"] == ["Anna"]
    assert here["why"].startswith("Anna: ") and not UUID_TEXT.search(here["why"])
    assert here["alternative"]["engineer_name"] in {"Ben", "Cleo"}
    assert set(here["alternative"]["extra_cost"]) == {"amount", "currency"}
    assert here["alternative"]["extra_cost"]["currency"] == "EUR"
    alternative = here["alternative"]
    assert here["why"].endswith(f"{alternative['extra_cost']['amount']} EUR)")
    assert f"; {alternative['engineer_name']} would " in here["why"]
    assert [f["label"] for f in here["factors"]][:2] == ["Pinned", "Travel to it"]
    assert unplanned["engineer_names"] == []
    assert "pinned engineer Anna cannot do this task" in unplanned["why"]
    assert unplanned["alternative"]["engineer_name"] == "Anna"  # the only one with printers 2


async def test_published_kpis_have_the_keys_of_a_run(client: Client, sessions: Sessions, login_as: UserFactory) -> None:
    await world(sessions)
    planner = await login_as(Role.PLANNER)

    response = await client.get(
        "/api/v1/dispatch/published/kpis", params={"first_day": next_day().isoformat()}, headers=planner
    )

    assert response.status_code == 200, response.text
    kpis = response.json()
    assert {"travel_seconds", "overtime_seconds", "tasks_late", "unassigned_by_priority", "utilization"} <= set(kpis)
    assert kpis["tasks_assigned"] == 3 and kpis["tasks_late"] == 1
    bad = await client.get("/api/v1/dispatch/published/kpis", params={"days": "30"}, headers=planner)
    assert bad.status_code in {400, 422} and problem_of(bad)["field"] == "days"


async def test_the_board_reads_in_a_fixed_handful_of_statements_whatever_the_size(sessions: Sessions) -> None:
    """No query per engineer or task: the benchmark's data (a published run, crews, pins, absences,
    open tasks with the solver's reasons; 12 engineers, 120 tasks) is read, for 1 and 3 days and
    filtered, in a fixed handful of statements, fewer than the engineers on the board."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from bench.board_data import BoardVolume, generate
    from core.auth import SYSTEM
    from service_mgmt.dispatch.board import BoardQuery, read_board

    data = await generate(sessions, BoardVolume(engineers=12, tasks=120, visits_per_day=4))
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(Engine, "before_cursor_execute", count)
    try:
        statements = []
        for query in (
            BoardQuery(start=data.first_day, days=1),
            BoardQuery(start=data.first_day, days=3),
            BoardQuery(start=data.first_day, territory="north", sort="utilisation"),
        ):
            seen.clear()
            async with sessions() as session:
                board = await read_board(session, SYSTEM, query)
            statements.append(len(seen))
            assert not UUID_TEXT.search(str([u.reason for u in board.unassigned]))
    finally:
        event.remove(Engine, "before_cursor_execute", count)

    # revision, engineers, skills, hours, absences, planned tasks, crews, open tasks, the run's reasons,
    # and with a filter the names of crew members and people in reasons who are off the board
    assert max(statements) <= 13, statements
    async with sessions() as session:
        full = await read_board(session, SYSTEM, BoardQuery(start=data.first_day, days=3))
    assert len(full.engineers) == 12 and len(full.assignments) == 12 * 4 * 2
    assert {u.task_id for u in full.unassigned} == set(data.open_task_ids)
    assert all(u.reason is not None for u in full.unassigned)
    assert any(a.late for a in full.assignments) and any(a.pinned for a in full.assignments)
    assert any(len(a.engineer_names) == 2 for a in full.assignments)
