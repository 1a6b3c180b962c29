"""Dispatch service benchmark: urgent insertion and appointment offers over a published plan in a DB.

Generates 100 engineers (Berlin region, 08:00-17:00 every day, two skills) and 1,000 tasks in a
freshly migrated SQLite database (or the database given): 800 of them published over the next two
days (four one-hour visits per engineer and day, two hours apart) and 200 open. Then calls the
service layer as the API does (`urgent_insertion` and `appointment_offers`, each in a session of its
own, with the app's `PublishedCache`): one cold call (builds the published problem, plan and insertion
index) and N warm ones (one fingerprint query + the exact scan). Prints p50/p95/max.

    .venv/bin/python bench/dispatch_service.py
    .venv/bin/python bench/dispatch_service.py --calls 200 --engineers 100 --tasks 1000
    .venv/bin/python bench/dispatch_service.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_dispatch
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from core.auth import SYSTEM  # noqa: E402
from core.db import create_engine, create_session_factory, session_scope  # noqa: E402
from core.settings import DatabaseSettings  # noqa: E402
from masterdata.models import Customer, Engineer, EngineerSkill, Site, WorkingHours  # noqa: E402
from migrations.runner import upgrade  # noqa: E402
from service_mgmt.dispatch.insertion import InsertionIn, urgent_insertion  # noqa: E402
from service_mgmt.dispatch.offers import OfferIn, OfferTaskSpec, appointment_offers  # noqa: E402
from service_mgmt.dispatch.published import PublishedCache  # noqa: E402
from service_mgmt.models import Task, TaskAssignment, WorkOrder  # noqa: E402

TARGET_INSERTION_P95_MS = 50.0
TARGET_OFFERS_MS = 1000.0
BERLIN = ZoneInfo("Europe/Berlin")
SKILLS = ("printers", "hvac", "network")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _point(rng: random.Random) -> tuple[float, float]:
    return 52.52 + rng.uniform(-0.15, 0.15), 13.40 + rng.uniform(-0.25, 0.25)


async def generate(sessions: async_sessionmaker[AsyncSession], engineers: int, tasks: int) -> tuple[list[UUID], UUID]:
    """Answers the open tasks' ids and one site id."""
    rng = random.Random(7)
    today = dt.datetime.now(dt.UTC).date()
    async with session_scope(sessions) as session:
        people: list[Engineer] = []
        for i in range(engineers):
            lat, lon = _point(rng)
            people.append(
                Engineer(
                    number=f"E-{i + 1:06d}",
                    name=f"Engineer {i + 1}",
                    home_latitude=lat,
                    home_longitude=lon,
                    time_zone="Europe/Berlin",
                    cost_rate=Decimal("60"),
                    currency="EUR",
                )
            )
        session.add_all(people)
        customer = Customer(number="C-BENCH", name="Bench customer", status="active")
        session.add(customer)
        await session.flush()
        for i, person in enumerate(people):
            session.add_all(
                EngineerSkill(engineer_id=person.id, skill=s, level=1 + (i + k) % 3) for k, s in enumerate(SKILLS)
            )
            session.add_all(
                WorkingHours(engineer_id=person.id, weekday=d, starts=dt.time(8), ends=dt.time(17)) for d in range(7)
            )
        sites = []
        for i in range(tasks):
            lat, lon = _point(rng)
            sites.append(
                Site(
                    customer_id=customer.id,
                    name=f"Site {i}",
                    country="DE",
                    time_zone="Europe/Berlin",
                    latitude=lat,
                    longitude=lon,
                    opening_hours=[],
                )
            )
        session.add_all(sites)
        await session.flush()
        orders = [
            WorkOrder(
                number=f"WO-{i + 1:06d}",
                customer_id=customer.id,
                site_id=sites[i].id,
                service_type="repair",
                priority="P3",
                status="open",
            )
            for i in range(tasks)
        ]
        session.add_all(orders)
        await session.flush()
        rows: list[Task] = []
        planned: list[tuple[int, Engineer, dt.datetime]] = []
        slot = 0
        for day in (1, 2):
            for hour in (8, 10, 12, 14):
                for person in people:
                    start = dt.datetime.combine(today + dt.timedelta(days=day), dt.time(hour, 30), tzinfo=BERLIN)
                    planned.append((slot, person, start.astimezone(dt.UTC)))
                    slot += 1
        for i in range(tasks):
            skill = SKILLS[i % len(SKILLS)]
            assigned = planned[i] if i < len(planned) else None
            rows.append(
                Task(
                    work_order_id=orders[i].id,
                    sequence=1,
                    name="Repair",
                    site_id=sites[i].id,
                    duration_minutes=60,
                    required_skills=[{"skill": skill, "level": 1}],
                    time_windows=[],
                    priority="P3",
                    crew_size=1,
                    status="scheduled" if assigned else "open",
                    planned_start=assigned[2] if assigned else None,
                    planned_end=assigned[2] + dt.timedelta(hours=1) if assigned else None,
                )
            )
        session.add_all(rows)
        await session.flush()
        session.add_all(
            TaskAssignment(task_id=rows[i].id, engineer_id=planned[i][1].id, lead=True)
            for i in range(min(tasks, len(planned)))
        )
        return [t.id for t in rows[len(planned) :]], sites[0].id


async def measure(url: str, engineers: int, tasks: int, calls: int) -> None:
    engine = create_engine(DatabaseSettings(url=url))
    sessions = create_session_factory(engine)
    began = time.perf_counter()
    open_tasks, site_id = await generate(sessions, engineers, tasks)
    print(
        f"generated {engineers} engineers, {tasks} tasks ({len(open_tasks)} open) in {time.perf_counter() - began:.1f}s"
    )
    cache = PublishedCache()

    async def insert(task_id: UUID) -> float:
        async with sessions() as session:
            start = time.perf_counter()
            answer = await urgent_insertion(session, SYSTEM, InsertionIn(task_id=task_id, days=3), cache=cache)
            elapsed = (time.perf_counter() - start) * 1000
            await session.rollback()
        assert answer.options, "no insertion found"
        return elapsed

    cold = await insert(open_tasks[0])
    warm = [await insert(open_tasks[i % len(open_tasks)]) for i in range(calls)]
    print(f"urgent insertion: cold {cold:.1f} ms (builds the published plan and index)")
    print(
        f"urgent insertion, warm x{calls}: p50 {statistics.median(warm):.1f} ms, p95 {percentile(warm, 0.95):.1f} ms, "
        f"max {max(warm):.1f} ms (target p95 <= {TARGET_INSERTION_P95_MS:.0f} ms)"
    )

    offer_times = []
    for i in range(max(5, calls // 10)):
        async with sessions() as session:
            start = time.perf_counter()
            offers = await appointment_offers(
                session,
                SYSTEM,
                OfferIn(task=OfferTaskSpec(site_id=site_id, duration_minutes=60 + i % 3 * 30), days=5),
                cache=cache,
            )
            offer_times.append((time.perf_counter() - start) * 1000)
            await session.rollback()
        assert offers, "no offers"
    print(
        f"appointment offers over 5 days (2-hour slots), x{len(offer_times)}: "
        f"p50 {statistics.median(offer_times):.1f} ms, "
        f"max {max(offer_times):.1f} ms (target <= {TARGET_OFFERS_MS:.0f} ms)"
    )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", help="a database to use (migrated to head); default a temporary SQLite file")
    parser.add_argument("--engineers", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/dispatch_bench.db"
        upgrade(url)  # Alembic runs its own event loop
        asyncio.run(measure(url, args.engineers, args.tasks, args.calls))


if __name__ == "__main__":
    main()
