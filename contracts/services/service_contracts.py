"""Service contracts: created in draft, changed while allowed, moved through the status table, renewed.

Only a draft may change its terms and billing plan; a live contract (active or suspended) may
change how it renews (auto_renew, notice_days, renewal_uplift_pct) and its notes; a closed one
only its notes. Statuses move strictly along `CONTRACT_TRANSITIONS`. Renewal creates the
successor and marks the predecessor `renewed`, once (a unique constraint on predecessor_id
backs the check).

Lock order (as everywhere in contracts): contract → line → entitlement usage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import CONTRACT_TRANSITIONS, BillingPeriod, BillingTiming, ContractStatus
from contracts.errors import Code
from contracts.models import ContractLine, ContractLineEquipment, ContractNotice, ContractSuspension, ServiceContract
from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, IllegalTransition, Invalid, NotFound
from core.fields import CurrencyCode, LongText, Name, ShortText, Version
from core.listing import Page, PageRequest, paginate
from core.numbering import next_number
from masterdata.custom_fields.queries import custom_filters, custom_sort_keys
from masterdata.custom_fields.records import CustomView, apply_custom
from masterdata.models import Customer
from masterdata.models.custom_fields import CustomEntity
from masterdata.services.visibility import CustomerScope

# msgspec cannot bound Decimals: ranges and scales are checked by `checked_amount`.
Amount = Annotated[Decimal, msgspec.Meta(description='a decimal of at least 0, as a string: "125.50"')]
Percent = Annotated[Decimal, msgspec.Meta(description='percent from 0 to 100, as a string: "3.5"')]
NoticeDays = Annotated[int, msgspec.Meta(ge=0, le=3650, description="days before the end of the term")]
CounterName = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
Volume = Annotated[Decimal, msgspec.Meta(description='counter units included per billing period: "10000"')]

# Active ISO 4217 codes, without funds, precious metals and testing codes (a contract is not
# billed in gold). The pattern in core.fields only checks the shape.
_ISO_4217_CODES = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU
UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
"""
ISO_4217 = frozenset(_ISO_4217_CODES.split())

TERM_FIELDS = frozenset(
    {
        "name",
        "starts_on",
        "ends_on",
        "currency",
        "fee_amount",
        "billing_period",
        "billing_timing",
        "usage_counter_name",
        "usage_included_volume",
        "usage_unit_price",
    }
)
RENEWAL_FIELDS = frozenset({"auto_renew", "notice_days", "renewal_uplift_pct"})
LIVE = frozenset({ContractStatus.ACTIVE, ContractStatus.SUSPENDED})
USAGE_FIELDS = ("usage_counter_name", "usage_included_volume", "usage_unit_price")
# What a renewal copies of each line: everything but identity and bookkeeping.
LINE_TERMS = (
    "description",
    "site_id",
    "product_family",
    "service_level_id",
    "labour_pct",
    "parts_pct",
    "travel_pct",
    "quota_period",
    "quota_visits",
    "quota_hours",
    "quota_parts_value",
    "excluded_service_types",
)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


class ContractCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    customer_id: UUID
    name: Name
    starts_on: dt.date
    ends_on: dt.date
    currency: CurrencyCode
    fee_amount: Amount = Decimal(0)
    billing_period: BillingPeriod = BillingPeriod.MONTHLY
    billing_timing: BillingTiming = BillingTiming.IN_ADVANCE
    auto_renew: bool = False
    notice_days: NoticeDays = 60
    renewal_uplift_pct: Percent = Decimal(0)
    # Usage billing: all three or none.
    usage_counter_name: CounterName | None = None
    usage_included_volume: Volume | None = None
    usage_unit_price: Amount | None = None
    notes: LongText | None = None
    custom: dict[str, Any] = msgspec.field(default_factory=dict)


class ContractUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    name: Name | msgspec.UnsetType = msgspec.UNSET
    starts_on: dt.date | msgspec.UnsetType = msgspec.UNSET
    ends_on: dt.date | msgspec.UnsetType = msgspec.UNSET
    currency: CurrencyCode | msgspec.UnsetType = msgspec.UNSET
    fee_amount: Amount | msgspec.UnsetType = msgspec.UNSET
    billing_period: BillingPeriod | msgspec.UnsetType = msgspec.UNSET
    billing_timing: BillingTiming | msgspec.UnsetType = msgspec.UNSET
    auto_renew: bool | msgspec.UnsetType = msgspec.UNSET
    notice_days: NoticeDays | msgspec.UnsetType = msgspec.UNSET
    renewal_uplift_pct: Percent | msgspec.UnsetType = msgspec.UNSET
    usage_counter_name: CounterName | msgspec.UnsetType | None = msgspec.UNSET
    usage_included_volume: Volume | msgspec.UnsetType | None = msgspec.UNSET
    usage_unit_price: Amount | msgspec.UnsetType | None = msgspec.UNSET
    notes: LongText | msgspec.UnsetType | None = msgspec.UNSET
    custom: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class ContractTransition(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: ContractStatus
    reason: ShortText | None = None
    version: Version | None = None  # optional here: a transition is checked against the status anyway
    # The day a suspension, resumption or termination takes effect (default: today, UTC).
    # Billing charges no suspended day and nothing after the day a contract was terminated.
    effective_on: dt.date | None = None


class ContractFilter(msgspec.Struct, kw_only=True):
    customer_id: UUID | None = None
    status: ContractStatus | None = None
    ends_before: dt.date | None = None  # ends_on strictly before this day
    custom: dict[str, str] = msgspec.field(default_factory=dict)  # ?custom.<name>=value


class NoticeFilter(msgspec.Struct, kw_only=True):
    contract_id: UUID | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class LineView:
    line: ContractLine
    equipment_ids: list[UUID]


@dataclass(frozen=True, slots=True)
class ContractDetail:
    contract: ServiceContract
    lines: list[LineView]
    successor_id: UUID | None


SORTABLE = {"number": ServiceContract.number, "ends_on": ServiceContract.ends_on}
NOTICE_SORTABLE = {"raised_at": ContractNotice.raised_at, "term_ends_on": ContractNotice.term_ends_on}


# --- reading ----------------------------------------------------------------------------------


async def list_contracts(
    session: AsyncSession,
    filters: ContractFilter,
    page: PageRequest,
    scope: CustomerScope,
    *,
    custom: CustomView | None = None,
) -> Page[ServiceContract]:
    """`custom`: the custom fields the reader may filter and sort on."""
    stmt = select(ServiceContract)
    stmt = scope.restrict(stmt, ServiceContract.customer_id)
    if filters.customer_id:
        stmt = stmt.where(ServiceContract.customer_id == filters.customer_id)
    if filters.status:
        stmt = stmt.where(ServiceContract.status == filters.status.value)
    if filters.ends_before:
        stmt = stmt.where(ServiceContract.ends_on < filters.ends_before)
    definitions = custom.definitions if custom is not None else []
    dialect = session.get_bind().dialect.name
    stmt = stmt.where(*custom_filters(definitions, ServiceContract.custom, filters.custom, dialect))
    sortable = {**SORTABLE, **custom_sort_keys(definitions, ServiceContract.custom, dialect)}
    return await paginate(session, stmt, page, sortable=sortable, default_sort="number", tie_breaker=ServiceContract.id)


async def get_contract(session: AsyncSession, contract_id: UUID, scope: CustomerScope) -> ContractDetail:
    contract = await session.get(ServiceContract, contract_id)
    if contract is None or not scope.allows(contract.customer_id):
        raise NotFound("contract", contract_id)
    return await _detail(session, contract)


async def list_notices(
    session: AsyncSession,
    filters: NoticeFilter,
    page: PageRequest,
    scope: CustomerScope,
) -> Page[ContractNotice]:
    stmt = select(ContractNotice)
    if not scope.is_everyone:
        own = scope.restrict(select(ServiceContract.id), ServiceContract.customer_id)
        stmt = stmt.where(ContractNotice.contract_id.in_(own))
    if filters.contract_id:
        stmt = stmt.where(ContractNotice.contract_id == filters.contract_id)
    if filters.kind:
        stmt = stmt.where(ContractNotice.kind == filters.kind)
    return await paginate(
        session, stmt, page, sortable=NOTICE_SORTABLE, default_sort="-raised_at", tie_breaker=ContractNotice.id
    )


async def _detail(session: AsyncSession, contract: ServiceContract) -> ContractDetail:
    successor_id = await session.scalar(select(ServiceContract.id).where(ServiceContract.predecessor_id == contract.id))
    return ContractDetail(contract, await lines_of(session, contract.id), successor_id)


async def lines_of(session: AsyncSession, contract_id: UUID) -> list[LineView]:
    lines = (
        await session.scalars(
            select(ContractLine).where(ContractLine.contract_id == contract_id).order_by(ContractLine.id)
        )
    ).all()
    listed = await listed_equipment(session, [line.id for line in lines])
    return [LineView(line, listed.get(line.id, [])) for line in lines]


async def listed_equipment(session: AsyncSession, line_ids: list[UUID]) -> dict[UUID, list[UUID]]:
    if not line_ids:
        return {}
    rows = await session.execute(
        select(ContractLineEquipment.line_id, ContractLineEquipment.equipment_id)
        .where(ContractLineEquipment.line_id.in_(line_ids))
        .order_by(ContractLineEquipment.equipment_id)
    )
    listed: dict[UUID, list[UUID]] = {}
    for line_id, equipment_id in rows:
        listed.setdefault(line_id, []).append(equipment_id)
    return listed


async def count_lines(session: AsyncSession, contract_id: UUID) -> int:
    return int(await session.scalar(select(func.count()).where(ContractLine.contract_id == contract_id)) or 0)


# --- creating and changing ------------------------------------------------------------------


async def create_contract(session: AsyncSession, actor: Principal, data: ContractCreate) -> ContractDetail:
    if await session.scalar(select(Customer.id).where(Customer.id == data.customer_id)) is None:
        raise NotFound("customer", data.customer_id, field="customer_id")
    contract = ServiceContract(
        number=await next_number(session, "contract"),
        status=ContractStatus.DRAFT.value,
        **{name: getattr(data, name) for name in data.__struct_fields__ if name != "custom"},
        custom=await apply_custom(session, actor, CustomEntity.CONTRACT, data.custom, None),
    )
    _check_contract(contract)
    session.add(contract)
    await session.flush()
    await audit.record(session, actor, "contract", contract.id, "create", after=audit.snapshot(contract))
    return ContractDetail(contract, [], None)


async def update_contract(
    session: AsyncSession, actor: Principal, contract_id: UUID, data: ContractUpdate
) -> ContractDetail:
    contract = await locked_contract(session, contract_id)
    check_version("contract", contract, data.version)
    changes = sent_fields(data)
    if "custom" in changes:
        changes["custom"] = await apply_custom(
            session, actor, CustomEntity.CONTRACT, changes["custom"], contract.custom
        )
    _check_changeable(contract, changes)
    before = audit.snapshot(contract)
    apply(contract, changes)
    _check_contract(contract)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(contract))
    await audit.record(session, actor, "contract", contract.id, "update", before=old, after=new)
    return await _detail(session, contract)


