"""RMAs: request one (with an entitlement snapshot), read and list them, authorize, reject, ship,
close and cancel.

- Creating an RMA runs the entitlement check as service requests do (a `repair` service at
  priority P3 unless given) and keeps the decision as a snapshot: `covered_by` (warranty /
  contract_line / none) and the labour and parts percentages repeat what the depot and billing
  read. A customer user creates RMAs for its own units only (the portal); staff for anyone.
- The unit is named by `equipment_id` or by `serial_number` (a serial of the customer's
  installed base). `ship_to` defaults to the unit's site address, or else the customer's name
  and country.
- Every status change goes through `rma_lifecycle.move`; this module only adds the fields each
  step needs (the rejection reason, the carrier tracking number) and the customer's e-mail.
- Customers see their own RMAs only; another customer's RMA answers exactly like an unknown one
  (404 with the same body), by id and by number.

Receipt and holds live in `rma_receipt`, advance exchange in `advance_exchange`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import Priority, ServiceType
from core import audit
from core.auth import Principal
from core.errors import Conflict, Invalid, NotFound
from core.fields import LongText, ShortText
from core.listing import Page, PageRequest, contains, paginate
from core.numbering import next_number
from masterdata.custom_fields.queries import custom_filters, custom_sort_keys
from masterdata.custom_fields.records import CustomView, apply_custom
from masterdata.models import Contact, Customer, Equipment, Site
from masterdata.models.custom_fields import CustomEntity
from masterdata.services.visibility import customer_scope
from returns.choices import RepairOrderStatus, RmaStatus, RmaType
from returns.errors import Code
from returns.models import RepairOrder, Rma, RmaEvent
from returns.services.rma_lifecycle import locked_rma, move, record_event, visible_rma
from returns.services.rma_notices import NoticeLinks, notify
from service_mgmt.services.entitlement_check import EntitlementQuery, run_entitlement_check
from service_mgmt.services.service_requests import entitlement_snapshot

ReasonCode = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$", description="e.g. no_power, E5")]
Serial = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"^\S(?:.*\S)?$")]
Tracking = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"^\S(?:.*\S)?$")]
Line = Annotated[str, Meta(max_length=200)]

FINAL = frozenset({RmaStatus.CLOSED, RmaStatus.CANCELLED, RmaStatus.REJECTED})


class ShipTo(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Line
    street: Line | None = None
    postal_code: Annotated[str, Meta(max_length=20)] | None = None
    city: Line | None = None
    country: Annotated[str, Meta(pattern=r"^[A-Z]{2}$")] | None = None


class RmaCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Name the unit by `equipment_id` or `serial_number`; customers may leave `customer_id` out."""

    reason_code: ReasonCode
    problem_description: LongText
    rma_type: RmaType = RmaType.REPAIR_RETURN
    customer_id: UUID | None = None
    contact_id: UUID | None = None
    equipment_id: UUID | None = None
    serial_number: Serial | None = None
    priority: Priority = Priority.P3
    ship_to: ShipTo | None = None
    custom: dict[str, Any] = msgspec.field(default_factory=dict)


class RmaFilter(msgspec.Struct, kw_only=True):
    customer_id: UUID | None = None
    status: RmaStatus | None = None
    rma_type: RmaType | None = None
    equipment_id: UUID | None = None
    on_hold: bool | None = None
    q: str | None = None  # number or serial contains
    custom: dict[str, str] = msgspec.field(default_factory=dict)  # ?custom.<name>=value


