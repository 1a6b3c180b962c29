"""Field engineers as resources: skills, certifications, weekly pattern, absences."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Numeric, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity, VersionedEntity


class Engineer(VersionedEntity):
    __tablename__ = "engineers"
    __table_args__ = (
        UniqueConstraint("number", name="uq_engineers_number"),
        UniqueConstraint("user_id", name="uq_engineers_user_id"),
        CheckConstraint("cost_rate >= 0", name="cost_rate_not_negative"),
        CheckConstraint("home_latitude >= -90 AND home_latitude <= 90", name="home_latitude_range"),
        CheckConstraint("home_longitude >= -180 AND home_longitude <= 180", name="home_longitude_range"),
        CheckConstraint("lunch_minutes IS NULL OR (lunch_minutes BETWEEN 1 AND 240)", name="lunch_minutes_range"),
        CheckConstraint(
            "(lunch_minutes IS NULL) = (lunch_window_start IS NULL)"
            " AND (lunch_minutes IS NULL) = (lunch_window_end IS NULL)",
            name="lunch_complete",
        ),
        CheckConstraint("lunch_window_end > lunch_window_start", name="lunch_window_order"),
        CheckConstraint("max_overtime_minutes BETWEEN 0 AND 720", name="max_overtime_minutes_range"),
        CheckConstraint("overtime_rate_multiplier >= 1 AND overtime_rate_multiplier <= 10", name="overtime_rate_range"),
    )

    number: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), index=True)
    user_id: Mapped[UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    home_latitude: Mapped[float] = mapped_column(Float)
    home_longitude: Mapped[float] = mapped_column(Float)
    home_address: Mapped[str | None] = mapped_column(String(300))
    territory: Mapped[str | None] = mapped_column(String(64), index=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    cost_rate: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(default=True)
    # Dispatch: a lunch break of lunch_minutes inside [lunch_window_start, lunch_window_end] local time
    # (all three or none), and overtime past the shift up to max_overtime_minutes a day, costed at
    # overtime_rate_multiplier times the policy's overtime weight.
    lunch_minutes: Mapped[int | None] = mapped_column(SmallInteger)
    lunch_window_start: Mapped[dt.time | None]
    lunch_window_end: Mapped[dt.time | None]
    max_overtime_minutes: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    overtime_rate_multiplier: Mapped[Decimal] = mapped_column(
        Numeric(4, 2), default=Decimal("1.00"), server_default="1.00"
    )


class EngineerSkill(Entity):
    __tablename__ = "engineer_skills"
    __table_args__ = (
        UniqueConstraint("engineer_id", "skill", name="uq_engineer_skills_engineer_skill"),
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        Index("ix_engineer_skills_skill_level", "skill", "level"),
    )

    engineer_id: Mapped[UUID] = mapped_column(ForeignKey("engineers.id", ondelete="CASCADE"), index=True)
    skill: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(SmallInteger)


class Certification(Entity):
    __tablename__ = "certifications"
    __table_args__ = (CheckConstraint("issued_on IS NULL OR expires_on >= issued_on", name="expiry_after_issue"),)

    engineer_id: Mapped[UUID] = mapped_column(ForeignKey("engineers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    issued_on: Mapped[dt.date | None]
    expires_on: Mapped[dt.date]


class WorkingHours(Entity):
    """One interval of the weekly pattern, in the engineer's time zone (weekday 0 = Monday)."""

    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("ends > starts", name="ends_after_starts"),
        UniqueConstraint("engineer_id", "weekday", "starts", name="uq_working_hours_engineer_weekday_starts"),
    )

    engineer_id: Mapped[UUID] = mapped_column(ForeignKey("engineers.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    starts: Mapped[dt.time]
    ends: Mapped[dt.time]


class Absence(Entity):
    __tablename__ = "absences"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        Index("ix_absences_engineer_starts", "engineer_id", "starts_at"),
    )

    engineer_id: Mapped[UUID] = mapped_column(ForeignKey("engineers.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(String(200))
