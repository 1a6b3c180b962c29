"""Advance exchange: the replacement ships first, the defective unit is due back by a date.

`ship_replacement` sends a replacement unit once the RMA is authorized: a new serial (a unit
registered for the customer now) or a serialized unit from stock (issued from its location with
the RMA as reference, so the ledger shows it). The installed base follows the swap as a
component replacement does: the replacement takes the defective unit's place (same customer,
site, parent and position) and goes in service; the defective unit is detached and marked
`returned`; both serials get history (`replaced_by` on the old, `replaces` on the new, and
component removed/installed on a parent). `return_due_on` = ship date + the return days
(setting `ADVANCE_EXCHANGE_RETURN_DAYS`, default 14).

`follow_up` (the daily job `advance_exchange_follow_up`) looks at every replacement shipped
whose defective unit has not arrived:

- from `return_due_on − REMINDER_LEAD_DAYS` up to the due date, one reminder e-mail (dedupe
  `ax-reminder:<number>`), with an event;
- once today is past `return_due_on`, one billable item (source `advance_exchange`, line
  `overdue-charge`): the replacement product's list price, no coverage, quantity 1. The list
  price is the documented basis because the customer keeps a unit worth that much; a negotiated
  price is billing's business. The unique (source, id, line) constraint makes it once, however
  often the job runs; an event records it.

Receiving the defective unit (`rma_receipt.receive`) ends the follow-up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import BillableKind, BillableSource, BillableStatus
from contracts.models.billable_items import BillableItem
from core import audit
from core.auth import SYSTEM, Principal
from core.clock import FixedClock
from core.errors import Conflict, IllegalTransition, Invalid, NotFound
from core.outbox import OutboxMessage
from masterdata.choices import EquipmentEventKind, EquipmentStatus
from masterdata.models import Equipment, Product
from masterdata.services.equipment import STATUS_TRANSITIONS, EquipmentCreate, add_event, create_equipment
from returns.choices import RmaStatus, RmaType, SerialStatus
from returns.errors import Code
from returns.models import Rma, StockSerial
from returns.services.rma_lifecycle import record_event
from returns.services.rma_notices import NoticeLinks, notify
from returns.services.rma_receipt import OVERDUE_CHARGE_LINE, overdue_charge_of
from returns.services.rmas import Serial, Tracking, locked_visible_rma
from returns.services.stock import issue

RETURN_DAYS = 14
REMINDER_LEAD_DAYS = 3
CENT = Decimal("0.01")
SHIPPABLE = frozenset({RmaStatus.AUTHORIZED, RmaStatus.AWAITING_RECEIPT})
FOLLOWED = [RmaStatus.AUTHORIZED.value, RmaStatus.AWAITING_RECEIPT.value]


class NewReplacement(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A unit not in stock: registered for the customer now (product defaults to the defective's)."""

    serial_number: Serial
    product_id: UUID | None = None