async def locked_contract(session: AsyncSession, contract_id: UUID) -> ServiceContract:
    """The contract, row-locked for the rest of the transaction (first in the lock order)."""
    contract = await session.get(ServiceContract, contract_id, with_for_update=True, populate_existing=True)
    if contract is None:
        raise NotFound("contract", contract_id)
    return contract


def _check_changeable(contract: ServiceContract, changes: dict[str, Any]) -> None:
    status = ContractStatus(contract.status)
    if status is ContractStatus.DRAFT:
        return
    # notes and custom fields describe the contract, not its terms: they change in any status
    allowed = RENEWAL_FIELDS | {"notes", "custom"} if status in LIVE else frozenset({"notes", "custom"})
    refused = sorted(
        name for name, value in changes.items() if name not in allowed and getattr(contract, name) != value
    )
    if refused:
        raise Conflict(
            Code.CONTRACT_NOT_EDITABLE,
            f"a {status.value} contract cannot change {', '.join(refused)}"
            + ("; only a draft changes its terms and billing plan" if status in LIVE else ""),
            field=refused[0],
            extra={"current_status": status.value, "changeable": sorted(allowed)},
        )


def _check_contract(contract: ServiceContract) -> None:
    if contract.ends_on < contract.starts_on:
        raise Invalid(Code.ENDS_BEFORE_STARTS, "ends_on must not be before starts_on", field="ends_on")
    if contract.currency not in ISO_4217:
        raise Invalid(Code.INVALID_CURRENCY, f"{contract.currency} is not an ISO 4217 currency", field="currency")
    contract.fee_amount = checked_amount(contract.fee_amount, "fee_amount", places=2, digits=14)
    contract.renewal_uplift_pct = checked_percent(contract.renewal_uplift_pct, "renewal_uplift_pct")
    _check_usage(contract)


def _check_usage(contract: ServiceContract) -> None:
    present = [name for name in USAGE_FIELDS if getattr(contract, name) is not None]
    if present and len(present) < len(USAGE_FIELDS):
        missing = [name for name in USAGE_FIELDS if name not in present]
        raise Invalid(
            Code.USAGE_INCOMPLETE,
            f"usage billing needs {', '.join(USAGE_FIELDS)} together; missing {', '.join(missing)}",
            field=missing[0],
        )
    if contract.usage_included_volume is not None:
        contract.usage_included_volume = checked_amount(
            contract.usage_included_volume, "usage_included_volume", places=3, digits=18
        )
    if contract.usage_unit_price is not None:
        contract.usage_unit_price = checked_amount(contract.usage_unit_price, "usage_unit_price", places=6, digits=14)


