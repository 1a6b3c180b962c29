"""Warranty terms, the default term of a product, and the warranty of each serialized unit.

A term limits coverage by months and/or counter units, whichever comes first. Each unit gets
its own warranty with the dates and the counter limit computed when it is granted (the
manufacturer warranty, from the product's default term) or sold (an extended warranty, which
by default follows on from the unit's latest warranty). Coverage percentages and the service
level are read from the term when entitlement is checked.

Products, equipment and counter readings belong to service_mgmt, which this package may not
import; the few facts needed from them are read by table name, as the foreign keys refer to them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from dateutil.relativedelta import relativedelta
from msgspec import Meta
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import ExchangeType, StartBasis, WarrantyKind
from contracts.errors import Code
from contracts.models import ProductWarrantyTerm, ServiceLevel, Warranty, WarrantyTerm
from contracts.services.calendars import RecordCode
from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, Invalid, NotFound
from core.fields import Name, Version
from core.listing import Page, PageRequest, paginate
from masterdata.models import Counter, CounterReading, Equipment, Product
from masterdata.services.visibility import CustomerScope

HUNDRED = Decimal(100)
# counter_units and counter limits are NUMERIC(18, 3)
MAX_COUNTER = Decimal("999999999999999.999")
# Dates outside this range are typing mistakes, and an end date past year 9999 cannot be computed.
EARLIEST_START = dt.date(1900, 1, 1)
LATEST_START = dt.date(2999, 12, 31)

Months = Annotated[int, Meta(ge=1, le=600, description="warranty length in months")]
CounterName = Annotated[str, Meta(min_length=1, max_length=60, description="e.g. operating_hours, pages")]
Percent = Annotated[Decimal, Meta(description="0 to 100, at most two decimals")]
VoidReason = Annotated[str, Meta(min_length=1, max_length=500, description="why the warranty is void")]


class WarrantyTermCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: RecordCode
    name: Name
    duration_months: Months | None = None
    counter_name: CounterName | None = None
    counter_units: Annotated[Decimal | None, Meta(description="coverage ends after this many counter units")] = None
    start_basis: StartBasis = StartBasis.INSTALL_DATE
    labour_pct: Percent
    parts_pct: Percent
    travel_pct: Percent
    exchange_type: ExchangeType = ExchangeType.NONE
    service_level_id: UUID | None = None


class WarrantyTermUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Changes apply to coverage % and service level of existing warranties; their dates stay."""

    version: Version
    code: RecordCode | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    duration_months: Months | msgspec.UnsetType | None = msgspec.UNSET
    counter_name: CounterName | msgspec.UnsetType | None = msgspec.UNSET
    counter_units: Decimal | msgspec.UnsetType | None = msgspec.UNSET
    start_basis: StartBasis | msgspec.UnsetType = msgspec.UNSET
    labour_pct: Percent | msgspec.UnsetType = msgspec.UNSET
    parts_pct: Percent | msgspec.UnsetType = msgspec.UNSET
    travel_pct: Percent | msgspec.UnsetType = msgspec.UNSET
    exchange_type: ExchangeType | msgspec.UnsetType = msgspec.UNSET
    service_level_id: UUID | msgspec.UnsetType | None = msgspec.UNSET


