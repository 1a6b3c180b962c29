"""Counters on equipment (operating hours, pages, cycles) and their readings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity, sql_in
from masterdata.choices import ReadingKind, ReadingSource


class Counter(Entity):
    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("equipment_id", "name", name="uq_counters_equipment_name"),)

    equipment_id: Mapped[UUID] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    unit: Mapped[str] = mapped_column(String(20))


class CounterReading(Entity):
    __tablename__ = "counter_readings"
    __table_args__ = (
        CheckConstraint(f"kind IN {sql_in(ReadingKind)}", name="kind_valid"),
        CheckConstraint(f"source IN {sql_in(ReadingSource)}", name="source_valid"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        Index("ix_counter_readings_counter_read_at", "counter_id", "read_at"),
    )

    counter_id: Mapped[UUID] = mapped_column(ForeignKey("counters.id", ondelete="RESTRICT"))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    read_at: Mapped[dt.datetime]
    source: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(20), default=ReadingKind.REGULAR.value)
    recorded_by: Mapped[str] = mapped_column(String(150))
    note: Mapped[str | None] = mapped_column(String(500))
