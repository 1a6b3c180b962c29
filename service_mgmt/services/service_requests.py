"""Service requests (calls): logging with entitlement and credit snapshots, changes, lists.

Logging a call decides, in the caller's transaction, what covers the work and whether the
customer's credit allows it, and keeps both answers on the request as they were then:

- The entitlement check runs as of ``reported_at``: a call typed in late still gets the due
  times of the moment the customer called. The decision is stored as a JSON snapshot, with
  the winner's service level added (its pause rule and its targets for the priority), since
  the SLA clock needs them later and a contract changed afterwards must not rewrite them.
  The columns ``covered_by``, the coverage percentages and the due times repeat what lists
  filter and sort on.
- The credit check runs only when the work is billable (not fully covered), with the request
  number as its reference. Its amount is the ``estimated_amount`` sent, or else an estimate:
  ``ESTIMATED_LABOUR_HOURS`` hours of the active labour-hour service product (sku
  ``LABOUR_SKU``) at its list price, less the labour share the entitlement covers. The
  currency is that of the customer's credit account, or EUR without one. Without such a
  product, or with its price in another currency, the amount is unknown: the check is
  skipped and ``credit`` says why. A customer without a credit account fails with
  ``no_credit_account``, as the credit rule answers any check. Logging is never refused for
  credit: the agent sees the result, and the work order's credit gate decides before
  billable work is scheduled.
- A customer user logs through the portal: the channel is ``portal``, the call is reported
  now, and the amount is the estimate (a portal user's figure is no basis for a credit
  decision).

Changing the priority re-runs the entitlement check as of ``reported_at`` and replaces the
snapshot and the due times; the previous ones stay in the ``updated`` event. The credit
result stays as logged (the work order's gate checks again anyway).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

import msgspec
from sqlalchemy import and_, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from contracts.choices import CoveredBy, Priority, ServiceType
from contracts.entitlement_rule import Candidate, Decision
from contracts.models import ContractLine, CreditAccount, ServiceLevel, ServiceLevelTarget, Warranty, WarrantyTerm
from contracts.services.credit import run_credit_check
from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, Invalid, NotFound
from core.fields import Money, Version
from core.listing import Page, PageRequest, contains, paginate
from core.numbering import next_number
from masterdata.choices import ProductKind
from masterdata.custom_fields.queries import custom_filters, custom_sort_keys
from masterdata.custom_fields.records import CustomView, apply_custom
from masterdata.models import Contact, Customer, Equipment, Product, Site
from masterdata.models.custom_fields import CustomEntity
from masterdata.services.visibility import CustomerScope, customer_scope
from service_mgmt.choices import Channel, KnowledgeKind, RequestStatus
from service_mgmt.errors import Code
from service_mgmt.models import ServiceRequest, ServiceRequestEvent
from service_mgmt.services.entitlement_check import EntitlementQuery, run_entitlement_check
from service_mgmt.services.knowledge_codes import validate_code

LABOUR_SKU = "SVC-LABOUR"
ESTIMATED_LABOUR_HOURS = Decimal(2)
DEFAULT_CURRENCY = "EUR"
# A caller's clock may run a little ahead of ours; more than this is a typing error.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
OPEN_STATUSES = frozenset({RequestStatus.NEW, RequestStatus.TRIAGED, RequestStatus.IN_PROGRESS})
FINAL_STATUSES = frozenset({RequestStatus.CLOSED, RequestStatus.CANCELLED})

Symptom = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
KnowledgeCode = Annotated[
    str,
    msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$", description="a symptom or resolution code"),
]


class RequestEventKind(StrEnum):
    LOGGED = "logged"
    UPDATED = "updated"
    STATUS_CHANGED = "status_changed"
    WAITING_FOR_CUSTOMER = "waiting_for_customer"
    RESUMED = "resumed"
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"


class RequestCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    customer_id: UUID
    symptom: Symptom
    priority: Priority
    service_type: ServiceType
    # Left out: phone for staff. Customer users always log through the portal.
    channel: Channel | None = None
    contact_id: UUID | None = None
    equipment_id: UUID | None = None
    site_id: UUID | None = None
    symptom_code: KnowledgeCode | None = None
    estimated_amount: Money | None = None
    reported_at: dt.datetime | None = None
    custom: dict[str, Any] = msgspec.field(default_factory=dict)


class RequestUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    symptom: Symptom | msgspec.UnsetType = msgspec.UNSET
    symptom_code: KnowledgeCode | None | msgspec.UnsetType = msgspec.UNSET
    contact_id: UUID | None | msgspec.UnsetType = msgspec.UNSET
    priority: Priority | msgspec.UnsetType = msgspec.UNSET
    custom: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class RequestFilter(msgspec.Struct, kw_only=True):
    customer_id: UUID | None = None
    status: RequestStatus | None = None
    priority: Priority | None = None
    equipment_id: UUID | None = None
    overdue: bool | None = None
    q: str | None = None
    custom: dict[str, str] = msgspec.field(default_factory=dict)  # ?custom.<name>=value


class ServiceLevelTerms(msgspec.Struct, kw_only=True):
    """The winner's service level as it was at logging, for the SLA clock."""

    id: UUID
    code: str
    name: str
    calendar_id: UUID
    pause_on_customer_wait: bool
    response_minutes: int | None
    resolution_minutes: int | None


