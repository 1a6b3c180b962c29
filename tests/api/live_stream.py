"""Reading server-sent events in tests: a parser, an in-process stream, and one over HTTP.

The test client buffers a whole response, which an event stream never ends, so the in-process stream
calls the ASGI app itself on the test client's event loop (its blocking portal) and hands the chunks
over through a thread-safe queue; disconnecting is the `http.disconnect` a browser's going away sends.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from collections.abc import AsyncIterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

LIVE = "/api/v1/live/dispatch"


@dataclass(frozen=True, slots=True)
class Event:
    event: str | None  # None for a comment-only block
    data: dict[str, Any] | None
    comments: tuple[str, ...] = ()


@dataclass
class SseParser:
    buffer: str = ""

    def feed(self, chunk: str) -> list[Event]:
        self.buffer += chunk.replace("\r\n", "\n")
        blocks = self.buffer.split("\n\n")
        self.buffer = blocks.pop()
        return [parse_block(block) for block in blocks if block.strip()]


def parse_block(block: str) -> Event:
    event: str | None = None
    data: list[str] = []
    comments: list[str] = []
    for line in block.split("\n"):
        if line.startswith(":"):
            comments.append(line[1:].strip())
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
    return Event(event, json.loads("\n".join(data)) if data else None, tuple(comments))


@dataclass
class InProcessStream:
    """GET /api/v1/live/dispatch called on the app directly (see the module's docstring)."""

    client: AsyncTestClient[Litestar]
    headers: dict[str, str]
    status: int | None = None
    _chunks: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    _gone: threading.Event = field(default_factory=threading.Event)
    _asked: bool = False
    _parser: SseParser = field(default_factory=SseParser)
    _events: list[Event] = field(default_factory=list)
    future: Future[Any] | None = None

    def open(self) -> None:
        headers = [(b"host", b"testserver")] + [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": LIVE,
            "raw_path": LIVE.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        self.future = self.client.blocking_portal.start_task_soon(self.client.app, scope, self._receive, self._send)

    async def _receive(self) -> dict[str, Any]:
        if not self._asked:
            self._asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # set from the test's thread: a threading.Event, which the app's loop can only poll
        while not self._gone.is_set():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        self._chunks.put(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self._gone.set()  # as a server does: once the response is complete, receive() says disconnect

    def disconnect(self) -> None:
        self._gone.set()

    async def next_event(self, within: float = 20.0) -> Event | None:
        """The next event or comment block; None once the response ended. `within` guards against a
        hang, it times nothing."""
        while not self._events:
            message = await asyncio.to_thread(self._chunks.get, True, within)
            if message["type"] == "http.response.start":
                self.status = message["status"]
                continue
            body = message.get("body", b"")
            self._events.extend(self._parser.feed(body.decode()))
            if not message.get("more_body", False) and not self._events:
                return None
        return self._events.pop(0)

    async def until(self, event: str, within: float = 20.0) -> Event:
        """Skip comments and other events up to the next `event`."""
        while True:
            got = await self.next_event(within)
            assert got is not None, f"the stream ended before a {event!r} event"
            if got.event == event:
                return got

    async def subscribed(self) -> None:
        """Wait for the `: live` comment: from here on nothing committed is missed."""
        first = await self.next_event()
        assert first is not None and "live" in first.comments, first
        assert self.status == 200


async def http_events(response: httpx.Response) -> AsyncIterator[Event]:
    parser = SseParser()
    async for chunk in response.aiter_text():
        for event in parser.feed(chunk):
            yield event
