"""A stale task version answered with who changed the task, when, and what: the board's 409.

The audit log (``core.audit``) records every change to a task (edits, assignments, moves, publishes,
pins) in the transaction that made it, with the actor. A planner whose card is ``n`` versions behind
is told the last ``n`` recorded changes, people named by their display names ("Paula Planner moved
it: engineers Anna Weber → Ben Brandt; start Tue 08 Dec 09:00 → 11:00"). The code stays
``stale_version`` (field ``version``, ``current_version``), as for every other optimistic lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import audit_log
from core.errors import Conflict
from masterdata.models import Engineer, Site, User
from service_mgmt.models import Task

MAX_CHANGES = 10
VERBS = {
    "move": "moved it",
    "publish": "published a plan that moved it",
    "pin": "pinned it",
    "unpin": "unpinned it",
    "assign": "assigned it",
    "update": "edited it",
    "create": "created it",
}
LABELS = {"engineer_ids": "engineers", "planned_start": "start", "planned_end": "end"}
ORDER = {"engineer_ids": 0, "planned_start": 1, "planned_end": 2, "status": 3}
SKIPPED = frozenset({"version", "updated_at", "created_at", "id"})


async def check_task_version(session: AsyncSession, task: Task, seen: int) -> None:
    if task.version != seen:
        raise await stale_task(session, task, seen)


async def stale_task(session: AsyncSession, task: Task, seen: int) -> Conflict:
    behind = min(MAX_CHANGES, max(1, task.version - seen))
    users = User.__table__
    rows = (
        await session.execute(
            select(
                audit_log.c.at,
                audit_log.c.actor_name,
                users.c.display_name,
                audit_log.c.action,
                audit_log.c.before,
                audit_log.c.after,
            )
            .select_from(audit_log.outerjoin(users, users.c.id == audit_log.c.actor_id))
            .where(audit_log.c.entity == "task", audit_log.c.entity_id == str(task.id))
            .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
            .limit(behind)
        )
    ).all()
    rows = list(reversed(rows))
    zone = ZoneInfo(await session.scalar(select(Site.time_zone).where(Site.id == task.site_id)) or "UTC")
    names = await _engineer_names(session, rows)
    changes = [_describe(r.display_name or r.actor_name, r.action, r.before, r.after, names, zone) for r in rows]
    last = rows[-1] if rows else None
    changed_by = (last.display_name or last.actor_name) if last is not None else None
    changed_at = last.at if last is not None else task.updated_at
    who = changed_by or "someone else"
    detail = f"{who} changed this task (your version {seen}, current {task.version})"
    if changes:
        detail += f": {changes[-1]}"
    return Conflict(
        "stale_version",
        detail + "; reload and retry",
        field="version",
        extra={
            "current_version": task.version,
            "changed_by": changed_by,
            "changed_at": changed_at.isoformat() if changed_at else None,
            "changes": changes,
        },
    )


async def _engineer_names(session: AsyncSession, rows: Sequence[Any]) -> dict[str, str]:
    ids = {
        UUID(e)
        for r in rows
        for side in (r.before, r.after)
        if isinstance(side, dict)
        for e in side.get("engineer_ids") or []
    }
    if not ids:
        return {}
    found = await session.execute(select(Engineer.id, Engineer.name).where(Engineer.id.in_(ids)))
    return {str(i): name for i, name in found}


def _describe(
    who: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    names: Mapping[str, str],
    zone: ZoneInfo,
) -> str:
    before, after = before or {}, after or {}
    parts: list[str] = []
    # a fixed order: PostgreSQL's JSONB does not keep the keys in the order they were written
    keys = sorted((k for k in after if k not in SKIPPED), key=lambda k: (ORDER.get(k, len(ORDER)), k))
    for key in keys:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        label = LABELS.get(key, key.replace("_", " "))
        if key == "pinned":
            continue  # the verb says it
        if key == "engineer_ids":
            parts.append(f"{label} {_people(old, names)} → {_people(new, names)}")
        elif key in {"planned_start", "planned_end"}:
            parts.append(f"{label} {_time(old, zone)} → {_time(new, zone)}")
        elif isinstance(new, str | int | float | bool) or new is None:
            parts.append(f"{label} {old if old is not None else '—'} → {new if new is not None else '—'}")
        else:
            parts.append(f"{label} changed")
    text = f"{who} {VERBS.get(action, action)}"
    return text + (": " + "; ".join(parts) if parts else "")


def _people(ids: Any, names: Mapping[str, str]) -> str:
    if not ids:
        return "nobody"
    return ", ".join(names.get(str(i), "someone") for i in ids)


def _time(value: Any, zone: ZoneInfo) -> str:
    if not value:
        return "—"
    return dt.datetime.fromisoformat(str(value)).astimezone(zone).strftime("%a %d %b %H:%M")
