"""Counters on equipment (operating hours, pages, cycles) and their readings.

Readings only go up along time, unless a `reset` or `meter_replacement` is recorded, which
starts a new baseline. A reading may be back-dated: it must then fit between its neighbours.
Readings of one counter are serialized by locking the counter row (PostgreSQL `FOR UPDATE`;
SQLite's single writer lock does the same), so two readings cannot both pass the checks
against a state that one of them is about to change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.domain_events import publish
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.fields import ShortText
from core.listing import Page, PageRequest, paginate
from masterdata.choices import ReadingKind, ReadingSource
from masterdata.errors import Code
from masterdata.events import CounterReadingRecorded
from masterdata.models import Counter, CounterReading
from masterdata.services.equipment import get_equipment

CounterName = Annotated[str, Meta(min_length=1, max_length=60, description="e.g. 'operating hours'")]
CounterUnit = Annotated[str, Meta(min_length=1, max_length=20, description="e.g. 'h', 'pages', 'cycles'")]
AwareDateTime = Annotated[dt.datetime, Meta(tz=True, description="with a UTC offset")]

# Device and tablet clocks run a little ahead; a reading a few seconds "in the future" is not an error.
FUTURE_TOLERANCE = dt.timedelta(minutes=1)
# The column is NUMERIC(18, 3).
MAX_VALUE = Decimal(10) ** 15
DECIMALS = Decimal("0.001")

READINGS_SORTABLE = {"read_at": CounterReading.read_at}


class CounterCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: CounterName
    unit: CounterUnit


class ReadingCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    value: Decimal
    read_at: AwareDateTime | None = None  # default: now
    kind: ReadingKind = ReadingKind.REGULAR
    source: ReadingSource | None = None  # default: manual; customers and technicians get their own
    note: ShortText | None = None


@dataclass(frozen=True, slots=True)
class CounterWithLatest:
    counter: Counter
    latest: CounterReading | None


async def list_counters(session: AsyncSession, principal: Principal, equipment_id: UUID) -> list[CounterWithLatest]:
    equipment = await get_equipment(session, principal, equipment_id)
    counters = (
        await session.scalars(select(Counter).where(Counter.equipment_id == equipment.id).order_by(Counter.name))
    ).all()
    latest = await _latest_readings(session, [c.id for c in counters])
    return [CounterWithLatest(counter=c, latest=latest.get(c.id)) for c in counters]


async def _latest_readings(session: AsyncSession, counter_ids: list[UUID]) -> dict[UUID, CounterReading]:
    if not counter_ids:
        return {}
    rank = func.row_number().over(
        partition_by=CounterReading.counter_id, order_by=(CounterReading.read_at.desc(), CounterReading.id.desc())
    )
    ranked = select(CounterReading, rank.label("rank")).where(CounterReading.counter_id.in_(counter_ids)).subquery()
    reading = aliased(CounterReading, ranked)
    rows = (await session.scalars(select(reading).where(ranked.c.rank == 1))).all()
    return {r.counter_id: r for r in rows}


async def create_counter(session: AsyncSession, actor: Principal, equipment_id: UUID, data: CounterCreate) -> Counter:
    equipment = await get_equipment(session, actor, equipment_id)
    # Case-insensitive, so that "Hours" and "hours" do not become two counters.
    taken = await session.scalar(
        select(Counter.id).where(Counter.equipment_id == equipment.id, func.lower(Counter.name) == data.name.lower())
    )
    if taken is not None:
        raise Conflict(
            Code.DUPLICATE_COUNTER, f"{equipment.serial_number} already has a counter {data.name!r}", field="name"
        )
    counter = Counter(equipment_id=equipment.id, name=data.name, unit=data.unit)
    session.add(counter)
    await session.flush()
    await audit.record(session, actor, "counter", counter.id, "create", after=audit.snapshot(counter))
    return counter


async def get_counter(session: AsyncSession, principal: Principal, equipment_id: UUID, counter_id: UUID) -> Counter:
    equipment = await get_equipment(session, principal, equipment_id)
    counter = await session.scalar(_counter_of(equipment.id, counter_id))
    if counter is None:
        raise NotFound("counter", counter_id)
    return counter


def _counter_of(equipment_id: UUID, counter_id: UUID) -> Select[tuple[Counter]]:
    return select(Counter).where(Counter.id == counter_id, Counter.equipment_id == equipment_id)


async def list_readings(
    session: AsyncSession, principal: Principal, equipment_id: UUID, counter_id: UUID, page: PageRequest
) -> Page[CounterReading]:
    counter = await get_counter(session, principal, equipment_id, counter_id)
    stmt = select(CounterReading).where(CounterReading.counter_id == counter.id)
    return await paginate(
        session,
        stmt,
        page,
        sortable=READINGS_SORTABLE,
        default_sort="-read_at",
        tie_breaker=CounterReading.id.desc(),
    )


async def record_reading(
    session: AsyncSession,
    actor: Principal,
    equipment_id: UUID,
    counter_id: UUID,
    data: ReadingCreate,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> CounterReading:
    equipment = await get_equipment(session, actor, equipment_id)
    _check_value(data.value)
    _check_kind_allowed(actor, data.kind)
    now = clock.now()
    read_at = (data.read_at or now).astimezone(dt.UTC)
    if read_at > now + FUTURE_TOLERANCE:
        raise Invalid(Code.READING_IN_FUTURE, f"read_at {read_at.isoformat()} is in the future", field="read_at")
    counter = await session.scalar(_counter_of(equipment.id, counter_id).with_for_update())
    if counter is None:
        raise NotFound("counter", counter_id)
    await _check_sequence(session, counter, data.value, read_at, data.kind)
    reading = CounterReading(
        counter_id=counter.id,
        value=data.value,
        read_at=read_at,
        source=_source_for(actor, data.source).value,
        kind=data.kind.value,
        recorded_by=actor.username,
        note=data.note,
    )
    session.add(reading)
    await session.flush()
    await audit.record(session, actor, "counter_reading", reading.id, "create", after=audit.snapshot(reading))
    # A reading that reaches a maintenance plan's next threshold orders that visit now, in this
    # transaction (service_mgmt reacts).
    await publish(session, CounterReadingRecorded(counter=counter, reading=reading, clock=clock))
    return reading


def _check_value(value: Decimal) -> None:
    if not value.is_finite() or value < 0 or value >= MAX_VALUE or value != value.quantize(DECIMALS):
        raise Invalid(
            Code.INVALID_READING_VALUE,
            f"value {value} must be a number from 0 to below {MAX_VALUE} with at most 3 decimals",
            field="value",
        )


def _check_kind_allowed(actor: Principal, kind: ReadingKind) -> None:
    # A reset lowers the baseline that usage billing counts from; only service staff record one.
    if actor.is_customer and kind is not ReadingKind.REGULAR:
        raise Forbidden(
            Code.READING_KIND_NOT_ALLOWED, "customers record regular readings; ask service for a reset", field="kind"
        )


def _source_for(actor: Principal, sent: ReadingSource | None) -> ReadingSource:
    if actor.is_customer:
        return ReadingSource.CUSTOMER
    if actor.is_technician:
        return ReadingSource.TECHNICIAN
    return sent or ReadingSource.MANUAL


async def _check_sequence(
    session: AsyncSession, counter: Counter, value: Decimal, read_at: dt.datetime, kind: ReadingKind
) -> None:
    """A regular reading is not below the one before it; no reading is above a later regular one.

    A later reset or meter replacement starts a new baseline, so nothing before it bounds it.
    """
    if kind is ReadingKind.REGULAR:
        previous = await session.scalar(
            select(CounterReading)
            .where(CounterReading.counter_id == counter.id, CounterReading.read_at <= read_at)
            .order_by(CounterReading.read_at.desc(), CounterReading.id.desc())
            .limit(1)
        )
        if previous is not None and value < previous.value:
            raise Invalid(
                Code.READING_BELOW_PREVIOUS,
                f"{counter.name}: value {value} is below the previous reading {previous.value} of "
                f"{previous.read_at.isoformat()}; record a reset if the counter was reset",
                field="value",
                extra={"previous_value": str(previous.value), "previous_read_at": previous.read_at.isoformat()},
            )
    following = await session.scalar(
        select(CounterReading)
        .where(CounterReading.counter_id == counter.id, CounterReading.read_at > read_at)
        .order_by(CounterReading.read_at.asc(), CounterReading.id.asc())
        .limit(1)
    )
    if following is not None and following.kind == ReadingKind.REGULAR.value and value > following.value:
        raise Invalid(
            Code.READING_ABOVE_NEXT,
            f"{counter.name}: value {value} is above the later reading {following.value} of "
            f"{following.read_at.isoformat()}",
            field="value",
            extra={"next_value": str(following.value), "next_read_at": following.read_at.isoformat()},
        )
