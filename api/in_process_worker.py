"""The background jobs inside a web process: `service-mgmt serve` on the embedded SQLite.

A lifespan hook that runs `api.worker.run_worker` as a task on the server's event loop: it
contends for the same leader lock as any `service-mgmt worker` (`core.leader`), so a separate
worker started beside it stands by, and several web processes with it on still schedule each
slot once. Shutting the server down (Ctrl-C, SIGTERM) cancels the task, which lets running
jobs finish for up to WORKER_STOP_GRACE_SECONDS and gives up the lead before the database
engine is disposed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from api.worker import run_worker
from core.settings import Settings

log = logging.getLogger("service_mgmt.worker")


@asynccontextmanager
async def in_process_worker(app: Litestar) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    log.info("background jobs run in this web process (RUN_WORKER=%s)", settings.worker.in_server.value)
    task = asyncio.create_task(run_worker(settings), name="in-process worker")
    task.add_done_callback(_report_end)
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _report_end(task: asyncio.Task[None]) -> None:
    # run_worker only returns by cancellation; anything else means the jobs stopped while the
    # API keeps serving, which an operator must hear about.
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("the in-process worker stopped: %r; background jobs are not running", error, exc_info=error)
