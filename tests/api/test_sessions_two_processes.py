"""Two real app processes on one database: a change made through one is honoured by the other
within its session cache's lifetime (SESSION_CACHE_SECONDS, set to 1 s here).

The servers are `uvicorn --factory web.app:app_factory` subprocesses configured from the
environment, as in production, on this test's database (the SQLite file, or PostgreSQL in the
PostgreSQL run). The test polls a bounded number of times instead of sleeping for the TTL.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth import SYSTEM, Role
from core.db import session_scope
from core.settings import Settings
from masterdata.models import User
from masterdata.services.users import UserCreate, create_user

ROOT = Path(__file__).resolve().parents[2]
ME = "/api/v1/auth/me"
BILLING_RUNS = "/api/v1/billing-runs"
STARTUP_TRIES = 1200  # x 0.1 s: importing the app takes seconds on a busy machine
POLL_TRIES = 200  # x 0.05 s: the cache lives 1 s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture
def servers(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    env = os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": settings.auth.secret_key,
        "SESSION_CACHE_SECONDS": "1",
        "DISPATCH_WORKERS": "1",
    }
    started: list[Server] = []
    try:
        for name in ("a", "b"):
            port = _free_port()
            log = tmp_path / f"server-{name}.log"
            command = [sys.executable, "-m", "uvicorn", "--factory", "web.app:app_factory", "--host", "127.0.0.1"]
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [*command, "--port", str(port), "--log-level", "warning"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            started.append(Server(f"http://127.0.0.1:{port}", process, log))
        yield started[0], started[1]
    finally:
        for server in started:
            server.process.terminate()
        for server in started:
            try:
                server.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


async def _wait_until_up(http: httpx.AsyncClient, server: Server) -> None:
    for _ in range(STARTUP_TRIES):
        if server.process.poll() is not None:
            break
        try:
            if (await http.get(f"{server.url}/health")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    pytest.fail(f"server {server.url} did not start:\n{server.log.read_text()[-3000:]}")


@pytest.fixture
async def http(servers: tuple[Server, Server]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        for server in servers:
            await _wait_until_up(client, server)
        yield client


USERS = {
    "ada": Role.ADMIN,
    "dora": Role.PLANNER,  # deactivated
    "carl": Role.CONTRACT_ADMIN,  # demoted to depot
    "pia": Role.PLANNER,  # gets a new password
    "gus": Role.PLANNER,  # deleted
    "bea": Role.PLANNER,  # logs out
    "kim": Role.PLANNER,  # nothing happens to her
}


async def _log_in(http: httpx.AsyncClient, server: Server, username: str) -> dict[str, str]:
    response = await http.post(f"{server.url}/api/v1/auth/login", json={"username": username, "password": "pw-1234"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _patch_user(
    http: httpx.AsyncClient, server: Server, admin: dict[str, str], user_id: Any, **fields: Any
) -> None:
    url = f"{server.url}/api/v1/users/{user_id}"
    version = (await http.get(url, headers=admin)).json()["version"]
    response = await http.patch(url, json={"version": version, **fields}, headers=admin)
    assert response.status_code == 200, response.text


async def test_changes_made_through_one_process_reach_the_other_within_the_cache_ttl(
    servers: tuple[Server, Server], http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    a, b = servers
    async with session_scope(sessions) as s:
        for username, role in USERS.items():
            await create_user(s, SYSTEM, UserCreate(username=username, password="pw-1234", role=role))
        ids = dict((await s.execute(select(User.username, User.id))).tuples().all())
    tokens = {username: await _log_in(http, a, username) for username in USERS}
    probes = {username: BILLING_RUNS if username == "carl" else ME for username in USERS}

    async def statuses(server: Server) -> dict[str, int]:
        return {
            name: (await http.get(f"{server.url}{path}", headers=tokens[name])).status_code
            for name, path in probes.items()
        }

    before = await statuses(b)  # process B reads and caches every session that process A opened
    admin = tokens["ada"]
    await _patch_user(http, a, admin, ids["dora"], active=False)
    await _patch_user(http, a, admin, ids["carl"], role="depot")
    await _patch_user(http, a, admin, ids["pia"], password="pw-5678")
    assert (await http.post(f"{a.url}/api/v1/auth/logout", headers=tokens["bea"])).status_code == 204
    async with session_scope(sessions) as s:  # behind both processes' backs
        await s.execute(delete(User).where(User.id == ids["gus"]))

    expected = {"ada": 200, "dora": 401, "carl": 403, "pia": 401, "gus": 401, "bea": 401, "kim": 200}
    seen: dict[str, dict[str, int]] = {}
    for _ in range(POLL_TRIES):
        seen = {"a": await statuses(a), "b": await statuses(b)}
        if seen["a"] == seen["b"] == expected:
            break
        await asyncio.sleep(0.05)

    assert before == dict.fromkeys(USERS, 200)
    assert seen == {"a": expected, "b": expected}
    refused = await http.get(f"{b.url}{ME}", headers=tokens["dora"])
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "unauthenticated"
    old_password = await http.post(f"{b.url}/api/v1/auth/login", json={"username": "pia", "password": "pw-1234"})
    new_password = await http.post(f"{b.url}/api/v1/auth/login", json={"username": "pia", "password": "pw-5678"})
    assert (old_password.status_code, new_password.status_code) == (401, 200)
