"""Customers (business partners) with their hierarchy, contacts and sites."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import VersionedEntity, sql_in
from masterdata.choices import CustomerStatus
from masterdata.models.custom_fields import custom_column, custom_index


class Customer(VersionedEntity):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("number", name="uq_customers_number"),
        CheckConstraint(f"status IN {sql_in(CustomerStatus)}", name="status_valid"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        custom_index("customers"),
    )

    number: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), index=True)
    parent_id: Mapped[UUID | None] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=CustomerStatus.ACTIVE.value)
    blocked_reason: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(String(2))
    notes: Mapped[str | None] = mapped_column(Text)
    custom: Mapped[dict[str, Any]] = custom_column()


class Contact(VersionedEntity):
    __tablename__ = "contacts"

    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str | None] = mapped_column(String(60))
    is_primary: Mapped[bool] = mapped_column(default=False)


class Site(VersionedEntity):
    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude_range"),
        custom_index("sites"),
    )

    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    subdivision: Mapped[str | None] = mapped_column(String(10))
    country: Mapped[str] = mapped_column(String(2))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    time_zone: Mapped[str] = mapped_column(String(64))
    # the dispatch region, as engineers' ``territory``; None: every territory's planner sees its tasks
    territory: Mapped[str | None] = mapped_column(String(64), index=True)
    access_notes: Mapped[str | None] = mapped_column(Text)
    # [{"weekday": 0, "opens": "08:00", "closes": "17:00"}, ...]; weekday 0 = Monday
    opening_hours: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    custom: Mapped[dict[str, Any]] = custom_column()
