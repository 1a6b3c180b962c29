"""Response shapes for equipment counters and their readings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec


class ReadingOut(msgspec.Struct, kw_only=True):
    id: UUID
    counter_id: UUID
    value: Decimal
    read_at: dt.datetime
    kind: str
    source: str
    recorded_by: str
    note: str | None
    created_at: dt.datetime


class CounterOut(msgspec.Struct, kw_only=True):
    id: UUID
    equipment_id: UUID
    name: str
    unit: str
    created_at: dt.datetime
    latest_reading: ReadingOut | None


def reading_out(reading: Any) -> ReadingOut:
    return ReadingOut(
        id=reading.id,
        counter_id=reading.counter_id,
        value=reading.value,
        read_at=reading.read_at,
        kind=reading.kind,
        source=reading.source,
        recorded_by=reading.recorded_by,
        note=reading.note,
        created_at=reading.created_at,
    )


def counter_out(counter: Any, latest: Any = None) -> CounterOut:
    return CounterOut(
        id=counter.id,
        equipment_id=counter.equipment_id,
        name=counter.name,
        unit=counter.unit,
        created_at=counter.created_at,
        latest_reading=reading_out(latest) if latest is not None else None,
    )


def counter_with_latest_out(entry: Any) -> CounterOut:
    return counter_out(entry.counter, entry.latest)
