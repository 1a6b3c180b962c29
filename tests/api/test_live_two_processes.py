"""Live updates across two real app processes on one PostgreSQL database: a board listening on process
A hears a change made through process B (LISTEN/NOTIFY), and a stopping server ends its open streams
instead of waiting for them forever.

The servers are the `uvicorn --factory web.app:app_factory` subprocesses of
`test_sessions_two_processes`. Waits are bounded generously; nothing is timed.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from core.auth import SYSTEM, Role
from core.db import session_scope
from masterdata.services.users import UserCreate, create_user
from tests.api import test_sessions_two_processes as two_processes
from tests.api.live_stream import LIVE, Event, http_events
from tests.api.test_dispatch_board import board, move, tomorrow
from tests.api.test_sessions_two_processes import Server
from tests.api.test_work_orders import Sessions

pytestmark = pytest.mark.postgres_only
servers, http = two_processes.servers, two_processes.http  # the two uvicorn processes and a client
BOUND = 30.0  # seconds: a guard against a hang, not a latency requirement


async def log_in(client: httpx.AsyncClient, server: Server, username: str) -> dict[str, str]:
    response = await client.post(f"{server.url}/api/v1/auth/login", json={"username": username, "password": "pw-1234"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@asynccontextmanager
async def listening(
    client: httpx.AsyncClient, server: Server, headers: dict[str, str]
) -> AsyncIterator[AsyncIterator[Event]]:
    """The stream of `server`, once it is subscribed (after its `: live` comment)."""
    async with client.stream("GET", f"{server.url}{LIVE}", headers=headers, timeout=None) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = http_events(response)
        first = await asyncio.wait_for(anext(events), BOUND)
        assert "live" in first.comments
        yield events


async def next_plan(events: AsyncIterator[Event]) -> Event:
    async def read() -> Event:
        async for event in events:
            if event.event == "plan":
                return event
        raise AssertionError("the stream ended before a plan event")

    return await asyncio.wait_for(read(), BOUND)


async def test_a_move_through_one_process_reaches_a_board_listening_on_the_other(
    servers: tuple[Server, Server], http: httpx.AsyncClient, sessions: Sessions
) -> None:
    a, b = servers
    world = await board(sessions)
    async with session_scope(sessions) as s:
        await create_user(
            s, SYSTEM, UserCreate(username="pia", password="pw-1234", role=Role.PLANNER, display_name="Pia Planner")
        )
        await create_user(s, SYSTEM, UserCreate(username="max", password="pw-1234", role=Role.MANAGER))
    manager_on_a = await log_in(http, a, "max")
    planner_on_b = await log_in(http, b, "pia")

    async with listening(http, a, manager_on_a) as events:
        moved = await http.post(
            f"{b.url}/api/v1/dispatch/moves", json=move(world, "anna", tomorrow(11)), headers=planner_on_b
        )
        assert moved.status_code == 200, moved.text
        told = await next_plan(events)

    assert told.data is not None
    assert told.data["kind"] == "move" and told.data["task_ids"] == [str(world["free"])]
    assert told.data["by"] == "Pia Planner"
    assert told.data["text"].startswith('Pia Planner moved "Urgent"') and "to Anna at" in told.data["text"]


async def test_a_stopping_server_ends_its_open_streams(
    servers: tuple[Server, Server], http: httpx.AsyncClient, sessions: Sessions
) -> None:
    a, _ = servers
    async with session_scope(sessions) as s:
        await create_user(s, SYSTEM, UserCreate(username="ada", password="pw-1234", role=Role.ADMIN))
    admin = await log_in(http, a, "ada")

    async with listening(http, a, admin) as events:
        a.process.send_signal(signal.SIGTERM)

        async def drained() -> None:
            async for _ in events:
                pass

        await asyncio.wait_for(drained(), BOUND)  # the response ended: the server did not wait on it
    # uvicorn handles SIGTERM itself and would wait for an open response forever; it exits once it
    # finished its shutdown, re-raising the signal it caught (hence -SIGTERM, not 0)
    exit_code = await asyncio.wait_for(asyncio.to_thread(a.process.wait), BOUND)
    assert exit_code in {0, -signal.SIGTERM}