class ReplacementShipment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Send exactly one of `new_unit` or `stock_serial_id`."""

    new_unit: NewReplacement | None = None
    stock_serial_id: UUID | None = None
    carrier_tracking: Tracking | None = None
    return_days: Annotated[int, Meta(ge=1, le=365)] | None = None  # default: the setting


async def ship_replacement(
    session: AsyncSession,
    actor: Principal,
    rma_id: UUID,
    data: ReplacementShipment,
    *,
    now: dt.datetime,
    return_days: int = RETURN_DAYS,
    links: NoticeLinks,
) -> Rma:
    rma = await locked_visible_rma(session, actor, rma_id)
    _check_shippable(rma)
    defective = await session.get(Equipment, rma.equipment_id)
    if defective is None:  # RESTRICT foreign key: cannot happen
        raise NotFound("equipment", rma.equipment_id)
    replacement = await _replacement(session, actor, rma, defective, data, now)
    await _swap(session, actor, defective, replacement, rma, now)
    rma.replacement_equipment_id = replacement.id
    rma.replacement_shipped_at = now
    rma.return_due_on = now.date() + dt.timedelta(days=data.return_days or return_days)
    if data.carrier_tracking:
        rma.carrier_tracking = data.carrier_tracking
    await session.flush()
    await record_event(
        session,
        actor,
        rma,
        kind="replacement_shipped",
        now=now,
        customer_visible=True,
        message=(
            f"Replacement unit {replacement.serial_number} has shipped. "
            f"Please return unit {defective.serial_number} by {rma.return_due_on.isoformat()}."
        ),
        detail={
            "replacement_equipment_id": str(replacement.id),
            "replacement_serial": replacement.serial_number,
            "return_due_on": rma.return_due_on.isoformat(),
            "carrier_tracking": data.carrier_tracking,
        },
    )
    await notify(session, rma, "replacement_shipped", now, links=links)
    return rma


def _check_shippable(rma: Rma) -> None:
    if rma.rma_type != RmaType.ADVANCE_EXCHANGE.value:
        raise Conflict(
            Code.NOT_ADVANCE_EXCHANGE,
            f"RMA {rma.number} is a {rma.rma_type}, not an advance exchange",
            field="rma_type",
        )
    if rma.replacement_shipped_at is not None:
        raise Conflict(
            Code.REPLACEMENT_ALREADY_SHIPPED, f"the replacement for {rma.number} has already shipped", field="status"
        )
    if rma.on_hold:
        raise Conflict(Code.RMA_ON_HOLD, f"RMA {rma.number} is on hold: {rma.hold_reason}", field="status")
    if RmaStatus(rma.status) not in SHIPPABLE:
        raise IllegalTransition("rma", rma.status, "replacement_shipped")


async def _replacement(
    session: AsyncSession,
    actor: Principal,
    rma: Rma,
    defective: Equipment,
    data: ReplacementShipment,
    now: dt.datetime,
) -> Equipment:
    if (data.new_unit is None) == (data.stock_serial_id is None):
        raise Invalid(Code.REPLACEMENT_REQUIRED, "send exactly one of new_unit or stock_serial_id", field="new_unit")
    if data.new_unit is not None:
        product_id = data.new_unit.product_id or defective.product_id
        return await _register(session, actor, rma, defective, product_id, data.new_unit.serial_number, now)
    assert data.stock_serial_id is not None
    unit = await session.get(StockSerial, data.stock_serial_id)
    if unit is None:
        raise NotFound("stock_serial", data.stock_serial_id, field="stock_serial_id")
    if unit.status != SerialStatus.IN_STOCK.value or unit.location_id is None:
        raise Conflict(
            Code.REPLACEMENT_UNAVAILABLE,
            f"serial {unit.serial_number} is {unit.status}, not in stock",
            field="stock_serial_id",
        )
    await issue(
        session,
        actor,
        location_id=unit.location_id,
        product_id=unit.product_id,
        quantity=Decimal(1),
        reference_kind="rma",
        reference_id=rma.id,
        reference_ref=rma.number,
        now=now,
        serial_number=unit.serial_number,
    )
    known = await session.get(Equipment, unit.equipment_id) if unit.equipment_id else None
    if known is None:
        known = await session.scalar(
            select(Equipment).where(
                Equipment.product_id == unit.product_id, Equipment.serial_number == unit.serial_number
            )
        )
    if known is None:
        known = await _register(session, actor, rma, defective, unit.product_id, unit.serial_number, now)
    elif known.customer_id != rma.customer_id:
        # A refurbished unit that belonged to someone else changes hands with the shipment.
        before = {"customer_id": known.customer_id}
        known.customer_id, known.site_id, known.parent_id = rma.customer_id, None, None
        await audit.record(
            session, actor, "equipment", known.id, "change_owner", before=before, after={"customer_id": rma.customer_id}
        )
    unit.equipment_id = known.id
    return known


async def _register(
    session: AsyncSession,
    actor: Principal,
    rma: Rma,
    defective: Equipment,
    product_id: UUID,
    serial: str,
    now: dt.datetime,
) -> Equipment:
    registration = EquipmentCreate(
        product_id=product_id,
        serial_number=serial,
        customer_id=rma.customer_id,
        site_id=defective.site_id,
        ship_date=now.date(),
        install_date=now.date(),
    )
    try:
        return await create_equipment(session, actor, registration, clock=FixedClock(now))
    except (Conflict, Invalid, NotFound) as exc:
        if exc.field in {"product_id", "serial_number"}:
            exc.field = f"new_unit.{exc.field}"
        raise


async def _swap(
    session: AsyncSession, actor: Principal, old: Equipment, new: Equipment, rma: Rma, at: dt.datetime
) -> None:
    """The replacement takes the defective unit's place; history on both (and on a parent)."""
    old_status, new_status = EquipmentStatus(old.status), EquipmentStatus(new.status)
    if old_status is not EquipmentStatus.RETURNED and EquipmentStatus.RETURNED not in STATUS_TRANSITIONS[old_status]:
        raise IllegalTransition("equipment", old_status.value, EquipmentStatus.RETURNED.value)
    if (
        new_status is not EquipmentStatus.IN_SERVICE
        and EquipmentStatus.IN_SERVICE not in STATUS_TRANSITIONS[new_status]
    ):
        raise IllegalTransition("equipment", new_status.value, EquipmentStatus.IN_SERVICE.value)
    old_before, new_before = audit.snapshot(old), audit.snapshot(new)
    parent_id, position = old.parent_id, old.position
    old.parent_id, old.position, old.status = None, None, EquipmentStatus.RETURNED.value
    await session.flush()  # the slot is free before the replacement takes it
    new.parent_id, new.position, new.status = parent_id, position, EquipmentStatus.IN_SERVICE.value
    if new.site_id != old.site_id:
        add_event(session, new, EquipmentEventKind.MOVED, actor, at, from_site_id=new.site_id, to_site_id=old.site_id)
        new.site_id = old.site_id
    serials = {
        "old_serial": old.serial_number,
        "new_serial": new.serial_number,
        "note": f"advance exchange {rma.number}",
    }
    if parent_id is not None:
        parent = await session.get(Equipment, parent_id)
        assert parent is not None
        add_event(
            session, parent, EquipmentEventKind.COMPONENT_REMOVED, actor, at, related_equipment_id=old.id, **serials
        )
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
        from_status=old_status.value,
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
        from_status=new_status.value,
        to_status=new.status,
        **serials,
    )
    await session.flush()
    for unit, before in ((old, old_before), (new, new_before)):
        changed_before, changed_after = audit.changed(before, audit.snapshot(unit))
        await audit.record(
            session, actor, "equipment", unit.id, "advance_exchange", before=changed_before, after=changed_after, at=at
        )