def checked_percent(value: Decimal, field: str) -> Decimal:
    return checked_amount(value, field, places=2, digits=5, maximum=HUNDRED)


def checked_amount(value: Decimal, field: str, *, places: int, digits: int, maximum: Decimal | None = None) -> Decimal:
    """The amount if its column (NUMERIC(digits, places)) stores it exactly, else 422."""
    if not value.is_finite() or value < 0:
        raise Invalid(Code.INVALID_AMOUNT, f"{field} must be a number of at least 0", field=field)
    if maximum is not None and value > maximum:
        raise Invalid(Code.INVALID_AMOUNT, f"{field} may be at most {maximum}", field=field)
    limit = Decimal(10) ** (digits - places)
    if value >= limit:
        raise Invalid(Code.INVALID_AMOUNT, f"{field} must be below {limit}", field=field)
    stored = value.quantize(Decimal(1).scaleb(-places))
    if stored != value:
        raise Invalid(Code.INVALID_AMOUNT, f"{field} may have at most {places} decimal places", field=field)
    return stored.copy_abs()  # "-0" is a valid zero; store it without the sign


# --- status ------------------------------------------------------------------------------------


async def transition_contract(
    session: AsyncSession, actor: Principal, contract_id: UUID, data: ContractTransition, *, clock: Clock = SYSTEM_CLOCK
) -> ContractDetail:
    contract = await locked_contract(session, contract_id)
    if data.version is not None:
        check_version("contract", contract, data.version)
    current, target = ContractStatus(contract.status), data.status
    if target not in CONTRACT_TRANSITIONS[current]:
        raise IllegalTransition("contract", current.value, target.value)
    if target is ContractStatus.RENEWED:
        raise Invalid(
            Code.USE_RENEWAL,
            "a contract becomes renewed only by renewing it, which creates its successor",
            field="status",
        )
    reason = (data.reason or "").strip() or None
    if target is ContractStatus.ACTIVE and not await count_lines(session, contract.id):
        raise Conflict(
            Code.CONTRACT_WITHOUT_LINES,
            f"contract {contract.number} has no lines; add what it covers before activating it",
            extra={"current_status": current.value},
        )
    if target is ContractStatus.SUSPENDED and reason is None:
        raise Invalid(Code.REASON_REQUIRED, "suspending a contract needs a reason", field="reason")
    effective_on = _effective_day(contract, data.effective_on, clock)
    await _record_billing_dates(session, contract, current, target, effective_on, reason)
    await _set_status(session, actor, contract, target, None if target is ContractStatus.ACTIVE else reason)
    return await _detail(session, contract)


def _effective_day(contract: ServiceContract, given: dt.date | None, clock: Clock) -> dt.date:
    if given is None:
        return clock.now().date()
    if given > contract.ends_on + dt.timedelta(days=1) or given < contract.starts_on:
        raise Invalid(
            Code.INVALID_EFFECTIVE_DATE,
            f"the change must take effect within the term ({contract.starts_on.isoformat()} to"
            f" {contract.ends_on.isoformat()})",
            field="effective_on",
        )
    return given


async def _record_billing_dates(
    session: AsyncSession,
    contract: ServiceContract,
    current: ContractStatus,
    target: ContractStatus,
    effective_on: dt.date,
    reason: str | None,
) -> None:
    """Suspended stretches and the termination day: what billing needs to charge the right days."""
    if current is ContractStatus.SUSPENDED:
        open_suspension = await session.scalar(
            select(ContractSuspension)
            .where(ContractSuspension.contract_id == contract.id, ContractSuspension.resumed_on.is_(None))
            .order_by(ContractSuspension.suspended_from.desc())
            .limit(1)
        )
        if open_suspension is not None:
            open_suspension.resumed_on = max(effective_on, open_suspension.suspended_from)
    if target is ContractStatus.SUSPENDED:
        session.add(ContractSuspension(contract_id=contract.id, suspended_from=effective_on, reason=reason or ""))
    if target is ContractStatus.TERMINATED:
        # Terminated "on" a day: that day is the last one served (and billed).
        contract.terminated_on = min(effective_on, contract.ends_on)
    # No flush here: the status change flushes it all, so the contract's version moves once.


async def _set_status(
    session: AsyncSession, actor: Principal, contract: ServiceContract, target: ContractStatus, reason: str | None
) -> None:
    before = {"status": contract.status, "status_reason": contract.status_reason}
    contract.status = target.value
    contract.status_reason = reason
    await session.flush()
    after = {"status": contract.status, "status_reason": contract.status_reason}
    await audit.record(session, actor, "contract", contract.id, "transition", before=before, after=after)


