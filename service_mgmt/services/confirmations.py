"""The technician's confirmation: one call that reports a task's work and completes it.

All or nothing. Everything that can be checked before writing is checked first (device times,
time entry overlaps, part shapes and products, counters, the signature); then the confirmation,
time entries and part consumptions are written, component swaps go through
`component_replacement.replace_component` (the installed base changes, with history on the
parent and on both serials) and readings through `counters.record_reading` (source
technician). Any error raised on the way leaves nothing behind: the request's transaction is
rolled back, and the error's `field` points into the body that was sent.

One confirmation per task (a unique constraint behind it): any engineer assigned to a crew
task may confirm it, and a second confirmation is 409 `already_confirmed`.

When the last live (non-cancelled) task of the work order is completed, the work order is
completed at the device time of that confirmation, its first-time fix is decided, and
`work_completion.after_completion` runs (the service report is queued). First-time fix, kept
simple: every live task was reported on site exactly once (a technician who left the site and
came back made a second visit; tasks are never re-opened). A return within 30 days is for the
knowledge side to judge later.

Lock order: work order → task.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock, FixedClock
from core.domain_events import publish
from core.errors import Conflict, DomainError, Invalid, NotFound
from masterdata.choices import ReadingKind
from masterdata.models import Counter, Equipment, Product
from masterdata.services.component_replacement import ComponentReplacement, NewComponent, Replacement, replace_component
from masterdata.services.counters import DECIMALS as READING_SCALE
from masterdata.services.counters import ReadingCreate, record_reading
from service_mgmt.choices import KnowledgeKind, TaskStatus, WorkOrderStatus
from service_mgmt.errors import Code
from service_mgmt.events import ConsumedLine, PartsConsumed
from service_mgmt.models import (
    Confirmation,
    PartConsumption,
    Task,
    TaskAssignment,
    TaskStatusEvent,
    TimeEntry,
    WorkOrder,
)
from service_mgmt.plan_announcements import announce_status
from service_mgmt.services.confirmation_input import (
    CheckedEntry,
    ConfirmationCreate,
    PartIn,
    ReadingIn,
    check_part_shape,
    overlap,
    signature,
    time_entries,
)
from service_mgmt.services.job_templates import QUANTITY_SCALE
from service_mgmt.services.knowledge_codes import validate_code
from service_mgmt.services.task_status import (
    advance_work_order,
    check_active,
    check_step,
    device_time,
    on_site_visits,
)
from service_mgmt.services.technician_jobs import engineer_of, lock_my_task
from service_mgmt.services.work_completion import after_completion
from service_mgmt.services.work_orders import find_work_order, tasks_of

# Errors raised by the services we call name their own inputs; these are where they came from.
SWAP_FIELDS = {
    "old_component_id": "serial_out",
    "new_component_id": "serial_in",
    "new_component.serial_number": "serial_in",
    "serial_number": "serial_in",
    "new_component.product_id": "product_id",
    "product_id": "product_id",
}


@dataclass(frozen=True, slots=True)
class ConfirmationView:
    confirmation: Confirmation
    time_entries: list[TimeEntry]
    parts: list[PartConsumption]


@dataclass(frozen=True, slots=True)
class ConfirmationResult:
    view: ConfirmationView
    task: Task
    work_order: WorkOrder


async def confirm_task(
    session: AsyncSession, actor: Principal, task_id: UUID, data: ConfirmationCreate, *, clock: Clock = SYSTEM_CLOCK
) -> ConfirmationResult:
    engineer_id = engineer_of(actor)
    now = clock.now()
    completed_at = device_time(data.completed_at, now, "completed_at")
    signature_png = signature(data)
    for index, part in enumerate(data.parts):
        check_part_shape(index, part)

    work_order, task = await lock_my_task(session, actor, task_id)
    await _check_not_confirmed(session, task)
    check_active(work_order)
    check_step(task, TaskStatus.COMPLETED)
    crew = set(
        (await session.scalars(select(TaskAssignment.engineer_id).where(TaskAssignment.task_id == task.id))).all()
    )
    entries = time_entries(data.time_entries, engineer_id, crew, now)
    await _check_booked_time(session, entries)
    await _check_products(session, data.parts)
    await _check_swap_units(session, work_order, data.parts)
    counters = await _check_counters(session, work_order, data.readings)
    resolution_code = (
        await validate_code(session, KnowledgeKind.RESOLUTION, data.resolution_code, "resolution_code")
        if data.resolution_code
        else None
    )

    confirmation = Confirmation(
        task_id=task.id,
        work_order_id=work_order.id,
        engineer_id=engineer_id,
        completed_at=completed_at,
        findings=data.findings,
        resolution_code=resolution_code,
        notes=data.notes,
        readings=[],
        checklist=[{"item": a.item, "done": a.done, "note": a.note} for a in data.checklist],
        signed_by=data.signed_by if signature_png else None,
        signed_at=completed_at if signature_png else None,
        signature_png=signature_png,
    )
    await _insert(session, confirmation, task)
    rows = [
        TimeEntry(
            confirmation_id=confirmation.id,
            work_order_id=work_order.id,
            engineer_id=e.engineer_id,
            kind=e.kind,
            started_at=e.started_at,
            ended_at=e.ended_at,
        )
        for e in entries
    ]
    session.add_all(rows)
    parts = [
        await _consume(session, actor, confirmation, index, part, completed_at) for index, part in enumerate(data.parts)
    ]
    if parts:
        # Inventory (in `returns`) issues the parts from the engineer's van in this transaction;
        # an insufficient van stock fails the confirmation (409 naming the part).
        await publish(
            session,
            PartsConsumed(
                work_order_id=work_order.id,
                work_order_number=work_order.number,
                engineer_id=engineer_id,
                lines=tuple(ConsumedLine(p.product_id, p.quantity, p.serial_in) for p in parts),
                at=completed_at,
                actor=actor,
            ),
        )
    confirmation.readings = [
        await _read(session, actor, index, reading, counters[index], completed_at, clock)
        for index, reading in enumerate(data.readings)
    ]

    task.status = TaskStatus.COMPLETED.value
    session.add(TaskStatusEvent(task_id=task.id, engineer_id=engineer_id, status=task.status, at=completed_at))
    await session.flush()
    await audit.record(session, actor, "confirmation", confirmation.id, "create", after=_summary(confirmation), at=now)
    await _complete_work_order(session, actor, work_order, completed_at, now)
    await announce_status(session, actor, [task.id], task.status)
    return ConfirmationResult(ConfirmationView(confirmation, rows, parts), task, work_order)


async def _check_not_confirmed(session: AsyncSession, task: Task) -> None:
    existing = await session.scalar(select(Confirmation.id).where(Confirmation.task_id == task.id))
    if existing is not None:
        raise _already_confirmed(task, existing)


def _already_confirmed(task: Task, confirmation_id: UUID | None) -> Conflict:
    return Conflict(
        Code.ALREADY_CONFIRMED,
        f"task {task.sequence} is already confirmed",
        extra={"confirmation_id": str(confirmation_id) if confirmation_id else None, "current_status": task.status},
    )


async def _check_booked_time(session: AsyncSession, entries: list[CheckedEntry]) -> None:
    """No engineer is booked twice for the same minutes (across all their confirmations)."""
    for entry in entries:
        clash = await session.scalar(
            select(TimeEntry)
            .where(
                TimeEntry.engineer_id == entry.engineer_id,
                TimeEntry.started_at < entry.ended_at,
                TimeEntry.ended_at > entry.started_at,
            )
            .limit(1)
        )
        if clash is not None:
            raise overlap(
                entry.index,
                f"time entry {entry.index} overlaps time already booked from {clash.started_at.isoformat()} "
                f"to {clash.ended_at.isoformat()}",
                {"time_entry_id": str(clash.id), "work_order_id": str(clash.work_order_id)},
            )


async def _check_products(session: AsyncSession, parts: list[PartIn]) -> None:
    wanted = {part.product_id for part in parts}
    known = set((await session.scalars(select(Product.id).where(Product.id.in_(wanted)))).all()) if wanted else set()
    for index, part in enumerate(parts):
        if part.product_id not in known:
            raise NotFound("product", part.product_id, field=f"parts[{index}].product_id")


async def _check_swap_units(session: AsyncSession, work_order: WorkOrder, parts: list[PartIn]) -> None:
    """The parent of a swap stands at the job's site, and serial_out is one of its components."""
    for index, part in enumerate(parts):
        if not part.is_swap:
            continue
        field = f"parts[{index}]"
        parent = await session.get(Equipment, part.equipment_id)
        # An unknown unit and one elsewhere answer alike: a technician sees only the job's units.
        if parent is None or parent.customer_id != work_order.customer_id or parent.site_id != work_order.site_id:
            raise Invalid(
                Code.EQUIPMENT_NOT_ON_WORK_ORDER,
                f"unit {part.equipment_id} does not stand at the site of work order {work_order.number}",
                field=f"{field}.equipment_id",
            )
        if await _component(session, parent, part) is None:
            raise Invalid(
                Code.NOT_A_COMPONENT,
                f"{parent.serial_number} has no component with serial {part.serial_out!r}",
                field=f"{field}.serial_out",
            )


