"""Litestar's asyncpg channels backend, made to survive the loss of its LISTEN connection.

`AsyncPgChannelsBackend` listens on one connection for the life of the process; when PostgreSQL
restarts, fails over, or the network drops it, that connection is gone and the process would stay
deaf until restarted. This backend notices (asyncpg's termination listener), reconnects with backoff
and LISTENs again. Notifications sent while it was away are lost, so it then calls `on_reconnected`
(the hub ends every open stream): browsers reconnect within seconds and refetch the board.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend

log = logging.getLogger("service_mgmt.live")

FIRST_RETRY_SECONDS = 0.5
LAST_RETRY_SECONDS = 10.0


class ReconnectingAsyncPgBackend(AsyncPgChannelsBackend):
    def __init__(self, dsn: str) -> None:
        super().__init__(dsn=dsn)
        self.on_reconnected: Callable[[], None] = lambda: None
        self._closing = False
        self._reconnecting: asyncio.Task[None] | None = None

    async def on_startup(self) -> None:
        self._closing = False
        await super().on_startup()
        self._listener_conn.add_termination_listener(self._lost)

    async def on_shutdown(self) -> None:
        self._closing = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnecting
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await super().on_shutdown()

    def _lost(self, connection: asyncpg.Connection) -> None:
        if self._closing or connection is not self._listener_conn:
            return
        log.warning("live updates: the LISTEN connection to PostgreSQL was lost; reconnecting")
        self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect(), name="live reconnect")

    async def _reconnect(self) -> None:
        delay = FIRST_RETRY_SECONDS
        while not self._closing:
            try:
                connection = await self._connect()
                async with self._listener_lock:
                    for channel in self._subscribed_channels:
                        await connection.add_listener(channel, self._listener)  # type: ignore[arg-type]
                    self._listener_conn = connection
                connection.add_termination_listener(self._lost)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("live updates: reconnecting failed (%s); next try in %.1f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, LAST_RETRY_SECONDS)
                continue
            log.info("live updates: listening again")
            self.on_reconnected()
            return
