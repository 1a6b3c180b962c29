"""Leader election: of all processes that want to run the scheduler, exactly one does.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on a dedicated
connection for as long as the process leads. The server releases it when that connection
ends, so a leader that dies, or loses its connection, gives way without any cleanup.
SQLite (one host, development): an exclusive `flock` on a lock file beside the database,
released by the kernel when the process dies.

    async with leadership(settings.database) as lead:
        ...  # lead; stop when `lead.lost` is set
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from core.settings import DatabaseSettings

log = logging.getLogger("service_mgmt.leader")

# TCP keepalives on the lock connection let the server notice a vanished leader within about
# 10 + 5 × 3 s, instead of the operating system's default of hours.
_KEEPALIVES = ("SET tcp_keepalives_idle = 10", "SET tcp_keepalives_interval = 5", "SET tcp_keepalives_count = 3")


class LeaderLock(Protocol):
    async def try_acquire(self) -> bool:
        """Take the lock if it is free; never waits."""
        ...

    async def check(self) -> None:
        """Raise when the lock may no longer be held (its connection failed)."""
        ...

    async def release(self) -> None:
        """Give the lock up; harmless when not held."""
        ...


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a name (the same in every process)."""
    digest = hashlib.blake2b(f"service-mgmt:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresLeaderLock:
    def __init__(self, url: str, name: str) -> None:
        self._key = lock_key(name)
        # A connection of its own, outside any pool: the lock lives exactly as long as it does.
        self._engine = create_async_engine(url, poolclass=NullPool)
        self._conn: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        if self._conn is not None:
            return True
        conn = await self._engine.connect()
        try:
            # Autocommit: the lock is session-level, and a connection idle in an open
            # transaction for days would hold back vacuum (or be killed by a timeout).
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for statement in _KEEPALIVES:
                await conn.exec_driver_sql(statement)
            got = (await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key})).scalar_one()
        except BaseException:
            await conn.close()
            raise
        if got:
            self._conn = conn
            return True
        await conn.close()
        return False

    async def check(self) -> None:
        if self._conn is None:
            raise RuntimeError("the leader lock is not held")
        await self._conn.execute(text("SELECT 1"))

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # If the connection is already broken the server has released the lock itself.
            with contextlib.suppress(Exception):
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            with contextlib.suppress(Exception):
                await conn.close()
        await self._engine.dispose()


class FileLeaderLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    async def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        # The holder's pid, for an operator wondering who leads; the lock itself is the flock.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    async def check(self) -> None:
        if self._fd is None:
            raise RuntimeError("the leader lock is not held")

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            # The file stays: deleting a lock file races with a process about to lock it.
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def leader_lock(database: DatabaseSettings, name: str = "scheduler") -> LeaderLock:
    if not database.is_sqlite:
        return PostgresLeaderLock(database.url, name)
    path = make_url(database.url).database
    if not path or path == ":memory:":
        raise ValueError("leader election on SQLite needs a database file")
    db_file = Path(path)
    return FileLeaderLock(db_file.with_name(f"{db_file.name}.{name}.lock"))


@dataclass(slots=True)
class Leadership:
    """Held leadership. `lost` is set when the lock can no longer be vouched for."""

    name: str
    lock: LeaderLock
    check_timeout: float = 5.0
    lost: asyncio.Event = field(default_factory=asyncio.Event)
    # One check at a time: the lock's connection runs one statement at a time.
    _checking: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def confirm(self) -> bool:
        """Check the lock now (e.g. right before a run); a failure marks the lead as lost."""
        if self.lost.is_set():
            return False
        try:
            async with self._checking:
                # A hung connection counts as lost: the server may already have let another lead.
                await asyncio.wait_for(self.lock.check(), timeout=self.check_timeout)
        except Exception as exc:  # noqa: BLE001 - any failure means we cannot vouch for the lock
            log.error("leadership lost: %s", exc)
            self.lost.set()
            return False
        return True


@asynccontextmanager
async def leadership(
    database: DatabaseSettings,
    *,
    name: str = "scheduler",
    retry_seconds: float = 5.0,
    check_seconds: float = 5.0,
    on_standby: Callable[[], None] | None = None,
) -> AsyncIterator[Leadership]:
    """Wait until this process leads, hold the lead for the body, release it on the way out.

    While another process leads, try again every `retry_seconds` (`on_standby` is called once,
    before the first wait). While leading, the lock is checked every `check_seconds`; the body
    must stop leading work when `lost` is set. Cancelling the waiting or the body releases.
    """
    lock = leader_lock(database, name)
    try:
        if not await lock.try_acquire():
            if on_standby is not None:
                on_standby()
            while True:
                await asyncio.sleep(retry_seconds)
                if await _try(lock):
                    break
        lead = Leadership(name, lock, check_timeout=max(check_seconds, 1.0))
        watch = asyncio.create_task(_watch(lead, check_seconds))
        try:
            yield lead
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
    finally:
        await lock.release()


async def _try(lock: LeaderLock) -> bool:
    # While standing by, a database that is briefly unreachable is no reason to stop waiting.
    try:
        return await lock.try_acquire()
    except Exception as exc:  # noqa: BLE001 - driver errors differ; log and keep trying
        log.warning("leader lock unavailable: %s", exc)
        return False


async def _watch(lead: Leadership, check_seconds: float) -> None:
    while True:
        await asyncio.sleep(check_seconds)
        if not await lead.confirm():
            return
