"""Real-browser fixtures: the app served by uvicorn on a free port, driven by Debian's Chromium.

No browser is downloaded: Playwright launches /usr/bin/chromium (scripts/install-system-deps.sh
--browser installs it). Without it the tests skip, unless REQUIRE_BROWSER=1 (CI) makes that a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest
import uvicorn
from playwright.async_api import Browser, async_playwright, expect

from core.settings import Settings
from web.app import create_app

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Assertions wait for the page, not for a clock: a busy machine may take long to render Swagger's
# bundle, so the bound is generous (Playwright's 5 s default failed under a CPU hog); a page that
# never gets there still fails.
BROWSER_WAIT_MS = 120_000
expect.set_options(timeout=BROWSER_WAIT_MS)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """The app on http://127.0.0.1:<port>, in a thread with its own event loop, against the test database."""
    port = _free_port()
    # The board's live stream lives 10 s here, not the API tests' 0.5 s (boards hear changes as in
    # production), and not 300 s: a server in a thread gets no signal, so a stream still open when the
    # test ends holds its shutdown until it ends (a test that needs longer says so and closes its pages).
    settings = replace(settings, live_stream_max_seconds=max(10, settings.live_stream_max_seconds))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # a bound on start-up, generous for a busy machine
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not shutil.which(CHROMIUM):  # also accepts an absolute path to an executable
        reason = f"Chromium not found at {CHROMIUM}; run scripts/install-system-deps.sh --browser"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1: {reason}")
        pytest.skip(reason)
    async with async_playwright() as p:
        launched = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking"],
            timeout=BROWSER_WAIT_MS,
        )
        yield launched
        await launched.close()