async def _component(session: AsyncSession, parent: Equipment, part: PartIn) -> Equipment | None:
    component: Equipment | None = await session.scalar(
        select(Equipment).where(Equipment.parent_id == parent.id, Equipment.serial_number == part.serial_out)
    )
    return component


async def _check_counters(session: AsyncSession, work_order: WorkOrder, readings: list[ReadingIn]) -> list[Counter]:
    """Readings are of counters on units at the job's site."""
    counters: list[Counter] = []
    for index, reading in enumerate(readings):
        field = f"readings[{index}].counter_id"
        counter = await session.get(Counter, reading.counter_id)
        unit = await session.get(Equipment, counter.equipment_id) if counter is not None else None
        # An unknown counter and one elsewhere answer alike (see _check_swap_units).
        if (
            counter is None
            or unit is None
            or unit.customer_id != work_order.customer_id
            or unit.site_id != work_order.site_id
        ):
            raise Invalid(
                Code.COUNTER_NOT_ON_WORK_ORDER,
                f"counter {reading.counter_id} is not on a unit at the site of work order {work_order.number}",
                field=field,
            )
        counters.append(counter)
    return counters


async def _insert(session: AsyncSession, confirmation: Confirmation, task: Task) -> None:
    """In a savepoint: a confirmation racing past the check meets the unique constraint, cleanly."""
    try:
        async with session.begin_nested():
            session.add(confirmation)
            await session.flush()
    except IntegrityError as exc:
        message = str(exc.orig)
        if "uq_confirmations_task" in message or "confirmations.task_id" in message:
            raise _already_confirmed(task, None) from exc
        raise


