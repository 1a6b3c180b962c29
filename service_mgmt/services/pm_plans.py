"""Preventive maintenance plans: created, read, changed (versioned) and deactivated.

A plan is for one unit (`equipment_id`) or for every unit a contract line covers
(`contract_line_id`): listed on the line, standing at its site, or of its product family, and
owned by the contract's customer — the same reading of a line as the entitlement rule's
(`contracts.entitlement_rule._covers`, with `_LINES` keeping to the contract's customer), done
here in SQL because the installed base is this package's. Units join and leave a line plan as
the line and the installed base change; calls are generated per unit (`pm_calls`).

Who: planners and admins manage every plan, contract admins the plans on contract lines;
staff read; a customer reads the plans of its own units and contracts (others answer 404).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import ContractStatus, Priority
from contracts.models import ContractLine, ContractLineEquipment, ServiceContract
from core import audit
from core.auth import Principal, Role
from core.editing import apply, check_version, sent_fields
from core.errors import Forbidden, Invalid, NotFound
from core.fields import Name, Version
from core.listing import Page, PageRequest, paginate
from core.numbering import next_number
from masterdata.choices import EquipmentStatus
from masterdata.models import Counter, Equipment, Product, Site
from masterdata.services.visibility import customer_scope
from service_mgmt.errors import Code
from service_mgmt.models import PmPlan
from service_mgmt.services.job_templates import find_template

Months = Annotated[int, Meta(ge=1, le=120, description="every N months")]
CounterUnits = Annotated[Decimal, Meta(description='every N counter units, as a string: "500" or "2.5"')]
CounterName = Annotated[str, Meta(min_length=1, max_length=60, description="the counter of each unit, by name")]
HorizonDays = Annotated[int, Meta(ge=0, le=365, description="generate calls this many days before they fall due")]

# Only units that stand in the field get maintenance calls.
SERVICEABLE = frozenset({EquipmentStatus.IN_SERVICE.value, EquipmentStatus.UNDER_REPAIR.value})
# A line of a contract that has ended gets no new plan (a draft may: plans are set up before go-live).
PLANNABLE_CONTRACTS = frozenset({ContractStatus.DRAFT.value, ContractStatus.ACTIVE.value})
PLAN_MANAGERS = frozenset({Role.ADMIN, Role.PLANNER})
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
MAX_UNITS = Decimal(10) ** 15  # NUMERIC(18, 3)
DECIMALS = Decimal("0.001")


class PmPlanCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """For one unit (`equipment_id`) or every unit of a contract line (`contract_line_id`).

    Every `interval_months` and/or every `interval_units` of the counter `counter_name`,
    whichever comes first.
    """

    name: Name
    equipment_id: UUID | None = None
    contract_line_id: UUID | None = None
    template_id: UUID
    interval_months: Months | None = None
    interval_units: CounterUnits | None = None
    counter_name: CounterName | None = None
    call_horizon_days: HorizonDays = 14
    starts_on: dt.date
    ends_on: dt.date | None = None
    priority: Priority = Priority.P4


class PmPlanUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What a plan is for stays; the rest may change (calls already made stay as they are)."""

    version: Version
    name: Name | msgspec.UnsetType = msgspec.UNSET
    template_id: UUID | msgspec.UnsetType = msgspec.UNSET
    interval_months: Months | None | msgspec.UnsetType = msgspec.UNSET
    interval_units: CounterUnits | None | msgspec.UnsetType = msgspec.UNSET
    counter_name: CounterName | None | msgspec.UnsetType = msgspec.UNSET
    call_horizon_days: HorizonDays | msgspec.UnsetType = msgspec.UNSET
    starts_on: dt.date | msgspec.UnsetType = msgspec.UNSET
    ends_on: dt.date | None | msgspec.UnsetType = msgspec.UNSET
    priority: Priority | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class PmPlanDeactivate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version | None = None  # optional: deactivating twice changes nothing


