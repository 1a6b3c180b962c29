"""Live updates in one process (the SQLite memory channel): what the dispatch board's stream sends.

Every plan-changing commit is one `plan` event naming people and jobs; nothing is sent for a change
that did not commit; runs report progress as `run` events; the stream is for planners, admins and
managers only, keeps itself alive with heartbeats, and ends on logout and on shutdown.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.live.hub import LiveHub
from api.live.pg_backend import ReconnectingAsyncPgBackend
from core.auth import SYSTEM, Role
from core.db import session_scope
from masterdata.services.users import UserCreate, create_user, principal_for
from service_mgmt.plan_announcements import announce_pin
from tests.api.live_stream import LIVE, InProcessStream
from tests.api.technician_fixtures import dispatched_job, step
from tests.api.test_dispatch_board import board, move, tomorrow
from tests.api.test_dispatch_runs import RUNS, finished, scenario
from tests.api.test_work_orders import Client, Sessions
from tests.conftest import UserFactory, problem_of
from tests.integration.dispatch_fixtures import next_day, solves_bound_by_work  # noqa: F401

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MOVES = "/api/v1/dispatch/moves"


@pytest.fixture
async def streams(client: Client) -> AsyncIterator[list[InProcessStream]]:
    """Streams a test opens; each is disconnected at the end."""
    opened: list[InProcessStream] = []
    yield opened
    for stream in opened:
        stream.disconnect()
    for stream in opened:
        assert stream.future is not None
        stream.future.result(timeout=20)  # ended, not hung
    assert hub_of(client).listening == 0  # and unsubscribed


async def open_stream(client: Client, streams: list[InProcessStream], headers: dict[str, str]) -> InProcessStream:
    hub_of(client).max_stream_seconds = 120  # the tests' settings end streams after 0.5 s
    stream = InProcessStream(client, headers)
    streams.append(stream)
    stream.open()
    await stream.subscribed()
    return stream


def hub_of(client: AsyncTestClient[Litestar]) -> LiveHub:
    hub: LiveHub = client.app.state.live
    return hub


async def test_a_move_reaches_every_open_board_as_one_plan_event_naming_people(
    client: Client, sessions: Sessions, login_as: UserFactory, streams: list[InProcessStream]
) -> None:
    world = await board(sessions)
    planner = await login_as(Role.PLANNER)
    boards = [
        await open_stream(client, streams, planner),
        await open_stream(client, streams, await login_as(Role.MANAGER)),
    ]

    refused = await client.post(MOVES, json=move(world, "ben", tomorrow(11)), headers=planner)  # Ben lacks the skill
    assert problem_of(refused)["code"] == "move_violates_constraints"
    moved = await client.post(MOVES, json=move(world, "anna", tomorrow(11)), headers=planner)
    assert moved.status_code == 200, moved.text

    seen = [await b.until("plan") for b in boards]
    assert seen[0] == seen[1]  # the same event on both boards, and the refused move sent none
    data = seen[0].data
    assert data is not None
    assert data["kind"] == "move" and data["task_ids"] == [str(world["free"])]
    assert data["by"] == "planner1"  # no display name: the username
    assert data["text"].startswith('planner1 moved "Urgent"') and "to Anna" in data["text"]
    assert not UUID_TEXT.search(data["text"])
    assert data["revision"]


async def test_each_change_gets_a_new_revision_and_a_new_task_is_told_too(
    client: Client, sessions: Sessions, login_as: UserFactory, streams: list[InProcessStream]
) -> None:
    world = await board(sessions)
    planner = await login_as(Role.PLANNER)
    stream = await open_stream(client, streams, await login_as(Role.ADMIN))

    moved = await client.post(MOVES, json=move(world, "anna", tomorrow(11)), headers=planner)
    assert moved.status_code == 200, moved.text
    moved_again = await client.post(
        MOVES, json=move(world, "anna", tomorrow(13), moved.json()["version"]), headers=planner
    )
    assert moved_again.status_code == 200, moved_again.text
    created = await client.post(
        "/api/v1/work-orders",
        json={
            "customer_id": str(await _customer_of(sessions, world["site"])),
            "site_id": str(world["site"]),
            "service_type": "repair",
            "priority": "P2",
            "tasks": [{"sequence": 1, "name": "Clear paper jam", "duration_minutes": 30}],
        },
        headers=planner,
    )
    assert created.status_code == 201, created.text

    first, second, third = [(await stream.until("plan")).data for _ in range(3)]
    assert first and second and third
    assert first["revision"] != second["revision"] != third["revision"]
    assert [first["kind"], second["kind"], third["kind"]] == ["move", "move", "task"]
    number = created.json()["number"]
    assert third["text"] == f"planner1 created work order {number} with 1 task(s)"
    assert third["task_ids"] == [t["id"] for t in created.json()["tasks"]]


async def _customer_of(sessions: Sessions, site_id: UUID) -> UUID:
    from masterdata.models import Site

    async with session_scope(sessions) as session:
        site = await session.get(Site, site_id)
        assert site is not None
        return site.customer_id


@pytest.mark.usefixtures("solves_bound_by_work")
async def test_a_run_reports_its_progress_and_its_publish_is_a_plan_change(
    client: Client, sessions: Sessions, login_as: UserFactory, streams: list[InProcessStream]
) -> None:
    world = await scenario(sessions)
    planner = await login_as(Role.PLANNER)
    stream = await open_stream(client, streams, planner)

    response = await client.post(
        RUNS, json={"first_day": next_day().isoformat(), "days": 1, "time_limit_seconds": 1}, headers=planner
    )
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    run = await finished(client, planner, run_id)
    assert run["status"] == "succeeded", run

    statuses: list[str] = []
    objectives: list[float | None] = []
    while "succeeded" not in statuses:
        got = await stream.next_event()
        assert got is not None
        if got.event == "run":
            assert got.data is not None and got.data["run_id"] == run_id
            statuses.append(got.data["status"])
            objectives.append(got.data["best_objective"])
    assert statuses[0] == "queued" and "running" in statuses and statuses[-1] == "succeeded"
    assert objectives[-1] is not None
    finished_run = await stream.until("plan")
    assert finished_run.data is not None and finished_run.data["kind"] == "run"
    assert "optimization run succeeded" in finished_run.data["text"]

    published = await client.post(f"{RUNS}/{run_id}/publish", json={}, headers=planner)
    assert published.status_code == 200, published.text
    told = (await stream.until("plan")).data
    assert told is not None and told["kind"] == "publish"
    assert sorted(told["task_ids"]) == sorted(str(t) for t in world["tasks"])
    assert told["text"] == "planner1 published a plan: 3 task(s) planned"


async def test_a_technicians_steps_are_told_once_each_naming_the_technician(
    client: Client, sessions: Sessions, login_as: UserFactory, streams: list[InProcessStream]
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    stream = await open_stream(client, streams, job.planner)

    first = await step(client, job, "en_route", key="step-1")
    replayed = await step(client, job, "en_route", key="step-1")  # the phone retried: answered, not redone
    arrived = await step(client, job, "on_site")
    assert (first.status_code, replayed.status_code, arrived.status_code) == (200, 200, 200)

    en_route, on_site = [(await stream.until("plan")).data for _ in range(2)]
    assert en_route and on_site
    assert en_route["kind"] == on_site["kind"] == "status"
    assert en_route["task_ids"] == on_site["task_ids"] == [job.task["id"]]
    task_label = f'"{job.task["name"]}" ({job.work_order["number"]})'
    assert en_route["text"] == f"{en_route['by']} is en route to {task_label}"
    assert on_site["text"] == f"{on_site['by']} is on site at {task_label}"
    assert en_route["by"].startswith("technician")


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.AGENT, Role.DEPOT, Role.CONTRACT_ADMIN])
async def test_only_planners_admins_and_managers_may_listen(client: Client, login_as: UserFactory, role: Role) -> None:
    refused = await client.get(LIVE, headers=await login_as(role))
    assert refused.status_code == 403 and problem_of(refused)["code"] == "role_not_allowed"


async def test_without_a_session_the_stream_is_refused(client: Client) -> None:
    anonymous = await client.get(LIVE)
    assert anonymous.status_code == 401 and problem_of(anonymous)["code"] == "unauthenticated"
    forged = await client.get(LIVE, headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401


async def test_a_browser_listens_on_its_session_cookie(
    client: Client, sessions: Sessions, login_as: UserFactory, streams: list[InProcessStream]
) -> None:
    world = await board(sessions)
    await login_as(Role.PLANNER)  # planner1, who logs in again in the browser
    login = await client.post(
        "/api/v1/auth/login", json={"username": "planner1", "password": "secret-pw", "cookie": True}
    )
    assert login.status_code == 200, login.text
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    stream = await open_stream(client, streams, {"Cookie": cookie})
    client.cookies.clear()

    planner = await login_as(Role.PLANNER)
    assert (await client.post(MOVES, json=move(world, "anna", tomorrow(11)), headers=planner)).status_code == 200

    told = (await stream.until("plan")).data
    assert told is not None and told["by"] == "planner2"


async def test_heartbeats_keep_the_stream_open_until_the_session_ends(
    client: Client, login_as: UserFactory, streams: list[InProcessStream]
) -> None:
    hub = hub_of(client)
    hub.heartbeat_seconds = 0.05
    try:
        manager = await login_as(Role.MANAGER)
        stream = await open_stream(client, streams, manager)
        beat = await stream.next_event()
        assert beat is not None and beat.comments == ("heartbeat",) and beat.event is None

        assert (await client.post("/api/v1/auth/logout", headers=manager)).status_code == 204
        while (got := await stream.next_event()) is not None:  # a heartbeat or two until it notices
            assert got.comments == ("heartbeat",)
    finally:
        hub.heartbeat_seconds = 15.0


async def test_open_streams_end_when_the_app_stops(app: Litestar, sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        await create_user(session, SYSTEM, UserCreate(username="pat", password="secret-pw", role=Role.PLANNER))
    own = AsyncTestClient(app=app)
    await own.__aenter__()
    try:
        login = await own.post("/api/v1/auth/login", json={"username": "pat", "password": "secret-pw"})
        hub_of(own).max_stream_seconds = 120
        stream = InProcessStream(own, {"Authorization": f"Bearer {login.json()['access_token']}"})
        stream.open()
        await stream.subscribed()
        hub = hub_of(own)
    finally:
        await own.__aexit__(None, None, None)  # the lifespan's shutdown, as a stopping server runs it

    assert hub.stopping.is_set()
    assert await stream.next_event() is None  # the response ended
    assert stream.future is not None and stream.future.done()


async def test_a_stream_ends_after_its_longest_life_so_the_browser_reconnects(
    client: Client, login_as: UserFactory, streams: list[InProcessStream]
) -> None:
    stream = InProcessStream(client, await login_as(Role.PLANNER))  # the tests' LIVE_STREAM_MAX_SECONDS: 0.5
    streams.append(stream)
    stream.open()
    await stream.subscribed()

    assert await stream.next_event() is None  # ended, with nothing sent but the opening comment


async def test_a_pin_is_told_with_the_planners_name(
    client: Client, sessions: Sessions, login_as: UserFactory, streams: list[InProcessStream]
) -> None:
    # pin and unpin endpoints call `announce_pin` in their transaction; here it is called as they do
    world = await board(sessions)
    stream = await open_stream(client, streams, await login_as(Role.MANAGER))
    async with session_scope(sessions) as session:
        pia = await create_user(
            session, SYSTEM, UserCreate(username="pia", password="secret-pw", role=Role.PLANNER, display_name="Pia")
        )
        actor = await principal_for(session, pia)
        await announce_pin(session, actor, world["busy"], True)
    async with sessions() as session:  # rolled back: nothing is told
        await announce_pin(session, actor, world["busy"], False)
        await session.rollback()
    async with session_scope(sessions) as session:
        await announce_pin(session, actor, world["free"], False)

    pinned, unpinned = [(await stream.until("plan")).data for _ in range(2)]
    assert pinned and unpinned
    assert pinned["kind"] == unpinned["kind"] == "pin" and pinned["task_ids"] == [str(world["busy"])]
    assert pinned["text"].startswith('Pia pinned "Booked" (WO-')
    assert unpinned["task_ids"] == [str(world["free"])] and unpinned["text"].startswith('Pia unpinned "Urgent" (WO-')


@pytest.mark.postgres_only
async def test_after_losing_its_listen_connection_the_app_listens_again_and_ends_the_streams(
    client: Client, sessions: Sessions, login_as: UserFactory, streams: list[InProcessStream]
) -> None:
    world = await board(sessions)
    planner = await login_as(Role.PLANNER)
    before = await open_stream(client, streams, planner)
    backend = hub_of(client).channels._backend
    assert isinstance(backend, ReconnectingAsyncPgBackend)
    listener_pid = backend._listener_conn.get_server_pid()

    async with session_scope(sessions) as session:  # as a database restart or a network cut would
        assert await session.scalar(select(func.pg_terminate_backend(listener_pid)))

    assert await before.next_event() is None  # the stream ended, so the browser reconnects and refetches
    after = await open_stream(client, streams, planner)
    assert backend._listener_conn.get_server_pid() != listener_pid
    moved = await client.post(MOVES, json=move(world, "anna", tomorrow(11)), headers=planner)
    assert moved.status_code == 200, moved.text
    told = (await after.until("plan")).data
    assert told is not None and told["task_ids"] == [str(world["free"])]
