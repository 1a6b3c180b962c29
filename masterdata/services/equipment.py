"""The installed base: register equipment, change it, move it with its components, read its tree and history.

Every change leaves an `EquipmentEvent` (the unit's own history, shown to users) and an audit
record (who changed which column). Concurrent edits of one unit are caught by its `version`
column (optimistic locking), so two moves or replacements touching the same unit cannot both win.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import Integer, Select, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.domain_events import publish
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, IllegalTransition, Invalid, NotFound
from core.fields import LongText, ShortText, Version
from core.listing import Page, PageRequest, paginate
from masterdata.choices import EquipmentEventKind, EquipmentStatus
from masterdata.custom_fields.queries import custom_filters, custom_sort_keys
from masterdata.custom_fields.records import CustomView, apply_custom
from masterdata.errors import Code
from masterdata.events import UnitDatesRecorded
from masterdata.models import Customer, Equipment, EquipmentEvent, Product, Site
from masterdata.models.custom_fields import CustomEntity
from masterdata.services.visibility import can_see_customer, customer_scope

SerialNumber = Annotated[
    str, Meta(min_length=1, max_length=80, pattern=r"^\S(?:.*\S)?$", description="no leading or trailing blanks")
]
Position = Annotated[str, Meta(min_length=1, max_length=80, description="slot in the parent, e.g. 'PSU-2'")]


# A component tree deeper than this is a data error, not a machine; it also bounds the CTE.
MAX_TREE_DEPTH = 32

# Which statuses a PATCH may set. `removed` is reached only through a component replacement
# (it means "taken out of its parent"); a decommissioned unit stays decommissioned.
STATUS_TRANSITIONS: dict[EquipmentStatus, frozenset[EquipmentStatus]] = {
    EquipmentStatus.IN_SERVICE: frozenset(
        {EquipmentStatus.UNDER_REPAIR, EquipmentStatus.DECOMMISSIONED, EquipmentStatus.RETURNED}
    ),
    EquipmentStatus.UNDER_REPAIR: frozenset(
        {EquipmentStatus.IN_SERVICE, EquipmentStatus.DECOMMISSIONED, EquipmentStatus.RETURNED}
    ),
    EquipmentStatus.RETURNED: frozenset(
        {EquipmentStatus.IN_SERVICE, EquipmentStatus.UNDER_REPAIR, EquipmentStatus.DECOMMISSIONED}
    ),
    EquipmentStatus.REMOVED: frozenset(
        {
            EquipmentStatus.IN_SERVICE,
            EquipmentStatus.UNDER_REPAIR,
            EquipmentStatus.DECOMMISSIONED,
            EquipmentStatus.RETURNED,
        }
    ),
    EquipmentStatus.DECOMMISSIONED: frozenset(),
}


class EquipmentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    product_id: UUID
    serial_number: SerialNumber
    customer_id: UUID
    site_id: UUID | None = None
    parent_id: UUID | None = None
    position: Position | None = None
    install_date: dt.date | None = None
    ship_date: dt.date | None = None
    notes: LongText | None = None
    custom: dict[str, Any] = msgspec.field(default_factory=dict)


class EquipmentUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    position: Position | msgspec.UnsetType | None = msgspec.UNSET
    install_date: dt.date | msgspec.UnsetType | None = msgspec.UNSET
    ship_date: dt.date | msgspec.UnsetType | None = msgspec.UNSET
    notes: LongText | msgspec.UnsetType | None = msgspec.UNSET
    status: EquipmentStatus | msgspec.UnsetType = msgspec.UNSET
    custom: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class EquipmentMove(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    site_id: UUID
    note: ShortText | None = None


class EquipmentFilter(msgspec.Struct, kw_only=True):
    customer_id: UUID | None = None
    site_id: UUID | None = None
    product_id: UUID | None = None
    status: EquipmentStatus | None = None
    parent_id: UUID | None = None
    serial: str | None = None  # exact, or a prefix when it ends with "*"
    top_level: bool = False
    custom: dict[str, str] = msgspec.field(default_factory=dict)  # ?custom.<name>=value


@dataclass(slots=True)
class TreeNode:
    equipment: Equipment
    product: Product
    children: list[TreeNode] = field(default_factory=list)


SORTABLE = {
    "serial_number": Equipment.serial_number,
    "install_date": Equipment.install_date,
    "created_at": Equipment.created_at,
}
HISTORY_SORTABLE = {"at": EquipmentEvent.at}


# --- reading -----------------------------------------------------------------------------


async def get_equipment(
    session: AsyncSession, principal: Principal, equipment_id: UUID, *, field: str | None = None
) -> Equipment:
    """The unit if the principal may see it; 404 otherwise (also for another customer's unit)."""
    equipment = await session.get(Equipment, equipment_id)
    if equipment is None or not await can_see_customer(session, principal, equipment.customer_id):
        raise NotFound("equipment", equipment_id, field=field)
    return equipment


async def list_equipment(
    session: AsyncSession, principal: Principal, filters: EquipmentFilter, page: PageRequest
) -> Page[Equipment]:
    stmt = _filtered(select(Equipment), filters)
    scope = await customer_scope(session, principal)
    stmt = scope.restrict(stmt, Equipment.customer_id)
    view = await CustomView.load(session, principal, CustomEntity.EQUIPMENT)
    dialect = session.get_bind().dialect.name
    stmt = stmt.where(*custom_filters(view.definitions, Equipment.custom, filters.custom, dialect))
    sortable = {**SORTABLE, **custom_sort_keys(view.definitions, Equipment.custom, dialect)}
    return await paginate(
        session, stmt, page, sortable=sortable, default_sort="serial_number", tie_breaker=Equipment.id
    )


def _filtered(stmt: Select[Any], filters: EquipmentFilter) -> Select[Any]:
    for column, value in (
        (Equipment.customer_id, filters.customer_id),
        (Equipment.site_id, filters.site_id),
        (Equipment.product_id, filters.product_id),
        (Equipment.parent_id, filters.parent_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.status is not None:
        stmt = stmt.where(Equipment.status == filters.status.value)
    if filters.top_level:
        stmt = stmt.where(Equipment.parent_id.is_(None))
    if filters.serial:
        stmt = stmt.where(_serial_matches(filters.serial))
    return stmt


def _serial_matches(serial: str) -> Any:
    if not serial.endswith("*"):
        return Equipment.serial_number == serial
    prefix = serial.rstrip("*")
    # substr rather than LIKE: LIKE is case-insensitive on SQLite and treats % and _ as wildcards.
    return func.substr(Equipment.serial_number, 1, len(prefix)) == prefix


async def equipment_tree(session: AsyncSession, principal: Principal, equipment_id: UUID) -> TreeNode:
    """The unit with its components, nested, children ordered by position then serial."""
    root = await get_equipment(session, principal, equipment_id)
    units = await subtree_units(session, root.id)
    products = await _products_of(session, units)
    nodes = {unit.id: TreeNode(equipment=unit, product=products[unit.product_id]) for unit in units}
    for unit in sorted(units, key=lambda u: (u.position or "", u.serial_number)):
        if unit.id != root.id and unit.parent_id in nodes:
            nodes[unit.parent_id].children.append(nodes[unit.id])
    return nodes[root.id]


async def _products_of(session: AsyncSession, units: Sequence[Equipment]) -> dict[UUID, Product]:
    ids = {unit.product_id for unit in units}
    return {p.id: p for p in (await session.scalars(select(Product).where(Product.id.in_(ids)))).all()}


async def list_history(
    session: AsyncSession, principal: Principal, equipment_id: UUID, page: PageRequest
) -> Page[EquipmentEvent]:
    equipment = await get_equipment(session, principal, equipment_id)
    stmt = select(EquipmentEvent).where(EquipmentEvent.equipment_id == equipment.id)
    # UUIDv7 ids grow with time, so they order the events written within one timestamp.
    return await paginate(
        session, stmt, page, sortable=HISTORY_SORTABLE, default_sort="-at", tie_breaker=EquipmentEvent.id.desc()
    )


async def subtree_units(session: AsyncSession, equipment_id: UUID) -> list[Equipment]:
    """The unit and every component below it (recursive CTE)."""
    tree = (
        select(Equipment.id, Equipment.parent_id, literal(0, Integer).label("depth"))
        .where(Equipment.id == equipment_id)
        .cte("subtree", recursive=True)
    )
    tree = tree.union_all(
        select(Equipment.id, Equipment.parent_id, (tree.c.depth + 1).label("depth"))
        .join(tree, Equipment.parent_id == tree.c.id)
        .where(tree.c.depth < MAX_TREE_DEPTH)
    )
    return list((await session.scalars(select(Equipment).where(Equipment.id.in_(select(tree.c.id))))).all())


async def ancestor_ids(session: AsyncSession, equipment_id: UUID) -> set[UUID]:
    """The unit and every unit above it, up to its top-level equipment."""
    chain = (
        select(Equipment.id, Equipment.parent_id, literal(0, Integer).label("depth"))
        .where(Equipment.id == equipment_id)
        .cte("chain", recursive=True)
    )
    chain = chain.union_all(
        select(Equipment.id, Equipment.parent_id, (chain.c.depth + 1).label("depth"))
        .join(chain, Equipment.id == chain.c.parent_id)
        .where(chain.c.depth < MAX_TREE_DEPTH)
    )
    return set((await session.scalars(select(chain.c.id))).all())


# --- changing ----------------------------------------------------------------------------


async def create_equipment(
    session: AsyncSession, actor: Principal, data: EquipmentCreate, *, clock: Clock = SYSTEM_CLOCK
) -> Equipment:
    await _check_customer(session, actor, data.customer_id)
    await _check_product(session, data.product_id)
    parent = None
    if data.parent_id is not None:
        parent = await _check_parent(session, actor, data.parent_id, data.customer_id)
    site_id = _site_for(data, parent)
    if data.site_id is not None:
        await check_site(session, data.customer_id, data.site_id)
    _check_dates(data.install_date, data.ship_date)
    await _check_serial_free(session, data.product_id, data.serial_number)
    equipment = Equipment(
        product_id=data.product_id,
        serial_number=data.serial_number,
        customer_id=data.customer_id,
        site_id=site_id,
        parent_id=data.parent_id,
        position=data.position,
        install_date=data.install_date,
        ship_date=data.ship_date,
        notes=data.notes,
        status=EquipmentStatus.IN_SERVICE.value,
        custom=await apply_custom(session, actor, CustomEntity.EQUIPMENT, data.custom, None),
    )
    await _insert(session, equipment)
    at = clock.now()
    add_event(session, equipment, EquipmentEventKind.CREATED, actor, at, to_site_id=site_id)
    if parent is not None:
        add_event(
            session,
            parent,
            EquipmentEventKind.COMPONENT_INSTALLED,
            actor,
            at,
            related_equipment_id=equipment.id,
            new_serial=equipment.serial_number,
        )
    await audit.record(session, actor, "equipment", equipment.id, "create", after=audit.snapshot(equipment))
    await _announce_dates(session, actor, equipment)
    return equipment


async def _announce_dates(session: AsyncSession, actor: Principal, equipment: Equipment) -> None:
    """Each serialized unit gets its product's default warranty once its start date is known (contracts reacts)."""
    await publish(
        session,
        UnitDatesRecorded(
            equipment_id=equipment.id,
            customer_id=equipment.customer_id,
            product_id=equipment.product_id,
            install_date=equipment.install_date,
            ship_date=equipment.ship_date,
            actor=actor,
        ),
    )


async def _check_customer(session: AsyncSession, actor: Principal, customer_id: UUID) -> None:
    if not await can_see_customer(session, actor, customer_id) or await session.get(Customer, customer_id) is None:
        raise NotFound("customer", customer_id, field="customer_id")


async def _check_product(session: AsyncSession, product_id: UUID) -> Product:
    product = await session.get(Product, product_id)
    if product is None:
        raise NotFound("product", product_id, field="product_id")
    if not product.serialized:
        raise Invalid(
            Code.PRODUCT_NOT_SERIALIZED,
            f"product {product.sku} is not serialized; only serialized products are installed-base equipment",
            field="product_id",
        )
    return product


async def _check_parent(session: AsyncSession, actor: Principal, parent_id: UUID, customer_id: UUID) -> Equipment:
    parent = await get_equipment(session, actor, parent_id, field="parent_id")
    if parent.customer_id != customer_id:
        raise Invalid(
            Code.PARENT_NOT_OF_CUSTOMER,
            f"parent equipment {parent.serial_number} belongs to another customer",
            field="parent_id",
        )
    return parent


def _site_for(data: EquipmentCreate, parent: Equipment | None) -> UUID | None:
    """A component stands where its parent stands; a differing site in the request is an error."""
    if parent is None:
        return data.site_id
    if data.site_id is not None and data.site_id != parent.site_id:
        raise Invalid(
            Code.COMPONENT_SITE_MISMATCH,
            "a component stands at its parent's site; leave site_id out or send the parent's site",
            field="site_id",
        )
    return parent.site_id


async def check_site(session: AsyncSession, customer_id: UUID, site_id: UUID) -> Site:
    site = await session.get(Site, site_id)
    if site is None:
        raise NotFound("site", site_id, field="site_id")
    if site.customer_id != customer_id:
        raise Invalid(Code.SITE_NOT_OF_CUSTOMER, f"site {site.name} belongs to another customer", field="site_id")
    return site


def _check_dates(install_date: dt.date | None, ship_date: dt.date | None) -> None:
    if install_date is not None and ship_date is not None and install_date < ship_date:
        raise Invalid(
            Code.INSTALL_BEFORE_SHIP,
            f"install date {install_date} is before ship date {ship_date}",
            field="install_date",
        )


async def _check_serial_free(session: AsyncSession, product_id: UUID, serial_number: str) -> None:
    taken = await session.scalar(
        select(Equipment.id).where(Equipment.product_id == product_id, Equipment.serial_number == serial_number)
    )
    if taken is not None:
        raise _duplicate_serial(serial_number)


def _duplicate_serial(serial_number: str) -> Conflict:
    return Conflict(
        Code.DUPLICATE_SERIAL,
        f"serial number {serial_number!r} is already registered for this product",
        field="serial_number",
        extra={"serial_number": serial_number},
    )


async def _insert(session: AsyncSession, equipment: Equipment) -> None:
    """Insert in a savepoint, so that losing a race on the serial is a clean 409, not a dead session."""
    try:
        async with session.begin_nested():
            session.add(equipment)
            await session.flush()
    except IntegrityError as exc:
        message = str(exc.orig)
        if "uq_equipment_product_serial" in message or "equipment.serial_number" in message:
            raise _duplicate_serial(equipment.serial_number) from exc
        raise


async def update_equipment(
    session: AsyncSession,
    actor: Principal,
    equipment_id: UUID,
    data: EquipmentUpdate,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> Equipment:
    equipment = await get_equipment(session, actor, equipment_id)
    check_version("equipment", equipment, data.version)
    before = audit.snapshot(equipment)
    changes = sent_fields(data)
    if "status" in changes:
        changes["status"] = _checked_status(equipment.status, changes["status"])
    if "custom" in changes:
        changes["custom"] = await apply_custom(
            session, actor, CustomEntity.EQUIPMENT, changes["custom"], equipment.custom
        )
    apply(equipment, changes)
    _check_dates(equipment.install_date, equipment.ship_date)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(equipment))
    if new:
        _record_update_events(session, actor, equipment, old, new, clock.now())
        await audit.record(session, actor, "equipment", equipment.id, "update", before=old, after=new)
    if {"install_date", "ship_date"} & new.keys():
        await _announce_dates(session, actor, equipment)
    return equipment


def _checked_status(current: str, target: EquipmentStatus) -> str:
    if target.value != current and target not in STATUS_TRANSITIONS[EquipmentStatus(current)]:
        raise IllegalTransition("equipment", current, target.value)
    return target.value


def _record_update_events(
    session: AsyncSession,
    actor: Principal,
    equipment: Equipment,
    old: dict[str, Any],
    new: dict[str, Any],
    at: dt.datetime,
) -> None:
    if "status" in new:
        add_event(
            session,
            equipment,
            EquipmentEventKind.STATUS_CHANGED,
            actor,
            at,
            from_status=old["status"],
            to_status=new["status"],
        )
    other = sorted(key for key in new if key not in {"status", "version"})
    if other:
        add_event(session, equipment, EquipmentEventKind.UPDATED, actor, at, note="changed: " + ", ".join(other))


async def move_equipment(
    session: AsyncSession, actor: Principal, equipment_id: UUID, data: EquipmentMove, *, clock: Clock = SYSTEM_CLOCK
) -> Equipment:
    """Move a top-level unit, with all its components, to another site of the same customer."""
    equipment = await get_equipment(session, actor, equipment_id)
    if equipment.parent_id is not None:
        raise Invalid(
            Code.COMPONENT_MOVES_WITH_PARENT,
            f"{equipment.serial_number} is a component; move its top-level equipment instead",
            field="site_id",
        )
    await check_site(session, equipment.customer_id, data.site_id)
    await relocate(session, actor, await subtree_units(session, equipment.id), data.site_id, clock.now(), data.note)
    return equipment


async def relocate(
    session: AsyncSession,
    actor: Principal,
    units: Sequence[Equipment],
    site_id: UUID | None,
    at: dt.datetime,
    note: str | None,
) -> None:
    """Put units at a site, with a `moved` event and an audit record for each unit that changes site."""
    for unit in units:
        if unit.site_id == site_id:
            continue
        from_site = unit.site_id
        unit.site_id = site_id
        add_event(
            session, unit, EquipmentEventKind.MOVED, actor, at, from_site_id=from_site, to_site_id=site_id, note=note
        )
        await audit.record(
            session,
            actor,
            "equipment",
            unit.id,
            "move",
            before={"site_id": from_site},
            after={"site_id": site_id},
        )
    await session.flush()


def add_event(
    session: AsyncSession,
    equipment: Equipment,
    kind: EquipmentEventKind,
    actor: Principal,
    at: dt.datetime,
    **details: Any,
) -> EquipmentEvent:
    event = EquipmentEvent(equipment_id=equipment.id, at=at, kind=kind.value, actor_name=actor.username, **details)
    session.add(event)
    return event
