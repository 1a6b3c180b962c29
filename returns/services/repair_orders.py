"""Depot repair orders: diagnosis, labour, parts from depot stock, tests, QA.

One repair order per RMA (DR-…), opened when the depot starts diagnosing a received unit.
Its status follows the RMA's (every RMA step goes through `rma_lifecycle.move`):

    diagnosis ──quote_repair──▶ awaiting_approval ──approve──▶ in_repair ◀──QA fail──┐
        │                          └──decline──▶ declined (shipped back)  │          │
        └──(fully covered)─────────────────────────────────────────────▶ in_repair ─finish─▶ in_qa ─QA pass─▶ done

At QA pass the repair order is done, the RMA stays `in_qa` ready for shipping (the RMA
services ship it), and the non-covered work becomes billable items (`repair_billing`).
Quotes and the customer's decision live in `returns.services.quotes`.

Lock order: RMA → repair order → stock (R1's stock functions lock the stock levels).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal
from core.errors import Conflict, Invalid, NotFound
from core.numbering import next_number
from returns.choices import RepairOrderStatus, RmaStatus, StockLocationKind
from returns.errors import Code
from returns.models import RepairLabour, RepairOrder, RepairPart, Rma, StockLocation
from returns.services import rma_lifecycle, stock
from returns.services.repair_billing import record_repair_billable_items
from returns.services.rma_lifecycle import visible_rma

FaultCode = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
MOST = Decimal("99999")
Minutes = Annotated[int, msgspec.Meta(gt=0, le=24 * 60)]

# What may still change in each repair-order status.
DIAGNOSABLE = frozenset({RepairOrderStatus.DIAGNOSIS.value, RepairOrderStatus.IN_REPAIR.value})
LABOUR_OPEN = frozenset({RepairOrderStatus.DIAGNOSIS.value, RepairOrderStatus.IN_REPAIR.value})
PARTS_OPEN = frozenset({RepairOrderStatus.IN_REPAIR.value})
TESTS_OPEN = frozenset(
    {RepairOrderStatus.DIAGNOSIS.value, RepairOrderStatus.IN_REPAIR.value, RepairOrderStatus.IN_QA.value}
)


class DiagnosisInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    fault_codes: list[FaultCode] | msgspec.UnsetType = msgspec.UNSET
    diagnosis: Text | msgspec.UnsetType = msgspec.UNSET
    # charged if the customer declines the quote; default: the SVC-INSPECTION list price
    inspection_fee: Decimal | None | msgspec.UnsetType = msgspec.UNSET


class LabourInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    minutes: Minutes
    description: Text
    performed_on: dt.date | None = None


class PartInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    product_id: UUID
    quantity: Decimal
    serial_number: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    # the depot location the part is issued from; may be left out when there is one depot
    location_id: UUID | None = None


class TestInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    test: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    passed: bool
    value: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class QaInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    passed: bool
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


@dataclass(frozen=True, slots=True)
class RepairOrderView:
    repair_order: RepairOrder
    rma: Rma
    labour: Sequence[RepairLabour]
    parts: Sequence[RepairPart]


# --- finding and locking -----------------------------------------------------------------------


async def locked(session: AsyncSession, repair_order_id: UUID) -> tuple[Rma, RepairOrder]:
    """The RMA and the repair order, locked in that order."""
    rma_id = await session.scalar(select(RepairOrder.rma_id).where(RepairOrder.id == repair_order_id))
    if rma_id is None:
        raise NotFound("repair_order", repair_order_id)
    rma = await rma_lifecycle.locked_rma(session, rma_id)
    repair_order = await session.scalar(
        select(RepairOrder)
        .where(RepairOrder.id == repair_order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert repair_order is not None  # a repair order is never deleted
    return rma, repair_order


async def repair_order_of(session: AsyncSession, rma_id: UUID) -> RepairOrder | None:
    found: RepairOrder | None = await session.scalar(select(RepairOrder).where(RepairOrder.rma_id == rma_id))
    return found


async def get_repair_order(session: AsyncSession, principal: Principal, repair_order_id: UUID) -> RepairOrderView:
    repair_order = await session.get(RepairOrder, repair_order_id)
    if repair_order is None:
        raise NotFound("repair_order", repair_order_id)
    rma = await visible_rma(session, principal, repair_order.rma_id)
    return await view_of(session, rma, repair_order)


async def get_repair_order_of_rma(session: AsyncSession, principal: Principal, rma_id: UUID) -> RepairOrderView:
    rma = await visible_rma(session, principal, rma_id)
    repair_order = await repair_order_of(session, rma.id)
    if repair_order is None:
        raise NotFound("repair_order", f"of RMA {rma.number}")
    return await view_of(session, rma, repair_order)


# --- use cases ---------------------------------------------------------------------------------


async def start_diagnosis(
    session: AsyncSession, actor: Principal, rma_id: UUID, *, now: dt.datetime
) -> RepairOrderView:
    """Move a received RMA to `in_diagnosis` and open its repair order (DR-…)."""
    rma = await rma_lifecycle.locked_rma(session, rma_id)
    if await repair_order_of(session, rma.id) is not None:
        raise Conflict(Code.REPAIR_ORDER_EXISTS, f"RMA {rma.number} already has a repair order", field="rma_id")
    await rma_lifecycle.move(session, actor, rma, RmaStatus.IN_DIAGNOSIS, now=now, message="Diagnosis started")
    repair_order = RepairOrder(
        number=await next_number(session, "repair_order"),
        rma_id=rma.id,
        equipment_id=rma.equipment_id,
        status=RepairOrderStatus.DIAGNOSIS.value,
        fault_codes=[],
        test_results=[],
        quote_lines=[],
    )
    session.add(repair_order)
    await session.flush()
    await audit.record(
        session, actor, "repair_order", repair_order.id, "create", after=audit.snapshot(repair_order), at=now
    )
    return await view_of(session, rma, repair_order)


async def record_diagnosis(
    session: AsyncSession, actor: Principal, repair_order_id: UUID, data: DiagnosisInput, *, now: dt.datetime
) -> RepairOrderView:
    rma, repair_order = await locked(session, repair_order_id)
    _require(repair_order, DIAGNOSABLE, "record a diagnosis")
    before = audit.snapshot(repair_order)
    if not isinstance(data.fault_codes, msgspec.UnsetType):
        repair_order.fault_codes = list(dict.fromkeys(code.strip().upper() for code in data.fault_codes))
    if not isinstance(data.diagnosis, msgspec.UnsetType):
        repair_order.diagnosis = data.diagnosis
    if not isinstance(data.inspection_fee, msgspec.UnsetType):
        repair_order.inspection_fee = (
            None if data.inspection_fee is None else checked(data.inspection_fee, "inspection_fee", 2, zero_ok=True)
        )
    await session.flush()
    await audit.record(
        session,
        actor,
        "repair_order",
        repair_order.id,
        "diagnosis",
        before=before,
        after=audit.snapshot(repair_order),
        at=now,
    )
    return await view_of(session, rma, repair_order)


async def add_labour(
    session: AsyncSession, actor: Principal, repair_order_id: UUID, data: LabourInput, *, now: dt.datetime
) -> RepairOrderView:
    rma, repair_order = await locked(session, repair_order_id)
    _require(repair_order, LABOUR_OPEN, "record labour")
    session.add(
        RepairLabour(
            repair_order_id=repair_order.id,
            performed_by=actor.username,
            performed_on=data.performed_on or now.date(),
            minutes=data.minutes,
            description=data.description,
        )
    )
    await session.flush()
    return await view_of(session, rma, repair_order)


async def add_part(
    session: AsyncSession, actor: Principal, repair_order_id: UUID, data: PartInput, *, now: dt.datetime
) -> RepairOrderView:
    """Consume a part from depot stock: one `issue` on the ledger, referencing the repair order."""
    rma, repair_order = await locked(session, repair_order_id)
    _require(repair_order, PARTS_OPEN, "consume parts")
    quantity = checked(data.quantity, "quantity", 3)
    location_id = data.location_id or await _the_depot(session)
    move = await stock.issue(
        session,
        actor,
        location_id=location_id,
        product_id=data.product_id,
        quantity=quantity,
        reference_kind="repair_order",
        reference_id=repair_order.id,
        reference_ref=repair_order.number,
        now=now,
        serial_number=data.serial_number,
    )
    session.add(
        RepairPart(
            repair_order_id=repair_order.id,
            product_id=data.product_id,
            quantity=quantity,
            serial_number=data.serial_number,
            stock_move_id=move.id,
        )
    )
    await session.flush()
    return await view_of(session, rma, repair_order)


async def record_test(
    session: AsyncSession, actor: Principal, repair_order_id: UUID, data: TestInput, *, now: dt.datetime
) -> RepairOrderView:
    rma, repair_order = await locked(session, repair_order_id)
    _require(repair_order, TESTS_OPEN, "record test results")
    result: dict[str, Any] = {
        "test": data.test,
        "passed": data.passed,
        "value": data.value,
        "at": now.isoformat(),
        "by": actor.username,
    }
    # a new list, so the JSON column sees the change
    repair_order.test_results = [*repair_order.test_results, result]
    await session.flush()
    return await view_of(session, rma, repair_order)


async def finish_repair(
    session: AsyncSession, actor: Principal, repair_order_id: UUID, *, now: dt.datetime
) -> RepairOrderView:
    """The repair is done: to QA (an internal step; tracking keeps showing "in repair")."""
    rma, repair_order = await locked(session, repair_order_id)
    _require(repair_order, frozenset({RepairOrderStatus.IN_REPAIR.value}), "finish the repair")
    await rma_lifecycle.move(session, actor, rma, RmaStatus.IN_QA, now=now)
    repair_order.status = RepairOrderStatus.IN_QA.value
    await session.flush()
    return await view_of(session, rma, repair_order)


async def record_qa(
    session: AsyncSession, actor: Principal, repair_order_id: UUID, data: QaInput, *, now: dt.datetime
) -> RepairOrderView:
    """QA pass: done, billable items written, ready to ship. QA fail: back to repair."""
    rma, repair_order = await locked(session, repair_order_id)
    _require(repair_order, frozenset({RepairOrderStatus.IN_QA.value}), "record QA")
    if data.passed:
        repair_order.status = RepairOrderStatus.DONE.value
        repair_order.completed_at = now
        await session.flush()
        await rma_lifecycle.record_event(
            session,
            actor,
            rma,
            kind="qa_passed",
            now=now,
            customer_visible=True,
            message="Repair finished and tested; ready to ship",
            internal_note=data.note,
        )
        await record_repair_billable_items(session, actor, rma, repair_order, now)
    else:
        await rma_lifecycle.move(
            session, actor, rma, RmaStatus.IN_REPAIR, now=now, customer_visible=False, internal_note=data.note
        )
        repair_order.status = RepairOrderStatus.IN_REPAIR.value
        await session.flush()
    return await view_of(session, rma, repair_order)


# --- helpers -------------------------------------------------------------------------------------


def checked(value: Decimal, field: str, places: int, *, zero_ok: bool = False, most: Decimal = MOST) -> Decimal:
    """A finite amount above 0 (or 0 where allowed), at most `most`, with no more than `places` decimals."""
    if not value.is_finite() or value < 0 or (value == 0 and not zero_ok) or value > most:
        raise Invalid(
            "invalid_amount", f"{field} must be {'0 or more' if zero_ok else 'above 0'} and at most {most}", field=field
        )
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise Invalid("invalid_amount", f"{field} has more than {places} decimals", field=field)
    return value


def _require(repair_order: RepairOrder, allowed: frozenset[str], action: str) -> None:
    if repair_order.status not in allowed:
        raise Conflict(
            Code.REPAIR_ORDER_NOT_EDITABLE,
            f"repair order {repair_order.number} is {repair_order.status}; cannot {action} now",
            field="status",
            extra={"current_status": repair_order.status},
        )


async def _the_depot(session: AsyncSession) -> UUID:
    depots = (
        await session.scalars(
            select(StockLocation.id).where(
                StockLocation.kind == StockLocationKind.DEPOT.value, StockLocation.active.is_(True)
            )
        )
    ).all()
    if len(depots) != 1:
        raise Invalid(
            Code.DEPOT_LOCATION_REQUIRED,
            f"there are {len(depots)} active depot locations; name the one the part comes from",
            field="location_id",
        )
    return depots[0]


async def view_of(session: AsyncSession, rma: Rma, repair_order: RepairOrder) -> RepairOrderView:
    labour = (
        await session.scalars(
            select(RepairLabour)
            .where(RepairLabour.repair_order_id == repair_order.id)
            .order_by(RepairLabour.performed_on, RepairLabour.created_at, RepairLabour.id)
        )
    ).all()
    parts = (
        await session.scalars(
            select(RepairPart)
            .where(RepairPart.repair_order_id == repair_order.id)
            .order_by(RepairPart.created_at, RepairPart.id)
        )
    ).all()
    return RepairOrderView(repair_order, rma, labour, parts)
