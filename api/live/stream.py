"""GET /api/v1/live/dispatch: the dispatch board's event stream (text/event-stream).

Events (the board contract's "Live"): `plan` {revision, kind, task_ids, by, text} whenever a committed
change alters the plan, and `run` {run_id, status, best_objective, at} while an optimization runs. The
stream opens with a `: live` comment once it is subscribed (nothing committed after that is missed)
and a `retry` hint; it sends a `: heartbeat` comment every `LiveHub.heartbeat_seconds` (15 s) of
silence so proxies keep it open, and at each heartbeat it asks again whether the session still
may read the board (a revoked session or a demoted user stops receiving within a heartbeat plus the
session cache's lifetime). It ends when the client goes away (Litestar cancels it on disconnect),
when the server stops (`LiveHub.stop`), when the session no longer may read, and after
LIVE_STREAM_MAX_SECONDS (300 s): the browser's EventSource reconnects after `retry`, and the board
refetches on reconnecting, so nothing is lost. The bound also keeps clients that wait for the
whole response (the authorization tests' client) from waiting forever.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.exceptions import ServiceUnavailableException
from litestar.response import ServerSentEvent, ServerSentEventMessage

from api.live.hub import LiveHub
from api.live.messages import decode
from api.security import SessionAuth, allow, principal_from_token
from core.auth import Principal, Role

READERS = frozenset({Role.ADMIN, Role.PLANNER, Role.MANAGER})
RETRY_MILLISECONDS = 1_000  # how soon a browser's EventSource reconnects after the stream ends

StillAllowed = Callable[[], Awaitable[bool]]


async def dispatch_events(hub: LiveHub, still_allowed: StillAllowed) -> AsyncIterator[ServerSentEventMessage]:
    ends = time.monotonic() + hub.max_stream_seconds
    async with hub.subscription() as subscriber:
        yield ServerSentEventMessage(data=None, comment="live", retry=RETRY_MILLISECONDS)
        while (left := ends - time.monotonic()) > 0:
            try:
                payload = await subscriber.next_event(min(hub.heartbeat_seconds, left))
            except StopAsyncIteration:
                return  # the server stops
            if payload is None:
                if time.monotonic() >= ends:
                    return  # long enough: the browser reconnects (to any process), its session read afresh
                if not await still_allowed():
                    return
                yield ServerSentEventMessage(data=None, comment="heartbeat")
                continue
            decoded = decode(payload)
            if decoded is not None:
                event, data = decoded
                yield ServerSentEventMessage(data=_json(data), event=event)


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _still_allowed(request: Request[Principal, SessionAuth, Any]) -> StillAllowed:
    async def check() -> bool:
        principal = await principal_from_token(request.auth.token, request)
        return principal is not None and principal.role in READERS

    return check


class LiveController(Controller):
    path = "/api/v1/live"
    tags = ["live"]

    @get(
        "/dispatch",
        summary="Live dispatch board events (server-sent events): `plan` on every plan change, `run` on run progress",
        description=(
            "A `text/event-stream` that stays open. `event: plan` carries `{revision, kind, task_ids, by, text}` "
            "(kind: move, pin, publish, status, task or run; `by` and `text` name people, not ids) after every "
            "committed change to the plan, from any app process; `event: run` carries `{run_id, status, "
            "best_objective, at}` while an optimization run progresses. Comments (`: live` once subscribed, "
            "`: heartbeat` every 15 s) keep proxies from closing it. Refetch the board on `plan`."
        ),
        media_type="text/event-stream",
        **allow(READERS),
    )
    async def dispatch_stream(self, request: Request[Principal, SessionAuth, Any], state: State) -> ServerSentEvent:
        hub: LiveHub | None = state.get("live")
        if hub is None or hub.stopping.is_set():
            raise ServiceUnavailableException("live updates are not running (the server is starting or stopping)")
        return ServerSentEvent(
            dispatch_events(hub, _still_allowed(request)),
            # nginx and similar proxies must pass each event on at once, not buffer the response
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
