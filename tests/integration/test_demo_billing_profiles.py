"""Demo billing profiles: groups billed centrally, head offices abroad, domestic profiles; reproducible by seed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.models import BillingProfile
from contracts.services.bill_to import bill_to_of
from contracts.tax_defaults import OUTSIDE_EU, REVERSE_CHARGE
from core.settings import BillingSettings
from masterdata.models import Customer
from service_mgmt.demo_billing_profiles import DemoBillingSummary, load_demo_billing_profiles
from service_mgmt.demo_data import DemoSize, load_demo_data

SMALL = DemoSize(customers=30, equipment=120, engineers=2)
SEED = 11
SELLER = BillingSettings(seller_country="DE", default_payment_terms_days=30)


async def _load(session: AsyncSession) -> DemoBillingSummary:
    await load_demo_data(session, SMALL)
    return await load_demo_billing_profiles(session, seed=SEED, settings=SELLER)


async def _profiles_by_number(session: AsyncSession) -> dict[str, BillingProfile]:
    rows = await session.execute(
        select(Customer.number, BillingProfile).join(BillingProfile, BillingProfile.customer_id == Customer.id)
    )
    return {number: profile for number, profile in rows.tuples()}


async def test_subsidiaries_of_a_centrally_billed_group_are_invoiced_to_the_parent(session: AsyncSession) -> None:
    summary = await _load(session)
    customers = {c.id: c for c in (await session.scalars(select(Customer))).all()}
    profiles = {p.customer_id: p for p in (await session.scalars(select(BillingProfile))).all()}

    subsidiaries = [p for p in profiles.values() if p.bill_to_customer_id is not None]
    assert summary.billed_to_parent == len(subsidiaries) > 0
    resolved = await bill_to_of(session, [p.customer_id for p in subsidiaries], SELLER)
    for profile in subsidiaries:
        parent_id = customers[profile.customer_id].parent_id
        assert profile.bill_to_customer_id == parent_id
        bill_to = resolved[profile.customer_id]
        assert (bill_to.customer_id, bill_to.terms.net_days, bill_to.tax.percent) == (parent_id, 45, Decimal("19.00"))
        assert bill_to.name.endswith("– Kreditorenbuchhaltung")
        assert bill_to.email is not None and bill_to.email.startswith("kreditoren@")
        assert bill_to.tax_id is not None and bill_to.tax_id.startswith("DE") and len(bill_to.tax_id) == 11


async def test_head_offices_abroad_show_reverse_charge_and_export_and_domestic_ones_pay_19_percent(
    session: AsyncSession,
) -> None:
    summary = await _load(session)
    profiles = list((await session.scalars(select(BillingProfile))).all())
    by_country = {p.country: p for p in profiles if p.country is not None}

    assert summary.head_offices_abroad == 4 and summary.profiles == len(profiles)
    austria, switzerland = by_country["AT"], by_country["CH"]
    assert (austria.tax_rate, austria.tax_exemption_reason) == (Decimal("0.00"), REVERSE_CHARGE)
    assert austria.tax_id is not None and austria.tax_id.startswith("ATU") and austria.city == "Wien"
    assert (switzerland.tax_rate, switzerland.tax_exemption_reason) == (
        Decimal("0.00"),
        OUTSIDE_EU.format(seller="DE"),
    )
    assert by_country["NL"].tax_exemption_reason == by_country["FR"].tax_exemption_reason == REVERSE_CHARGE
    domestic = [p for p in profiles if p.country is None and p.bill_to_customer_id is None and p.billing_name is None]
    assert len(domestic) == summary.domestic > 0
    for profile in domestic:
        assert (profile.tax_rate, profile.tax_exemption_reason) == (Decimal("19.00"), None)
        assert profile.invoice_email is not None and profile.invoice_email.startswith("rechnung@")
        assert profile.payment_terms_days in {14, 30, 45, 60} and profile.city is not None


async def test_the_same_seed_gives_the_same_profiles_and_a_second_load_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    def shape(profiles: dict[str, BillingProfile], numbers: dict[Any, str]) -> dict[str, tuple[Any, ...]]:
        return {
            number: (
                numbers.get(p.bill_to_customer_id),
                p.country,
                p.tax_id,
                p.tax_rate,
                p.tax_exemption_reason,
                p.invoice_email,
                p.payment_terms_days,
            )
            for number, p in profiles.items()
        }

    shapes = []
    for _ in range(2):
        async with sessions() as s:
            await _load(s)
            numbers = dict((await s.execute(select(Customer.id, Customer.number))).tuples().all())
            shapes.append(shape(await _profiles_by_number(s), numbers))
            with pytest.raises(ValueError, match="already holds billing profiles"):
                await load_demo_billing_profiles(s, seed=SEED, settings=SELLER)
            await s.rollback()

    assert shapes[0] == shapes[1] and len(shapes[0]) > 5