SORTABLE = {
    "number": ServiceRequest.number,
    "reported_at": ServiceRequest.reported_at,
    "response_due": ServiceRequest.response_due,
    "priority": ServiceRequest.priority,
}
EVENT_SORTABLE = {"at": ServiceRequestEvent.at}


# --- reading ------------------------------------------------------------------------------


async def get_request(session: AsyncSession, principal: Principal, request_id: UUID) -> ServiceRequest:
    request = await session.get(ServiceRequest, request_id)
    scope = await customer_scope(session, principal)
    if request is None or not scope.allows(request.customer_id):
        raise NotFound("service_request", request_id)
    return request


def overdue_condition(now: dt.datetime) -> ColumnElement[bool]:
    """Open and past a due time not yet met; never NULL, so its negation is "not overdue"."""
    late_response = and_(
        ServiceRequest.response_due.is_not(None),
        ServiceRequest.response_due < now,
        ServiceRequest.responded_at.is_(None),
    )
    late_resolution = and_(
        ServiceRequest.resolution_due.is_not(None),
        ServiceRequest.resolution_due < now,
        ServiceRequest.resolved_at.is_(None),
    )
    return and_(ServiceRequest.status.in_([s.value for s in OPEN_STATUSES]), or_(late_response, late_resolution))


async def list_requests(
    session: AsyncSession, principal: Principal, filters: RequestFilter, page: PageRequest, *, now: dt.datetime
) -> Page[ServiceRequest]:
    stmt = select(ServiceRequest)
    scope = await customer_scope(session, principal)
    stmt = scope.restrict(stmt, ServiceRequest.customer_id)
    if filters.customer_id is not None:
        stmt = stmt.where(ServiceRequest.customer_id == filters.customer_id)
    if filters.status is not None:
        stmt = stmt.where(ServiceRequest.status == filters.status.value)
    if filters.priority is not None:
        stmt = stmt.where(ServiceRequest.priority == filters.priority.value)
    if filters.equipment_id is not None:
        stmt = stmt.where(ServiceRequest.equipment_id == filters.equipment_id)
    if filters.overdue is not None:
        late = overdue_condition(now)
        stmt = stmt.where(late if filters.overdue else not_(late))
    if filters.q:
        stmt = stmt.where(or_(contains(ServiceRequest.number, filters.q), contains(ServiceRequest.symptom, filters.q)))
    view = await CustomView.load(session, principal, CustomEntity.SERVICE_REQUEST)
    dialect = session.get_bind().dialect.name
    stmt = stmt.where(*custom_filters(view.definitions, ServiceRequest.custom, filters.custom, dialect))
    sortable = {**SORTABLE, **custom_sort_keys(view.definitions, ServiceRequest.custom, dialect)}
    return await paginate(
        session, stmt, page, sortable=sortable, default_sort="-reported_at", tie_breaker=ServiceRequest.id
    )


async def list_events(
    session: AsyncSession, principal: Principal, request_id: UUID, page: PageRequest
) -> Page[ServiceRequestEvent]:
    await get_request(session, principal, request_id)
    stmt = select(ServiceRequestEvent).where(ServiceRequestEvent.request_id == request_id)
    return await paginate(
        session, stmt, page, sortable=EVENT_SORTABLE, default_sort="at", tie_breaker=ServiceRequestEvent.id
    )


# --- logging a call -----------------------------------------------------------------------


