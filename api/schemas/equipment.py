"""Response shapes for equipment, its component tree, its history and component replacements."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec

from masterdata.custom_fields.records import CustomView


class EquipmentOut(msgspec.Struct, kw_only=True):
    id: UUID
    product_id: UUID
    serial_number: str
    customer_id: UUID
    site_id: UUID | None
    parent_id: UUID | None
    position: str | None
    install_date: dt.date | None
    ship_date: dt.date | None
    status: str
    notes: str | None
    custom: dict[str, Any] = msgspec.field(default_factory=dict)
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ProductRef(msgspec.Struct, kw_only=True):
    id: UUID
    sku: str
    name: str


class TreeNodeOut(msgspec.Struct, kw_only=True):
    id: UUID
    serial_number: str
    product: ProductRef
    status: str
    position: str | None
    children: list[TreeNodeOut]


class EquipmentEventOut(msgspec.Struct, kw_only=True):
    id: UUID
    at: dt.datetime
    kind: str
    actor_name: str
    from_site_id: UUID | None
    to_site_id: UUID | None
    related_equipment_id: UUID | None
    old_serial: str | None
    new_serial: str | None
    from_status: str | None
    to_status: str | None
    note: str | None


class ReplacementOut(msgspec.Struct, kw_only=True):
    parent: EquipmentOut
    removed: EquipmentOut
    installed: EquipmentOut


def equipment_out(equipment: Any, view: CustomView | None = None) -> EquipmentOut:
    """`view`: the custom fields the reader may see (none given: no custom values shown)."""
    return EquipmentOut(
        custom=view.read(equipment.custom) if view is not None else {},
        id=equipment.id,
        product_id=equipment.product_id,
        serial_number=equipment.serial_number,
        customer_id=equipment.customer_id,
        site_id=equipment.site_id,
        parent_id=equipment.parent_id,
        position=equipment.position,
        install_date=equipment.install_date,
        ship_date=equipment.ship_date,
        status=equipment.status,
        notes=equipment.notes,
        version=equipment.version,
        created_at=equipment.created_at,
        updated_at=equipment.updated_at,
    )


def tree_out(node: Any) -> TreeNodeOut:
    unit, product = node.equipment, node.product
    return TreeNodeOut(
        id=unit.id,
        serial_number=unit.serial_number,
        product=ProductRef(id=product.id, sku=product.sku, name=product.name),
        status=unit.status,
        position=unit.position,
        children=[tree_out(child) for child in node.children],
    )


def event_out(event: Any) -> EquipmentEventOut:
    return EquipmentEventOut(
        id=event.id,
        at=event.at,
        kind=event.kind,
        actor_name=event.actor_name,
        from_site_id=event.from_site_id,
        to_site_id=event.to_site_id,
        related_equipment_id=event.related_equipment_id,
        old_serial=event.old_serial,
        new_serial=event.new_serial,
        from_status=event.from_status,
        to_status=event.to_status,
        note=event.note,
    )


def replacement_out(replacement: Any, view: CustomView | None = None) -> ReplacementOut:
    return ReplacementOut(
        parent=equipment_out(replacement.parent, view),
        removed=equipment_out(replacement.removed, view),
        installed=equipment_out(replacement.installed, view),
    )
