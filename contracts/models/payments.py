"""Payments received and their allocation to invoices (credit notes allocate the same way)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contracts.choices import PaymentMethod
from contracts.models.invoices import MONEY
from core.db import Entity, VersionedEntity, sql_in


class Payment(VersionedEntity):
    """Money received from a customer; what is not allocated yet is the customer's credit."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("number", name="uq_payments_number"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("allocated_amount >= 0 AND allocated_amount <= amount", name="allocated_within_amount"),
        CheckConstraint(f"method IN {sql_in(PaymentMethod)}", name="method_valid"),
        Index("ix_payments_customer_received_on", "customer_id", "received_on"),
    )

    number: Mapped[str] = mapped_column(String(20))  # PAY-000001
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    received_on: Mapped[dt.date]
    method: Mapped[str] = mapped_column(String(16), default=PaymentMethod.BANK_TRANSFER.value)
    reference: Mapped[str | None] = mapped_column(String(100))  # the bank's or the customer's reference
    allocated_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    recorded_by: Mapped[str] = mapped_column(String(150))
    notes: Mapped[str | None] = mapped_column(Text)


class PaymentAllocation(Entity):
    """Part of a payment, or of a credit note, settling part of an invoice."""

    __tablename__ = "payment_allocations"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("(payment_id IS NULL) <> (credit_note_id IS NULL)", name="one_source"),
    )

    invoice_id: Mapped[UUID] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"), index=True)
    payment_id: Mapped[UUID | None] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"), index=True)
    credit_note_id: Mapped[UUID | None] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    allocated_on: Mapped[dt.date]
    allocated_by: Mapped[str] = mapped_column(String(150))