class PmPlanFilter(msgspec.Struct, kw_only=True):
    equipment_id: UUID | None = None
    contract_line_id: UUID | None = None
    customer_id: UUID | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit a plan covers, with what a call for it needs."""

    id: UUID
    serial_number: str
    customer_id: UUID
    site_id: UUID | None
    time_zone: str
    status: str


SORTABLE = {"number": PmPlan.number, "name": PmPlan.name, "starts_on": PmPlan.starts_on}

# The customer a plan belongs to: its unit's owner, or its line's contract's customer.
_unit_owner = select(Equipment.customer_id).where(Equipment.id == PmPlan.equipment_id).scalar_subquery()
_line_owner = (
    select(ServiceContract.customer_id)
    .join(ContractLine, ContractLine.contract_id == ServiceContract.id)
    .where(ContractLine.id == PmPlan.contract_line_id)
    .scalar_subquery()
)
PLAN_CUSTOMER = func.coalesce(_unit_owner, _line_owner)


# --- reading ---------------------------------------------------------------------------------


async def find_plan(session: AsyncSession, principal: Principal, plan_id: UUID, *, lock: bool = False) -> PmPlan:
    """The plan if the principal may see it (customers: of their own units and contracts), else 404."""
    plan = await session.get(PmPlan, plan_id, with_for_update=lock or None)
    if plan is None:
        raise NotFound("pm_plan", plan_id)
    scope = await customer_scope(session, principal)
    if not scope.is_everyone and not scope.allows(await plan_customer(session, plan)):
        raise NotFound("pm_plan", plan_id)
    return plan


async def plan_customer(session: AsyncSession, plan: PmPlan) -> UUID:
    customer = await session.scalar(select(PLAN_CUSTOMER).where(PmPlan.id == plan.id))
    assert customer is not None  # foreign keys hold
    return UUID(str(customer))


async def list_plans(
    session: AsyncSession, principal: Principal, filters: PmPlanFilter, page: PageRequest
) -> Page[PmPlan]:
    stmt = select(PmPlan)
    scope = await customer_scope(session, principal)
    stmt = scope.restrict(stmt, PLAN_CUSTOMER)
    if filters.customer_id is not None:
        stmt = stmt.where(PLAN_CUSTOMER.in_([filters.customer_id]))
    if filters.equipment_id is not None:
        stmt = stmt.where(PmPlan.equipment_id == filters.equipment_id)
    if filters.contract_line_id is not None:
        stmt = stmt.where(PmPlan.contract_line_id == filters.contract_line_id)
    if filters.active is not None:
        stmt = stmt.where(PmPlan.active.is_(filters.active))
    return await paginate(session, stmt, page, sortable=SORTABLE, default_sort="number", tie_breaker=PmPlan.id)


# --- the units a plan covers -----------------------------------------------------------------


def line_covers_unit() -> ColumnElement[bool]:
    """A contract line (joined with its contract) covers an equipment row (joined with its product).

    As the entitlement rule reads a line: a listed unit, any unit at the line's site, any unit
    of its product family — of the contract's own customer.
    """
    listed = exists().where(
        ContractLineEquipment.line_id == ContractLine.id, ContractLineEquipment.equipment_id == Equipment.id
    )
    return and_(
        ServiceContract.customer_id == Equipment.customer_id,
        or_(
            listed,
            and_(ContractLine.site_id.is_not(None), ContractLine.site_id == Equipment.site_id),
            and_(ContractLine.product_family.is_not(None), ContractLine.product_family == Product.family),
        ),
    )


_UNIT_COLUMNS = (
    Equipment.id,
    Equipment.serial_number,
    Equipment.customer_id,
    Equipment.site_id,
    func.coalesce(Site.time_zone, "UTC").label("time_zone"),
    Equipment.status,
)


def _unit(row: Any) -> Unit:
    return Unit(row.id, row.serial_number, row.customer_id, row.site_id, row.time_zone, row.status)


async def covered_units(session: AsyncSession, plan: PmPlan) -> list[Unit]:
    """Every unit the plan is for, whatever its status (callers decide what to skip)."""
    stmt = select(*_UNIT_COLUMNS).select_from(Equipment).outerjoin(Site, Site.id == Equipment.site_id)
    if plan.equipment_id is not None:
        stmt = stmt.where(Equipment.id == plan.equipment_id)
    else:
        stmt = (
            stmt.join(Product, Product.id == Equipment.product_id)
            .join(ContractLine, ContractLine.id == plan.contract_line_id)
            .join(ServiceContract, ServiceContract.id == ContractLine.contract_id)
            .where(line_covers_unit())
        )
    rows = await session.execute(stmt.order_by(Equipment.serial_number, Equipment.id))
    return [_unit(row) for row in rows]


async def unit_facts(session: AsyncSession, equipment_id: UUID) -> Unit | None:
    stmt = (
        select(*_UNIT_COLUMNS)
        .select_from(Equipment)
        .outerjoin(Site, Site.id == Equipment.site_id)
        .where(Equipment.id == equipment_id)
    )
    row = (await session.execute(stmt)).one_or_none()
    return _unit(row) if row is not None else None


async def plan_contract(session: AsyncSession, plan: PmPlan) -> ServiceContract | None:
    """The contract of a line plan (None for a plan on one unit)."""
    if plan.contract_line_id is None:
        return None
    contract: ServiceContract | None = await session.scalar(
        select(ServiceContract)
        .join(ContractLine, ContractLine.contract_id == ServiceContract.id)
        .where(ContractLine.id == plan.contract_line_id)
    )
    return contract


def contract_in_force(contract: ServiceContract | None, day: dt.date) -> bool:
    """A unit plan needs no contract; a line plan's contract is active and runs on that day."""
    if contract is None:
        return True
    return contract.status == ContractStatus.ACTIVE.value and contract.starts_on <= day <= contract.ends_on


