"""``service-mgmt dispatch run``: the same stored run as the API, and --publish writes the plan."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.cli import main
from api.dispatch_command import run_dispatch
from core.db import session_scope
from core.settings import Settings
from service_mgmt.models import DispatchRun, Task
from tests.integration.dispatch_fixtures import engineer, job, next_day, site, solves_bound_by_work  # noqa: F401

pytestmark = pytest.mark.usefixtures("solves_bound_by_work")  # the second of --time-limit binds nothing


async def test_a_command_line_run_is_stored_and_published(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with session_scope(sessions) as session:
        anna = await engineer(session, "Anna", {"printers": 2})
        jobs = [
            (await job(session, await site(session, f"C{i}", (52.45 + 0.01 * i, 13.3)), skills={"printers": 1})).id
            for i in range(3)
        ]
    said: list[str] = []

    result = await run_dispatch(
        settings, first_day=next_day(), days=1, policy="min_travel", time_limit=1.0, publish=True, say=said.append
    )

    assert result.status == "succeeded", result.error
    assert result.kpis["tasks_assigned"] == 3 and result.published == 3
    assert said and "3 tasks, 1 engineers" in said[0]
    async with sessions() as session:
        run = await session.get(DispatchRun, result.run_id)
        assert run is not None and run.published_at is not None and run.parameters["policy"] == "min_travel"
        planned = (await session.scalars(select(Task).where(Task.id.in_(jobs)))).all()
        assert all(t.planned_start is not None and t.status == "scheduled" for t in planned)
    assert anna.id is not None


def test_bad_options_are_refused_before_anything_runs() -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["dispatch", "run", "--days", "0"]).exit_code == 2
    assert runner.invoke(main, ["dispatch", "run", "--time-limit", "0"]).exit_code == 2


async def test_an_unknown_policy_stores_no_run(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
    from core.errors import Invalid

    with pytest.raises(Invalid) as refused:
        await run_dispatch(settings, first_day=next_day(), days=1, policy="cheapest", time_limit=1.0, publish=False)
    assert refused.value.field == "policy"
    async with sessions() as session:
        assert (await session.scalars(select(DispatchRun))).all() == []
