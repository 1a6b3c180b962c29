"""Billing profiles without HTTP: tax defaults by country, the rules, one-level bill-to, audit."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.services import billing_profiles as profiles
from contracts.tax_defaults import OUTSIDE_EU, REVERSE_CHARGE
from core.audit import audit_log
from core.auth import SYSTEM
from core.db import session_scope
from core.errors import Conflict, DomainError, Invalid, NotFound, StaleVersion
from core.listing import PageRequest
from core.settings import BillingSettings
from masterdata.models import Customer
from masterdata.services.visibility import CustomerScope

GERMAN_SELLER = BillingSettings(seller_country="DE", default_payment_terms_days=30)


async def customer(session: AsyncSession, number: str, country: str | None = "DE", **extra: Any) -> UUID:
    row = Customer(number=number, name=f"Customer {number}", status="active", country=country, **extra)
    session.add(row)
    await session.flush()
    return row.id


async def create(session: AsyncSession, customer_id: UUID, **fields: Any) -> Any:
    data = profiles.BillingProfileCreate(customer_id=customer_id, **fields)
    return await profiles.create_profile(session, SYSTEM, data, GERMAN_SELLER)


async def update(session: AsyncSession, profile: Any, **fields: Any) -> Any:
    data = profiles.BillingProfileUpdate(version=profile.version, **fields)
    return await profiles.update_profile(session, SYSTEM, profile.id, data, GERMAN_SELLER)


async def refused(call: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await call
    return caught.value


async def test_without_a_rate_the_tax_follows_the_country_and_the_vat_id(session: AsyncSession) -> None:
    munich = await customer(session, "C-000001", "DE")
    lyon = await customer(session, "C-000002", "FR")
    lyon_consumer = await customer(session, "C-000003", "FR")
    zurich = await customer(session, "C-000004", None)

    domestic = await create(session, munich)
    reverse = await create(session, lyon, tax_id="FR40303265045")
    consumer = await create(session, lyon_consumer)
    # the profile's country wins over the customer's (unknown here)
    export = await create(session, zurich, country="CH", tax_id="CHE-123.456.789")

    assert (domestic.tax_rate, domestic.tax_exemption_reason) == (Decimal("19.00"), None)
    assert (reverse.tax_rate, reverse.tax_exemption_reason) == (Decimal("0.00"), REVERSE_CHARGE)
    assert (consumer.tax_rate, consumer.tax_exemption_reason) == (Decimal("19.00"), None)
    assert (export.tax_rate, export.tax_exemption_reason) == (Decimal("0.00"), OUTSIDE_EU.format(seller="DE"))
    assert domestic.payment_terms_days == 30 and domestic.version == 1


async def test_an_explicit_rate_or_exemption_wins_over_the_default(session: AsyncSession) -> None:
    charity = await customer(session, "C-000001", "DE")
    reduced = await customer(session, "C-000002", "DE")

    exempt = await create(session, charity, tax_exemption_reason="Charitable body, § 4 Nr. 18 UStG")
    seven = await create(session, reduced, tax_rate=Decimal("7"), payment_terms_days=14)

    assert (exempt.tax_rate, exempt.tax_exemption_reason) == (Decimal("0.00"), "Charitable body, § 4 Nr. 18 UStG")
    assert (seven.tax_rate, seven.payment_terms_days) == (Decimal("7.00"), 14)


async def test_bad_tax_rates_country_terms_and_email_are_refused_naming_the_field(session: AsyncSession) -> None:
    customer_id = await customer(session, "C-000001")

    cases: dict[str, list[dict[str, Any]]] = {
        "tax_rate": [
            {"tax_rate": Decimal("19.005")},
            {"tax_rate": Decimal("100.01")},
            {"tax_rate": Decimal("-1")},
            {"tax_rate": Decimal("NaN")},
            {"tax_rate": Decimal("19"), "tax_exemption_reason": "export"},
        ],
        "country": [{"country": "de"}, {"country": "DEU"}],
        "payment_terms_days": [{"payment_terms_days": -1}, {"payment_terms_days": 366}],
        "invoice_email": [{"invoice_email": "accounts at example.com"}, {"invoice_email": "a@b"}],
    }
    codes = {
        "tax_rate": "invalid_tax_rate",
        "country": "invalid_country",
        "payment_terms_days": "invalid_payment_terms",
        "invoice_email": "invalid_email",
    }
    for field, bodies in cases.items():
        for body in bodies:
            error = await refused(create(session, customer_id, **body))
            assert isinstance(error, Invalid), body
            assert (error.code, error.field) == (codes[field], field), body


async def test_one_profile_per_customer_and_an_unknown_customer_is_not_found(session: AsyncSession) -> None:
    customer_id = await customer(session, "C-000001")
    first = await create(session, customer_id)

    twice = await refused(create(session, customer_id))
    unknown = await refused(create(session, UUID("00000000-0000-0000-0000-000000000009")))
    unknown_payer = await refused(create(session, await customer(session, "C-000002"), bill_to_customer_id=UUID(int=7)))

    assert isinstance(twice, Conflict) and twice.code == "billing_profile_exists"
    assert twice.extra == {"billing_profile_id": str(first.id)}
    assert isinstance(unknown, NotFound) and unknown.field == "customer_id"
    assert isinstance(unknown_payer, NotFound) and unknown_payer.field == "bill_to_customer_id"


async def test_a_subsidiary_billed_to_its_parent_gets_the_parents_name_address_tax_and_terms(
    session: AsyncSession,
) -> None:
    group = await customer(session, "C-000001", "DE", email="ap@group.example")
    plant = await customer(session, "C-000002", "FR", parent_id=group, email="plant@group.example")
    await create(
        session,
        group,
        billing_name="Group Holding AG",
        street="Hauptstraße 1",
        postal_code="80331",
        city="München",
        invoice_email="invoices@group.example",
        payment_terms_days=45,
    )
    await create(session, plant, bill_to_customer_id=group)

    resolved = await profiles.resolved_bill_to(session, plant, GERMAN_SELLER, scope=CustomerScope.everyone())

    assert resolved.billed_to_other and resolved.has_profile
    bill_to = resolved.bill_to
    assert (bill_to.customer_id, bill_to.number, bill_to.name) == (group, "C-000001", "Group Holding AG")
    assert (bill_to.email, bill_to.city, bill_to.country) == ("invoices@group.example", "München", "DE")
    assert (bill_to.tax.percent, bill_to.terms.net_days) == (Decimal("19.00"), 45)


async def test_a_customer_without_a_profile_is_billed_to_itself_with_the_defaults(session: AsyncSession) -> None:
    vienna = await customer(session, "C-000001", "AT", email="office@vienna.example")

    resolved = await profiles.resolved_bill_to(session, vienna, GERMAN_SELLER, scope=CustomerScope.everyone())

    assert not resolved.has_profile and not resolved.billed_to_other
    assert (resolved.bill_to.email, resolved.bill_to.terms.net_days) == ("office@vienna.example", 30)
    # an Austrian customer without a VAT id is a consumer: the German rate
    assert resolved.bill_to.tax.percent == Decimal("19.00")
    with pytest.raises(NotFound):
        await profiles.resolved_bill_to(session, UUID(int=5), GERMAN_SELLER, scope=CustomerScope.everyone())
    with pytest.raises(NotFound):  # a customer user asking about another customer
        await profiles.resolved_bill_to(session, vienna, GERMAN_SELLER, scope=CustomerScope.only({UUID(int=5)}))


async def test_bill_to_is_one_level_never_itself_and_never_a_chain(session: AsyncSession) -> None:
    group = await customer(session, "C-000001")
    plant = await customer(session, "C-000002")
    outsider = await customer(session, "C-000003")
    await create(session, plant, bill_to_customer_id=group)

    itself = await refused(create(session, outsider, bill_to_customer_id=outsider))
    # the outsider may not bill to the plant, which itself bills to the group ...
    to_a_payee = await refused(create(session, outsider, bill_to_customer_id=plant))
    # ... and the group, which pays for the plant, may not bill to someone else
    payer_onward = await refused(create(session, group, bill_to_customer_id=outsider))
    fine = await create(session, outsider, bill_to_customer_id=group)

    for error in (itself, to_a_payee, payer_onward):
        assert isinstance(error, Invalid) and (error.code, error.field) == ("invalid_bill_to", "bill_to_customer_id")
    assert to_a_payee.extra == {"billed_to": str(group)}
    assert payer_onward.extra == {"pays_for": str(plant)}
    assert fine.bill_to_customer_id == group


async def test_updates_need_the_version_and_keep_the_rules(session: AsyncSession) -> None:
    group = await customer(session, "C-000001")
    plant = await customer(session, "C-000002")
    profile = await create(session, plant)
    await create(session, group, bill_to_customer_id=await customer(session, "C-000003"))

    stale = await refused(
        profiles.update_profile(
            session, SYSTEM, profile.id, profiles.BillingProfileUpdate(version=2, city="Köln"), GERMAN_SELLER
        )
    )
    profile = await update(session, profile, city="  Köln  ", invoice_email="ap@plant.example")
    # the group bills onward, so it cannot become the plant's payer
    chain = await refused(update(session, profile, bill_to_customer_id=group))
    bad_rate = await refused(update(session, profile, tax_rate=Decimal("12.345")))
    exempt_but_taxed = await refused(update(session, profile, tax_rate=Decimal("7"), tax_exemption_reason="export"))

    assert isinstance(stale, StaleVersion)
    assert (profile.city, profile.invoice_email, profile.version) == ("Köln", "ap@plant.example", 2)
    assert isinstance(chain, Invalid) and chain.code == "invalid_bill_to"
    assert isinstance(bad_rate, Invalid) and bad_rate.code == "invalid_tax_rate"
    assert isinstance(exempt_but_taxed, Invalid) and exempt_but_taxed.field == "tax_rate"


async def test_a_stored_rate_is_kept_until_a_null_rate_asks_for_the_default_again(session: AsyncSession) -> None:
    customer_id = await customer(session, "C-000001", "DE")
    profile = await create(session, customer_id)

    moved = await update(session, profile, country="NL", tax_id="NL859844789B01")
    assert (moved.tax_rate, moved.tax_exemption_reason) == (Decimal("19.00"), None)  # kept as stored

    rederived = await update(session, moved, tax_rate=None)
    assert (rederived.tax_rate, rederived.tax_exemption_reason) == (Decimal("0.00"), REVERSE_CHARGE)

    taxed = await update(session, rederived, tax_rate=Decimal("21"), tax_exemption_reason=None)
    assert (taxed.tax_rate, taxed.tax_exemption_reason) == (Decimal("21.00"), None)

    exempt = await update(session, taxed, tax_exemption_reason="Diplomatic mission")
    assert (exempt.tax_rate, exempt.tax_exemption_reason, exempt.version) == (
        Decimal("0.00"),
        "Diplomatic mission",
        5,
    )

    # a null rate sent with an exemption keeps the exemption (rate 0) rather than the default
    still_exempt = await update(session, exempt, tax_rate=None, tax_exemption_reason="Embassy")
    assert (still_exempt.tax_rate, still_exempt.tax_exemption_reason) == (Decimal("0.00"), "Embassy")


async def test_listing_filters_and_scopes_to_the_customers_a_user_may_see(session: AsyncSession) -> None:
    group = await customer(session, "C-000001")
    plant = await customer(session, "C-000002")
    other = await customer(session, "C-000003", "FR")
    await create(session, group)
    await create(session, plant, bill_to_customer_id=group)
    await create(session, other, country="FR", tax_id="FR40303265045")
    everything = profiles.BillingProfileFilter()

    billed_to_group = await profiles.list_profiles(
        session, profiles.BillingProfileFilter(bill_to_customer_id=group), PageRequest(), scope=CustomerScope.everyone()
    )
    french = await profiles.list_profiles(
        session, profiles.BillingProfileFilter(country="fr"), PageRequest(), scope=CustomerScope.everyone()
    )
    scoped = await profiles.list_profiles(session, everything, PageRequest(), scope=CustomerScope.only({group, plant}))

    assert [p.customer_id for p in billed_to_group.items] == [plant]
    assert [p.customer_id for p in french.items] == [other]
    assert {p.customer_id for p in scoped.items} == {group, plant} and scoped.total == 2


async def test_every_change_is_audited_with_the_changed_fields_only(session: AsyncSession) -> None:
    customer_id = await customer(session, "C-000001")
    profile = await create(session, customer_id)
    await update(session, profile, payment_terms_days=60)

    rows = (
        await session.execute(
            select(audit_log.c.action, audit_log.c.before, audit_log.c.after)
            .where(audit_log.c.entity == "billing_profile", audit_log.c.entity_id == str(profile.id))
            .order_by(audit_log.c.id)
        )
    ).all()

    assert [row.action for row in rows] == ["create", "update"]
    assert rows[0].after["tax_rate"] == "19.00"
    assert (rows[1].before, rows[1].after) == (
        {"payment_terms_days": 30, "version": 1},
        {"payment_terms_days": 60, "version": 2},
    )


@pytest.mark.postgres_only
async def test_two_concurrent_changes_cannot_build_a_chain(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as s:
        a = await customer(s, "C-000001")
        b = await customer(s, "C-000002")
        c = await customer(s, "C-000003")

    async with sessions() as first:
        await create(first, a, bill_to_customer_id=b)  # holds the locks on A and B

        async def second() -> Any:
            async with session_scope(sessions) as s:
                return await create(s, b, bill_to_customer_id=c)  # waits for B, then sees A -> B

        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.5)
        assert not waiting.done()
        await first.commit()
        with pytest.raises(Invalid) as caught:
            await waiting

    assert caught.value.extra == {"pays_for": str(a)}
