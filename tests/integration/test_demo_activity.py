"""Demo activity: after `demo-data` the demo technician has a day of jobs, calls stand in every
state and returns are under way — all made through the services, reproducible for a seed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth import Principal, Role
from core.db import session_scope
from masterdata.models import Engineer, User
from returns.demo_activity import load_demo_activity
from returns.demo_stock import load_demo_stock
from returns.models import RepairOrder, Rma
from service_mgmt.demo_contracts import load_demo_contracts
from service_mgmt.demo_data import DemoSize, load_demo_data
from service_mgmt.models import PmPlan, ServiceRequest, WorkOrder
from service_mgmt.services.technician_jobs import list_my_tasks
from tests.integration.rma_fixtures import LINKS
from tests.sql_statements import statements_sent

SEED = 11
TODAY = dt.date(2026, 11, 23)  # a Monday
AT = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)


async def _load_everything(sessions: async_sessionmaker[AsyncSession]) -> int:
    """What `service-mgmt demo-data` does, at a small size; answers the statements the activity sent."""
    async with session_scope(sessions) as session:
        await load_demo_data(session, DemoSize(customers=12, equipment=80, engineers=4, seed=SEED))
        await load_demo_contracts(session, seed=SEED)
        await load_demo_stock(session, seed=SEED, now=AT)
        with statements_sent(sessions) as sent:
            summary = await load_demo_activity(session, seed=SEED, today=TODAY, links=LINKS)
    assert summary.requests == 30
    assert summary.rmas == 3
    assert summary.pm_plans == 2
    return len(sent)


async def test_demo_activity_gives_the_technician_a_day_and_the_desk_calls(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    sent = await _load_everything(sessions)
    # its work, not its seconds: 1,189 statements on SQLite and PostgreSQL alike when this was written;
    # a query per row of the demo data would show far above
    assert sent < 1500

    async with sessions() as session:
        user = await session.scalar(select(User).where(User.username == "technician"))
        assert user is not None
        engineer_id = await session.scalar(select(Engineer.id).where(Engineer.user_id == user.id))
        technician = Principal(user_id=user.id, username=user.username, role=Role.TECHNICIAN, engineer_id=engineer_id)
        jobs = await list_my_tasks(session, technician, None, None, now=AT)
        assert len(jobs) >= 2

        states = set((await session.scalars(select(ServiceRequest.status))).all())
        assert {"new", "triaged", "in_progress", "resolved"} <= states
        resolved_codes = (
            await session.scalars(select(ServiceRequest.resolution_code).where(ServiceRequest.status == "resolved"))
        ).all()
        assert resolved_codes and all(resolved_codes)
        waiting = await session.scalar(
            select(func.count()).where(ServiceRequest.waiting_for_customer_since.is_not(None))
        )
        assert waiting >= 1

        wo_states = set((await session.scalars(select(WorkOrder.status))).all())
        assert {"open", "dispatched"} <= wo_states
        assert await session.scalar(select(func.count()).select_from(WorkOrder)) >= 10
        assert await session.scalar(select(func.count()).select_from(PmPlan)) == 2

        rma_states = sorted((await session.scalars(select(Rma.status))).all())
        assert rma_states == ["awaiting_receipt", "in_repair", "requested"]
        assert await session.scalar(select(func.count()).select_from(RepairOrder)) == 1


async def test_demo_activity_is_loaded_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    await _load_everything(sessions)
    with pytest.raises(ValueError):
        async with session_scope(sessions) as session:
            await load_demo_activity(session, seed=SEED, today=TODAY, links=LINKS)