async def log_request(
    session: AsyncSession, actor: Principal, data: RequestCreate, *, clock: Clock = SYSTEM_CLOCK
) -> ServiceRequest:
    now = clock.now()
    portal = actor.is_customer
    reported_at = now if portal else _reported_at(data.reported_at, now)
    given_amount = None if portal else _amount(data.estimated_amount)
    channel = Channel.PORTAL if portal else (data.channel or Channel.PHONE)
    symptom = _symptom(data.symptom)
    symptom_code = await _symptom_code(session, data.symptom_code)
    scope = await customer_scope(session, actor)
    await _require_customer(session, scope, data.customer_id)
    site_id = await _object_site(session, scope, data.customer_id, data.equipment_id, data.site_id)
    if data.contact_id is not None:
        await _check_contact(session, scope, data.customer_id, data.contact_id)
    query = EntitlementQuery(
        customer_id=data.customer_id,
        equipment_id=data.equipment_id,
        site_id=site_id,
        service_type=data.service_type,
        priority=data.priority,
        moment=reported_at,
    )
    decision = await run_entitlement_check(session, actor, query, now)
    custom = await apply_custom(session, actor, CustomEntity.SERVICE_REQUEST, data.custom, None)
    request = ServiceRequest(
        custom=custom,
        number=await next_number(session, "service_request"),
        customer_id=data.customer_id,
        contact_id=data.contact_id,
        equipment_id=data.equipment_id,
        site_id=site_id,
        symptom=symptom,
        symptom_code=symptom_code,
        priority=data.priority.value,
        service_type=data.service_type.value,
        channel=channel.value,
        status=RequestStatus.NEW.value,
        reported_at=reported_at,
        escalation_level=0,
        paused_seconds=0,
        logged_by=actor.username,
        **await _entitlement_columns(session, decision, data.priority, reported_at),
    )
    request.estimated_amount, request.credit, request.credit_outcome = await _credit(
        session, actor, request, decision, given_amount, clock
    )
    session.add(request)
    await session.flush()
    detail = {
        "channel": request.channel,
        "covered_by": request.covered_by,
        "response_due": request.response_due,
        "resolution_due": request.resolution_due,
        "credit_outcome": request.credit_outcome,
    }
    await record_event(
        session, actor, request, RequestEventKind.LOGGED, at=now, to_status=request.status, detail=detail
    )
    await audit.record(session, actor, "service_request", request.id, "create", after=audit.snapshot(request), at=now)
    return request


