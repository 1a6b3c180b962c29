"""Synthetic dispatch-board data at scale, written with bulk inserts into a database given by URL.

``generate`` loads, for the days from ``first_day`` on (default tomorrow, UTC):

* engineers (default 100) in the Berlin region in four territories, 08:00-17:00 every day, three
  skills at levels 1-3, a 30-minute lunch in 12:00-13:30, every tenth one absent on the first day's
  afternoon;
* tasks (default 1,000), one per work order, at sites spread around Berlin; most of them planned as a
  published plan would leave them (``visits_per_day`` one-hour visits per engineer and day, every
  twentieth a two-person crew, every tenth pinned, some with an SLA due before their end: late), the
  rest open (no engineer), P1-P4, some with appointment windows;
* a succeeded, published ``full`` run whose stored plan has those routes and, for every open task, the
  reason it could not be planned (naming an engineer by id, as the solver does).

Deterministic for a seed. Reusable: ``bench/board_read.py`` (GET /board p50/p95) and any other board
benchmark call ``generate(sessions, BoardVolume(...))`` on a migrated database, or run this module:

    .venv/bin/python bench/board_data.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_board
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402
from uuid_utils.compat import uuid7  # noqa: E402

from core.db import create_engine, create_session_factory, session_scope  # noqa: E402
from core.settings import DatabaseSettings  # noqa: E402
from masterdata.models import Absence, Customer, Engineer, EngineerSkill, Site, WorkingHours  # noqa: E402
from service_mgmt.models import DispatchRun, Task, TaskAssignment, WorkOrder  # noqa: E402

BERLIN = ZoneInfo("Europe/Berlin")
SKILLS = ("printers", "hvac", "network")
TERRITORIES = ("north", "south", "east", "west")
PRIORITIES = ("P1", "P2", "P3", "P4")
BATCH = 2000


@dataclass(frozen=True, slots=True)
class BoardVolume:
    engineers: int = 100
    tasks: int = 1000
    days: int = 2  # planned days from first_day
    visits_per_day: int = 4  # per engineer: 100 x 4 x 2 = 800 planned, 200 open
    seed: int = 7


@dataclass(slots=True)
class BoardData:
    first_day: dt.date
    engineer_ids: list[UUID] = field(default_factory=list)
    planned_task_ids: list[UUID] = field(default_factory=list)
    open_task_ids: list[UUID] = field(default_factory=list)
    run_id: UUID | None = None


def _stamp(row: dict[str, Any], now: dt.datetime, versioned: bool = True) -> dict[str, Any]:
    return {"id": uuid7(), "created_at": now, "updated_at": now, **({"version": 1} if versioned else {}), **row}


async def _insert(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        await session.execute(insert(model), list(rows[start : start + BATCH]))


def _point(rng: random.Random) -> tuple[float, float]:
    return 52.52 + rng.uniform(-0.15, 0.15), 13.40 + rng.uniform(-0.25, 0.25)


def _territory(lat: float, lon: float) -> str:
    return (
        ("north" if lat >= 52.52 else "south")
        if abs(lat - 52.52) * 1.6 > abs(lon - 13.40)
        else ("east" if lon >= 13.40 else "west")
    )


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN).astimezone(dt.UTC)


async def generate(
    sessions: async_sessionmaker[AsyncSession], volume: BoardVolume = BoardVolume(), first_day: dt.date | None = None
) -> BoardData:
    rng = random.Random(volume.seed)
    now = dt.datetime.now(dt.UTC)
    first = first_day or now.date() + dt.timedelta(days=1)
    data = BoardData(first_day=first)
    async with session_scope(sessions) as session:
        engineers = []
        for i in range(volume.engineers):
            lat, lon = _point(rng)
            engineers.append(
                _stamp(
                    {
                        "number": f"E-{i + 1:06d}",
                        "name": f"Engineer {i + 1:03d}",
                        "home_latitude": lat,
                        "home_longitude": lon,
                        "home_address": f"Street {i + 1}, Berlin",
                        "territory": TERRITORIES[i % len(TERRITORIES)],
                        "time_zone": "Europe/Berlin",
                        "cost_rate": "60.00",
                        "currency": "EUR",
                        "active": True,
                        "lunch_minutes": 30,
                        "lunch_window_start": dt.time(12),
                        "lunch_window_end": dt.time(13, 30),
                        "max_overtime_minutes": 60,
                        "overtime_rate_multiplier": "1.50",
                    },
                    now,
                )
            )
        await _insert(session, Engineer, engineers)
        data.engineer_ids = [e["id"] for e in engineers]
        await _insert(
            session,
            EngineerSkill,
            [
                _stamp({"engineer_id": e["id"], "skill": s, "level": 1 + (i + k) % 3}, now, versioned=False)
                for i, e in enumerate(engineers)
                for k, s in enumerate(SKILLS)
            ],
        )
        await _insert(
            session,
            WorkingHours,
            [
                _stamp({"engineer_id": e["id"], "weekday": d, "starts": dt.time(8), "ends": dt.time(17)}, now, False)
                for e in engineers
                for d in range(7)
            ],
        )
        await _insert(
            session,
            Absence,
            [
                _stamp(
                    {
                        "engineer_id": e["id"],
                        "starts_at": _local(first, 14),
                        "ends_at": _local(first, 17),
                        "reason": "doctor",
                    },
                    now,
                    False,
                )
                for e in engineers[::10]
            ],
        )
        customer = _stamp({"number": "C-BOARD", "name": "Board customer", "status": "active"}, now)
        await _insert(session, Customer, [customer])
        sites, orders, tasks = [], [], []
        for i in range(volume.tasks):
            lat, lon = _point(rng)
            sites.append(
                _stamp(
                    {
                        "customer_id": customer["id"],
                        "name": f"Site {i + 1}",
                        "country": "DE",
                        "time_zone": "Europe/Berlin",
                        "latitude": lat,
                        "longitude": lon,
                        "territory": _territory(lat, lon),
                        "opening_hours": [],
                    },
                    now,
                )
            )
        await _insert(session, Site, sites)
        slots = _slots(volume, first)
        assignments: list[dict[str, Any]] = []
        routes: dict[tuple[UUID, int], list[dict[str, Any]]] = {}
        for i, site in enumerate(sites):
            priority = PRIORITIES[i % len(PRIORITIES)]
            order = _stamp(
                {
                    "number": f"WO-{i + 1:06d}",
                    "customer_id": customer["id"],
                    "site_id": site["id"],
                    "service_type": "repair",
                    "priority": priority,
                    "status": "open",
                },
                now,
            )
            orders.append(order)
            slot = slots[i] if i < len(slots) else None
            crew = []
            windows: list[dict[str, Any]] = []
            if slot is not None:
                lead, day, start = slot
                crew = [engineers[lead]["id"]]
                if i % 20 == 0:
                    crew.append(engineers[(lead + 1) % len(engineers)]["id"])
                if i % 7 == 0:  # SLA due before the visit ends: late on the board
                    windows.append(
                        {
                            "start": (start - dt.timedelta(hours=4)).isoformat(),
                            "end": (start + dt.timedelta(minutes=30)).isoformat(),
                            "kind": "sla",
                        }
                    )
            elif i % 3 == 0:
                day = rng.randrange(volume.days)
                begin = _local(first + dt.timedelta(days=day), 8 + 2 * rng.randrange(4))
                windows.append(
                    {
                        "start": begin.isoformat(),
                        "end": (begin + dt.timedelta(hours=2)).isoformat(),
                        "kind": "appointment",
                    }
                )
            task = _stamp(
                {
                    "work_order_id": order["id"],
                    "sequence": 1,
                    "name": f"Repair {i + 1}",
                    "site_id": site["id"],
                    "duration_minutes": 60,
                    "required_skills": [{"skill": SKILLS[i % len(SKILLS)], "level": 1}],
                    "time_windows": windows,
                    "priority": priority,
                    "crew_size": len(crew) or 1,
                    "pinned": bool(crew) and i % 10 == 3,
                    "status": "scheduled" if crew else "open",
                    "planned_start": slot[2] if slot else None,
                    "planned_end": slot[2] + dt.timedelta(hours=1) if slot else None,
                },
                now,
            )
            tasks.append(task)
            if slot is not None:
                data.planned_task_ids.append(task["id"])
                for index, engineer_id in enumerate(crew):
                    assignments.append(
                        _stamp({"task_id": task["id"], "engineer_id": engineer_id, "lead": index == 0}, now, False)
                    )
                    routes.setdefault((engineer_id, slot[1]), []).append(task)
            else:
                data.open_task_ids.append(task["id"])
        await _insert(session, WorkOrder, orders)
        await _insert(session, Task, tasks)
        await _insert(session, TaskAssignment, assignments)
        run = _run(volume, first, now, routes, [t for t in tasks if t["id"] in set(data.open_task_ids)], engineers)
        await _insert(session, DispatchRun, [run])
        data.run_id = run["id"]
    return data


def _slots(volume: BoardVolume, first: dt.date) -> list[tuple[int, int, dt.datetime]]:
    """(engineer index, day, start) of every planned visit: visits two hours apart from 08:30."""
    out = []
    for day in range(volume.days):
        for visit in range(volume.visits_per_day):
            hour = 8 + (2 * visit) % 8
            for engineer in range(volume.engineers):
                out.append((engineer, day, _local(first + dt.timedelta(days=day), hour, 30)))
    return out


def _run(
    volume: BoardVolume,
    first: dt.date,
    now: dt.datetime,
    routes: dict[tuple[UUID, int], list[dict[str, Any]]],
    open_tasks: list[dict[str, Any]],
    engineers: list[dict[str, Any]],
) -> dict[str, Any]:
    """The published run as the driver stores it: routes with visits, and a reason per open task."""
    plan = {
        "origin": _local(first, 0).isoformat(),
        "routes": [
            {
                "engineer_id": str(engineer_id),
                "day": day,
                "visits": [
                    {
                        "task_id": str(t["id"]),
                        "start": t["planned_start"].isoformat(),
                        "end": t["planned_end"].isoformat(),
                    }
                    for t in sorted(visits, key=lambda t: t["planned_start"])
                ],
            }
            for (engineer_id, day), visits in sorted(routes.items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))
        ],
        "unassigned": [
            {
                "task_id": str(t["id"]),
                "reason": "pin_infeasible" if n % 2 else "capacity_or_cost",
                "text": f"pinned engineer {engineers[n % len(engineers)]['id']} cannot do this task"
                if n % 2
                else "no room in any qualified engineer's shifts (time or load)",
            }
            for n, t in enumerate(open_tasks)
        ],
        "explanations": [],
        "violations": [],
    }
    return _stamp(
        {
            "kind": "full",
            "status": "succeeded",
            "parameters": {"horizon": {"first_day": first.isoformat(), "days": volume.days}},
            "progress": [],
            "kpis": {"tasks_assigned": sum(len(v) for v in routes.values())},
            "plan": plan,
            "requested_by": "bench",
            "cancel_requested": False,
            "started_at": now,
            "finished_at": now,
            "published_at": now,
            "published_by": "bench",
        },
        now,
    )


async def _main(url: str, volume: BoardVolume) -> None:
    engine = create_engine(DatabaseSettings(url=url))
    data = await generate(create_session_factory(engine), volume)
    await engine.dispose()
    print(
        f"loaded {len(data.engineer_ids)} engineers, {len(data.planned_task_ids)} planned and "
        f"{len(data.open_task_ids)} open tasks from {data.first_day} into {url}"
    )


def main() -> None:
    from migrations.runner import upgrade

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", required=True, help="the database to load (migrated to head first)")
    parser.add_argument("--engineers", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=1000)
    args = parser.parse_args()
    upgrade(args.database_url)
    asyncio.run(_main(args.database_url, BoardVolume(engineers=args.engineers, tasks=args.tasks)))


if __name__ == "__main__":
    main()
