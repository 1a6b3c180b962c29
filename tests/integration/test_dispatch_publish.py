"""Publishing a run's plan writes every task set-based: the same few statements for 2 tasks as for 30,
with the optimistic lock still holding (a task changed under the write answers ``plan_stale``)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import audit_log
from core.auth import SYSTEM
from core.errors import Conflict
from masterdata.models import Engineer
from service_mgmt.choices import DispatchRunKind, DispatchRunStatus
from service_mgmt.dispatch.publish import PublishIn, publish_run, write_assignments
from service_mgmt.models import DispatchRun, Task, TaskAssignment
from tests.integration.dispatch_fixtures import engineer, job, site

NOON = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
DAY_START = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)


async def _run_over(session: AsyncSession, tasks: list[Task], engineers: list[Engineer]) -> DispatchRun:
    """A succeeded run whose plan gives task i to engineer i mod n, one hour each, back to back."""
    routes: dict[UUID, list[dict[str, Any]]] = {e.id: [] for e in engineers}
    for i, task in enumerate(tasks):
        start = DAY_START + dt.timedelta(hours=i // len(engineers))
        end = start + dt.timedelta(hours=1)
        routes[engineers[i % len(engineers)].id].append(
            {"task_id": str(task.id), "start": start.isoformat(), "end": end.isoformat()}
        )
    run = DispatchRun(
        kind=DispatchRunKind.FULL.value,
        status=DispatchRunStatus.SUCCEEDED.value,
        parameters={"task_versions": {str(t.id): t.version for t in tasks}},
        progress=[],
        plan={"routes": [{"engineer_id": str(e), "visits": v} for e, v in routes.items()]},
        requested_by="planner",
        cancel_requested=False,
    )
    session.add(run)
    await session.flush()
    return run


async def _world(session: AsyncSession, n: int) -> tuple[list[Task], list[Engineer]]:
    people = [await engineer(session, f"E{i}", {}) for i in range(3)]
    tasks = [await job(session, await site(session, f"S{i}", (52.5, 13.4))) for i in range(n)]
    return tasks, people


def _counting(session: AsyncSession) -> tuple[list[str], Any]:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]).split()[0].upper())

    engine = session.bind.sync_engine  # type: ignore[union-attr]
    event.listen(engine, "before_cursor_execute", count)
    return statements, lambda: event.remove(engine, "before_cursor_execute", count)


async def _statements_to_publish(session: AsyncSession, n: int) -> list[str]:
    tasks, people = await _world(session, n)
    run = await _run_over(session, tasks, people)
    statements, stop = _counting(session)
    try:
        result = await publish_run(session, SYSTEM, run.id, PublishIn())
    finally:
        stop()
    assert sorted(result.published) == sorted(t.id for t in tasks)
    return statements


async def test_publishing_thirty_tasks_takes_as_many_statements_as_two(session: AsyncSession) -> None:
    few = await _statements_to_publish(session, 2)
    many = await _statements_to_publish(session, 30)

    assert len(many) == len(few)
    assert many.count("UPDATE") == 2  # the tasks, once; the run's published_at


async def test_published_tasks_carry_engineers_times_status_version_and_an_audit_record(
    session: AsyncSession,
) -> None:
    tasks, people = await _world(session, 4)
    run = await _run_over(session, tasks, people)
    versions = {t.id: t.version for t in tasks}

    await publish_run(session, SYSTEM, run.id, PublishIn())

    rows = await session.execute(select(Task).where(Task.id.in_(versions)).execution_options(populate_existing=True))
    stored = {t.id: t for t in rows.scalars()}
    fourth = stored[tasks[3].id]  # the fourth task is E0's second visit, 09:00-10:00
    assert (fourth.planned_start, fourth.planned_end) == (DAY_START + dt.timedelta(hours=1), DAY_START.replace(hour=10))
    assert {t.status for t in stored.values()} == {"scheduled"}
    assert all(stored[i].version == v + 1 for i, v in versions.items())
    crews = (
        await session.execute(select(TaskAssignment.task_id, TaskAssignment.engineer_id, TaskAssignment.lead))
    ).all()
    assert sorted((str(t), str(e), lead) for t, e, lead in crews) == sorted(
        (str(t.id), str(people[i % 3].id), True) for i, t in enumerate(tasks)
    )
    audited = (
        await session.execute(select(audit_log.c.entity_id, audit_log.c.after).where(audit_log.c.action == "publish"))
    ).all()
    after = {entity_id: record for entity_id, record in audited}
    assert after[str(tasks[3].id)] == {
        "engineer_ids": [str(people[0].id)],
        "planned_start": "2026-12-02T09:00:00+00:00",
        "planned_end": "2026-12-02T10:00:00+00:00",
        "status": "scheduled",
    }


async def test_a_task_changed_under_the_write_is_a_stale_plan(session: AsyncSession) -> None:
    tasks, people = await _world(session, 3)
    # someone else's write lands between our read and our write (the version we judged by is gone)
    await session.execute(
        update(Task)
        .where(Task.id == tasks[1].id)
        .values(version=Task.version + 1)
        .execution_options(synchronize_session=False)
    )
    writes = [(t, [people[0].id], DAY_START, DAY_START + dt.timedelta(hours=1)) for t in tasks]

    with pytest.raises(Conflict) as refused:
        await write_assignments(session, SYSTEM, writes, "publish", NOON)

    assert refused.value.code == "plan_stale"
    assert await session.scalar(select(func.count()).select_from(TaskAssignment)) == 0
