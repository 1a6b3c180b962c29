"""Pinning a planned task from the board: a pinned task keeps its engineers and start through every
run and publish (``problem_builder._pin``), until the planner unpins it.

Same locks and rules as a manual move (work order → task; only while the planner may still move it),
under the task's optimistic lock: a stale version answers 409 naming who changed the task and what
(``task_changes``). Recorded in the audit log as ``pin`` / ``unpin``.
"""

from __future__ import annotations

from uuid import UUID

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import Conflict
from core.fields import Version
from service_mgmt.dispatch.board import BoardAssignment, read_assignment
from service_mgmt.dispatch.publish import movable_task
from service_mgmt.dispatch.task_changes import check_task_version
from service_mgmt.errors import Code
from service_mgmt.models import TaskAssignment
from service_mgmt.plan_announcements import announce_pin


class PinIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version  # the task's version you read


async def set_pinned(
    session: AsyncSession,
    actor: Principal,
    task_id: UUID,
    data: PinIn,
    pinned: bool,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> BoardAssignment:
    task = await movable_task(session, task_id)
    await check_task_version(session, task, data.version)
    planned = task.planned_start is not None and (
        await session.scalar(select(TaskAssignment.id).where(TaskAssignment.task_id == task.id).limit(1))
    )
    if not planned:
        raise Conflict(
            Code.TASK_NOT_PLANNED,
            f"task {task.name!r} has no engineer and time yet; move it onto the board first",
            field="task_id",
        )
    if task.pinned != pinned:
        task.pinned = pinned
        await session.flush()  # bumps the version: other planners' cards are now stale
        await audit.record(
            session,
            actor,
            "task",
            task.id,
            "pin" if pinned else "unpin",
            before={"pinned": not pinned},
            after={"pinned": pinned},
            at=clock.now(),
        )
        await announce_pin(session, actor, task.id, pinned)
    card = await read_assignment(session, task.id)
    assert card is not None  # planned, checked above
    return card
