"""Billing profiles over HTTP: who may create, change and read them, customer scope, the bill-to view."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from contracts.tax_defaults import REVERSE_CHARGE
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
PROFILES = "/api/v1/billing-profiles"


async def new_customer(client: Client, headers: dict[str, str], name: str, **body: Any) -> str:
    response = await client.post("/api/v1/customers", json={"name": name, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def create_profile(client: Client, headers: dict[str, str], customer_id: str, **body: Any) -> dict[str, Any]:
    response = await client.post(PROFILES, json={"customer_id": customer_id, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_contract_admin_sets_up_a_group_whose_plant_is_billed_to_the_parent(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    group = await new_customer(client, admin, "Meyer Gruppe", country="DE", email="info@meyer.example")
    plant = await new_customer(client, admin, "Meyer Werk Lyon", country="FR", parent_id=group)

    parent = await create_profile(
        client,
        admin,
        group,
        billing_name="Meyer Gruppe AG – Kreditoren",
        street="Hafenstraße 5",
        postal_code="20457",
        city="Hamburg",
        invoice_email="kreditoren@meyer.example",
        payment_terms_days=45,
    )
    child = await create_profile(client, admin, plant, bill_to_customer_id=group)
    bill_to = await client.get(f"/api/v1/customers/{plant}/bill-to", headers=admin)

    assert (parent["tax_rate"], parent["tax_exemption_reason"], parent["version"]) == ("19.00", None, 1)
    assert (child["bill_to_customer_id"], child["payment_terms_days"]) == (group, 30)
    assert bill_to.status_code == 200, bill_to.text
    assert bill_to.json() == {
        "customer_id": plant,
        "has_profile": True,
        "billed_to_other": True,
        "bill_to_customer_id": group,
        "bill_to_customer_number": bill_to.json()["bill_to_customer_number"],
        "name": "Meyer Gruppe AG – Kreditoren",
        "email": "kreditoren@meyer.example",
        "street": "Hafenstraße 5",
        "postal_code": "20457",
        "city": "Hamburg",
        "country": "DE",
        "tax_id": None,
        "tax_rate": "19.00",
        "tax_exemption_reason": None,
        "payment_terms_days": 45,
    }
    assert bill_to.json()["bill_to_customer_number"].startswith("C-")


async def test_an_eu_business_gets_reverse_charge_and_a_patch_needs_the_version(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    customer_id = await new_customer(client, admin, "Imprimerie Dupont", country="FR")
    profile = await create_profile(client, admin, customer_id, tax_id="FR40303265045")
    url = f"{PROFILES}/{profile['id']}"

    assert (profile["tax_rate"], profile["tax_exemption_reason"]) == ("0.00", REVERSE_CHARGE)
    changed = await client.patch(url, json={"version": 1, "invoice_email": "compta@dupont.example"}, headers=admin)
    stale = await client.patch(url, json={"version": 1, "city": "Lyon"}, headers=admin)
    taxed = await client.patch(url, json={"version": 2, "tax_rate": "20"}, headers=admin)

    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert stale.status_code == 409 and problem_of(stale)["code"] == "stale_version"
    # still exempt: a rate needs the exemption removed in the same change
    assert taxed.status_code == 422 and problem_of(taxed)["code"] == "invalid_tax_rate"
    assert problem_of(taxed)["field"] == "tax_rate"


async def test_bad_input_is_a_422_naming_the_field_never_a_500(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    customer_id = await new_customer(client, admin, "ACME")
    other = await new_customer(client, admin, "Globex")
    await create_profile(client, admin, other, bill_to_customer_id=customer_id)

    bodies: dict[str, tuple[dict[str, Any], str]] = {
        "tax_rate": ({"tax_rate": "19.999"}, "invalid_tax_rate"),
        "country": ({"country": "de"}, "invalid_country"),
        "payment_terms_days": ({"payment_terms_days": 400}, "invalid_payment_terms"),
        "invoice_email": ({"invoice_email": "not-an-address"}, "invalid_email"),
        "bill_to_customer_id": ({"bill_to_customer_id": customer_id}, "invalid_bill_to"),
    }
    for field, (body, code) in bodies.items():
        response = await client.post(PROFILES, json={"customer_id": customer_id, **body}, headers=admin)
        assert response.status_code == 422, (field, response.text)
        assert (problem_of(response)["code"], problem_of(response)["field"]) == (code, field)
    unknown_field = await client.post(PROFILES, json={"customer_id": customer_id, "vat": "x"}, headers=admin)
    not_a_number = await client.post(PROFILES, json={"customer_id": customer_id, "tax_rate": "abc"}, headers=admin)
    assert unknown_field.status_code == 422 and problem_of(unknown_field)["field"] == "vat"
    assert not_a_number.status_code == 422 and problem_of(not_a_number)["field"] == "tax_rate"


@pytest.mark.parametrize("role", ["contract_admin", "manager", "agent"])
async def test_staff_who_deal_with_money_read_profiles_and_bill_to(
    client: Client, login_as: UserFactory, role: str
) -> None:
    admin = await login_as("contract_admin")
    customer_id = await new_customer(client, admin, "ACME", country="DE")
    profile = await create_profile(client, admin, customer_id)
    reader = await login_as(role)

    listed = await client.get(PROFILES, params={"customer_id": customer_id}, headers=reader)
    one = await client.get(f"{PROFILES}/{profile['id']}", headers=reader)
    bill_to = await client.get(f"/api/v1/customers/{customer_id}/bill-to", headers=reader)

    assert listed.status_code == 200 and [p["id"] for p in listed.json()["items"]] == [profile["id"]]
    assert one.status_code == 200 and one.json()["tax_rate"] == "19.00"
    assert bill_to.status_code == 200 and bill_to.json()["tax_rate"] == "19.00"


@pytest.mark.parametrize("role", ["manager", "agent", "admin", "planner", "depot", "technician", "customer"])
async def test_only_a_contract_admin_creates_or_changes_a_profile(
    client: Client, login_as: UserFactory, role: str
) -> None:
    admin = await login_as("contract_admin")
    customer_id = await new_customer(client, admin, "ACME")
    profile = await create_profile(client, admin, customer_id)
    other = await new_customer(client, admin, "Globex")
    someone = await login_as(role, customer_id=customer_id if role == "customer" else None)

    created = await client.post(PROFILES, json={"customer_id": other}, headers=someone)
    changed = await client.patch(
        f"{PROFILES}/{profile['id']}", json={"version": 1, "payment_terms_days": 90}, headers=someone
    )

    assert created.status_code == 403 and changed.status_code == 403
    assert problem_of(created)["code"] == "role_not_allowed"


@pytest.mark.parametrize("role", ["planner", "depot", "technician"])
async def test_field_and_depot_roles_cannot_read_billing_details(
    client: Client, login_as: UserFactory, role: str
) -> None:
    admin = await login_as("contract_admin")
    customer_id = await new_customer(client, admin, "ACME")
    profile = await create_profile(client, admin, customer_id)
    someone = await login_as(role)

    for url in (PROFILES, f"{PROFILES}/{profile['id']}", f"/api/v1/customers/{customer_id}/bill-to"):
        response = await client.get(url, headers=someone)
        assert response.status_code == 403, (url, response.text)


async def test_a_customer_user_sees_only_its_own_profile_and_bill_to(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    acme = await new_customer(client, admin, "ACME", country="DE")
    globex = await new_customer(client, admin, "Globex", country="DE")
    own = await create_profile(client, admin, acme, invoice_email="ap@acme.example")
    foreign = await create_profile(client, admin, globex)
    portal = await login_as("customer", customer_id=acme)

    listed = await client.get(PROFILES, headers=portal)
    filtered_to_other = await client.get(PROFILES, params={"customer_id": globex}, headers=portal)
    mine = await client.get(f"{PROFILES}/{own['id']}", headers=portal)
    theirs = await client.get(f"{PROFILES}/{foreign['id']}", headers=portal)
    my_bill_to = await client.get(f"/api/v1/customers/{acme}/bill-to", headers=portal)
    their_bill_to = await client.get(f"/api/v1/customers/{globex}/bill-to", headers=portal)

    assert [p["id"] for p in listed.json()["items"]] == [own["id"]]
    assert filtered_to_other.status_code == 200 and filtered_to_other.json()["items"] == []
    assert mine.status_code == 200 and mine.json()["invoice_email"] == "ap@acme.example"
    assert theirs.status_code == 404 and problem_of(theirs)["code"] == "billing_profile_not_found"
    assert my_bill_to.status_code == 200 and my_bill_to.json()["email"] == "ap@acme.example"
    assert their_bill_to.status_code == 404 and problem_of(their_bill_to)["code"] == "customer_not_found"


async def test_without_a_token_nothing_is_answered(client: Client) -> None:
    response = await client.get(PROFILES)
    assert response.status_code == 401 and problem_of(response)["code"] == "unauthenticated"
