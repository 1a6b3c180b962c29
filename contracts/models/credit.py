"""Credit accounts per customer and the overrides that let held work go ahead."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity, VersionedEntity


class CreditAccount(VersionedEntity):
    __tablename__ = "credit_accounts"
    __table_args__ = (
        UniqueConstraint("customer_id", name="uq_credit_accounts_customer"),
        CheckConstraint("credit_limit >= 0", name="limit_not_negative"),
        CheckConstraint("tolerance_days >= 0", name="tolerance_not_negative"),
        CheckConstraint("NOT on_hold OR hold_reason IS NOT NULL", name="hold_needs_reason"),
    )

    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    credit_limit: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3))
    tolerance_days: Mapped[int] = mapped_column(Integer, default=0)
    on_hold: Mapped[bool] = mapped_column(default=False)
    hold_reason: Mapped[str | None] = mapped_column(String(500))
    hold_set_by: Mapped[str | None] = mapped_column(String(150))
    hold_set_at: Mapped[dt.datetime | None]
    # Receivables carried over from the previous system; billing adds issued, unpaid invoices on top.
    opening_balance: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    opening_overdue: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    opening_overdue_days: Mapped[int] = mapped_column(Integer, default=0)
    average_days_to_pay: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))


class CreditOverride(Entity):
    """A second contract_admin's approval for work the credit check refused; audited."""

    __tablename__ = "credit_overrides"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("approved_by_id <> requested_by_id", name="four_eyes"),
    )

    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str | None] = mapped_column(String(64), index=True)  # e.g. a work order id
    reason: Mapped[str] = mapped_column(String(500))
    requested_by_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    approved_by_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    valid_until: Mapped[dt.datetime]
    used: Mapped[bool] = mapped_column(default=False)