async def _consume(
    session: AsyncSession,
    actor: Principal,
    confirmation: Confirmation,
    index: int,
    part: PartIn,
    completed_at: dt.datetime,
) -> PartConsumption:
    row = PartConsumption(
        confirmation_id=confirmation.id,
        work_order_id=confirmation.work_order_id,
        product_id=part.product_id,
        quantity=part.quantity.quantize(QUANTITY_SCALE),  # as the column answers it, so replays agree
        serial_in=part.serial_in,
        serial_out=part.serial_out,
    )
    if part.is_swap:
        try:
            replacement = await _swap(session, actor, part, completed_at)
        except DomainError as exc:
            exc.field = f"parts[{index}].{SWAP_FIELDS.get(exc.field or '', 'equipment_id')}"
            raise
        row.equipment_id = replacement.parent.id
        row.removed_equipment_id = replacement.removed.id
        row.installed_equipment_id = replacement.installed.id
    session.add(row)
    await session.flush()
    return row


async def _swap(session: AsyncSession, actor: Principal, part: PartIn, completed_at: dt.datetime) -> Replacement:
    """The installed unit is a registered spare with that serial, else registered now."""
    assert part.equipment_id is not None and part.serial_in is not None
    parent = await session.get(Equipment, part.equipment_id)
    assert parent is not None  # checked before writing
    old = await _component(session, parent, part)
    assert old is not None
    spare = await session.scalar(
        select(Equipment.id).where(Equipment.product_id == part.product_id, Equipment.serial_number == part.serial_in)
    )
    change = ComponentReplacement(
        old_component_id=old.id,
        new_component=None if spare else NewComponent(product_id=part.product_id, serial_number=part.serial_in),
        new_component_id=spare,
        note="technician confirmation",
    )
    # The installed base records the swap when it happened on site.
    return await replace_component(session, actor, parent.id, change, clock=FixedClock(completed_at))


