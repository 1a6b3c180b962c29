"""Billable items: work done minus what an entitlement covered, waiting to be invoiced.

Every item names its source (a work order, a repair order, a fee) and a `line_key` unique
within that source, so computing the items of a source twice writes them once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contracts.choices import BillableKind, BillableSource, BillableStatus
from core.db import Entity, sql_in


class BillableItem(Entity):
    __tablename__ = "billable_items"
    __table_args__ = (
        UniqueConstraint("source_kind", "source_id", "line_key", name="uq_billable_items_source_line"),
        CheckConstraint(f"source_kind IN {sql_in(BillableSource)}", name="source_kind_valid"),
        CheckConstraint(f"kind IN {sql_in(BillableKind)}", name="kind_valid"),
        CheckConstraint(f"status IN {sql_in(BillableStatus)}", name="status_valid"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("coverage_pct BETWEEN 0 AND 100", name="coverage_pct_range"),
        CheckConstraint("amount >= 0 AND covered_amount >= 0", name="amounts_not_negative"),
        Index("ix_billable_items_customer_status", "customer_id", "status"),
    )

    source_kind: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[UUID]
    source_ref: Mapped[str] = mapped_column(String(40))  # WO-000123, for people
    line_key: Mapped[str] = mapped_column(String(120))
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(10))
    product_id: Mapped[UUID | None] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit: Mapped[str] = mapped_column(String(8))  # h, pc, ea
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    currency: Mapped[str] = mapped_column(String(3))
    coverage_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))  # share the entitlement paid
    covered_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # what the customer pays, before tax
    service_date: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(8), default=BillableStatus.OPEN.value)