# --- the daily follow-up ------------------------------------------------------------------


@dataclass(slots=True)
class FollowUpReport:
    reminded: list[str] = field(default_factory=list)
    charged: list[str] = field(default_factory=list)


async def follow_up(session: AsyncSession, today: dt.date, now: dt.datetime, *, links: NoticeLinks) -> FollowUpReport:
    """Remind, then charge, every advance exchange whose defective unit has not arrived."""
    report = FollowUpReport()
    stmt = (
        select(Rma)
        .where(
            Rma.rma_type == RmaType.ADVANCE_EXCHANGE.value,
            Rma.status.in_(FOLLOWED),
            Rma.replacement_shipped_at.is_not(None),
            Rma.received_at.is_(None),
            Rma.return_due_on.is_not(None),
        )
        .order_by(Rma.number)
    )
    for rma in (await session.scalars(stmt)).all():
        assert rma.return_due_on is not None
        if today > rma.return_due_on:
            if await _charge(session, rma, today, now):
                report.charged.append(rma.number)
        elif today >= rma.return_due_on - dt.timedelta(days=REMINDER_LEAD_DAYS) and await _remind(
            session, rma, now, links
        ):
            report.reminded.append(rma.number)
    return report


def reminder_key(rma: Rma) -> str:
    return f"ax-reminder:{rma.number}"


async def _remind(session: AsyncSession, rma: Rma, now: dt.datetime, links: NoticeLinks) -> bool:
    key = reminder_key(rma)
    if await session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)) is not None:
        return False
    message = await notify(session, rma, "return_reminder", now, links=links, dedupe_key=key)
    assert rma.return_due_on is not None
    await record_event(
        session,
        SYSTEM,
        rma,
        kind="return_reminder",
        now=now,
        customer_visible=True,
        message=f"Reminder: please return unit {rma.serial_number} by {rma.return_due_on.isoformat()}.",
        detail={"emailed": message is not None},
    )
    return True


async def _charge(session: AsyncSession, rma: Rma, today: dt.date, now: dt.datetime) -> bool:
    if await overdue_charge_of(session, rma) is not None:
        return False
    product = await session.scalar(
        select(Product)
        .join(Equipment, Equipment.product_id == Product.id)
        .where(Equipment.id == rma.replacement_equipment_id)
    )
    assert product is not None and rma.return_due_on is not None
    price = product.list_price.quantize(CENT, rounding=ROUND_HALF_UP)
    item = BillableItem(
        source_kind=BillableSource.ADVANCE_EXCHANGE.value,
        source_id=rma.id,
        source_ref=rma.number,
        line_key=OVERDUE_CHARGE_LINE,
        customer_id=rma.customer_id,
        kind=BillableKind.FEE.value,
        product_id=product.id,
        description=f"Advance exchange {rma.number}: unit {rma.serial_number} not returned by "
        f"{rma.return_due_on.isoformat()}; replacement {product.name} charged",
        quantity=Decimal(1),
        unit="pc",
        unit_price=product.list_price,
        currency=product.currency,
        coverage_pct=Decimal(0),
        covered_amount=Decimal(0),
        amount=price,
        service_date=today,
        status=BillableStatus.OPEN.value,
    )
    try:
        async with session.begin_nested():
            session.add(item)
    except IntegrityError:
        return False  # another run charged it a moment ago
    await record_event(
        session,
        SYSTEM,
        rma,
        kind="overdue_charged",
        now=now,
        customer_visible=True,
        message=(
            f"Unit {rma.serial_number} was not returned by {rma.return_due_on.isoformat()}; "
            f"the replacement is charged at {price} {product.currency}."
        ),
        detail={"billable_item_id": str(item.id), "amount": str(price), "currency": product.currency},
    )
    await audit.record(session, SYSTEM, "rma", rma.id, "overdue_charge", after={"amount": str(price)}, at=now)
    return True