class ProductTermChoice(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    term_id: UUID


class WarrantySale(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    equipment_id: UUID
    term_id: UUID
    starts_on: Annotated[
        dt.date | None, Meta(description="default: the day after the unit's latest warranty ends, or today")
    ] = None
    counter_at_start: Annotated[
        Decimal | None, Meta(description="reading of the term's counter at the start; default: the latest reading")
    ] = None


class WarrantyVoid(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    reason: VoidReason


class WarrantyFilter(msgspec.Struct, kw_only=True):
    equipment_id: UUID | None = None
    customer_id: UUID | None = None
    active_on: dt.date | None = None
    kind: WarrantyKind | None = None


@dataclass(frozen=True, slots=True)
class WarrantyView:
    warranty: Warranty
    term: WarrantyTerm


TERM_SORTABLE = {"code": WarrantyTerm.code, "name": WarrantyTerm.name, "created_at": WarrantyTerm.created_at}
WARRANTY_SORTABLE = {
    "starts_on": Warranty.starts_on,
    "ends_on": Warranty.ends_on,
    "created_at": Warranty.created_at,
}


# --- dates (pure) -------------------------------------------------------------------------


def warranty_start(basis: StartBasis, install_date: dt.date | None, ship_date: dt.date | None) -> dt.date | None:
    return install_date if basis is StartBasis.INSTALL_DATE else ship_date


def warranty_end(starts_on: dt.date, months: int) -> dt.date:
    """The last covered day of a warranty of `months` starting on `starts_on` (both inclusive).

    Normally the day before the same day `months` later (15 Mar + 12 months ends 14 Mar). When
    that day does not exist (31 Jan + 1 month, 29 Feb + 12 months), relativedelta clips to the
    month's last day, and the warranty runs to the end of that month: ending a day earlier
    would shorten it for no reason, and a following warranty then starts on the 1st.
    """
    anniversary: dt.date = starts_on + relativedelta(months=months)
    if anniversary.day != starts_on.day:
        return anniversary
    return anniversary - dt.timedelta(days=1)


def counter_limit(term: WarrantyTerm, reading_at_start: Decimal | None) -> Decimal | None:
    if term.counter_units is None:
        return None
    return (reading_at_start or Decimal(0)) + term.counter_units


# --- warranty terms -----------------------------------------------------------------------


async def get_term(session: AsyncSession, term_id: UUID, *, field: str | None = None) -> WarrantyTerm:
    term = await session.get(WarrantyTerm, term_id)
    if term is None:
        raise NotFound("warranty_term", term_id, field=field)
    return term


async def list_terms(session: AsyncSession, q: str | None, page: PageRequest) -> Page[WarrantyTerm]:
    stmt = select(WarrantyTerm)
    if q:
        pattern = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(WarrantyTerm.code).like(pattern), func.lower(WarrantyTerm.name).like(pattern)))
    return await paginate(session, stmt, page, sortable=TERM_SORTABLE, default_sort="code", tie_breaker=WarrantyTerm.id)


async def create_term(session: AsyncSession, actor: Principal, data: WarrantyTermCreate) -> WarrantyTerm:
    await _check_term_code_free(session, data.code)
    if data.service_level_id is not None:
        await _check_service_level(session, data.service_level_id)
    term = WarrantyTerm(
        code=data.code,
        name=data.name,
        duration_months=data.duration_months,
        counter_name=data.counter_name,
        counter_units=data.counter_units,
        start_basis=data.start_basis.value,
        labour_pct=data.labour_pct,
        parts_pct=data.parts_pct,
        travel_pct=data.travel_pct,
        exchange_type=data.exchange_type.value,
        service_level_id=data.service_level_id,
    )
    _check_term(term)
    session.add(term)
    await session.flush()
    await audit.record(session, actor, "warranty_term", term.id, "create", after=audit.snapshot(term))
    return term


async def update_term(session: AsyncSession, actor: Principal, term_id: UUID, data: WarrantyTermUpdate) -> WarrantyTerm:
    term = await get_term(session, term_id)
    check_version("warranty_term", term, data.version)
    before = audit.snapshot(term)
    changes = sent_fields(data)
    if "code" in changes and changes["code"] != term.code:
        await _check_term_code_free(session, changes["code"])
    if changes.get("service_level_id") is not None:
        await _check_service_level(session, changes["service_level_id"])
    for name in ("start_basis", "exchange_type"):
        if name in changes:
            changes[name] = changes[name].value
    apply(term, changes)
    _check_term(term)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(term))
    await audit.record(session, actor, "warranty_term", term.id, "update", before=old, after=new)
    return term


async def delete_term(session: AsyncSession, actor: Principal, term_id: UUID) -> None:
    term = await get_term(session, term_id)
    dependents = await _term_dependents(session, term.id)
    if dependents:
        listed = ", ".join(f"{count} {name}" for name, count in dependents.items())
        raise Conflict(
            Code.IN_USE, f"warranty term {term.code} is still used by {listed}", extra={"dependents": dependents}
        )
    before = audit.snapshot(term)
    await session.delete(term)
    await session.flush()
    await audit.record(session, actor, "warranty_term", term_id, "delete", before=before)


