"""Builders for dispatch scenarios: engineers with weekly hours, sites with coordinates, work orders
with one task each, as plain ORM rows in the caller's session; and ``solves_bound_by_work``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from masterdata.models import Absence, Customer, Engineer, EngineerSkill, Site, WorkingHours
from scheduling import Problem, SolveParams, WorkLimit
from service_mgmt.dispatch.solver_pool import SolveHandle, SolverPool
from service_mgmt.models import Task, TaskAssignment, WorkOrder

EVERY_DAY = tuple(range(7))
BERLIN = (52.52, 13.40)
_numbers = itertools.count(1)


@pytest.fixture
def solves_bound_by_work(monkeypatch: pytest.MonkeyPatch) -> WorkLimit:
    """Every solve handed to a solver pool stops after a fixed amount of work (``scheduling.WorkLimit``)
    instead of at the run's time limit: a loaded machine cut a run's second before OR-Tools' first
    solution, and the run "succeeded" with nothing planned. The parameters travel to the pool's
    process with the problem, so the bound holds there."""
    work = WorkLimit()
    submit = SolverPool.submit

    def bound(pool: SolverPool, problem: Problem, params: SolveParams) -> SolveHandle:
        return submit(pool, problem, dataclasses.replace(params, work_limit=work))

    monkeypatch.setattr(SolverPool, "submit", bound)
    return work


def next_day(days: int = 1) -> dt.date:
    return dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)


async def engineer(
    session: AsyncSession,
    name: str,
    skills: dict[str, int],
    *,
    home: tuple[float, float] = BERLIN,
    zone: str = "Europe/Berlin",
    weekdays: tuple[int, ...] = EVERY_DAY,
    hours: tuple[str, str] = ("08:00", "17:00"),
    territory: str | None = None,
    absent: tuple[dt.datetime, dt.datetime] | None = None,
    lunch: tuple[int, str, str] | None = None,  # minutes, window start, window end (local)
    overtime: tuple[int, str] = (0, "1.00"),  # max minutes a day, rate multiplier
    cost_rate: str = "60.00",
) -> Engineer:
    row = Engineer(
        number=f"E-{next(_numbers):06d}",
        name=name,
        home_latitude=home[0],
        home_longitude=home[1],
        time_zone=zone,
        territory=territory,
        cost_rate=Decimal(cost_rate),
        currency="EUR",
        lunch_minutes=lunch[0] if lunch else None,
        lunch_window_start=dt.time.fromisoformat(lunch[1]) if lunch else None,
        lunch_window_end=dt.time.fromisoformat(lunch[2]) if lunch else None,
        max_overtime_minutes=overtime[0],
        overtime_rate_multiplier=Decimal(overtime[1]),
    )
    session.add(row)
    await session.flush()
    session.add_all(EngineerSkill(engineer_id=row.id, skill=s, level=level) for s, level in skills.items())
    starts, ends = dt.time.fromisoformat(hours[0]), dt.time.fromisoformat(hours[1])
    session.add_all(WorkingHours(engineer_id=row.id, weekday=d, starts=starts, ends=ends) for d in weekdays)
    if absent is not None:
        session.add(Absence(engineer_id=row.id, starts_at=absent[0], ends_at=absent[1], reason="doctor"))
    await session.flush()
    return row


async def site(
    session: AsyncSession, name: str, at: tuple[float, float] | None, *, territory: str | None = None
) -> Site:
    customer = Customer(number=f"C-{next(_numbers):06d}", name=name, status="active")
    session.add(customer)
    await session.flush()
    row = Site(
        customer_id=customer.id,
        name=name,
        country="DE",
        time_zone="Europe/Berlin",
        latitude=at[0] if at else None,
        longitude=at[1] if at else None,
        territory=territory,
        opening_hours=[],
    )
    session.add(row)
    await session.flush()
    return row


def window(start: dt.datetime, end: dt.datetime, kind: str = "appointment") -> dict[str, Any]:
    return {"start": start.isoformat(), "end": end.isoformat(), "kind": kind}


async def job(
    session: AsyncSession,
    at: Site,
    *,
    minutes: int = 60,
    skills: dict[str, int] | None = None,
    priority: str = "P3",
    windows: list[dict[str, Any]] | None = None,
    status: str = "open",
    order_status: str | None = None,
    pinned: bool = False,
    planned: dt.datetime | None = None,
    crew: list[UUID] | None = None,
    name: str = "Repair",
) -> Task:
    """A work order at the site with one task; ``crew`` and ``planned`` make it assigned."""
    order = WorkOrder(
        number=f"WO-{next(_numbers):06d}",
        customer_id=at.customer_id,
        site_id=at.id,
        service_type="repair",
        priority=priority,
        status=order_status or status,
    )
    session.add(order)
    await session.flush()
    task = Task(
        work_order_id=order.id,
        sequence=1,
        name=name,
        site_id=at.id,
        duration_minutes=minutes,
        required_skills=[{"skill": s, "level": level} for s, level in (skills or {}).items()],
        time_windows=windows or [],
        priority=priority,
        crew_size=len(crew) if crew else 1,
        pinned=pinned,
        status=status,
        planned_start=planned,
        planned_end=planned + dt.timedelta(minutes=minutes) if planned else None,
    )
    session.add(task)
    await session.flush()
    session.add_all(TaskAssignment(task_id=task.id, engineer_id=e, lead=i == 0) for i, e in enumerate(crew or []))
    await session.flush()
    return task
