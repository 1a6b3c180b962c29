"""Urgent insertion: the best places for one task in the published plan, without re-solving.

The exact evaluator (``scheduling.InsertionIndex``) tries every position of every qualified engineer's
shifts in the horizon and prices each feasible one (added travel, lateness, overtime). The published
plan and its index come from ``PublishedCache`` while nothing they are read from has changed, so a
call is one fingerprint query, one task lookup and ``InsertionIndex.best``, which prunes on its own
(gaps cheapest detour first, stopping once the detour alone costs more than the ``limit``-th best).
Optionally a background re-optimization run (kind ``reoptimize``) is queued; it keeps pinned,
dispatched and started work where it is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import Conflict, Invalid, NotFound
from masterdata.models import Engineer
from scheduling import Insertion, InsertionIndex
from scheduling import Task as ProblemTask
from service_mgmt.choices import DispatchRunKind
from service_mgmt.dispatch.problem_builder import HorizonSpec
from service_mgmt.dispatch.published import Published, PublishedCache, load_published, published_plan
from service_mgmt.dispatch.runs import Days, RunCreate, StartedRun, TimeLimit, policy_of, start_run
from service_mgmt.errors import Code
from service_mgmt.models import Task

Limit = Annotated[int, Meta(ge=1, le=50)]
INSERTABLE = frozenset({"open", "scheduled"})


class InsertionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    task_id: UUID
    days: Days = 2
    limit: Limit = 10
    policy: str = "balanced"
    reoptimize: bool = False  # queue a background re-optimization run afterwards
    time_limit_seconds: TimeLimit = 10.0


@dataclass(frozen=True, slots=True)
class InsertionOption:
    engineer_id: UUID
    engineer_name: str | None
    arrival: dt.datetime
    start: dt.datetime
    end: dt.datetime
    position: int
    added_travel_seconds: int
    added_travel_metres: int
    late_seconds: int
    added_overtime_seconds: int
    cost: int  # objective units, which the policies weigh as cents
    currency: str = "EUR"  # the engineer's


@dataclass(frozen=True, slots=True)
class InsertionAnswer:
    task_id: UUID
    options: list[InsertionOption]
    reoptimization: StartedRun | None = None


async def urgent_insertion(
    session: AsyncSession,
    actor: Principal,
    data: InsertionIn,
    *,
    cache: PublishedCache | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> InsertionAnswer:
    now = clock.now()
    policy = policy_of(data.policy)
    status = await session.scalar(select(Task.status).where(Task.id == data.task_id))
    if status is None:
        raise NotFound("task", data.task_id, field="task_id")
    if status not in INSERTABLE:
        raise Conflict(Code.TASK_STARTED, f"the task is {status}", extra={"current_status": status})
    horizon = HorizonSpec(first_day=now.date(), days=data.days)
    published = await load_published(session, horizon, policy, now, cache)
    task, index = _task_and_index(published, str(data.task_id))
    # a few more than asked: places starting before "now" (the cache's planning grid) are dropped
    found = index.best(task, limit=data.limit + 10)
    options = [o for o in (_option(published, task, f) for f in found) if o.start >= now][: data.limit]
    options = await _with_currencies(session, options)
    started = None
    if data.reoptimize:
        started = await start_run(
            session,
            actor,
            RunCreate(
                kind=DispatchRunKind.REOPTIMIZE,
                first_day=horizon.first_day,
                days=data.days,
                policy=data.policy,
                time_limit_seconds=data.time_limit_seconds,
            ),
            clock=clock,
        )
    return InsertionAnswer(data.task_id, options, started)


async def _with_currencies(session: AsyncSession, options: list[InsertionOption]) -> list[InsertionOption]:
    ids = {o.engineer_id for o in options}
    if not ids:
        return options
    rows = await session.execute(select(Engineer.id, Engineer.currency).where(Engineer.id.in_(ids)))
    found = {engineer_id: currency for engineer_id, currency in rows}
    return [dataclasses.replace(o, currency=found.get(o.engineer_id, o.currency)) for o in options]


def _task_and_index(published: Published, key: str) -> tuple[ProblemTask, InsertionIndex]:
    built = published.built
    task = next((t for t in built.problem.tasks if t.id == key), None)
    if task is None:
        reason = next((o.text for o in built.left_out if o.task_id == key), "it is outside the planning horizon")
        raise Invalid(Code.TASK_NOT_PLANNABLE, f"the task cannot be inserted: {reason}", field="task_id")
    if task.pin is not None:
        task = dataclasses.replace(task, pin=None)  # asking where it could go is asking to move it
    if key in {v.task_id for r in published.plan.routes for v in r.visits}:
        # it is in the plan already: rank its places as if it were not (not cached: rare)
        return task, InsertionIndex(built.problem, published_plan(built, without=frozenset({key})))
    return task, published.index


def _option(published: Published, task: ProblemTask, found: Insertion) -> InsertionOption:
    built = published.built
    frame = built.frame
    return InsertionOption(
        engineer_id=UUID(found.engineer_id),
        engineer_name=built.engineer_names.get(found.engineer_id),
        arrival=frame.instant(found.arrival),
        start=frame.instant(found.start),
        end=frame.instant(found.start + task.duration),
        position=found.position,
        added_travel_seconds=found.added_travel_seconds,
        added_travel_metres=found.added_travel_metres,
        late_seconds=found.late_seconds,
        added_overtime_seconds=found.added_overtime_seconds,
        cost=found.cost,
    )
