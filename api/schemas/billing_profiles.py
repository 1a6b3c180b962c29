"""Response shapes for billing profiles and a customer's resolved bill-to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

import msgspec

from contracts.models import BillingProfile
from contracts.services.billing_profiles import ResolvedBillTo


class BillingProfileOut(msgspec.Struct, kw_only=True):
    id: UUID
    customer_id: UUID
    bill_to_customer_id: UUID | None
    invoice_email: str | None
    billing_name: str | None
    street: str | None
    postal_code: str | None
    city: str | None
    country: str | None
    tax_id: str | None
    tax_rate: Decimal
    tax_exemption_reason: str | None
    payment_terms_days: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def billing_profile_out(profile: BillingProfile) -> BillingProfileOut:
    return BillingProfileOut(
        id=profile.id,
        customer_id=profile.customer_id,
        bill_to_customer_id=profile.bill_to_customer_id,
        invoice_email=profile.invoice_email,
        billing_name=profile.billing_name,
        street=profile.street,
        postal_code=profile.postal_code,
        city=profile.city,
        country=profile.country,
        tax_id=profile.tax_id,
        tax_rate=profile.tax_rate,
        tax_exemption_reason=profile.tax_exemption_reason,
        payment_terms_days=profile.payment_terms_days,
        version=profile.version,
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )


class BillToOut(msgspec.Struct, kw_only=True):
    """Where the customer's invoices go, as the billing run will resolve it today."""

    customer_id: UUID
    has_profile: bool
    billed_to_other: bool
    bill_to_customer_id: UUID
    bill_to_customer_number: str
    name: str
    email: str | None
    street: str | None
    postal_code: str | None
    city: str | None
    country: str | None
    tax_id: str | None
    tax_rate: Decimal
    tax_exemption_reason: str | None
    payment_terms_days: int


def bill_to_out(resolved: ResolvedBillTo) -> BillToOut:
    bill_to = resolved.bill_to
    return BillToOut(
        customer_id=resolved.customer_id,
        has_profile=resolved.has_profile,
        billed_to_other=resolved.billed_to_other,
        bill_to_customer_id=bill_to.customer_id,
        bill_to_customer_number=bill_to.number,
        name=bill_to.name,
        email=bill_to.email,
        street=bill_to.street,
        postal_code=bill_to.postal_code,
        city=bill_to.city,
        country=bill_to.country,
        tax_id=bill_to.tax_id,
        tax_rate=bill_to.tax.percent,
        tax_exemption_reason=bill_to.tax.exemption_reason,
        payment_terms_days=bill_to.terms.net_days,
    )