# --- creating and changing -------------------------------------------------------------------


async def create_plan(session: AsyncSession, actor: Principal, data: PmPlanCreate) -> PmPlan:
    if data.equipment_id is not None and data.contract_line_id is not None:
        raise Invalid(
            Code.ONE_OBJECT_ONLY, "a plan is for one unit or one contract line, not both", field="contract_line_id"
        )
    if data.equipment_id is None and data.contract_line_id is None:
        raise Invalid(Code.OBJECT_REQUIRED, "give equipment_id or contract_line_id", field="equipment_id")
    _check_manager(actor, for_line=data.contract_line_id is not None)
    plan = PmPlan(
        name=data.name,
        equipment_id=data.equipment_id,
        contract_line_id=data.contract_line_id,
        template_id=data.template_id,
        interval_months=data.interval_months,
        interval_units=data.interval_units,
        counter_name=data.counter_name,
        call_horizon_days=data.call_horizon_days,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        priority=data.priority.value,
        active=True,
    )
    await _check_plan(session, plan, changed=frozenset(data.__struct_fields__))
    plan.number = await next_number(session, "pm_plan")
    session.add(plan)
    await session.flush()
    await audit.record(session, actor, "pm_plan", plan.id, "create", after=audit.snapshot(plan))
    return plan


async def update_plan(session: AsyncSession, actor: Principal, plan_id: UUID, data: PmPlanUpdate) -> PmPlan:
    plan = await find_plan(session, actor, plan_id, lock=True)
    _check_manager(actor, for_line=plan.contract_line_id is not None)
    check_version("pm_plan", plan, data.version)
    changes = sent_fields(data)
    if "priority" in changes:
        changes["priority"] = changes["priority"].value
    before = audit.snapshot(plan)
    # Checked on the plan as it would be, without the ORM flushing a half-checked state.
    with session.no_autoflush:
        apply(plan, changes)
        await _check_plan(session, plan, changed=frozenset(changes))
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(plan))
    await audit.record(session, actor, "pm_plan", plan.id, "update", before=old, after=new)
    return plan


async def deactivate_plan(session: AsyncSession, actor: Principal, plan_id: UUID, data: PmPlanDeactivate) -> PmPlan:
    """No more calls from this plan; the calls and work orders it made stay."""
    plan = await find_plan(session, actor, plan_id, lock=True)
    _check_manager(actor, for_line=plan.contract_line_id is not None)
    if data.version is not None:
        check_version("pm_plan", plan, data.version)
    if plan.active:
        plan.active = False
        await session.flush()
        await audit.record(
            session, actor, "pm_plan", plan.id, "deactivate", before={"active": True}, after={"active": False}
        )
    return plan


