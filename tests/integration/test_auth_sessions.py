"""Sessions in the database and the per-process cache in front of them, without HTTP."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.session_principals import SessionPrincipals
from api.worker import job_registry
from core.auth import Principal, Role
from core.auth_events import AuthEvent, Client
from core.auth_sessions import (
    RETENTION,
    AuthSession,
    RevokeReason,
    Transport,
    auth_session_jobs,
    open_session,
    prune_sessions,
    revoke_sessions,
)
from core.clock import FixedClock
from core.db import session_scope
from core.jobs import JobContext
from core.settings import AuthSettings, Settings

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
DORA = Principal(user_id=uuid.uuid4(), username="dora", role=Role.PLANNER)
EIGHT_HOURS = dt.timedelta(hours=8)


class Users:
    """A stand-in for the users' table: what the loader answers, and how often it was asked."""

    def __init__(self) -> None:
        self.current: dict[uuid.UUID, Principal] = {DORA.user_id: DORA}
        self.reads = 0

    async def load(self, _session: AsyncSession, user_id: uuid.UUID) -> Principal | None:
        self.reads += 1
        return self.current.get(user_id)


async def open_for_dora(sessions: async_sessionmaker[AsyncSession], at: dt.datetime = NOW) -> uuid.UUID:
    async with session_scope(sessions) as s:
        row = await open_session(s, DORA, Transport.BEARER, Client("10.0.0.1", "Phone/1"), at, EIGHT_HOURS)
        return row.id


def cache(
    sessions: async_sessionmaker[AsyncSession], users: Users, clock: FixedClock, seconds: float = 20
) -> SessionPrincipals:
    settings = AuthSettings(session_cache_seconds=seconds, session_cache_size=100)
    return SessionPrincipals(sessions, sessions, users.load, settings, clock)


async def test_the_cache_reads_a_session_once_per_ttl_and_then_sees_a_role_change(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    users, clock = Users(), FixedClock(NOW)
    principals = cache(sessions, users, clock)
    sid = await open_for_dora(sessions)

    first = await principals.principal(sid, DORA.user_id)
    users.current[DORA.user_id] = Principal(DORA.user_id, "dora", Role.DEPOT)
    clock.advance(dt.timedelta(seconds=19))
    cached = await principals.principal(sid, DORA.user_id)
    clock.advance(dt.timedelta(seconds=2))
    fresh = await principals.principal(sid, DORA.user_id)

    assert first is not None and first.role is Role.PLANNER and first.session_id == sid
    assert cached == first and users.reads == 2
    assert fresh is not None and fresh.role is Role.DEPOT


async def test_a_revoked_session_is_refused_after_the_ttl_or_at_once_where_it_was_forgotten(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    users, clock = Users(), FixedClock(NOW)
    elsewhere, here = cache(sessions, users, clock), cache(sessions, users, clock)
    sid = await open_for_dora(sessions)
    for process in (elsewhere, here):
        assert await process.principal(sid, DORA.user_id) is not None

    async with session_scope(sessions) as s:
        await revoke_sessions(s, DORA.user_id, RevokeReason.REVOKED_BY_ADMIN, clock.now())
    here.forget_user(DORA.user_id)

    assert await here.principal(sid, DORA.user_id) is None
    assert await elsewhere.principal(sid, DORA.user_id) is not None  # until its entry ages out
    clock.advance(dt.timedelta(seconds=21))
    assert await elsewhere.principal(sid, DORA.user_id) is None


async def test_a_session_is_refused_for_another_user_and_with_no_cache_every_request_reads(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    users, clock = Users(), FixedClock(NOW)
    principals = cache(sessions, users, clock, seconds=0)
    sid = await open_for_dora(sessions)

    assert await principals.principal(sid, uuid.uuid4()) is None
    assert await principals.principal(sid, DORA.user_id) is not None
    assert await principals.principal(sid, DORA.user_id) is not None
    assert users.reads == 3  # nothing remembered: every request read the session afresh


async def test_revoking_keeps_the_named_session_writes_the_audit_and_does_nothing_twice(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    this_device, other = await open_for_dora(sessions), await open_for_dora(sessions)
    actor = uuid.uuid4()

    async with session_scope(sessions) as s:
        first = await revoke_sessions(
            s, DORA.user_id, RevokeReason.PASSWORD_CHANGED, NOW, keep=this_device, actor_id=actor
        )
        second = await revoke_sessions(s, DORA.user_id, RevokeReason.PASSWORD_CHANGED, NOW, keep=this_device)
    async with session_scope(sessions) as s:
        rows = {r.id: r for r in (await s.scalars(select(AuthSession))).all()}
        audit = (await s.scalars(select(AuthEvent))).all()

    assert (first, second) == ([other], [])
    assert rows[this_device].revoked_at is None
    assert rows[other].revoked_reason == "password_changed" and rows[other].revoked_at == NOW
    assert [(e.outcome, e.session_id, e.actor_id, e.username) for e in audit] == [("revoked", other, actor, "dora")]


async def test_the_daily_job_deletes_sessions_expired_longer_than_the_retention(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    old = await open_for_dora(sessions, NOW - RETENTION - EIGHT_HOURS - dt.timedelta(minutes=1))
    recent = await open_for_dora(sessions, NOW - RETENTION - EIGHT_HOURS + dt.timedelta(minutes=1))
    live = await open_for_dora(sessions)
    context = JobContext("prune_auth_sessions", NOW, NOW.date(), FixedClock(NOW))

    async with session_scope(sessions) as s:
        deleted = await prune_sessions(s, context)
    async with session_scope(sessions) as s:
        kept = set((await s.scalars(select(AuthSession.id))).all())

    assert deleted == 1 and old not in kept
    assert kept == {recent, live}
    (spec,) = auth_session_jobs()
    assert job_registry(settings).get(spec.id).function is prune_sessions