def _reported_at(value: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if value is None:
        return now
    if value.tzinfo is None:
        raise Invalid(
            Code.NAIVE_DATETIME,
            "reported_at needs a time zone offset, e.g. 2026-11-20T16:30:00+01:00",
            field="reported_at",
        )
    if value > now + FUTURE_TOLERANCE:
        raise Invalid(Code.REPORTED_IN_FUTURE, "reported_at lies in the future", field="reported_at")
    return value.astimezone(dt.UTC)


def _amount(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT or value != value.quantize(CENT):
        raise Invalid(
            Code.INVALID_AMOUNT,
            f"estimated_amount must be from 0 to {MAX_AMOUNT} with at most 2 decimals",
            field="estimated_amount",
        )
    return value


async def _symptom_code(session: AsyncSession, code: str | None) -> str | None:
    """An active symptom code in its catalogue spelling (422 ``unknown_symptom_code`` otherwise)."""
    return None if code is None else await validate_code(session, KnowledgeKind.SYMPTOM, code, "symptom_code")


def _symptom(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        raise Invalid(Code.SYMPTOM_REQUIRED, "describe the symptom", field="symptom")
    return stripped


async def _require_customer(session: AsyncSession, scope: CustomerScope, customer_id: UUID) -> None:
    customer = await session.get(Customer, customer_id)
    if customer is None or not scope.allows(customer_id):
        raise NotFound("customer", customer_id, field="customer_id")


async def _object_site(
    session: AsyncSession,
    scope: CustomerScope,
    customer_id: UUID,
    equipment_id: UUID | None,
    site_id: UUID | None,
) -> UUID | None:
    """The site of the request: the one given, or else the unit's own (when it stands at one)."""
    if equipment_id is None and site_id is None:
        raise Invalid(Code.OBJECT_REQUIRED, "give equipment_id or site_id", field="equipment_id")
    if site_id is not None:
        await _check_site(session, scope, customer_id, site_id)
    if equipment_id is None:
        return site_id
    unit = await session.get(Equipment, equipment_id)
    if unit is None or unit.customer_id != customer_id:
        # Another customer's unit answers like a missing one, so ids cannot be probed.
        raise NotFound("equipment", equipment_id, field="equipment_id")
    if site_id is None:
        return unit.site_id
    if unit.site_id is not None and unit.site_id != site_id:
        raise Invalid(
            Code.EQUIPMENT_NOT_AT_SITE,
            f"the unit stands at site {unit.site_id}; leave site_id out or move the unit first",
            field="site_id",
        )
    return site_id


async def _check_site(session: AsyncSession, scope: CustomerScope, customer_id: UUID, site_id: UUID) -> None:
    site = await session.get(Site, site_id)
    if site is None or not scope.allows(site.customer_id):
        raise NotFound("site", site_id, field="site_id")
    if site.customer_id != customer_id:
        raise Invalid(Code.SITE_NOT_OF_CUSTOMER, "the site belongs to another customer", field="site_id")


async def _check_contact(session: AsyncSession, scope: CustomerScope, customer_id: UUID, contact_id: UUID) -> None:
    contact = await session.get(Contact, contact_id)
    if contact is None or not scope.allows(contact.customer_id):
        raise NotFound("contact", contact_id, field="contact_id")
    if contact.customer_id != customer_id:
        raise Invalid(Code.CONTACT_NOT_OF_CUSTOMER, "the contact belongs to another customer", field="contact_id")


# --- the entitlement snapshot -------------------------------------------------------------


async def _entitlement_columns(
    session: AsyncSession, decision: Decision, priority: Priority, as_of: dt.datetime
) -> dict[str, Any]:
    level = await _service_level(session, decision.winner, priority)
    due = decision.due
    return {
        "entitlement": entitlement_snapshot(decision, level, as_of),
        "covered_by": decision.covered_by.value,
        "labour_pct": decision.coverage.labour,
        "parts_pct": decision.coverage.parts,
        "travel_pct": decision.coverage.travel,
        "response_due": due.response_due if due else None,
        "resolution_due": due.resolution_due if due else None,
    }


def entitlement_snapshot(decision: Decision, level: ServiceLevelTerms | None, as_of: dt.datetime) -> dict[str, Any]:
    """The decision as JSON: every field of it, plus when it was taken and the winner's level."""
    snapshot: dict[str, Any] = as_json(
        {**as_json(decision), "as_of": as_of, "billable": decision.billable, "service_level": level}
    )
    return snapshot


async def _service_level(
    session: AsyncSession, winner: Candidate | None, priority: Priority
) -> ServiceLevelTerms | None:
    if winner is None:
        return None
    if winner.kind is CoveredBy.WARRANTY:
        level_id = (
            select(WarrantyTerm.service_level_id)
            .join(Warranty, Warranty.term_id == WarrantyTerm.id)
            .where(Warranty.id == winner.id)
            .scalar_subquery()
        )
    else:
        level_id = select(ContractLine.service_level_id).where(ContractLine.id == winner.id).scalar_subquery()
    stmt = (
        select(
            ServiceLevel.id,
            ServiceLevel.code,
            ServiceLevel.name,
            ServiceLevel.calendar_id,
            ServiceLevel.pause_on_customer_wait,
            ServiceLevelTarget.response_minutes,
            ServiceLevelTarget.resolution_minutes,
        )
        .outerjoin(
            ServiceLevelTarget,
            and_(ServiceLevelTarget.service_level_id == ServiceLevel.id, ServiceLevelTarget.priority == priority.value),
        )
        .where(ServiceLevel.id == level_id)
    )
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else ServiceLevelTerms(**row._asdict())


# --- the credit check ---------------------------------------------------------------------


async def _credit(
    session: AsyncSession,
    actor: Principal,
    request: ServiceRequest,
    decision: Decision,
    given_amount: Decimal | None,
    clock: Clock,
) -> tuple[Decimal | None, dict[str, Any], str | None]:
    """The estimated amount, the credit snapshot, and the outcome (None when not checked)."""
    if not decision.billable:
        return given_amount, {"checked": False, "reason": f"not billable: {decision.why}"}, None
    currency = await _credit_currency(session, request.customer_id)
    if given_amount is not None:
        amount: Decimal | None = given_amount
        basis = "given when the call was logged"
    else:
        amount, basis = await _estimate(session, decision, currency)
    if amount is None:
        return None, {"checked": False, "reason": basis, "currency": currency}, None
    # Logging only informs; an override is used up by the scheduling gate, not here.
    result = await run_credit_check(
        session, actor, request.customer_id, amount, currency, request.number, clock=clock, use_overrides=False
    )
    snapshot = {"checked": True, "reference": request.number, "estimate": basis, **as_json(result)}
    return amount, snapshot, result.outcome.value


async def _credit_currency(session: AsyncSession, customer_id: UUID) -> str:
    currency = await session.scalar(select(CreditAccount.currency).where(CreditAccount.customer_id == customer_id))
    return currency or DEFAULT_CURRENCY


async def _estimate(session: AsyncSession, decision: Decision, currency: str) -> tuple[Decimal | None, str]:
    """The documented rule: ESTIMATED_LABOUR_HOURS labour hours at list price, less the labour covered."""
    product = await session.scalar(
        select(Product).where(
            Product.sku == LABOUR_SKU, Product.kind == ProductKind.SERVICE.value, Product.active.is_(True)
        )
    )
    if product is None:
        return None, f"no estimated amount given, and no active labour-hour product {LABOUR_SKU} to estimate from"
    if product.currency != currency:
        return None, (
            f"no estimated amount given, and the labour hour is priced in {product.currency} "
            f"while the customer's credit is kept in {currency}"
        )
    share = (HUNDRED - decision.coverage.labour) / HUNDRED
    amount = (product.list_price * ESTIMATED_LABOUR_HOURS * share).quantize(CENT, rounding=ROUND_HALF_UP)
    basis = (
        f"estimated: {ESTIMATED_LABOUR_HOURS} h of {LABOUR_SKU} at {product.list_price:.2f} {currency}, "
        f"{decision.coverage.labour:.0f}% of labour covered"
    )
    return amount, basis


# --- changing a request -------------------------------------------------------------------


async def update_request(
    session: AsyncSession, actor: Principal, request_id: UUID, data: RequestUpdate, *, clock: Clock = SYSTEM_CLOCK
) -> ServiceRequest:
    request = await get_request(session, actor, request_id)
    check_version("service_request", request, data.version)
    if RequestStatus(request.status) in FINAL_STATUSES:
        raise Conflict(Code.REQUEST_NOT_OPEN, f"request {request.number} is {request.status} and cannot change")
    changes = sent_fields(data)
    if "symptom" in changes:
        changes["symptom"] = _symptom(changes["symptom"])
    if "symptom_code" in changes:
        changes["symptom_code"] = await _symptom_code(session, changes["symptom_code"])
    if changes.get("contact_id") is not None:
        scope = await customer_scope(session, actor)
        await _check_contact(session, scope, request.customer_id, changes["contact_id"])
    if "custom" in changes:
        changes["custom"] = await apply_custom(
            session, actor, CustomEntity.SERVICE_REQUEST, changes["custom"], request.custom
        )
    now = clock.now()
    if "priority" in changes and changes["priority"] != request.priority:
        changes.update(await _reassess(session, actor, request, Priority(changes["priority"]), now))
    if "priority" in changes:
        changes["priority"] = Priority(changes["priority"]).value
    before = audit.snapshot(request)
    apply(request, changes)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(request))
    new.pop("version", None)
    old.pop("version", None)
    if new:
        await record_event(
            session, actor, request, RequestEventKind.UPDATED, at=now, detail={"before": old, "after": new}
        )
        await audit.record(session, actor, "service_request", request.id, "update", before=old, after=new, at=now)
    return request


async def _reassess(
    session: AsyncSession, actor: Principal, request: ServiceRequest, priority: Priority, now: dt.datetime
) -> dict[str, Any]:
    """A new priority means other SLA targets: the check runs again as of the original call."""
    query = EntitlementQuery(
        customer_id=request.customer_id,
        equipment_id=request.equipment_id,
        site_id=request.site_id,
        service_type=ServiceType(request.service_type),
        priority=priority,
        moment=request.reported_at,
    )
    decision = await run_entitlement_check(session, actor, query, now)
    return await _entitlement_columns(session, decision, priority, request.reported_at)


def as_json(value: Any) -> Any:
    """Plain JSON values (lists, not tuples; ISO strings), exactly as the JSON column reads them back."""
    return msgspec.json.decode(msgspec.json.encode(value))


# --- events -------------------------------------------------------------------------------


async def record_event(
    session: AsyncSession,
    actor: Principal,
    request: ServiceRequest,
    kind: RequestEventKind,
    *,
    at: dt.datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: dict[str, Any] | None = None,
) -> ServiceRequestEvent:
    event = ServiceRequestEvent(
        request_id=request.id,
        at=at,
        kind=kind.value,
        actor_name=actor.username,
        from_status=from_status,
        to_status=to_status,
        detail=as_json(detail or {}),
    )
    session.add(event)
    await session.flush()
    return event