def _check_manager(actor: Principal, *, for_line: bool) -> None:
    if actor.role in PLAN_MANAGERS or (actor.role is Role.CONTRACT_ADMIN and for_line):
        return
    if actor.role is Role.CONTRACT_ADMIN:
        raise Forbidden(
            Code.LINE_PLANS_ONLY, "contract admins manage plans on contract lines only", field="equipment_id"
        )
    raise Forbidden("role_not_allowed", "planners and admins manage maintenance plans")


async def _check_plan(session: AsyncSession, plan: PmPlan, *, changed: frozenset[str]) -> None:
    """The whole plan is checked, but references only where they changed (an old template that
    was retired since does not block renaming the plan)."""
    _check_intervals(plan)
    _check_dates(plan)
    if "template_id" in changed:
        template = await find_template(session, plan.template_id, field="template_id")
        if not template.active:
            raise Invalid(Code.TEMPLATE_INACTIVE, f"job template {template.code} is inactive", field="template_id")
    if plan.equipment_id is not None and changed & {"equipment_id", "counter_name", "interval_units"}:
        await _check_unit(session, plan)
    if plan.contract_line_id is not None and "contract_line_id" in changed:
        await _check_line(session, plan.contract_line_id)


def _check_intervals(plan: PmPlan) -> None:
    if plan.interval_months is None and plan.interval_units is None:
        raise Invalid(Code.INTERVAL_REQUIRED, "give interval_months, interval_units or both", field="interval_months")
    units = plan.interval_units
    if units is not None:
        if not units.is_finite() or units <= 0 or units >= MAX_UNITS or units != units.quantize(DECIMALS):
            raise Invalid(
                Code.INVALID_INTERVAL,
                f"interval_units must be above 0 and below {MAX_UNITS}, with at most 3 decimals",
                field="interval_units",
            )
        if plan.counter_name is None:
            raise Invalid(
                Code.COUNTER_NAME_REQUIRED, "interval_units needs the counter_name it counts on", field="counter_name"
            )
    elif plan.counter_name is not None:
        raise Invalid(
            Code.COUNTER_NAME_WITHOUT_UNITS, "counter_name is used with interval_units only", field="counter_name"
        )


def _check_dates(plan: PmPlan) -> None:
    for name in ("starts_on", "ends_on"):
        day = getattr(plan, name)
        if day is not None and not EARLIEST <= day <= LATEST:
            raise Invalid(Code.DATE_OUT_OF_RANGE, f"{name} must lie between {EARLIEST} and {LATEST}", field=name)
    if plan.ends_on is not None and plan.ends_on < plan.starts_on:
        raise Invalid(Code.ENDS_BEFORE_STARTS, "ends_on is before starts_on", field="ends_on")


async def _check_unit(session: AsyncSession, plan: PmPlan) -> None:
    unit = await session.get(Equipment, plan.equipment_id)
    if unit is None:
        raise NotFound("equipment", plan.equipment_id, field="equipment_id")
    if plan.counter_name is None:
        return
    counter = await session.scalar(
        select(Counter.id).where(Counter.equipment_id == unit.id, func.lower(Counter.name) == plan.counter_name.lower())
    )
    if counter is None:
        raise Invalid(
            Code.COUNTER_NOT_ON_UNIT,
            f"{unit.serial_number} has no counter {plan.counter_name!r}; add it to the unit first",
            field="counter_name",
        )


async def _check_line(session: AsyncSession, line_id: UUID) -> None:
    status = await session.scalar(
        select(ServiceContract.status)
        .join(ContractLine, ContractLine.contract_id == ServiceContract.id)
        .where(ContractLine.id == line_id)
    )
    if status is None:
        raise NotFound("contract_line", line_id, field="contract_line_id")
    if status not in PLANNABLE_CONTRACTS:
        raise Invalid(
            Code.CONTRACT_NOT_IN_FORCE,
            f"the line's contract is {status}; plans are made for draft or active contracts",
            field="contract_line_id",
        )
