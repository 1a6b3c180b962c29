"""Warranty terms, product default terms and warranties over HTTP, with customer scoping."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.services.warranties import grant_default_warranty
from core.auth import SYSTEM
from core.db import session_scope
from masterdata.models import Equipment
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
Sessions = async_sessionmaker[AsyncSession]
TERMS = "/api/v1/warranty-terms"
WARRANTIES = "/api/v1/warranties"


def term_body(**changes: Any) -> dict[str, Any]:
    return {
        "code": "STD-24",
        "name": "Standard 24 months",
        "duration_months": 24,
        "labour_pct": "100",
        "parts_pct": "100",
        "travel_pct": "50",
        **changes,
    }


async def a_term(client: Client, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = await client.post(TERMS, json=term_body(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def a_customer(client: Client, headers: dict[str, str], name: str = "ACME") -> str:
    response = await client.post("/api/v1/customers", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def a_product(client: Client, headers: dict[str, str], sku: str = "PRN-1") -> str:
    body = {"sku": sku, "name": "Office printer", "kind": "equipment", "serialized": True, "list_price": "2400"}
    response = await client.post("/api/v1/products", json={**body, "currency": "EUR", "unit": "pc"}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def a_unit(
    sessions: Sessions, customer_id: str, product_id: str, serial: str, installed: dt.date = dt.date(2026, 3, 10)
) -> str:
    """A registered unit with its manufacturer warranty granted, as equipment registration does."""
    async with session_scope(sessions) as session:
        unit = Equipment(
            product_id=uuid.UUID(product_id),
            serial_number=serial,
            customer_id=uuid.UUID(customer_id),
            install_date=installed,
            status="in_service",
        )
        session.add(unit)
        await session.flush()
        await grant_default_warranty(
            session, SYSTEM, unit.id, unit.customer_id, unit.product_id, unit.install_date, None, {}
        )
        return str(unit.id)


# --- warranty terms -----------------------------------------------------------------------


async def test_a_contract_admin_defines_a_term_limited_by_months_or_pages(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")

    term = await a_term(
        client,
        admin,
        duration_months=36,
        counter_name="pages",
        counter_units="300000",
        start_basis="ship_date",
        exchange_type="advance_exchange",
        parts_pct="87.5",
    )
    changed = await client.patch(f"{TERMS}/{term['id']}", json={"version": 1, "travel_pct": 0}, headers=admin)

    assert (term["duration_months"], term["counter_name"]) == (36, "pages")
    assert Decimal(term["counter_units"]) == 300000
    assert (term["start_basis"], term["exchange_type"]) == ("ship_date", "advance_exchange")
    assert Decimal(term["parts_pct"]) == Decimal("87.5")
    assert changed.status_code == 200
    assert Decimal(changed.json()["travel_pct"]) == 0 and changed.json()["version"] == 2


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"duration_months": None}, "term_without_limit", "duration_months"),
        ({"counter_units": "5000"}, "counter_name_required", "counter_name"),
        ({"counter_name": "hours"}, "counter_name_required", "counter_units"),
        ({"counter_name": "hours", "counter_units": "0"}, "invalid_counter_value", "counter_units"),
        ({"counter_name": "hours", "counter_units": "1.2345"}, "invalid_counter_value", "counter_units"),
        ({"counter_name": "hours", "counter_units": "NaN"}, "invalid_counter_value", "counter_units"),
        ({"labour_pct": "Infinity"}, "invalid_percent", "labour_pct"),
        ({"parts_pct": "100.01"}, "invalid_percent", "parts_pct"),
        ({"labour_pct": "-1"}, "invalid_percent", "labour_pct"),
        ({"travel_pct": "33.333"}, "invalid_percent", "travel_pct"),
        ({"duration_months": 0}, "validation_failed", "duration_months"),
        ({"exchange_type": "swap"}, "validation_failed", "exchange_type"),
        ({"labour_pct": "lots"}, "validation_failed", "labour_pct"),
    ],
)
async def test_a_term_needs_a_limit_and_percentages_from_0_to_100(
    client: Client, login_as: UserFactory, changes: dict[str, Any], code: str, field: str
) -> None:
    admin = await login_as("contract_admin")

    response = await client.post(TERMS, json=term_body(**changes), headers=admin)

    body = problem_of(response)
    assert response.status_code == 422
    assert (body["code"], body["field"]) == (code, field)


async def test_term_codes_are_unique_and_service_levels_must_exist(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    term = await a_term(client, admin)

    duplicate = await client.post(TERMS, json=term_body(), headers=admin)
    unknown_level = await client.post(
        TERMS, json=term_body(code="OTHER", service_level_id=str(uuid.uuid4())), headers=admin
    )
    limitless = await client.patch(f"{TERMS}/{term['id']}", json={"version": 1, "duration_months": None}, headers=admin)

    assert duplicate.status_code == 409 and problem_of(duplicate)["code"] == "duplicate_code"
    assert unknown_level.status_code == 404
    assert (problem_of(unknown_level)["code"], problem_of(unknown_level)["field"]) == (
        "service_level_not_found",
        "service_level_id",
    )
    assert limitless.status_code == 422 and problem_of(limitless)["code"] == "term_without_limit"


# --- product default terms ----------------------------------------------------------------


async def test_a_product_carries_a_default_term(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    agent = await login_as("agent")
    product_id = await a_product(client, admin)
    term = await a_term(client, admin)
    url = f"/api/v1/products/{product_id}/warranty-term"

    before = await client.get(url, headers=agent)
    put = await client.put(url, json={"term_id": term["id"]}, headers=admin)
    after = await client.get(url, headers=agent)
    term_in_use = await client.delete(f"{TERMS}/{term['id']}", headers=admin)
    cleared = await client.delete(url, headers=admin)
    gone = await client.get(url, headers=agent)
    term_deleted = await client.delete(f"{TERMS}/{term['id']}", headers=admin)

    assert before.status_code == 200 and before.json() == {"product_id": product_id, "term": None}
    assert put.status_code == 200 and put.json()["term"]["code"] == "STD-24"
    assert after.json()["term"]["id"] == term["id"]
    assert term_in_use.status_code == 409 and problem_of(term_in_use)["dependents"] == {"products": 1}
    assert cleared.status_code == 204 and gone.json()["term"] is None
    assert term_deleted.status_code == 204


async def test_an_unknown_product_or_term_is_not_found(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    product_id = await a_product(client, admin)
    term = await a_term(client, admin)

    no_product = await client.put(
        f"/api/v1/products/{uuid.uuid4()}/warranty-term", json={"term_id": term["id"]}, headers=admin
    )
    no_term = await client.put(
        f"/api/v1/products/{product_id}/warranty-term", json={"term_id": str(uuid.uuid4())}, headers=admin
    )

    assert no_product.status_code == 404 and problem_of(no_product)["code"] == "product_not_found"
    assert no_term.status_code == 404
    assert (problem_of(no_term)["code"], problem_of(no_term)["field"]) == ("warranty_term_not_found", "term_id")


# --- warranties ---------------------------------------------------------------------------


async def test_an_extended_warranty_is_sold_after_the_manufacturer_warranty(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    admin = await login_as("contract_admin")
    customer_id = await a_customer(client, admin)
    product_id = await a_product(client, admin)
    standard = await a_term(client, admin, duration_months=12)
    extension = await a_term(client, admin, code="EXT-24", name="Extension", duration_months=24, parts_pct="50")
    await client.put(f"/api/v1/products/{product_id}/warranty-term", json={"term_id": standard["id"]}, headers=admin)
    unit_id = await a_unit(sessions, customer_id, product_id, "SN-1", installed=dt.date(2026, 3, 10))

    sold = await client.post(WARRANTIES, json={"equipment_id": unit_id, "term_id": extension["id"]}, headers=admin)
    history = await client.get(f"/api/v1/equipment/{unit_id}/warranties", headers=admin)

    assert sold.status_code == 201, sold.text
    warranty = sold.json()
    assert (warranty["kind"], warranty["customer_id"], warranty["term_code"]) == ("extended", customer_id, "EXT-24")
    assert (warranty["starts_on"], warranty["ends_on"]) == ("2027-03-10", "2029-03-09")
    assert Decimal(warranty["coverage"]["parts_pct"]) == 50 and warranty["void"] is False
    assert [(w["kind"], w["starts_on"], w["ends_on"]) for w in history.json()] == [
        ("manufacturer", "2026-03-10", "2027-03-09"),
        ("extended", "2027-03-10", "2029-03-09"),
    ]


async def test_a_sale_for_an_unknown_unit_or_with_impossible_values_is_refused(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    admin = await login_as("contract_admin")
    unit_id = await a_unit(sessions, await a_customer(client, admin), await a_product(client, admin), "SN-1")
    by_hours = await a_term(client, admin, duration_months=None, counter_name="hours", counter_units="20000")
    sale = {"equipment_id": unit_id, "term_id": by_hours["id"]}

    unknown_unit = await client.post(WARRANTIES, json={**sale, "equipment_id": str(uuid.uuid4())}, headers=admin)
    far_future = await client.post(WARRANTIES, json={**sale, "starts_on": "9999-12-01"}, headers=admin)
    negative = await client.post(WARRANTIES, json={**sale, "counter_at_start": "-5"}, headers=admin)
    overflowing = await client.post(WARRANTIES, json={**sale, "counter_at_start": "999999999999999.999"}, headers=admin)
    fine = await client.post(WARRANTIES, json={**sale, "counter_at_start": "1500.5"}, headers=admin)

    assert unknown_unit.status_code == 404
    assert (problem_of(unknown_unit)["code"], problem_of(unknown_unit)["field"]) == (
        "equipment_not_found",
        "equipment_id",
    )
    assert far_future.status_code == 422 and problem_of(far_future)["code"] == "invalid_start_date"
    for refused in (negative, overflowing):
        assert refused.status_code == 422
        assert (problem_of(refused)["code"], problem_of(refused)["field"]) == (
            "invalid_counter_value",
            "counter_at_start",
        )
    assert fine.status_code == 201 and Decimal(fine.json()["counter_limit"]) == Decimal("21500.5")
    assert fine.json()["ends_on"] is None


async def test_warranties_are_listed_by_unit_customer_and_day_in_force(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    admin = await login_as("contract_admin")
    acme, globex = await a_customer(client, admin, "ACME"), await a_customer(client, admin, "Globex")
    product_id = await a_product(client, admin)
    term = await a_term(client, admin, duration_months=12)
    await client.put(f"/api/v1/products/{product_id}/warranty-term", json={"term_id": term["id"]}, headers=admin)
    old = await a_unit(sessions, acme, product_id, "SN-OLD", installed=dt.date(2024, 1, 15))
    new = await a_unit(sessions, acme, product_id, "SN-NEW", installed=dt.date(2026, 1, 15))
    await a_unit(sessions, globex, product_id, "SN-GLX", installed=dt.date(2026, 2, 1))

    of_acme = await client.get(WARRANTIES, params={"customer_id": acme}, headers=admin)
    of_unit = await client.get(WARRANTIES, params={"equipment_id": old}, headers=admin)
    in_force = await client.get(WARRANTIES, params={"active_on": "2026-06-01", "sort": "-starts_on"}, headers=admin)
    bad_day = await client.get(WARRANTIES, params={"active_on": "someday"}, headers=admin)

    assert of_acme.json()["total"] == 2
    assert [w["ends_on"] for w in of_unit.json()["items"]] == ["2025-01-14"]
    assert [w["equipment_id"] for w in in_force.json()["items"]][-1] == new
    assert in_force.json()["total"] == 2
    assert bad_day.status_code == 422 and problem_of(bad_day)["field"] == "active_on"


async def test_a_customer_sees_only_its_own_warranties(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    admin = await login_as("contract_admin")
    acme, globex = await a_customer(client, admin, "ACME"), await a_customer(client, admin, "Globex")
    product_id = await a_product(client, admin)
    term = await a_term(client, admin)
    await client.put(f"/api/v1/products/{product_id}/warranty-term", json={"term_id": term["id"]}, headers=admin)
    own_unit = await a_unit(sessions, acme, product_id, "SN-A")
    other_unit = await a_unit(sessions, globex, product_id, "SN-G")
    portal = await login_as("customer", customer_id=uuid.UUID(acme))
    other_id = (await client.get(WARRANTIES, params={"customer_id": globex}, headers=admin)).json()["items"][0]["id"]

    listed = await client.get(WARRANTIES, headers=portal)
    snooping = await client.get(WARRANTIES, params={"customer_id": globex}, headers=portal)
    own_history = await client.get(f"/api/v1/equipment/{own_unit}/warranties", headers=portal)
    other = await client.get(f"{WARRANTIES}/{other_id}", headers=portal)
    other_history = await client.get(f"/api/v1/equipment/{other_unit}/warranties", headers=portal)
    buying = await client.post(WARRANTIES, json={"equipment_id": own_unit, "term_id": term["id"]}, headers=portal)
    terms = await client.get(TERMS, headers=portal)

    assert [w["equipment_id"] for w in listed.json()["items"]] == [own_unit]
    assert snooping.json()["total"] == 0
    assert own_history.status_code == 200 and len(own_history.json()) == 1
    assert other.status_code == 404 and problem_of(other)["code"] == "warranty_not_found"
    assert other_history.status_code == 404 and problem_of(other_history)["code"] == "equipment_not_found"
    assert buying.status_code == 403 and terms.status_code == 403


async def test_voiding_a_warranty(client: Client, login_as: UserFactory, sessions: Sessions) -> None:
    admin = await login_as("contract_admin")
    agent = await login_as("agent")
    customer_id = await a_customer(client, admin)
    product_id = await a_product(client, admin)
    term = await a_term(client, admin)
    await client.put(f"/api/v1/products/{product_id}/warranty-term", json={"term_id": term["id"]}, headers=admin)
    unit_id = await a_unit(sessions, customer_id, product_id, "SN-1", installed=dt.date(2026, 3, 10))
    warranty = (await client.get(f"/api/v1/equipment/{unit_id}/warranties", headers=agent)).json()[0]
    url = f"{WARRANTIES}/{warranty['id']}/void"

    by_agent = await client.post(url, json={"version": 1, "reason": "grey import"}, headers=agent)
    no_reason = await client.post(url, json={"version": 1}, headers=admin)
    voided = await client.post(url, json={"version": 1, "reason": "grey import"}, headers=admin)
    stale = await client.post(url, json={"version": 1, "reason": "again"}, headers=admin)
    twice = await client.post(url, json={"version": 2, "reason": "again"}, headers=admin)
    in_force = await client.get(WARRANTIES, params={"active_on": "2026-06-01"}, headers=agent)
    fetched = await client.get(f"{WARRANTIES}/{warranty['id']}", headers=agent)

    assert by_agent.status_code == 403
    assert no_reason.status_code == 422 and problem_of(no_reason)["field"] == "reason"
    assert voided.status_code == 200 and voided.json()["void"] is True and voided.json()["version"] == 2
    assert stale.status_code == 409 and problem_of(stale)["code"] == "stale_version"
    assert twice.status_code == 409 and problem_of(twice)["code"] == "warranty_already_void"
    assert in_force.json()["total"] == 0
    assert fetched.json()["void"] is True


async def test_who_may_do_what(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    term = await a_term(client, admin)
    technician = await login_as("technician")
    planner = await login_as("planner")

    tech_list = await client.get(WARRANTIES, headers=technician)
    tech_terms = await client.get(TERMS, headers=technician)
    planner_reads = await client.get(f"{TERMS}/{term['id']}", headers=planner)
    planner_writes = await client.patch(f"{TERMS}/{term['id']}", json={"version": 1, "name": "X"}, headers=planner)
    planner_sells = await client.post(
        WARRANTIES, json={"equipment_id": str(uuid.uuid4()), "term_id": term["id"]}, headers=planner
    )
    anonymous = await client.get(WARRANTIES)

    for response in (tech_list, tech_terms, planner_writes, planner_sells):
        assert response.status_code == 403 and problem_of(response)["code"] == "role_not_allowed"
    assert planner_reads.status_code == 200
    assert anonymous.status_code == 401