async def _read(
    session: AsyncSession,
    actor: Principal,
    index: int,
    reading: ReadingIn,
    counter: Counter,
    completed_at: dt.datetime,
    clock: Clock,
) -> dict[str, Any]:
    data = ReadingCreate(
        value=reading.value, read_at=reading.read_at or completed_at, kind=ReadingKind.REGULAR, note=reading.note
    )
    try:
        row = await record_reading(session, actor, counter.equipment_id, counter.id, data, clock=clock)
    except DomainError as exc:
        exc.field = f"readings[{index}].{exc.field}" if exc.field else f"readings[{index}]"
        raise
    value = row.value.quantize(READING_SCALE)  # as the column answers it
    return {"counter_id": str(counter.id), "reading_id": str(row.id), "value": str(value)}


async def _complete_work_order(
    session: AsyncSession, actor: Principal, work_order: WorkOrder, completed_at: dt.datetime, now: dt.datetime
) -> None:
    live = [t for t in await tasks_of(session, work_order.id) if t.status != TaskStatus.CANCELLED.value]
    if any(t.status != TaskStatus.COMPLETED.value for t in live):
        return
    visits = await on_site_visits(session, [t.id for t in live])
    work_order.first_time_fix = all(count == 1 for count in visits.values())
    await advance_work_order(
        session,
        actor,
        work_order,
        WorkOrderStatus.COMPLETED,
        at=completed_at,
        now=now,
        reason=f"last task confirmed ({actor.username})",
    )
    await after_completion(session, actor, work_order, now)


def _summary(confirmation: Confirmation) -> dict[str, Any]:
    """For the audit log: what was reported, without the signature image."""
    return {
        "task_id": confirmation.task_id,
        "work_order_id": confirmation.work_order_id,
        "engineer_id": confirmation.engineer_id,
        "completed_at": confirmation.completed_at,
        "resolution_code": confirmation.resolution_code,
        "readings": confirmation.readings,
        "signed_by": confirmation.signed_by,
        "has_signature": confirmation.signature_png is not None,
    }


# --- reading ---------------------------------------------------------------------------------


async def list_confirmations(
    session: AsyncSession, principal: Principal, work_order_id: UUID
) -> list[ConfirmationView]:
    """What the field reported on a work order the principal may see (customers: their own)."""
    work_order = await find_work_order(session, principal, work_order_id)
    confirmations = (
        await session.scalars(
            select(Confirmation)
            .options(defer(Confirmation.signature_png))  # the list says whether one exists (signed_at)
            .where(Confirmation.work_order_id == work_order.id)
            .order_by(Confirmation.completed_at, Confirmation.id)
        )
    ).all()
    ids = [c.id for c in confirmations]
    entries = (
        await session.scalars(
            select(TimeEntry).where(TimeEntry.confirmation_id.in_(ids)).order_by(TimeEntry.started_at, TimeEntry.id)
        )
    ).all()
    parts = (
        await session.scalars(
            select(PartConsumption).where(PartConsumption.confirmation_id.in_(ids)).order_by(PartConsumption.id)
        )
    ).all()
    return [
        ConfirmationView(
            c, [e for e in entries if e.confirmation_id == c.id], [p for p in parts if p.confirmation_id == c.id]
        )
        for c in confirmations
    ]
