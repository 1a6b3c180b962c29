"""Live updates across processes: how long a plan change made through one app process takes to reach
the dispatch boards listening on another.

Starts two `uvicorn --factory web.app:app_factory` processes (A and B) on one PostgreSQL database,
opens `--listeners` event streams (GET /api/v1/live/dispatch) on A, then makes `--changes` manual moves
through B, one after the other, and waits for each to arrive on every stream. Per event it records

- announce -> receive: from the event's `at` (stamped in B's transaction just before its commit) to
  its arrival at the listener: commit, NOTIFY delivery, A's fan-out and the stream, end to end;
- response -> receive: from B's answer to the planner arriving at the listener (negative when the
  board hears of the move before the planner's own browser gets its answer).

Both clocks are this host's. Prints p50/p95/max in milliseconds.

    .venv/bin/python bench/live_latency.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_live
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.auth import SYSTEM, Role  # noqa: E402
from core.db import create_engine, create_session_factory, session_scope  # noqa: E402
from core.settings import DatabaseSettings  # noqa: E402
from masterdata.models import Customer, Engineer, EngineerSkill, Site, WorkingHours  # noqa: E402
from masterdata.services.users import UserCreate, create_user  # noqa: E402
from migrations.runner import upgrade  # noqa: E402
from service_mgmt.models import Task, WorkOrder  # noqa: E402

BERLIN = ZoneInfo("Europe/Berlin")
LIVE = "/api/v1/live/dispatch"
PASSWORD = "bench-pw-1234"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def seed(database_url: str) -> dict[str, Any]:
    """A planner, an engineer on shift 08-17 every day, and one open task near her home."""
    engine = create_engine(DatabaseSettings(url=database_url))
    tag = secrets.token_hex(3)
    try:
        async with session_scope(create_session_factory(engine)) as session:
            username = f"live-bench-{tag}"
            await create_user(
                session,
                SYSTEM,
                UserCreate(username=username, password=PASSWORD, role=Role.PLANNER, display_name="Bench Planner"),
            )
            engineer = Engineer(
                number=f"LB-{tag}",
                name="Anna Bench",
                home_latitude=52.52,
                home_longitude=13.40,
                time_zone="Europe/Berlin",
                cost_rate=Decimal("60.00"),
                currency="EUR",
                max_overtime_minutes=0,
                overtime_rate_multiplier=Decimal("1.00"),
            )
            session.add(engineer)
            await session.flush()
            session.add(EngineerSkill(engineer_id=engineer.id, skill="printers", level=3))
            shift = (dt.time(8), dt.time(17))
            session.add_all(
                WorkingHours(engineer_id=engineer.id, weekday=d, starts=shift[0], ends=shift[1]) for d in range(7)
            )
            customer = Customer(number=f"LBC-{tag}", name="Bench Customer", status="active")
            session.add(customer)
            await session.flush()
            site = Site(
                customer_id=customer.id,
                name="Bench Site",
                country="DE",
                time_zone="Europe/Berlin",
                latitude=52.53,
                longitude=13.41,
                opening_hours=[],
            )
            session.add(site)
            await session.flush()
            order = WorkOrder(
                number=f"LB-{tag}",
                customer_id=customer.id,
                site_id=site.id,
                service_type="repair",
                priority="P3",
                status="open",
            )
            session.add(order)
            await session.flush()
            task = Task(
                work_order_id=order.id,
                sequence=1,
                name="Bench repair",
                site_id=site.id,
                duration_minutes=60,
                required_skills=[{"skill": "printers", "level": 1}],
                time_windows=[],
                priority="P3",
                crew_size=1,
                status="open",
            )
            session.add(task)
            await session.flush()
            return {"username": username, "engineer": engineer.id, "task": task.id}
    finally:
        await engine.dispose()


@contextmanager
def servers(database_url: str, log_dir: Path) -> Iterator[tuple[str, str]]:
    env = os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "RUN_WORKER": "off",
        "DISPATCH_WORKERS": "1",
    }
    started: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for name in ("a", "b"):
            port = free_port()
            command = [sys.executable, "-m", "uvicorn", "--factory", "web.app:app_factory", "--host", "127.0.0.1"]
            with (log_dir / f"live-bench-{name}.log").open("wb") as out:
                started.append(
                    subprocess.Popen(
                        [*command, "--port", str(port), "--log-level", "warning"],
                        cwd=ROOT,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
        yield urls[0], urls[1]
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def wait_up(client: httpx.AsyncClient, url: str) -> None:
    for _ in range(1200):
        try:
            if (await client.get(f"{url}/health")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not start")


async def events(response: httpx.Response) -> AsyncIterator[tuple[str | None, str | None, bool]]:
    """(event, data, is_live_comment) per SSE block."""
    buffer = ""
    async for chunk in response.aiter_text():
        buffer += chunk.replace("\r\n", "\n")
        *blocks, buffer = buffer.split("\n\n")
        for block in blocks:
            event = data = None
            live = False
            for line in block.split("\n"):
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = line[5:].strip()
                elif line.startswith(": live"):
                    live = True
            yield event, data, live


async def listen(client: httpx.AsyncClient, url: str, headers: dict[str, str], inbox: asyncio.Queue[Any]) -> None:
    import json

    async with client.stream("GET", f"{url}{LIVE}", headers=headers, timeout=None) as response:
        response.raise_for_status()
        async for event, data, live in events(response):
            if live:
                await inbox.put("subscribed")
            elif event == "plan" and data:
                await inbox.put((time.time(), json.loads(data)))


async def run(database_url: str, changes: int, listeners: int, pause: float) -> dict[str, list[float]]:
    world = await seed(database_url)
    tomorrow = dt.datetime.now(BERLIN).date() + dt.timedelta(days=1)
    slots = [dt.datetime.combine(tomorrow, dt.time(h), tzinfo=BERLIN) for h in (10, 14)]
    samples: dict[str, list[float]] = {"announce -> receive": [], "response -> receive": []}
    with servers(database_url, Path(os.environ.get("TMPDIR", "/tmp"))) as (a, b):
        async with httpx.AsyncClient(timeout=60) as client:
            await wait_up(client, a)
            await wait_up(client, b)
            tokens = {}
            for url in (a, b):
                login = await client.post(
                    f"{url}/api/v1/auth/login", json={"username": world["username"], "password": PASSWORD}
                )
                login.raise_for_status()
                tokens[url] = {"Authorization": f"Bearer {login.json()['access_token']}"}
            inboxes: list[asyncio.Queue[Any]] = [asyncio.Queue() for _ in range(listeners)]
            tasks = [asyncio.create_task(listen(client, a, tokens[a], inbox)) for inbox in inboxes]
            for inbox in inboxes:
                assert await asyncio.wait_for(inbox.get(), 60) == "subscribed"
            version = 1
            missed = 0
            for i in range(changes):
                body = {
                    "task_id": str(world["task"]),
                    "engineer_ids": [str(world["engineer"])],
                    "start": slots[i % 2].isoformat(),
                    "version": version,
                }
                response = await client.post(f"{b}/api/v1/dispatch/moves", json=body, headers=tokens[b])
                answered = time.time()
                if response.status_code != 200:
                    raise SystemExit(f"move {i} failed: {response.status_code} {response.text[:300]}")
                version = response.json()["version"]
                for inbox in inboxes:
                    try:
                        received, data = await asyncio.wait_for(inbox.get(), 10)
                    except TimeoutError:
                        missed += 1
                        continue
                    assert data["task_ids"] == [str(world["task"])], data
                    at = dt.datetime.fromisoformat(data["at"]).timestamp()
                    samples["announce -> receive"].append((received - at) * 1000)
                    samples["response -> receive"].append((received - answered) * 1000)
                await asyncio.sleep(pause)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    if missed:
        print(f"MISSED {missed} event(s) (not received within 10 s)")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="postgresql+asyncpg://… (live updates across processes)")
    parser.add_argument("--changes", type=int, default=100, help="moves made through process B")
    parser.add_argument("--listeners", type=int, default=3, help="event streams open on process A")
    parser.add_argument("--pause", type=float, default=0.1, help="seconds between moves")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("live updates across processes need PostgreSQL (LISTEN/NOTIFY)")
    upgrade(args.database_url, "head")
    started = time.perf_counter()
    samples = asyncio.run(run(args.database_url, args.changes, args.listeners, args.pause))
    print(
        f"{args.changes} moves through B, {args.listeners} listener(s) on A, "
        f"{time.perf_counter() - started:.1f} s in all, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{'':24} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'mean ms':>8}")
    for name, values in samples.items():
        if values:
            print(
                f"{name:24} {len(values):5d} {percentile(values, 50):8.1f} {percentile(values, 95):8.1f} "
                f"{max(values):8.1f} {statistics.fmean(values):8.1f}"
            )


if __name__ == "__main__":
    main()
