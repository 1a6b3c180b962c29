"""Replacing a component of a unit: the old serial goes out, the new serial goes in, with history on both.

Used by the installed-base API and, later, by technicians' confirmations (parts in and out), so it
takes the actor and a clock and never commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import Conflict, DomainError, IllegalTransition, Invalid
from core.fields import ShortText
from masterdata.choices import EquipmentEventKind, EquipmentStatus
from masterdata.errors import Code
from masterdata.models import Equipment
from masterdata.services.equipment import (
    STATUS_TRANSITIONS,
    EquipmentCreate,
    SerialNumber,
    add_event,
    ancestor_ids,
    create_equipment,
    get_equipment,
    relocate,
    subtree_units,
)


class NewComponent(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A unit not registered yet: it is created for the parent's customer at the parent's site."""

    product_id: UUID
    serial_number: SerialNumber


class ComponentReplacement(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Send either `new_component` (register a new unit) or `new_component_id` (an existing spare)."""

    old_component_id: UUID
    new_component: NewComponent | None = None
    new_component_id: UUID | None = None
    note: ShortText | None = None


@dataclass(frozen=True, slots=True)
class Replacement:
    parent: Equipment
    removed: Equipment
    installed: Equipment


async def replace_component(
    session: AsyncSession,
    actor: Principal,
    parent_id: UUID,
    data: ComponentReplacement,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> Replacement:
    parent = await get_equipment(session, actor, parent_id)
    old = await get_equipment(session, actor, data.old_component_id, field="old_component_id")
    if old.parent_id != parent.id:
        raise Invalid(
            Code.NOT_A_COMPONENT,
            f"{old.serial_number} is not a component of {parent.serial_number}",
            field="old_component_id",
        )
    new = await _new_component(session, actor, parent, old, data, clock)
    at = clock.now()
    old_before, new_before = audit.snapshot(old), audit.snapshot(new)

    new.parent_id, new.position, new.status = parent.id, old.position, EquipmentStatus.IN_SERVICE.value
    # The removed unit keeps its site (it is still on the premises until shipped or scrapped).
    old.parent_id, old.position, old.status = None, None, EquipmentStatus.REMOVED.value
    await relocate(session, actor, await subtree_units(session, new.id), old.site_id, at, data.note)

    _record_events(session, actor, at, (parent, old, new), (old_before["status"], new_before["status"]), data.note)
    for unit, before in ((old, old_before), (new, new_before)):
        changed_before, changed_after = audit.changed(before, audit.snapshot(unit))
        await audit.record(
            session, actor, "equipment", unit.id, "replace_component", before=changed_before, after=changed_after
        )
    return Replacement(parent=parent, removed=old, installed=new)


async def _new_component(
    session: AsyncSession,
    actor: Principal,
    parent: Equipment,
    old: Equipment,
    data: ComponentReplacement,
    clock: Clock,
) -> Equipment:
    if data.new_component is not None and data.new_component_id is None:
        return await _register_new(session, actor, parent, old, data.new_component, clock)
    if data.new_component_id is not None and data.new_component is None:
        return await _existing_spare(session, actor, parent, data.new_component_id)
    raise Invalid(
        Code.NEW_COMPONENT_REQUIRED,
        "send exactly one of new_component (a new unit) or new_component_id (an existing unit)",
        field="new_component",
    )


async def _register_new(
    session: AsyncSession, actor: Principal, parent: Equipment, old: Equipment, spec: NewComponent, clock: Clock
) -> Equipment:
    registration = EquipmentCreate(
        product_id=spec.product_id,
        serial_number=spec.serial_number,
        customer_id=parent.customer_id,
        site_id=old.site_id,
        install_date=clock.now().date(),
    )
    try:
        return await create_equipment(session, actor, registration, clock=clock)
    except DomainError as exc:
        # Errors about the new unit's fields point into the nested object the caller sent.
        if exc.field in {"product_id", "serial_number"}:
            exc.field = f"new_component.{exc.field}"
        raise


async def _existing_spare(session: AsyncSession, actor: Principal, parent: Equipment, unit_id: UUID) -> Equipment:
    new = await get_equipment(session, actor, unit_id, field="new_component_id")
    if new.customer_id != parent.customer_id:
        raise Invalid(
            Code.PARENT_NOT_OF_CUSTOMER,
            f"{new.serial_number} belongs to another customer than {parent.serial_number}",
            field="new_component_id",
        )
    if new.parent_id is not None:
        raise Conflict(
            Code.COMPONENT_ALREADY_INSTALLED,
            f"{new.serial_number} is already installed in another unit; replace it there first",
            field="new_component_id",
            extra={"parent_id": str(new.parent_id)},
        )
    if new.id in await ancestor_ids(session, parent.id):
        raise Invalid(
            Code.EQUIPMENT_HIERARCHY_CYCLE,
            f"{new.serial_number} is {parent.serial_number} itself or contains it",
            field="new_component_id",
        )
    current = EquipmentStatus(new.status)
    if current is not EquipmentStatus.IN_SERVICE and EquipmentStatus.IN_SERVICE not in STATUS_TRANSITIONS[current]:
        raise IllegalTransition("equipment", current.value, EquipmentStatus.IN_SERVICE.value)
    return new


def _record_events(
    session: AsyncSession,
    actor: Principal,
    at: dt.datetime,
    units: tuple[Equipment, Equipment, Equipment],
    statuses_before: tuple[str, str],
    note: str | None,
) -> None:
    """On the parent: removed + installed; on the old unit `replaced_by`, on the new one `replaces`."""
    parent, old, new = units
    old_status, new_status = statuses_before
    serials = {"old_serial": old.serial_number, "new_serial": new.serial_number, "note": note}
    add_event(session, parent, EquipmentEventKind.COMPONENT_REMOVED, actor, at, related_equipment_id=old.id, **serials)
    add_event(
        session, parent, EquipmentEventKind.COMPONENT_INSTALLED, actor, at, related_equipment_id=new.id, **serials
    )
    add_event(
        session,
        old,
        EquipmentEventKind.REPLACED_BY,
        actor,
        at,
        related_equipment_id=new.id,
        from_status=old_status,
        to_status=old.status,
        **serials,
    )
    add_event(
        session,
        new,
        EquipmentEventKind.REPLACES,
        actor,
        at,
        related_equipment_id=old.id,
        from_status=new_status,
        to_status=new.status,
        **serials,
    )