async def _term_dependents(session: AsyncSession, term_id: UUID) -> dict[str, int]:
    checks: dict[str, Any] = {"products": ProductWarrantyTerm.term_id, "warranties": Warranty.term_id}
    found: dict[str, int] = {}
    for name, reference in checks.items():
        count = await session.scalar(select(func.count()).where(reference == term_id))
        if count:
            found[name] = int(count)
    return found


async def _check_term_code_free(session: AsyncSession, code: str) -> None:
    if await session.scalar(select(WarrantyTerm.id).where(WarrantyTerm.code == code)) is not None:
        raise Conflict(Code.DUPLICATE_CODE, f"a warranty term with code {code!r} exists", field="code")


async def _check_service_level(session: AsyncSession, level_id: UUID) -> None:
    if await session.get(ServiceLevel, level_id) is None:
        raise NotFound("service_level", level_id, field="service_level_id")


def _check_term(term: WarrantyTerm) -> None:
    """The invariants of the merged term, so a PATCH cannot leave it without a limit."""
    if term.duration_months is None and term.counter_units is None:
        raise Invalid(
            Code.TERM_WITHOUT_LIMIT,
            "a warranty term needs duration_months, counter_units, or both (whichever comes first)",
            field="duration_months",
        )
    if (term.counter_units is None) != (term.counter_name is None):
        missing = "counter_name" if term.counter_name is None else "counter_units"
        raise Invalid(Code.COUNTER_NAME_REQUIRED, "send counter_name and counter_units together", field=missing)
    if term.counter_units is not None:
        _check_counter_value(term.counter_units, "counter_units", positive=True)
    for name in ("labour_pct", "parts_pct", "travel_pct"):
        _check_percent(getattr(term, name), name)


def _check_percent(value: Decimal, field: str) -> None:
    if not (value.is_finite() and 0 <= value <= HUNDRED and _decimals(value) <= 2):
        raise Invalid(Code.INVALID_PERCENT, f"{field} must be 0 to 100 with at most two decimals", field=field)


def _check_counter_value(value: Decimal, field: str, *, positive: bool) -> None:
    # is_finite first: comparing a NaN raises instead of answering False.
    in_range = value.is_finite() and (value > 0 if positive else value >= 0) and value <= MAX_COUNTER
    if not (in_range and _decimals(value) <= 3):
        bound = "greater than 0" if positive else "at least 0"
        raise Invalid(Code.INVALID_COUNTER_VALUE, f"{field} must be {bound} with at most three decimals", field=field)


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


# --- product default terms ----------------------------------------------------------------


async def get_product_term(session: AsyncSession, product_id: UUID) -> WarrantyTerm | None:
    await _check_product(session, product_id)
    return await _default_term(session, product_id)


async def set_product_term(session: AsyncSession, actor: Principal, product_id: UUID, term_id: UUID) -> WarrantyTerm:
    await _check_product(session, product_id)
    term = await get_term(session, term_id, field="term_id")
    link = await session.scalar(select(ProductWarrantyTerm).where(ProductWarrantyTerm.product_id == product_id))
    before = {"term_id": link.term_id} if link else None
    if link is None:
        session.add(ProductWarrantyTerm(product_id=product_id, term_id=term.id))
    else:
        link.term_id = term.id
    await session.flush()
    await audit.record(
        session, actor, "product_warranty_term", product_id, "set", before=before, after={"term_id": term.id}
    )
    return term


async def clear_product_term(session: AsyncSession, actor: Principal, product_id: UUID) -> None:
    """Units registered from now on get no manufacturer warranty; existing warranties stay."""
    await _check_product(session, product_id)
    link = await session.scalar(select(ProductWarrantyTerm).where(ProductWarrantyTerm.product_id == product_id))
    if link is None:
        return
    before = {"term_id": link.term_id}
    await session.delete(link)
    await session.flush()
    await audit.record(session, actor, "product_warranty_term", product_id, "clear", before=before)


async def _default_term(session: AsyncSession, product_id: UUID) -> WarrantyTerm | None:
    term: WarrantyTerm | None = await session.scalar(
        select(WarrantyTerm)
        .join(ProductWarrantyTerm, ProductWarrantyTerm.term_id == WarrantyTerm.id)
        .where(ProductWarrantyTerm.product_id == product_id)
    )
    return term