class RmaStep(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Optional words for a step: `message` for the customer, `internal_note` for staff only."""

    message: ShortText | None = None
    internal_note: ShortText | None = None


class RmaRejection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: ShortText  # shown to the customer
    internal_note: ShortText | None = None


class RmaShipment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    carrier_tracking: Tracking
    message: ShortText | None = None


SORTABLE = {"number": Rma.number, "requested_at": Rma.requested_at, "status": Rma.status}
EVENT_SORTABLE = {"at": RmaEvent.at}

# Shown with `awaiting_receipt`: what the customer does next.
SHIPPING_INSTRUCTIONS = (
    "Please pack the unit safely, write the RMA number {number} on the outside of the parcel, "
    "enclose the packing slip and send it to our repair depot."
)


# --- reading ------------------------------------------------------------------------------


async def get_rma(session: AsyncSession, principal: Principal, rma_id: UUID) -> Rma:
    return await visible_rma(session, principal, rma_id)


async def get_rma_by_number(session: AsyncSession, principal: Principal, number: str) -> Rma:
    rma = await session.scalar(select(Rma).where(Rma.number == number.strip().upper()))
    scope = await customer_scope(session, principal)
    if rma is None or not scope.allows(rma.customer_id):
        # The same answer for an unknown number and for another customer's.
        raise NotFound("rma", number)
    return rma


async def list_rmas(session: AsyncSession, principal: Principal, filters: RmaFilter, page: PageRequest) -> Page[Rma]:
    stmt = select(Rma)
    scope = await customer_scope(session, principal)
    stmt = scope.restrict(stmt, Rma.customer_id)
    if filters.customer_id is not None:
        stmt = stmt.where(Rma.customer_id == filters.customer_id)
    if filters.status is not None:
        stmt = stmt.where(Rma.status == filters.status.value)
    if filters.rma_type is not None:
        stmt = stmt.where(Rma.rma_type == filters.rma_type.value)
    if filters.equipment_id is not None:
        stmt = stmt.where(Rma.equipment_id == filters.equipment_id)
    if filters.on_hold is not None:
        stmt = stmt.where(Rma.on_hold.is_(filters.on_hold))
    if filters.q:
        stmt = stmt.where(or_(contains(Rma.number, filters.q), contains(Rma.serial_number, filters.q)))
    view = await CustomView.load(session, principal, CustomEntity.RMA)
    dialect = session.get_bind().dialect.name
    stmt = stmt.where(*custom_filters(view.definitions, Rma.custom, filters.custom, dialect))
    sortable = {**SORTABLE, **custom_sort_keys(view.definitions, Rma.custom, dialect)}
    return await paginate(session, stmt, page, sortable=sortable, default_sort="-requested_at", tie_breaker=Rma.id)


async def list_events(session: AsyncSession, principal: Principal, rma_id: UUID, page: PageRequest) -> Page[RmaEvent]:
    """Staff see every event; customers only those marked customer-visible."""
    await get_rma(session, principal, rma_id)
    stmt = select(RmaEvent).where(RmaEvent.rma_id == rma_id)
    if principal.is_customer:
        stmt = stmt.where(RmaEvent.customer_visible.is_(True))
    return await paginate(session, stmt, page, sortable=EVENT_SORTABLE, default_sort="at", tie_breaker=RmaEvent.id)


# --- creating -----------------------------------------------------------------------------


async def create_rma(session: AsyncSession, actor: Principal, data: RmaCreate, *, now: dt.datetime) -> Rma:
    customer_id = data.customer_id or (actor.customer_id if actor.is_customer else None)
    if customer_id is None:
        raise Invalid("customer_required", "give customer_id", field="customer_id")
    scope = await customer_scope(session, actor)
    customer = await session.get(Customer, customer_id)
    if customer is None or not scope.allows(customer_id):
        raise NotFound("customer", customer_id, field="customer_id")
    description = data.problem_description.strip()
    if not description:
        raise Invalid("problem_description_required", "describe the problem", field="problem_description")
    unit = await _unit(session, customer_id, data.equipment_id, data.serial_number)
    if data.contact_id is not None:
        contact = await session.get(Contact, data.contact_id)
        if contact is None or contact.customer_id != customer_id:
            raise NotFound("contact", data.contact_id, field="contact_id")
    query = EntitlementQuery(
        customer_id=customer_id,
        equipment_id=unit.id,
        site_id=unit.site_id,
        service_type=ServiceType.REPAIR,
        priority=data.priority,
        moment=now,
    )
    decision = await run_entitlement_check(session, actor, query, now)
    custom = await apply_custom(session, actor, CustomEntity.RMA, data.custom, None)
    rma = Rma(
        custom=custom,
        number=await next_number(session, "rma"),
        customer_id=customer_id,
        contact_id=data.contact_id,
        equipment_id=unit.id,
        serial_number=unit.serial_number,
        rma_type=data.rma_type.value,
        reason_code=data.reason_code,
        problem_description=description,
        status=RmaStatus.REQUESTED.value,
        requested_at=now,
        entitlement=entitlement_snapshot(decision, None, now),
        covered_by=decision.covered_by.value,
        labour_pct=decision.coverage.labour,
        parts_pct=decision.coverage.parts,
        ship_to=msgspec.to_builtins(data.ship_to) if data.ship_to else await _default_ship_to(session, customer, unit),
        on_hold=False,
        created_by=actor.username,
    )
    session.add(rma)
    await session.flush()
    await record_event(
        session,
        actor,
        rma,
        kind="requested",
        now=now,
        to_status=RmaStatus.REQUESTED.value,
        customer_visible=True,
        message=f"Return {rma.number} requested for unit {rma.serial_number}.",
        detail={"covered_by": rma.covered_by, "rma_type": rma.rma_type},
    )
    await audit.record(session, actor, "rma", rma.id, "create", after=audit.snapshot(rma), at=now)
    return rma


async def _unit(session: AsyncSession, customer_id: UUID, equipment_id: UUID | None, serial: str | None) -> Equipment:
    """The customer's unit by id or serial; another customer's unit answers like a missing one."""
    if equipment_id is None and serial is None:
        raise Invalid(Code.EQUIPMENT_REQUIRED, "give equipment_id or serial_number", field="equipment_id")
    if equipment_id is not None:
        unit = await session.get(Equipment, equipment_id)
        if unit is None or unit.customer_id != customer_id:
            raise NotFound("equipment", equipment_id, field="equipment_id")
        if serial is not None and serial != unit.serial_number:
            raise Invalid(
                Code.EQUIPMENT_MISMATCH,
                f"equipment {equipment_id} has serial {unit.serial_number}, not {serial}",
                field="serial_number",
            )
        return unit
    assert serial is not None
    units = (
        await session.scalars(
            select(Equipment).where(Equipment.customer_id == customer_id, Equipment.serial_number == serial).limit(2)
        )
    ).all()
    if not units:
        raise NotFound("equipment", serial, field="serial_number")
    if len(units) > 1:
        raise Invalid(
            Code.AMBIGUOUS_SERIAL, f"several units carry serial {serial}; give equipment_id", field="serial_number"
        )
    return units[0]


async def _default_ship_to(session: AsyncSession, customer: Customer, unit: Equipment) -> dict[str, Any]:
    site = await session.get(Site, unit.site_id) if unit.site_id else None
    if site is None:
        return {"name": customer.name, "street": None, "postal_code": None, "city": None, "country": customer.country}
    return {
        "name": f"{customer.name}, {site.name}",
        "street": site.street,
        "postal_code": site.postal_code,
        "city": site.city,
        "country": site.country,
    }


# --- steps --------------------------------------------------------------------------------


async def authorize(
    session: AsyncSession,
    actor: Principal,
    rma_id: UUID,
    data: RmaStep,
    *,
    now: dt.datetime,
    links: NoticeLinks,
) -> Rma:
    """requested → authorized → awaiting_receipt, with shipping instructions; e-mails the customer."""
    rma = await locked_visible_rma(session, actor, rma_id)
    await move(
        session,
        actor,
        rma,
        RmaStatus.AUTHORIZED,
        now=now,
        message=data.message or f"Return {rma.number} is authorized.",
        internal_note=data.internal_note,
    )
    await move(
        session,
        actor,
        rma,
        RmaStatus.AWAITING_RECEIPT,
        now=now,
        message=SHIPPING_INSTRUCTIONS.format(number=rma.number),
    )
    await notify(session, rma, "authorized", now, links=links)
    return rma


async def reject(session: AsyncSession, actor: Principal, rma_id: UUID, data: RmaRejection, *, now: dt.datetime) -> Rma:
    reason = data.reason.strip()
    if not reason:
        raise Invalid(Code.REJECTION_REASON_REQUIRED, "say why the return is rejected", field="reason")
    rma = await locked_visible_rma(session, actor, rma_id)
    # A refused step raises and the caller's transaction rolls back, reason and all.
    rma.rejection_reason = reason
    await move(session, actor, rma, RmaStatus.REJECTED, now=now, message=reason, internal_note=data.internal_note)
    return rma


async def cancel(session: AsyncSession, actor: Principal, rma_id: UUID, data: RmaStep, *, now: dt.datetime) -> Rma:
    rma = await locked_visible_rma(session, actor, rma_id)
    if rma.replacement_shipped_at is not None:
        # The customer holds a replacement: the defective unit is still due (or charged).
        raise Conflict(
            Code.REPLACEMENT_ALREADY_SHIPPED,
            f"the replacement for {rma.number} has shipped; the RMA cannot be cancelled",
            field="status",
        )
    await move(
        session,
        actor,
        rma,
        RmaStatus.CANCELLED,
        now=now,
        message=data.message or f"Return {rma.number} was cancelled.",
        internal_note=data.internal_note,
    )
    return rma


async def ship(
    session: AsyncSession,
    actor: Principal,
    rma_id: UUID,
    data: RmaShipment,
    *,
    now: dt.datetime,
    links: NoticeLinks,
) -> Rma:
    """The repaired (or unrepaired) unit leaves the depot with a carrier tracking number."""
    rma = await locked_visible_rma(session, actor, rma_id)
    await _check_ready_to_ship(session, rma)
    rma.shipped_at, rma.carrier_tracking = now, data.carrier_tracking
    await move(
        session,
        actor,
        rma,
        RmaStatus.SHIPPED,
        now=now,
        message=data.message or f"Your unit is on its way back (tracking {data.carrier_tracking}).",
        detail={"carrier_tracking": data.carrier_tracking},
    )
    await notify(session, rma, "shipped", now, links=links)
    return rma


async def _check_ready_to_ship(session: AsyncSession, rma: Rma) -> None:
    """A unit with a repair order leaves only repaired (QA passed) or with its quote declined."""
    order = await session.scalar(select(RepairOrder).where(RepairOrder.rma_id == rma.id))
    if order is None or order.status in {RepairOrderStatus.DONE, RepairOrderStatus.DECLINED}:
        return
    raise Conflict(
        Code.NOT_READY_TO_SHIP,
        f"repair order {order.number} is {order.status}: ship after QA has passed or the quote was declined",
        field="status",
    )


async def close(session: AsyncSession, actor: Principal, rma_id: UUID, data: RmaStep, *, now: dt.datetime) -> Rma:
    rma = await locked_visible_rma(session, actor, rma_id)
    await move(
        session,
        actor,
        rma,
        RmaStatus.CLOSED,
        now=now,
        message=data.message or f"Return {rma.number} is closed.",
        internal_note=data.internal_note,
    )
    return rma


async def locked_visible_rma(session: AsyncSession, actor: Principal, rma_id: UUID) -> Rma:
    """The RMA locked for a step, if the actor may see it (404 otherwise)."""
    await get_rma(session, actor, rma_id)  # 404 for what the actor may not see
    return await locked_rma(session, rma_id)
