"""The app's live channel: a Litestar `ChannelsPlugin` on the backend the database calls for.

PostgreSQL: `AsyncPgChannelsBackend` LISTENs on one connection per process; every process's
`pg_notify` (see `delivery`) reaches every process's streams. SQLite: `MemoryChannelsBackend`, fed
by the after-commit hook. The plugin is built in the app's lifespan, from the settings in the app's
state, not when the app is built: tests point one app at many databases (see `api.app`); it is used
as the async context manager Litestar documents for standalone use, and kept in `app.state.live`.

Streams must end when the server stops: uvicorn waits for open responses to finish before it runs
the lifespan's shutdown, and an event stream does not finish on its own for minutes. So
`LiveHub.stop` runs on the first SIGINT/SIGTERM (chained in front of the server's own handler, which
still runs) as well as in the lifespan's shutdown: it wakes every open subscriber with the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from litestar import Litestar
from litestar.channels import ChannelsPlugin, Subscriber
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from sqlalchemy.engine import make_url

from api.live import delivery
from api.live.messages import CHANNEL
from api.live.pg_backend import ReconnectingAsyncPgBackend
from core.settings import DatabaseSettings, Settings

log = logging.getLogger("service_mgmt.live")

HEARTBEAT_SECONDS = 15.0  # a comment line this often keeps proxies from closing an idle stream
BACKLOG = 200  # events a slow stream may fall behind by; beyond that the oldest go (it refetches anyway)


class LiveSubscriber(Subscriber):
    """A subscriber whose next event can be awaited with a timeout (for the stream's heartbeat)."""

    async def next_event(self, wait_seconds: float) -> bytes | None:
        """The next payload; None after `wait_seconds` without one. Raises `StopAsyncIteration` once
        the subscriber was unsubscribed (the plugin puts None in its queue then)."""
        try:
            item: bytes | None = await asyncio.wait_for(self._queue.get(), wait_seconds)
        except TimeoutError:
            return None
        self._queue.task_done()
        if item is None:
            raise StopAsyncIteration
        return item


@dataclass(eq=False)
class LiveHub:
    channels: ChannelsPlugin
    heartbeat_seconds: float = HEARTBEAT_SECONDS
    max_stream_seconds: float = 300.0  # Settings.live_stream_max_seconds
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _open: set[LiveSubscriber] = field(default_factory=set)

    @property
    def listening(self) -> int:
        """Streams open in this process."""
        return len(self._open)

    def stop(self) -> None:
        """End every stream now and refuse new ones (the server stops)."""
        self.stopping.set()
        self.end_streams()

    def end_streams(self) -> None:
        """End every open stream now (each subscriber's next event is the end); browsers reconnect and
        refetch. After a lost LISTEN connection: what was sent meanwhile did not reach them."""
        for subscriber in list(self._open):
            subscriber.put_nowait(None)

    @asynccontextmanager
    async def subscription(self) -> AsyncIterator[LiveSubscriber]:
        subscriber = await self.channels.subscribe([CHANNEL])
        assert isinstance(subscriber, LiveSubscriber)
        self._open.add(subscriber)
        if self.stopping.is_set():
            subscriber.put_nowait(None)
        try:
            yield subscriber
        finally:
            self._open.discard(subscriber)
            # runs while the stream is being cancelled (client gone): shield the UNLISTEN bookkeeping
            await asyncio.shield(self._unsubscribe(subscriber))

    async def _unsubscribe(self, subscriber: LiveSubscriber) -> None:
        try:
            await self.channels.unsubscribe(subscriber, [CHANNEL])
        except Exception:  # the backend may already be closed at shutdown
            log.debug("live unsubscribe failed", exc_info=True)


def backend_for(database: DatabaseSettings) -> ChannelsBackend:
    if database.is_sqlite:
        return MemoryChannelsBackend()
    # asyncpg speaks plain postgresql:// whichever SQLAlchemy driver the URL names
    dsn = make_url(database.url).set(drivername="postgresql").render_as_string(hide_password=False)
    return ReconnectingAsyncPgBackend(dsn)


def build_channels(backend: ChannelsBackend) -> ChannelsPlugin:
    return ChannelsPlugin(
        backend,
        channels=[CHANNEL],
        subscriber_class=LiveSubscriber,
        subscriber_max_backlog=BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )


@asynccontextmanager
async def live_updates(app: Litestar) -> AsyncIterator[None]:
    """Lifespan: open the channel (after the database: it needs the engine), close it first."""
    settings: Settings = app.state.settings
    backend = backend_for(settings.database)
    channels = build_channels(backend)
    async with channels:
        hub = LiveHub(channels, max_stream_seconds=settings.live_stream_max_seconds)
        if isinstance(backend, ReconnectingAsyncPgBackend):
            backend.on_reconnected = hub.end_streams
        app.state.live = hub
        engine = app.state.engine.sync_engine
        if settings.database.is_sqlite:
            loop = asyncio.get_running_loop()

            def sink(payload: str) -> None:
                # through the loop: a commit may happen on another thread (a test's engine, a thread pool)
                loop.call_soon_threadsafe(channels.publish, payload, CHANNEL)

            delivery.register_sink(engine, sink)
        restore = _stop_on_signals(hub.stop)
        try:
            yield
        finally:
            hub.stop()
            restore()
            delivery.unregister_sink(engine)
            await asyncio.sleep(0)  # let the streams see `stopping` before the channel closes


Handler = Callable[[int, FrameType | None], Any] | int | None


def _stop_on_signals(stop: Callable[[], None]) -> Callable[[], None]:
    """Call `stop` on SIGINT/SIGTERM, then call the handler that was there (uvicorn's). Only the
    main thread may install handlers: elsewhere (the test client's thread) the lifespan's end does it."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous: dict[int, Handler] = {}

    def handle(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(stop)
        before = previous.get(signum)
        if callable(before):
            before(signum, frame)
        elif before == signal.SIG_DFL:  # nobody else handles it: die as the signal means
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError):
            previous[signum] = signal.getsignal(signum)
            signal.signal(signum, handle)

    def restore() -> None:
        for signum, before in previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                if signal.getsignal(signum) is handle:
                    signal.signal(signum, before if before is not None else signal.SIG_DFL)

    return restore
