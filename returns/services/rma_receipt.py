"""Receiving a returned unit at the depot, and resolving a serial mismatch hold.

The depot scans the serial of the unit in the parcel. The same serial as the RMA's: received.
Another serial: received too (the parcel is here), but the RMA goes `on_hold` with the reason
"serial mismatch: expected X, received Y" and an internal event; `move` refuses every further
step (409 `rma_on_hold`) until `resolve_hold`:

- `accept`: the depot works on the unit it received. If that serial is a known unit of the same
  customer, the RMA's equipment link follows it (the event keeps both serials).
- `return`: the unit is not worked on; the RMA goes to `in_diagnosis` as an internal step (the
  only way on towards `shipped` in the table) and the depot ships it back unrepaired.

`expected_ship_on` is an estimate for the customer: the receipt date plus `TURNAROUND_DAYS`
working days (Monday to Friday; holidays are not counted), for repair returns and depot
repairs; a return for credit ships nothing and an advance exchange shipped its replacement first.

For an advance exchange, receipt closes the loop: the follow-up job stops reminding and never
charges. A receipt after the overdue charge only records an event (credit notes come with
billing).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from uuid import UUID

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import BillableSource
from contracts.models.billable_items import BillableItem
from core.auth import Principal
from core.errors import Conflict
from core.fields import ShortText
from masterdata.models import Equipment
from returns.choices import RmaStatus, RmaType
from returns.errors import Code
from returns.models import Rma
from returns.services.rma_lifecycle import move, record_event
from returns.services.rma_notices import NoticeLinks, notify
from returns.services.rmas import Serial, locked_visible_rma

TURNAROUND_DAYS = 5
# what goes back to the customer after receipt (a credit ships nothing; an exchange shipped first)
SHIPS_BACK = frozenset({RmaType.REPAIR_RETURN.value, RmaType.DEPOT_REPAIR.value})
OVERDUE_CHARGE_LINE = "overdue-charge"


class RmaReceipt(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    serial_number: Serial  # as scanned from the unit
    internal_note: ShortText | None = None


class HoldDecision(StrEnum):
    ACCEPT = "accept"  # work on the unit received
    RETURN = "return"  # ship it back unprocessed


class HoldResolution(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    decision: HoldDecision
    note: ShortText | None = None


def add_working_days(start: dt.date, days: int) -> dt.date:
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


async def receive(
    session: AsyncSession,
    actor: Principal,
    rma_id: UUID,
    data: RmaReceipt,
    *,
    now: dt.datetime,
    links: NoticeLinks,
) -> Rma:
    rma = await locked_visible_rma(session, actor, rma_id)
    scanned = data.serial_number.strip()
    rma.received_at, rma.received_serial = now, scanned
    if rma.rma_type in SHIPS_BACK:
        rma.expected_ship_on = add_working_days(now.date(), TURNAROUND_DAYS)
    await move(
        session,
        actor,
        rma,
        RmaStatus.RECEIVED,
        now=now,
        message=f"We received unit {scanned}.",
        internal_note=data.internal_note,
        detail={"received_serial": scanned},
    )
    if scanned != rma.serial_number:
        rma.on_hold = True
        rma.hold_reason = f"serial mismatch: expected {rma.serial_number}, received {scanned}"
        await record_event(
            session,
            actor,
            rma,
            kind="hold",
            now=now,
            internal_note=rma.hold_reason,
            detail={"expected_serial": rma.serial_number, "received_serial": scanned},
        )
    if rma.rma_type == RmaType.ADVANCE_EXCHANGE.value and await overdue_charge_of(session, rma) is not None:
        await record_event(
            session,
            actor,
            rma,
            kind="late_receipt",
            now=now,
            internal_note="received after the overdue charge; a credit note is a billing decision",
        )
    await notify(session, rma, "received", now, links=links)
    return rma


async def resolve_hold(
    session: AsyncSession, actor: Principal, rma_id: UUID, data: HoldResolution, *, now: dt.datetime
) -> Rma:
    rma = await locked_visible_rma(session, actor, rma_id)
    if not rma.on_hold:
        raise Conflict(Code.RMA_NOT_ON_HOLD, f"RMA {rma.number} is not on hold", field="decision")
    hold_reason = rma.hold_reason
    rma.on_hold, rma.hold_reason = False, None
    detail: dict[str, object] = {
        "decision": data.decision.value,
        "hold_reason": hold_reason,
        "expected_serial": rma.serial_number,
        "received_serial": rma.received_serial,
    }
    if data.decision is HoldDecision.ACCEPT:
        unit = await _known_unit(session, rma)
        if unit is not None and unit.id != rma.equipment_id:
            detail["previous_equipment_id"] = str(rma.equipment_id)
            detail["equipment_id"] = str(unit.id)
            rma.equipment_id = unit.id
    await record_event(
        session,
        actor,
        rma,
        kind="hold_resolved",
        now=now,
        internal_note=data.note or f"hold resolved: {data.decision.value}",
        detail=detail,
    )
    if data.decision is HoldDecision.RETURN:
        await move(
            session,
            actor,
            rma,
            RmaStatus.IN_DIAGNOSIS,
            now=now,
            customer_visible=False,
            internal_note="serial mismatch: to be shipped back unprocessed",
        )
    return rma


async def _known_unit(session: AsyncSession, rma: Rma) -> Equipment | None:
    """The received serial as a unit of the RMA's customer, when exactly one such unit exists."""
    units = (
        await session.scalars(
            select(Equipment)
            .where(Equipment.customer_id == rma.customer_id, Equipment.serial_number == rma.received_serial)
            .limit(2)
        )
    ).all()
    return units[0] if len(units) == 1 else None


async def overdue_charge_of(session: AsyncSession, rma: Rma) -> BillableItem | None:
    stmt = select(BillableItem).where(
        BillableItem.source_kind == BillableSource.ADVANCE_EXCHANGE.value,
        BillableItem.source_id == rma.id,
        BillableItem.line_key == OVERDUE_CHARGE_LINE,
    )
    result: BillableItem | None = await session.scalar(stmt)
    return result