async def _check_product(session: AsyncSession, product_id: UUID) -> None:
    if await session.scalar(select(Product.id).where(Product.id == product_id)) is None:
        raise NotFound("product", product_id)


# --- warranties ---------------------------------------------------------------------------


async def grant_default_warranty(
    session: AsyncSession,
    actor: Principal,
    equipment_id: UUID,
    customer_id: UUID,
    product_id: UUID,
    install_date: dt.date | None,
    ship_date: dt.date | None,
    counter_readings: Mapping[str, Decimal],
) -> Warranty | None:
    """The manufacturer warranty of a newly registered unit, from its product's default term.

    None when the product has no default term or the term's start date is not known yet.
    A unit gets one manufacturer warranty: granting again answers the one it has. A counter
    limit starts from the unit's reading of that counter (0 when it has none: a new unit).
    """
    term = await _default_term(session, product_id)
    if term is None:
        return None
    basis = StartBasis(term.start_basis)
    starts_on = warranty_start(basis, install_date, ship_date)
    if starts_on is None:
        return None
    _check_start(starts_on, basis.value)
    existing = await session.scalar(
        select(Warranty).where(
            Warranty.equipment_id == equipment_id,
            Warranty.kind == WarrantyKind.MANUFACTURER.value,
            Warranty.void.is_(False),
        )
    )
    if existing is not None:
        return existing
    reading = counter_readings.get(term.counter_name) if term.counter_name else None
    warranty = _new_warranty(term, WarrantyKind.MANUFACTURER, equipment_id, customer_id, starts_on, reading)
    session.add(warranty)
    await session.flush()
    await audit.record(session, actor, "warranty", warranty.id, "grant", after=audit.snapshot(warranty))
    return warranty


async def sell_extended_warranty(
    session: AsyncSession, actor: Principal, data: WarrantySale, *, clock: Clock = SYSTEM_CLOCK
) -> WarrantyView:
    """An extended warranty for the unit's owner, by default following on from its latest warranty."""
    customer_id = await _owner_of(session, data.equipment_id, field="equipment_id")
    term = await get_term(session, data.term_id, field="term_id")
    if data.counter_at_start is not None:
        _check_counter_value(data.counter_at_start, "counter_at_start", positive=False)
    starts_on = data.starts_on or await _next_free_day(session, data.equipment_id, clock.now().date())
    _check_start(starts_on, "starts_on")
    reading = data.counter_at_start
    if reading is None and term.counter_name is not None:
        reading = await _latest_reading(session, data.equipment_id, term.counter_name)
    warranty = _new_warranty(term, WarrantyKind.EXTENDED, data.equipment_id, customer_id, starts_on, reading)
    session.add(warranty)
    await session.flush()
    await audit.record(session, actor, "warranty", warranty.id, "sell", after=audit.snapshot(warranty))
    return WarrantyView(warranty, term)


async def void_warranty(session: AsyncSession, actor: Principal, warranty_id: UUID, data: WarrantyVoid) -> WarrantyView:
    """A void warranty covers nothing from now on; it stays listed for the record."""
    view = await get_warranty(session, warranty_id, CustomerScope.everyone())  # staff only (route guard)
    warranty = view.warranty
    check_version("warranty", warranty, data.version)
    if warranty.void:
        raise Conflict(Code.WARRANTY_ALREADY_VOID, "the warranty is void already", field="void")
    warranty.void = True
    await session.flush()
    await audit.record(
        session,
        actor,
        "warranty",
        warranty.id,
        "void",
        before={"void": False},
        after={"void": True, "reason": data.reason},
    )
    return view


def _check_start(starts_on: dt.date, field: str) -> None:
    if not EARLIEST_START <= starts_on <= LATEST_START:
        raise Invalid(
            Code.INVALID_START_DATE,
            f"a warranty must start between {EARLIEST_START.isoformat()} and {LATEST_START.isoformat()}",
            field=field,
        )