# --- renewal -----------------------------------------------------------------------------------


async def renew(session: AsyncSession, actor: Principal, contract_id: UUID, today: dt.date) -> ContractDetail:
    """Create the successor (next term, uplifted fee, same lines) and mark this contract renewed.

    The successor is active when the predecessor is, else a draft to review. An expired
    contract whose next term would already be over by `today` is not renewed: make a new one.
    """
    contract = await locked_contract(session, contract_id)
    await _check_renewable(session, contract)
    starts_on, ends_on = successor_term(contract.starts_on, contract.ends_on)
    if contract.status == ContractStatus.EXPIRED and ends_on < today:
        raise Invalid(
            Code.RENEWAL_TERM_OVER,
            f"the next term of {contract.number} ({starts_on.isoformat()} to {ends_on.isoformat()}) is already over;"
            " create a new contract instead",
            field="ends_on",
        )
    successor = _successor(contract, starts_on, ends_on)
    successor.number = await next_number(session, "contract")
    session.add(successor)
    await session.flush()
    await _copy_lines(session, contract.id, successor.id)
    await audit.record(session, actor, "contract", successor.id, "create", after=audit.snapshot(successor))
    await _set_status(session, actor, contract, ContractStatus.RENEWED, f"renewed by {successor.number}")
    return await _detail(session, successor)


async def _check_renewable(session: AsyncSession, contract: ServiceContract) -> None:
    successor = await session.scalar(select(ServiceContract).where(ServiceContract.predecessor_id == contract.id))
    if contract.status == ContractStatus.RENEWED or successor is not None:
        raise Conflict(
            Code.CONTRACT_ALREADY_RENEWED,
            f"contract {contract.number} was already renewed"
            + (f" by {successor.number}" if successor is not None else ""),
            extra={"successor_id": str(successor.id) if successor is not None else None},
        )
    current = ContractStatus(contract.status)
    if ContractStatus.RENEWED not in CONTRACT_TRANSITIONS[current]:
        raise IllegalTransition("contract", current.value, ContractStatus.RENEWED.value)


def successor_term(starts_on: dt.date, ends_on: dt.date) -> tuple[dt.date, dt.date]:
    """The next term: from the day after the end, as long as this one.

    A term of whole months stays whole months (2025-01-01…2025-12-31 is followed by
    2026-01-01…2026-12-31, whatever the leap years); any other term keeps its number of days.
    """
    next_start = ends_on + dt.timedelta(days=1)
    span = relativedelta(next_start, starts_on)
    if span.days == 0:
        months = span.years * 12 + span.months
        next_end: dt.date = next_start + relativedelta(months=months) - dt.timedelta(days=1)
        return next_start, next_end
    return next_start, next_start + (ends_on - starts_on)


async def _copy_lines(session: AsyncSession, source_id: UUID, target_id: UUID) -> None:
    for view in await lines_of(session, source_id):
        terms = {name: getattr(view.line, name) for name in LINE_TERMS}
        line = ContractLine(contract_id=target_id, **terms)
        line.excluded_service_types = list(view.line.excluded_service_types)  # not shared with the original
        session.add(line)
        await session.flush()
        session.add_all(ContractLineEquipment(line_id=line.id, equipment_id=unit) for unit in view.equipment_ids)
    await session.flush()


def uplifted(fee: Decimal, uplift_pct: Decimal) -> Decimal:
    return (fee * (1 + uplift_pct / HUNDRED)).quantize(CENT, rounding=ROUND_HALF_UP)


def _successor(contract: ServiceContract, starts_on: dt.date, ends_on: dt.date) -> ServiceContract:
    live = contract.status == ContractStatus.ACTIVE
    return ServiceContract(
        customer_id=contract.customer_id,
        name=contract.name,
        status=(ContractStatus.ACTIVE if live else ContractStatus.DRAFT).value,
        starts_on=starts_on,
        ends_on=ends_on,
        auto_renew=contract.auto_renew,
        notice_days=contract.notice_days,
        renewal_uplift_pct=contract.renewal_uplift_pct,
        predecessor_id=contract.id,
        currency=contract.currency,
        fee_amount=uplifted(contract.fee_amount, contract.renewal_uplift_pct),
        billing_period=contract.billing_period,
        billing_timing=contract.billing_timing,
        usage_counter_name=contract.usage_counter_name,
        usage_included_volume=contract.usage_included_volume,
        usage_unit_price=contract.usage_unit_price,
        notes=contract.notes,
        custom=dict(contract.custom),  # a renewal carries the contract's custom values on
    )
