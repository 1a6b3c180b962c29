"""Warranty terms, product defaults, and the warranty of each serialized unit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contracts.choices import ExchangeType, StartBasis, WarrantyKind
from core.db import Entity, VersionedEntity, sql_in

PERCENT = Numeric(5, 2)


class WarrantyTerm(VersionedEntity):
    __tablename__ = "warranty_terms"
    __table_args__ = (
        UniqueConstraint("code", name="uq_warranty_terms_code"),
        CheckConstraint("duration_months IS NOT NULL OR counter_units IS NOT NULL", name="has_a_limit"),
        CheckConstraint("duration_months IS NULL OR duration_months > 0", name="duration_positive"),
        CheckConstraint("(counter_units IS NULL) = (counter_name IS NULL)", name="counter_units_need_counter_name"),
        CheckConstraint(f"start_basis IN {sql_in(StartBasis)}", name="start_basis_valid"),
        CheckConstraint(f"exchange_type IN {sql_in(ExchangeType)}", name="exchange_type_valid"),
        CheckConstraint(
            "labour_pct BETWEEN 0 AND 100 AND parts_pct BETWEEN 0 AND 100 AND travel_pct BETWEEN 0 AND 100",
            name="percent_range",
        ),
    )

    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    duration_months: Mapped[int | None] = mapped_column(Integer)
    counter_name: Mapped[str | None] = mapped_column(String(60))
    counter_units: Mapped[Decimal | None] = mapped_column(Numeric(18, 3))
    start_basis: Mapped[str] = mapped_column(String(16), default=StartBasis.INSTALL_DATE.value)
    labour_pct: Mapped[Decimal] = mapped_column(PERCENT)
    parts_pct: Mapped[Decimal] = mapped_column(PERCENT)
    travel_pct: Mapped[Decimal] = mapped_column(PERCENT)
    exchange_type: Mapped[str] = mapped_column(String(20), default=ExchangeType.NONE.value)
    service_level_id: Mapped[UUID | None] = mapped_column(ForeignKey("service_levels.id", ondelete="RESTRICT"))


class ProductWarrantyTerm(Entity):
    """The default term a product's units get (kept here: contracts never import service_mgmt)."""

    __tablename__ = "product_warranty_terms"
    __table_args__ = (UniqueConstraint("product_id", name="uq_product_warranty_terms_product"),)

    product_id: Mapped[UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    term_id: Mapped[UUID] = mapped_column(ForeignKey("warranty_terms.id", ondelete="RESTRICT"), index=True)


class Warranty(VersionedEntity):
    __tablename__ = "warranties"
    __table_args__ = (
        CheckConstraint(f"kind IN {sql_in(WarrantyKind)}", name="kind_valid"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_starts"),
        Index("ix_warranties_equipment", "equipment_id", "starts_on"),
    )

    equipment_id: Mapped[UUID] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"))
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    term_id: Mapped[UUID] = mapped_column(ForeignKey("warranty_terms.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date | None]
    # Coverage also ends when this counter reaches counter_limit (reading at start + term units).
    counter_name: Mapped[str | None] = mapped_column(String(60))
    counter_limit: Mapped[Decimal | None] = mapped_column(Numeric(18, 3))
    void: Mapped[bool] = mapped_column(default=False)
