"""Who is behind a session: read from the database, remembered by each process for a short while.

A token names its session; the session row says whether it is still live and whose it is,
and the users' table says what that user may do now (role, customer or engineer binding,
active). Reading both on every request would cost two queries per call, so each process
keeps the answer for `SESSION_CACHE_SECONDS` (at most 60): that is how late a revocation,
a deactivation, a deletion or a role change made through any process reaches this one.
The process that makes such a change forgets its own copy at once (`forget`, `forget_user`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from uuid import UUID

from cachetools import TTLCache
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth import Principal
from core.auth_sessions import TOUCH_INTERVAL, find_session, touch
from core.clock import SYSTEM_CLOCK, Clock
from core.settings import AuthSettings

log = logging.getLogger("service_mgmt.auth")

# Reads the principal of an active user, or None when the user is gone or inactive.
PrincipalLoader = Callable[[AsyncSession, UUID], Awaitable[Principal | None]]


@dataclass(frozen=True, slots=True)
class _Known:
    """What was read about a session; no principal means nobody gets in with it."""

    principal: Principal | None
    expires_at: dt.datetime | None = None


_NOBODY = _Known(None)


class SessionPrincipals:
    def __init__(
        self,
        read_sessions: async_sessionmaker[AsyncSession],
        write_sessions: async_sessionmaker[AsyncSession],
        loader: PrincipalLoader,
        settings: AuthSettings,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._read_sessions = read_sessions
        self._write_sessions = write_sessions
        self._loader = loader
        # Tests move this clock instead of sleeping; the cache's timer reads it too.
        self.clock = clock
        self._cache: TTLCache[UUID, _Known] | None = (
            TTLCache(settings.session_cache_size, settings.session_cache_seconds, timer=self._timer)
            if settings.session_cache_seconds > 0
            else None
        )

    def _timer(self) -> float:
        return self.clock.now().timestamp()

    async def principal(self, session_id: UUID, user_id: UUID) -> Principal | None:
        """The principal for a token naming this session and user, or None to refuse it."""
        known = self._cache.get(session_id) if self._cache is not None else None
        if known is None:
            known = await self._read(session_id)
            if self._cache is not None:
                self._cache[session_id] = known
        principal = known.principal
        if principal is None or principal.user_id != user_id:
            return None
        if known.expires_at is not None and known.expires_at <= self.clock.now():
            return None
        return principal

    async def _read(self, session_id: UUID) -> _Known:
        now = self.clock.now()
        async with self._read_sessions() as db:
            row = await find_session(db, session_id)
            if row is None or not row.is_live(now):
                return _NOBODY
            principal = await self._loader(db, row.user_id)
            seen_long_ago = row.last_seen_at < now - TOUCH_INTERVAL
            expires_at = row.expires_at
        if principal is None:
            return _NOBODY
        if seen_long_ago:
            await self._touch(session_id, now)
        return _Known(replace(principal, session_id=session_id), expires_at)

    async def _touch(self, session_id: UUID, now: dt.datetime) -> None:
        # Only for the admin's list of sessions: a busy database must not refuse the request.
        try:
            async with self._write_sessions() as db:
                await touch(db, session_id, now)
                await db.commit()
        except SQLAlchemyError:
            log.warning("could not note the use of session %s", session_id, exc_info=True)

    def forget(self, session_id: UUID) -> None:
        if self._cache is not None:
            self._cache.pop(session_id, None)

    def forget_user(self, user_id: UUID) -> None:
        if self._cache is None:
            return
        for session_id in list(self._cache.keys()):
            known = self._cache.get(session_id)
            if known is not None and known.principal is not None and known.principal.user_id == user_id:
                self._cache.pop(session_id, None)
