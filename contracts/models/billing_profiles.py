"""How a customer is invoiced: who pays (bill-to), where the invoice goes, tax and payment terms."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contracts.models.warranties import PERCENT
from core.db import VersionedEntity


class BillingProfile(VersionedEntity):
    """One per customer. Without one, a customer is billed to itself at the default tax rate
    of its country and the default payment terms (see `contracts.services.billing_profiles`)."""

    __tablename__ = "billing_profiles"
    __table_args__ = (
        UniqueConstraint("customer_id", name="uq_billing_profiles_customer"),
        CheckConstraint("tax_rate >= 0 AND tax_rate <= 100", name="tax_rate_range"),
        CheckConstraint("tax_exemption_reason IS NULL OR tax_rate = 0", name="exemption_has_rate_zero"),
        CheckConstraint("payment_terms_days >= 0 AND payment_terms_days <= 365", name="payment_terms_range"),
    )

    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    # Who receives and pays the invoices (a parent company, say); None = the customer itself.
    bill_to_customer_id: Mapped[UUID | None] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    invoice_email: Mapped[str | None] = mapped_column(String(254))
    billing_name: Mapped[str | None] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    tax_id: Mapped[str | None] = mapped_column(String(40))
    tax_rate: Mapped[Decimal] = mapped_column(PERCENT)
    tax_exemption_reason: Mapped[str | None] = mapped_column(String(200))
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
