"""Who pays for a customer's invoices, where they go, at which tax rate and payment terms.

One set-based lookup, `bill_to_of`, serves the billing run (thousands of customers at once)
and the issuing of a single invoice alike. A customer's billing profile may name another
customer as bill-to (a parent company): the payer's profile then decides name, address,
e-mail, tax and terms. Without a profile: the customer's own name and e-mail, the default tax
of its country (`contracts.tax_defaults`) and the default payment terms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.invoice_math import PaymentTerms, TaxRate
from contracts.models import BillingProfile
from contracts.tax_defaults import default_tax
from core.db import in_chunks
from core.settings import BillingSettings
from masterdata.models import Customer


@dataclass(frozen=True, slots=True)
class BillTo:
    customer_id: UUID  # the payer: the invoice's customer
    number: str
    name: str
    email: str | None
    street: str | None
    postal_code: str | None
    city: str | None
    country: str | None
    tax_id: str | None
    tax: TaxRate
    terms: PaymentTerms

    def snapshot(self) -> dict[str, Any]:
        """What an issued invoice prints and keeps, whatever changes later."""
        return {
            "customer_number": self.number,
            "name": self.name,
            "email": self.email,
            "street": self.street,
            "postal_code": self.postal_code,
            "city": self.city,
            "country": self.country,
            "tax_id": self.tax_id,
            "tax_rate": str(self.tax.percent),
            "tax_exemption_reason": self.tax.exemption_reason,
            "payment_terms_days": self.terms.net_days,
        }


async def bill_to_of(
    session: AsyncSession, customer_ids: Iterable[UUID], settings: BillingSettings
) -> dict[UUID, BillTo]:
    """For each customer, the bill-to its invoices go to (possibly another customer's)."""
    ids = set(customer_ids)
    profiles = await _profiles(session, ids)
    payers = {cid: (profiles[cid].bill_to_customer_id if cid in profiles else None) or cid for cid in ids}
    payer_ids = set(payers.values())
    profiles |= await _profiles(session, payer_ids - profiles.keys())
    customers = await _customer_rows(session, payer_ids)
    resolved = {
        payer: _bill_to(customers[payer], profiles.get(payer), settings) for payer in payer_ids if payer in customers
    }
    return {cid: resolved[payer] for cid, payer in payers.items() if payer in resolved}


async def _profiles(session: AsyncSession, ids: set[UUID]) -> dict[UUID, BillingProfile]:
    found: dict[UUID, BillingProfile] = {}
    for chunk in in_chunks(sorted(ids)):
        rows = await session.scalars(select(BillingProfile).where(BillingProfile.customer_id.in_(chunk)))
        found |= {profile.customer_id: profile for profile in rows}
    return found


async def _customer_rows(session: AsyncSession, ids: set[UUID]) -> dict[UUID, Any]:
    found: dict[UUID, Any] = {}
    for chunk in in_chunks(sorted(ids)):
        rows = await session.execute(
            select(Customer.id, Customer.number, Customer.name, Customer.email, Customer.country).where(
                Customer.id.in_(chunk)
            )
        )
        found |= {row.id: row for row in rows}
    return found


def _bill_to(customer: Any, profile: BillingProfile | None, settings: BillingSettings) -> BillTo:
    country = (profile.country if profile and profile.country else customer.country) or None
    tax_id = profile.tax_id if profile else None
    if profile is not None:
        tax = (
            TaxRate.exempt(profile.tax_exemption_reason) if profile.tax_exemption_reason else TaxRate(profile.tax_rate)
        )
        terms = PaymentTerms(profile.payment_terms_days)
    else:
        tax = default_tax(settings.seller_country, country, tax_id)
        terms = PaymentTerms(settings.default_payment_terms_days)
    return BillTo(
        customer_id=customer.id,
        number=customer.number,
        name=(profile.billing_name if profile and profile.billing_name else customer.name),
        email=(profile.invoice_email if profile and profile.invoice_email else customer.email),
        street=profile.street if profile else None,
        postal_code=profile.postal_code if profile else None,
        city=profile.city if profile else None,
        country=country,
        tax_id=tax_id,
        tax=tax,
        terms=terms,
    )