def _new_warranty(
    term: WarrantyTerm,
    kind: WarrantyKind,
    equipment_id: UUID,
    customer_id: UUID,
    starts_on: dt.date,
    reading_at_start: Decimal | None,
) -> Warranty:
    limit = counter_limit(term, reading_at_start)
    if limit is not None and limit > MAX_COUNTER:
        raise Invalid(
            Code.INVALID_COUNTER_VALUE,
            f"the counter limit {limit} would exceed {MAX_COUNTER}",
            field="counter_at_start",
        )
    return Warranty(
        equipment_id=equipment_id,
        customer_id=customer_id,
        term_id=term.id,
        kind=kind.value,
        starts_on=starts_on,
        ends_on=warranty_end(starts_on, term.duration_months) if term.duration_months else None,
        counter_name=term.counter_name,
        counter_limit=limit,
        void=False,
    )


async def _next_free_day(session: AsyncSession, equipment_id: UUID, today: dt.date) -> dt.date:
    # A sale never starts in the past: after a lapse, the extension starts today.
    latest = await session.scalar(
        select(func.max(Warranty.ends_on)).where(Warranty.equipment_id == equipment_id, Warranty.void.is_(False))
    )
    return max(latest + dt.timedelta(days=1), today) if latest else today


async def _owner_of(session: AsyncSession, equipment_id: UUID, *, field: str | None = None) -> UUID:
    owner = await session.scalar(select(Equipment.customer_id).where(Equipment.id == equipment_id))
    if owner is None:
        raise NotFound("equipment", equipment_id, field=field)
    return UUID(str(owner))


async def _latest_reading(session: AsyncSession, equipment_id: UUID, counter_name: str) -> Decimal | None:
    value = await session.scalar(
        select(CounterReading.value)
        .join(Counter, Counter.id == CounterReading.counter_id)
        .where(Counter.equipment_id == equipment_id, Counter.name == counter_name)
        .order_by(CounterReading.read_at.desc(), CounterReading.id.desc())
        .limit(1)
    )
    return Decimal(value) if value is not None else None


# --- reading warranties -------------------------------------------------------------------


async def get_warranty(session: AsyncSession, warranty_id: UUID, scope: CustomerScope) -> WarrantyView:
    """A warranty of a customer outside the scope is not found."""
    warranty = await session.get(Warranty, warranty_id)
    if warranty is None or not scope.allows(warranty.customer_id):
        raise NotFound("warranty", warranty_id)
    return WarrantyView(warranty, await get_term(session, warranty.term_id))


async def list_warranties(
    session: AsyncSession, filters: WarrantyFilter, page: PageRequest, scope: CustomerScope
) -> Page[WarrantyView]:
    stmt = select(Warranty)
    stmt = scope.restrict(stmt, Warranty.customer_id)
    if filters.equipment_id is not None:
        stmt = stmt.where(Warranty.equipment_id == filters.equipment_id)
    if filters.customer_id is not None:
        stmt = stmt.where(Warranty.customer_id == filters.customer_id)
    if filters.kind is not None:
        stmt = stmt.where(Warranty.kind == filters.kind.value)
    if filters.active_on is not None:
        day = filters.active_on
        stmt = stmt.where(
            Warranty.void.is_(False),
            Warranty.starts_on <= day,
            or_(Warranty.ends_on.is_(None), Warranty.ends_on >= day),
        )
    found = await paginate(
        session, stmt, page, sortable=WARRANTY_SORTABLE, default_sort="starts_on", tie_breaker=Warranty.id
    )
    views = await _with_terms(session, found.items)
    return Page(items=views, total=found.total, limit=found.limit, offset=found.offset)


async def list_equipment_warranties(
    session: AsyncSession, equipment_id: UUID, scope: CustomerScope
) -> list[WarrantyView]:
    """Every warranty of one unit, oldest first; a unit the caller may not see is not found."""
    owner = await _owner_of(session, equipment_id)
    if not scope.allows(owner):
        raise NotFound("equipment", equipment_id)
    stmt = select(Warranty).where(Warranty.equipment_id == equipment_id)
    stmt = scope.restrict(stmt, Warranty.customer_id)
    rows = (await session.scalars(stmt.order_by(Warranty.starts_on, Warranty.id))).all()
    return await _with_terms(session, rows)


async def _with_terms(session: AsyncSession, warranties: Sequence[Warranty]) -> list[WarrantyView]:
    term_ids = {w.term_id for w in warranties}
    terms = {t.id: t for t in await session.scalars(select(WarrantyTerm).where(WarrantyTerm.id.in_(term_ids)))}
    return [WarrantyView(w, terms[w.term_id]) for w in warranties]
