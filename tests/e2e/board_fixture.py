"""A GET /api/v1/dispatch/board answer that follows the board contract exactly, of any size.

The browser tests route the board's request to it when they test the drawing itself (a hundred
engineers with a thousand tasks, virtualised rows) independently of how a plan is computed."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

TERRITORIES = ("North", "South", "East", "West")
SKILLS = ("hvac", "electrical", "plumbing", "elevator")
STATUSES = ("scheduled", "scheduled", "scheduled", "dispatched", "started", "done")
FIRST = ("Anna", "Ben", "Chen", "Dora", "Emil", "Fatma", "Gero", "Hana", "Ivo", "Jule")
LAST = ("Schmidt", "Keller", "Wang", "Novak", "Berg", "Yilmaz", "Roth", "Sato", "Petrov", "Lang")


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def board_answer(
    *, day: dt.date, engineers: int = 100, tasks: int = 1000, unassigned: int = 40, seed: int = 7
) -> dict[str, Any]:
    rng = random.Random(seed)
    zone_offset = dt.timedelta(hours=1)  # Europe/Berlin in December
    start = dt.datetime.combine(day, dt.time(0), dt.UTC) - zone_offset
    end = start + dt.timedelta(days=1)
    people: list[dict[str, Any]] = []
    for n in range(engineers):
        shift_start = start + dt.timedelta(hours=8)
        shift_end = start + dt.timedelta(hours=17)
        lunch = start + dt.timedelta(hours=12)
        people.append(
            {
                "id": f"00000000-0000-4000-8000-{n:012d}",
                "number": f"E-{n + 1:06d}",
                "name": f"{FIRST[n % 10]} {LAST[(n // 10) % 10]} {n + 1}",
                "territory": TERRITORIES[n % 4],
                "time_zone": "Europe/Berlin",
                "skills": [{"skill": SKILLS[n % 4], "level": 2}],
                "home": {"latitude": 52.5, "longitude": 13.4, "address": "Berlin"},
                "utilisation": 0.0,
                "shifts": [{"start": _iso(shift_start), "end": _iso(shift_end)}],
                "lunches": [{"start": _iso(lunch), "end": _iso(lunch + dt.timedelta(minutes=30))}],
                "absences": (
                    [{"start": _iso(start + dt.timedelta(hours=14)), "end": _iso(shift_end), "reason": "doctor"}]
                    if n % 17 == 3
                    else []
                ),
            }
        )
    per_engineer = max(1, tasks // max(1, engineers))
    assignments: list[dict[str, Any]] = []
    for n, person in enumerate(people):
        at = start + dt.timedelta(hours=8)
        for k in range(per_engineer):
            travel = rng.choice((10, 15, 20, 25))
            minutes = rng.choice((30, 30, 45, 60))
            at += dt.timedelta(minutes=travel)
            if at + dt.timedelta(minutes=minutes) > start + dt.timedelta(hours=12) and at < start + dt.timedelta(
                hours=12, minutes=30
            ):
                at = start + dt.timedelta(hours=12, minutes=30 + travel)
            number = n * per_engineer + k + 1
            due = at + dt.timedelta(minutes=minutes + rng.choice((-20, 60, 240)))
            assignments.append(
                {
                    "task_id": f"10000000-0000-4000-8000-{number:012d}",
                    "task_version": 1,
                    "work_order_id": f"20000000-0000-4000-8000-{number:012d}",
                    "work_order_number": f"WO-{number:06d}",
                    "name": "Repair",
                    "customer_name": f"Customer {number}",
                    "site": {
                        "id": f"30000000-0000-4000-8000-{number:012d}",
                        "name": "Main site",
                        "latitude": 52.5,
                        "longitude": 13.4,
                    },
                    "engineer_ids": [person["id"]],
                    "engineer_names": [person["name"]],
                    "start": _iso(at),
                    "end": _iso(at + dt.timedelta(minutes=minutes)),
                    "travel_minutes": travel,
                    "priority": f"P{rng.randint(1, 4)}",
                    "status": rng.choice(STATUSES),
                    "pinned": number % 9 == 0,
                    "sla_due": _iso(due),
                    "late": due < at + dt.timedelta(minutes=minutes),
                    "skills": person["skills"],
                    "duration_minutes": minutes,
                }
            )
            at += dt.timedelta(minutes=minutes)
        person["utilisation"] = round(
            sum(a["duration_minutes"] for a in assignments if a["engineer_ids"] == [person["id"]]) / (9 * 60), 3
        )
    open_tasks = [
        {
            "task_id": f"40000000-0000-4000-8000-{n:012d}",
            "task_version": 1,
            "work_order_id": f"50000000-0000-4000-8000-{n:012d}",
            "work_order_number": f"WO-9{n:05d}",
            "name": "Inspection",
            "customer_name": f"Waiting customer {n}",
            "site": {
                "id": f"60000000-0000-4000-8000-{n:012d}",
                "name": "Plant room",
                "latitude": 52.5,
                "longitude": 13.4,
            },
            "priority": f"P{n % 4 + 1}",
            "status": "open",
            "sla_due": _iso(start + dt.timedelta(hours=10 + n % 10)),
            "skills": [{"skill": SKILLS[n % 4], "level": 3}],
            "time_windows": [
                {"start": _iso(start + dt.timedelta(hours=9)), "end": _iso(start + dt.timedelta(hours=13))}
            ],
            "duration_minutes": 60,
            "crew_size": 1,
            "reason": {"code": "no_skill", "text": f"nobody free has {SKILLS[n % 4]} level 3"} if n % 2 else None,
        }
        for n in range(unassigned)
    ]
    counts: dict[str, int] = {}
    for task in open_tasks:
        counts[task["priority"]] = counts.get(task["priority"], 0) + 1
    return {
        "start": _iso(start),
        "end": _iso(end),
        "time_zone": "Europe/Berlin",
        "revision": "fixture-1",
        "can_edit": True,
        "engineers": people,
        "assignments": assignments,
        "unassigned": open_tasks,
        "counts": {"unassigned_by_priority": counts},
        "routes": [],
    }
