"""`service-mgmt serve` is the whole product: the API and, in the same process, the background jobs.

The server runs as a subprocess, as `make run` starts it, with the heartbeat job every second;
a `job_runs` row written by it shows that the worker's leader election and scheduler ran. Ctrl-C
(SIGINT) stops both, and the process ends cleanly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.job_runs import job_runs
from tests.smtp_inbox import free_port

ROOT = Path(__file__).resolve().parents[2]
POLLS = 600  # every 0.25 s: starting the server (imports, Numba's cache) is slow on a busy machine


async def heartbeats(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(job_runs)
            .where(job_runs.c.job_id == "heartbeat", job_runs.c.status == "succeeded")
        )
    return int(count or 0)


def serve(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-" + "x" * 40,
        "PORT": str(port),
        "WORKER_HEARTBEAT_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("RUN_WORKER", None)  # the default decides
    # On PostgreSQL a deployment runs `service-mgmt worker` beside the web processes, so the
    # default there is off; the flag turns it on.
    flags = [] if database_url.startswith("sqlite") else ["--with-worker"]
    with log.open("wb") as out:
        # From the checkout under test (not an installed copy): `python -m api.cli` in its root.
        return subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", *flags], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


async def test_serve_runs_the_background_jobs_and_ctrl_c_stops_both(
    database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "serve.log"
    server = serve(database_url, port, log)
    try:
        for _ in range(POLLS):
            assert server.poll() is None, log.read_text()
            if await heartbeats(sessions) >= 2:
                break
            await asyncio.sleep(0.25)
        else:
            raise AssertionError(f"no heartbeat run recorded:\n{log.read_text()}")
        async with httpx.AsyncClient() as http:
            health = await http.get(f"http://127.0.0.1:{port}/health")
        assert health.status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        for _ in range(POLLS):
            if server.poll() is not None:
                break
            await asyncio.sleep(0.25)
        else:
            server.kill()

    said = log.read_text()
    assert server.returncode == 0, said
    assert "background jobs: run in this process" in said and "leading: scheduling" in said
    assert "Application shutdown complete" in said and "Traceback" not in said
