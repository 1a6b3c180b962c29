"""Depot repair orders: diagnosis, quote, labour, parts, tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity, VersionedEntity, sql_in
from returns.choices import QuoteStatus, RepairOrderStatus


class RepairOrder(VersionedEntity):
    __tablename__ = "repair_orders"
    __table_args__ = (
        UniqueConstraint("number", name="uq_repair_orders_number"),
        UniqueConstraint("rma_id", name="uq_repair_orders_rma"),
        CheckConstraint(f"status IN {sql_in(RepairOrderStatus)}", name="status_valid"),
        CheckConstraint(f"quote_status IS NULL OR quote_status IN {sql_in(QuoteStatus)}", name="quote_status_valid"),
        CheckConstraint("quote_amount IS NULL OR quote_amount >= 0", name="quote_not_negative"),
        CheckConstraint("inspection_fee IS NULL OR inspection_fee >= 0", name="fee_not_negative"),
    )

    number: Mapped[str] = mapped_column(String(20))
    rma_id: Mapped[UUID] = mapped_column(ForeignKey("rmas.id", ondelete="RESTRICT"))
    equipment_id: Mapped[UUID] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default=RepairOrderStatus.DIAGNOSIS.value)
    fault_codes: Mapped[list[str]] = mapped_column(JsonB, default=list)
    diagnosis: Mapped[str | None] = mapped_column(Text)
    # [{"test": "...", "passed": true, "value": "...", "at": iso}]
    test_results: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    # a quote for what the entitlement does not cover
    quote_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    quote_currency: Mapped[str | None] = mapped_column(String(3))
    quote_lines: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    quote_status: Mapped[str | None] = mapped_column(String(10))
    quote_sent_at: Mapped[dt.datetime | None]
    quote_decided_at: Mapped[dt.datetime | None]
    quote_decided_by: Mapped[str | None] = mapped_column(String(150))
    credit: Mapped[dict[str, Any] | None] = mapped_column(JsonB)  # the credit check at approval
    inspection_fee: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    completed_at: Mapped[dt.datetime | None]


class RepairLabour(Entity):
    __tablename__ = "repair_labour"
    __table_args__ = (CheckConstraint("minutes > 0", name="minutes_positive"),)

    repair_order_id: Mapped[UUID] = mapped_column(ForeignKey("repair_orders.id", ondelete="CASCADE"), index=True)
    performed_by: Mapped[str] = mapped_column(String(150))
    performed_on: Mapped[dt.date]
    minutes: Mapped[int]
    description: Mapped[str] = mapped_column(Text)


class RepairPart(Entity):
    __tablename__ = "repair_parts"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    repair_order_id: Mapped[UUID] = mapped_column(ForeignKey("repair_orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[UUID] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    stock_move_id: Mapped[UUID | None] = mapped_column(ForeignKey("stock_moves.id", ondelete="RESTRICT"))
