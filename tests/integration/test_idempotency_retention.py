"""Idempotency-Key storage: answers kept 30 days then pruned; racing duplicates on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.idempotency import CLAIMED, Fingerprint, _claim, idempotency_jobs, prune_idempotency_records
from api.worker import job_registry
from core.clock import FixedClock
from core.db import session_scope
from core.idempotency import RETENTION, IdempotencyRecord
from core.jobs import JobContext
from core.settings import AuthSettings, Settings

NOW = dt.datetime(2026, 6, 1, 3, 45, tzinfo=dt.UTC)


def record(key: str, age: dt.timedelta) -> IdempotencyRecord:
    return IdempotencyRecord(
        principal="technician1",
        key=key,
        method="POST",
        path="/api/v1/technician/tasks/x/status",
        request_sha256="0" * 64,
        status_code=200,
        content_type="application/json",
        response_body=b"{}",
        created_at=NOW - age,
    )


async def test_the_daily_job_deletes_answers_older_than_the_retention_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(sessions) as session:
        session.add_all(
            [
                record("fresh", dt.timedelta(days=5)),
                record("edge", RETENTION - dt.timedelta(minutes=1)),
                record("old", RETENTION + dt.timedelta(minutes=1)),
                record("ancient", dt.timedelta(days=400)),
            ]
        )
    context = JobContext("prune_idempotency_records", NOW, NOW.date(), FixedClock(NOW))

    async with session_scope(sessions) as session:
        deleted = await prune_idempotency_records(session, context)

    assert deleted == 2
    async with session_scope(sessions) as session:
        kept = sorted((await session.scalars(select(IdempotencyRecord.key))).all())
    assert kept == ["edge", "fresh"]


def test_the_prune_job_is_in_the_workers_schedule() -> None:
    (spec,) = idempotency_jobs()

    scheduled = job_registry(Settings(auth=AuthSettings(secret_key="k" * 40))).get(spec.id)

    assert scheduled.function is prune_idempotency_records and scheduled.trigger == spec.trigger


@pytest.mark.postgres_only
async def test_a_duplicate_racing_the_first_waits_for_its_commit_and_gets_its_answer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    fingerprint = Fingerprint("POST", "/api/v1/technician/tasks/x/confirmation", "a" * 64)
    async with sessions() as first, sessions() as second:
        claimed = await _claim(first, "technician1", "race-1", fingerprint)
        # The second's insert blocks on the unique index until the first transaction ends.
        waiting = asyncio.create_task(_claim(second, "technician1", "race-1", fingerprint))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        claimed.status_code, claimed.content_type, claimed.response_body = 201, "application/json", b'{"id": 1}'
        await first.commit()

        answer = await asyncio.wait_for(waiting, timeout=10)

        assert (answer.status_code, answer.response_body) == (201, b'{"id": 1}')
        await second.rollback()


@pytest.mark.postgres_only
async def test_a_duplicate_racing_a_first_that_fails_runs_itself(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    fingerprint = Fingerprint("POST", "/api/v1/technician/tasks/x/confirmation", "a" * 64)
    async with sessions() as first, sessions() as second:
        await _claim(first, "technician1", "race-2", fingerprint)
        waiting = asyncio.create_task(_claim(second, "technician1", "race-2", fingerprint))
        await asyncio.sleep(0.3)
        await first.rollback()  # the first request failed (4xx): nothing of it is kept

        answer = await asyncio.wait_for(waiting, timeout=10)

        assert answer.status_code == CLAIMED  # the second now holds the key and does the work
        await second.rollback()
