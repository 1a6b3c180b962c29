"""Dispatch board read benchmark: GET /api/v1/dispatch/board over HTTP (the app in process, as the
tests run it) at 100 engineers x 1,000 tasks (``bench/board_data.py``), for 1 and 3 days and with a
territory filter. Prints p50/p95/max, the response size and the SQL statements per request (a fixed
handful whatever the size: no query per engineer or task).

    .venv/bin/python bench/board_read.py
    .venv/bin/python bench/board_read.py --calls 50 --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_board
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from litestar.testing import AsyncTestClient  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from api.app import create_app  # noqa: E402
from bench.board_data import BoardVolume, generate  # noqa: E402
from core.auth import SYSTEM, Role  # noqa: E402
from core.db import create_engine, create_session_factory, session_scope  # noqa: E402
from core.settings import AuthSettings, DatabaseSettings, Settings  # noqa: E402
from masterdata.services.users import UserCreate, create_user  # noqa: E402
from migrations.runner import upgrade  # noqa: E402

BOARD = "/api/v1/dispatch/board"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0
        event.listen(Engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


async def measure(url: str, volume: BoardVolume, calls: int) -> None:
    engine = create_engine(DatabaseSettings(url=url))
    sessions = create_session_factory(engine)
    began = time.perf_counter()
    data = await generate(sessions, volume)
    print(
        f"loaded {volume.engineers} engineers, {len(data.planned_task_ids)} planned + {len(data.open_task_ids)} open "
        f"tasks in {time.perf_counter() - began:.1f}s"
    )
    async with session_scope(sessions) as session:
        await create_user(
            session, SYSTEM, UserCreate(username="bench-planner", password="bench-pw-1", role=Role.PLANNER)
        )
    await engine.dispose()
    settings = Settings(
        database=DatabaseSettings(url=url, pool_size=5, max_overflow=5),
        auth=AuthSettings(secret_key="bench-secret-" + "x" * 40),
    )
    counter = StatementCounter()
    async with AsyncTestClient(app=create_app(settings)) as client:
        login = await client.post("/api/v1/auth/login", json={"username": "bench-planner", "password": "bench-pw-1"})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        start = data.first_day.isoformat()
        for label, params in (
            ("1 day", {"start": start, "days": 1}),
            ("3 days", {"start": start, "days": 3}),
            ("1 day, territory north, by utilisation", {"start": start, "territory": "north", "sort": "utilisation"}),
        ):
            first = await client.get(BOARD, params=params, headers=headers)  # warm-up (connections, caches)
            assert first.status_code == 200, first.text
            body = first.json()
            times: list[float] = []
            statements: list[int] = []
            for _ in range(calls):
                before = counter.count
                t0 = time.perf_counter()
                response = await client.get(BOARD, params=params, headers=headers)
                times.append((time.perf_counter() - t0) * 1000)
                statements.append(counter.count - before)
                assert response.status_code == 200
            print(
                f"GET /board {label}: {len(body['engineers'])} engineers, {len(body['assignments'])} assignments, "
                f"{len(body['unassigned'])} unassigned, {len(first.content) / 1024:.0f} KiB; "
                f"x{calls} p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, "
                f"max {max(times):.1f} ms; {max(statements)} SQL statements per request (auth included)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", help="an empty database to load (migrated to head); default temporary SQLite")
    parser.add_argument("--engineers", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/board_bench.db"
        upgrade(url)  # Alembic runs its own event loop
        asyncio.run(measure(url, BoardVolume(engineers=args.engineers, tasks=args.tasks), args.calls))


if __name__ == "__main__":
    main()
