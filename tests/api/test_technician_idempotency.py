"""Idempotency-Key: offline submissions replayed days later, and duplicates racing each other."""

from __future__ import annotations

import asyncio
import datetime as dt
from uuid import UUID

from sqlalchemy import func, select, update

from core.db import session_scope
from core.idempotency import IdempotencyRecord
from service_mgmt.models import Confirmation, TaskStatusEvent
from tests.api.technician_fixtures import ago, confirm, confirmation_body, dispatched_job, on_site, step
from tests.api.test_work_orders import Client, Sessions
from tests.conftest import UserFactory, problem_of


async def test_a_submission_replayed_five_days_later_is_still_recognised(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    await on_site(client, job)
    body = confirmation_body(job)
    first = await confirm(client, job, body, key="offline-7")
    async with session_scope(sessions) as session:  # the phone comes back online five days later
        await session.execute(
            update(IdempotencyRecord).values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=5))
        )

    replay = await confirm(client, job, body, key="offline-7")

    assert first.status_code == replay.status_code == 201, first.text
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.content == first.content


async def test_keys_belong_to_their_user(client: Client, login_as: UserFactory, sessions: Sessions) -> None:
    job = await dispatched_job(client, login_as, sessions, crew=2, engineers=2)
    (mate,) = [a["engineer_id"] for a in job.task["assignments"] if a["engineer_id"] != str(job.engineer_id)]
    mate_login = await login_as("technician", engineer_id=UUID(mate))
    at = ago(minutes=3)

    mine = await step(client, job, "en_route", at=at, key="same-key")
    # The crew mate's phone happens to use the same key: theirs is another key, and the step runs.
    theirs = await client.post(
        job.url(action="status"),
        json={"status": "en_route", "at": at},
        headers=mate_login | {"Idempotency-Key": "same-key"},
    )

    assert mine.status_code == 200
    assert theirs.status_code == 409 and "Idempotent-Replayed" not in theirs.headers
    assert problem_of(theirs)["current_status"] == "en_route"


async def test_duplicates_sent_at_once_run_once_and_get_the_same_answer(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    await on_site(client, job)
    body = confirmation_body(job)

    responses = await asyncio.gather(*(confirm(client, job, body, key="burst-1") for _ in range(3)))

    assert [r.status_code for r in responses] == [201, 201, 201], [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    assert sorted(r.headers.get("Idempotent-Replayed", "false") for r in responses) == ["false", "true", "true"]
    async with session_scope(sessions) as session:
        assert await session.scalar(select(func.count()).select_from(Confirmation)) == 1
        assert await session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


async def test_status_steps_sent_at_once_with_one_key_write_one_event(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    at = ago(minutes=3)

    responses = await asyncio.gather(*(step(client, job, "en_route", at=at, key="tap-1") for _ in range(4)))

    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    async with session_scope(sessions) as session:
        assert await session.scalar(select(func.count()).select_from(TaskStatusEvent)) == 1
