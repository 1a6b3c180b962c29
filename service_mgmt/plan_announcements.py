"""Telling the dispatch boards that the plan changed, in words a planner reads.

A use case that changes what a board shows (a move, a pin, a publish, a technician's step, a new or
edited task) calls `announce_plan` before it returns, inside its transaction; a run's driver calls
`announce_run` with each write. Both publish a domain event (`PlanChanged`, `RunProgressed`) in the
same session: whoever delivers them (the API's live updates, `api.live`) does so only once that
transaction commits, so a rolled-back change is never shown. Without a subscriber (the CLI, most
service tests) nothing happens.

The text names people and jobs ("Anna Weber moved "Install printer" (WO-00042) to Ben Maier at
2026-12-08 10:00 UTC"), never ids: the board shows it as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import domain_events
from core.auth import Principal
from masterdata.models import Engineer, User
from service_mgmt.events import PlanChanged, RunProgressed
from service_mgmt.models import DispatchRun, Task, WorkOrder

MOVE, PIN, PUBLISH, STATUS, TASK, RUN = "move", "pin", "publish", "status", "task", "run"
# a technician's steps as the board says them ("Ben Maier is on site at …")
STEP_WORDS = {
    "en_route": "is en route to",
    "on_site": "is on site at",
    "completed": "completed",
    "dispatched": "was dispatched to",
    "cancelled": "cancelled",
    "scheduled": "scheduled",
    "open": "reopened",
}


async def actor_name(session: AsyncSession, actor: Principal) -> str:
    """The display name of whoever acts (the session carries it; a bearer principal may not)."""
    if actor.display_name:
        return actor.display_name
    stored = await session.scalar(select(User.display_name).where(User.id == actor.user_id))
    return stored or actor.username


async def name_of_user(session: AsyncSession, username: str) -> str:
    stored = await session.scalar(select(User.display_name).where(User.username == username))
    return stored or username


async def task_labels(session: AsyncSession, task_ids: Sequence[UUID]) -> list[str]:
    """'"Install printer" (WO-00042)' per task, in the order given (unknown ids are left out)."""
    rows = await session.execute(
        select(Task.id, Task.name, WorkOrder.number)
        .join(WorkOrder, WorkOrder.id == Task.work_order_id)
        .where(Task.id.in_(list(task_ids)))
    )
    found = {row.id: f'"{row.name}" ({row.number})' for row in rows}
    return [found[i] for i in task_ids if i in found]


async def engineer_names(session: AsyncSession, engineer_ids: Sequence[UUID]) -> list[str]:
    rows = await session.execute(select(Engineer.id, Engineer.name).where(Engineer.id.in_(list(engineer_ids))))
    found = dict(rows.tuples().all())
    return [found[i] for i in engineer_ids if i in found]


def listed(labels: Sequence[str], limit: int = 3) -> str:
    """'a, b and c' or 'a, b, c and 4 more'."""
    if not labels:
        return "no task"
    if len(labels) > limit:
        return ", ".join(labels[:limit]) + f" and {len(labels) - limit} more"
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def when(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


async def announce_plan(
    session: AsyncSession,
    actor: Principal,
    kind: str,
    task_ids: Sequence[UUID],
    text: str,
    *,
    by: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    """`text` follows the actor's name ("moved …"); the event's text is the whole sentence."""
    name = by or await actor_name(session, actor)
    event = PlanChanged(kind, tuple(task_ids), name, f"{name} {text}", at or dt.datetime.now(dt.UTC))
    await domain_events.publish(session, event)


async def announce_move(
    session: AsyncSession,
    actor: Principal,
    task_id: UUID,
    engineer_ids: Sequence[UUID],
    start: dt.datetime,
    *,
    kind: str = MOVE,
) -> None:
    labels = await task_labels(session, [task_id])
    names = await engineer_names(session, engineer_ids)
    text = f"moved {listed(labels)} to {listed(names)} at {when(start)}"
    await announce_plan(session, actor, kind, [task_id], text)


async def announce_pin(session: AsyncSession, actor: Principal, task_id: UUID, pinned: bool) -> None:
    """A planner pinned a task where it is (the optimizer leaves it there) or let it go again."""
    labels = await task_labels(session, [task_id])
    await announce_plan(session, actor, PIN, [task_id], f"{'pinned' if pinned else 'unpinned'} {listed(labels)}")


async def announce_status(session: AsyncSession, actor: Principal, task_ids: Sequence[UUID], status: str) -> None:
    labels = await task_labels(session, task_ids)
    words = STEP_WORDS.get(status, f"set to {status.replace('_', ' ')}")
    await announce_plan(session, actor, STATUS, task_ids, f"{words} {listed(labels)}")


async def announce_tasks(session: AsyncSession, actor: Principal, task_ids: Sequence[UUID], verb: str) -> None:
    """A task was added, changed or removed ("added", "changed", "removed")."""
    labels = await task_labels(session, task_ids)
    await announce_plan(session, actor, TASK, task_ids, f"{verb} {listed(labels)}")


def best_objective(run: DispatchRun) -> float | None:
    if run.progress:
        return float(run.progress[-1][1])
    objective = (run.kpis or {}).get("objective")
    return float(objective) if objective is not None else None


async def announce_run(session: AsyncSession, run: DispatchRun, *, at: dt.datetime | None = None) -> None:
    """The run's status and best objective so far (call it in the transaction that writes them)."""
    event = RunProgressed(run.id, run.status, best_objective(run), at or dt.datetime.now(dt.UTC))
    await domain_events.publish(session, event)


async def announce_run_finished(session: AsyncSession, run: DispatchRun) -> None:
    """A finished run is also told to the boards as a `plan` event: the board compares its KPIs with
    the published plan's, though no task changed until someone publishes it."""
    name = await name_of_user(session, run.requested_by)
    text = f"'s {run.kind.replace('_', '-')} optimization run {run.status}"
    planned = len((run.plan or {}).get("routes", []))
    if run.status == "succeeded":
        text += f" ({planned} route(s) planned, not yet published)"
    event = PlanChanged(RUN, (), name, f"{name}{text}", dt.datetime.now(dt.UTC))
    await domain_events.publish(session, event)
