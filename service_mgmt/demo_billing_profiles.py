"""Demo billing profiles on top of the demo company, so invoices show every tax case.

- Most groups are billed centrally: the parent gets a profile (accounts-payable address,
  VAT id, 45 days) and each subsidiary is billed to it (the first group always is).
- A few standalone customers are invoiced at a head office abroad: Austria, the Netherlands and
  France with a VAT id (reverse charge), Switzerland (outside the EU, not taxed here).
- About a quarter of the other standalone customers have a domestic profile: an invoice
  e-mail, a VAT id and their own payment terms, at the default rate.
- Everyone else has no profile: billed to itself at the seller country's rate, default terms.

Profiles go through `contracts.services.billing_profiles.create_profile`, so the demo obeys
the same rules as a contract administrator (tax defaults, one-level bill-to). Deterministic for
a seed over the customers in number order; the caller commits. Never on a real installation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import BillingProfile
from contracts.services.billing_profiles import BillingProfileCreate, create_profile
from core.auth import SYSTEM
from core.settings import BillingSettings
from masterdata.models import Customer, Site

CENTRAL_BILLING_SHARE = 0.6  # of the groups (beyond the first, which always is)
DOMESTIC_PROFILE_SHARE = 0.25  # of the standalone customers not invoiced abroad
GROUP_TERMS_DAYS = 45
DOMESTIC_TERMS_DAYS = (14, 30, 30, 45, 60)


class HeadOffice(NamedTuple):
    country: str
    street: str
    postal_code: str
    city: str
    vat_id_pattern: str  # "#" is a digit


# In this order: the first is always used, so even a small demo has a reverse-charge customer.
HEAD_OFFICES = (
    HeadOffice("AT", "Mariahilfer Straße 88", "1070", "Wien", "ATU########"),
    HeadOffice("CH", "Bahnhofstrasse 21", "8001", "Zürich", "CHE-###.###.### MWST"),
    HeadOffice("NL", "Keizersgracht 452", "1016 GD", "Amsterdam", "NL#########B01"),
    HeadOffice("FR", "12 Rue de la République", "69002", "Lyon", "FR###########"),
)


@dataclass(frozen=True, slots=True)
class DemoBillingSummary:
    profiles: int
    billed_to_parent: int
    head_offices_abroad: int
    domestic: int


async def load_demo_billing_profiles(
    session: AsyncSession, *, seed: int, settings: BillingSettings
) -> DemoBillingSummary:
    if await session.scalar(select(BillingProfile.id).limit(1)) is not None:
        raise ValueError("the database already holds billing profiles")
    rng = random.Random(seed)
    customers = list((await session.scalars(select(Customer).order_by(Customer.number))).all())
    sites = await _first_sites(session)
    children: dict[UUID, list[Customer]] = {}
    for customer in customers:
        if customer.parent_id is not None:
            children.setdefault(customer.parent_id, []).append(customer)
    groups = [c for c in customers if c.id in children and c.parent_id is None]
    standalone = [c for c in customers if c.id not in children and c.parent_id is None]

    async def add(customer: Customer, **fields: Any) -> None:
        await create_profile(session, SYSTEM, BillingProfileCreate(customer_id=customer.id, **fields), settings)

    billed_to_parent = 0
    central = [g for n, g in enumerate(groups) if n == 0 or rng.random() < CENTRAL_BILLING_SHARE]
    for group in central:
        site = sites.get(group.id)
        await add(
            group,
            billing_name=f"{group.name} – Kreditorenbuchhaltung",
            invoice_email=_mailbox("kreditoren", group),
            street=site.street if site else None,
            postal_code=site.postal_code if site else None,
            city=site.city if site else None,
            tax_id=_vat_id(rng, "DE#########"),
            payment_terms_days=GROUP_TERMS_DAYS,
        )
        for subsidiary in children[group.id]:
            await add(subsidiary, bill_to_customer_id=group.id)
            billed_to_parent += 1

    abroad = rng.sample(standalone, min(len(HEAD_OFFICES), len(standalone)))
    for customer, office in zip(abroad, HEAD_OFFICES, strict=False):
        await add(
            customer,
            billing_name=f"{customer.name} – Head Office",
            invoice_email=_mailbox("invoices", customer),
            street=office.street,
            postal_code=office.postal_code,
            city=office.city,
            country=office.country,
            tax_id=_vat_id(rng, office.vat_id_pattern),
        )

    domestic = 0
    chosen_abroad = {c.id for c in abroad}
    for customer in standalone:
        if customer.id in chosen_abroad or rng.random() >= DOMESTIC_PROFILE_SHARE:
            continue
        site = sites.get(customer.id)
        await add(
            customer,
            invoice_email=_mailbox("rechnung", customer),
            street=site.street if site else None,
            postal_code=site.postal_code if site else None,
            city=site.city if site else None,
            tax_id=_vat_id(rng, "DE#########"),
            payment_terms_days=rng.choice(DOMESTIC_TERMS_DAYS),
        )
        domestic += 1

    return DemoBillingSummary(
        profiles=len(central) + billed_to_parent + len(abroad) + domestic,
        billed_to_parent=billed_to_parent,
        head_offices_abroad=len(abroad),
        domestic=domestic,
    )


async def _first_sites(session: AsyncSession) -> dict[UUID, Site]:
    """Each customer's first site by name: where a domestic billing address is taken from."""
    first: dict[UUID, Site] = {}
    for site in await session.scalars(select(Site).order_by(Site.customer_id, Site.name, Site.id)):
        first.setdefault(site.customer_id, site)
    return first


def _mailbox(local_part: str, customer: Customer) -> str | None:
    if not customer.email or "@" not in customer.email:
        return None
    return f"{local_part}@{customer.email.split('@', 1)[1]}"


def _vat_id(rng: random.Random, pattern: str) -> str:
    return "".join(str(rng.randint(0, 9)) if char == "#" else char for char in pattern)
