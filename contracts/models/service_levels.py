"""Coverage calendars and service levels (response / resolution targets per priority)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contracts.choices import Priority
from core.db import Entity, VersionedEntity, sql_in


class CoverageCalendarRecord(VersionedEntity):
    """Weekly hours in a time zone, public holidays of a region, custom closure days.

    `time_zone` may be empty: the calendar then runs in the time zone of the site served.
    """

    __tablename__ = "coverage_calendars"
    __table_args__ = (UniqueConstraint("code", name="uq_coverage_calendars_code"),)

    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # [{"weekday": 0, "start": "08:00", "end": "17:00"}, ...]; "24:00" ends a day
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    holiday_country: Mapped[str | None] = mapped_column(String(2))
    holiday_subdivision: Mapped[str | None] = mapped_column(String(10))
    closures: Mapped[list[str]] = mapped_column(JsonB, default=list)  # ISO dates


class ServiceLevel(VersionedEntity):
    __tablename__ = "service_levels"
    __table_args__ = (UniqueConstraint("code", name="uq_service_levels_code"),)

    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    calendar_id: Mapped[UUID] = mapped_column(ForeignKey("coverage_calendars.id", ondelete="RESTRICT"), index=True)
    # The SLA clock stops while a request waits for the customer (parts approval, access).
    pause_on_customer_wait: Mapped[bool] = mapped_column(default=True)


class ServiceLevelTarget(Entity):
    __tablename__ = "service_level_targets"
    __table_args__ = (
        UniqueConstraint("service_level_id", "priority", name="uq_service_level_targets_level_priority"),
        CheckConstraint(f"priority IN {sql_in(Priority)}", name="priority_valid"),
        CheckConstraint("response_minutes > 0", name="response_positive"),
        CheckConstraint("resolution_minutes >= response_minutes", name="resolution_after_response"),
    )

    service_level_id: Mapped[UUID] = mapped_column(ForeignKey("service_levels.id", ondelete="CASCADE"), index=True)
    priority: Mapped[str] = mapped_column(String(2))
    response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
