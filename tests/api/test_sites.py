"""Sites over HTTP: addresses, time zones, opening hours, scope, and deletes refused while referenced."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit import audit_log
from core.db import session_scope
from masterdata.models import Equipment, Product
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
Headers = dict[str, str]

OFFICE_HOURS = [
    {"weekday": 0, "opens": "13:00", "closes": "17:00"},
    {"weekday": 0, "opens": "08:00", "closes": "12:00"},
    {"weekday": 5, "opens": "10:00", "closes": "24:00"},
]


async def customer(client: Client, headers: Headers, name: str = "ACME Printing", **body: Any) -> str:
    response = await client.post("/api/v1/customers", json={"name": name, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def site_body(customer_id: str, **body: Any) -> dict[str, Any]:
    return {"customer_id": customer_id, "name": "Head office", "country": "DE", "time_zone": "Europe/Berlin", **body}


async def site(client: Client, headers: Headers, customer_id: str, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/sites", json=site_body(customer_id, **body), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def install_equipment(sessions: async_sessionmaker[AsyncSession], customer_id: str, site_id: str) -> None:
    async with session_scope(sessions) as s:
        product = Product(
            sku="PRN-4000",
            name="Printer 4000",
            kind="equipment",
            serialized=True,
            list_price=Decimal("4990.00"),
            currency="EUR",
            unit="pc",
        )
        s.add(product)
        await s.flush()
        s.add(
            Equipment(product_id=product.id, serial_number="SN-1", customer_id=UUID(customer_id), site_id=UUID(site_id))
        )


async def test_an_agent_creates_a_site_with_sorted_opening_hours(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    acme = await customer(client, agent)

    created = await site(
        client,
        agent,
        acme,
        street="Hauptstr. 1",
        postal_code="10115",
        city="Berlin",
        subdivision="BE",
        latitude=52.53,
        longitude=13.38,
        access_notes="Ring at the loading dock",
        opening_hours=OFFICE_HOURS,
    )
    changed = await client.patch(
        f"/api/v1/sites/{created['id']}",
        json={"version": 1, "time_zone": "Europe/Vienna", "opening_hours": []},
        headers=agent,
    )

    assert created["customer_id"] == acme and created["latitude"] == 52.53 and created["version"] == 1
    assert [(h["weekday"], h["opens"], h["closes"]) for h in created["opening_hours"]] == [
        (0, "08:00", "12:00"),
        (0, "13:00", "17:00"),
        (5, "10:00", "24:00"),
    ]
    assert changed.status_code == 200, changed.text
    assert changed.json()["time_zone"] == "Europe/Vienna" and changed.json()["opening_hours"] == []
    assert changed.json()["version"] == 2


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "europe/berlin", "localtime", "../etc/passwd", "CET+1"])
async def test_a_time_zone_must_be_an_iana_name(client: Client, login_as: UserFactory, zone: str) -> None:
    agent = await login_as("agent")
    acme = await customer(client, agent)
    existing = await site(client, agent, acme)

    created = await client.post("/api/v1/sites", json=site_body(acme, time_zone=zone), headers=agent)
    patched = await client.patch(
        f"/api/v1/sites/{existing['id']}", json={"version": 1, "time_zone": zone}, headers=agent
    )

    for response in (created, patched):
        assert response.status_code == 422, response.text
        assert problem_of(response)["code"] == "invalid_time_zone" and problem_of(response)["field"] == "time_zone"


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ([{"weekday": 7, "opens": "08:00", "closes": "12:00"}], "opening_hours[0].weekday"),
        (
            [{"weekday": 0, "opens": "08:00", "closes": "12:00"}, {"weekday": 1, "opens": "8:00", "closes": "12:00"}],
            "opening_hours[1].opens",
        ),
        ([{"weekday": 2, "opens": "08:00", "closes": "25:00"}], "opening_hours[0].closes"),
        ([{"weekday": 2, "opens": "24:00", "closes": "24:00"}], "opening_hours[0].opens"),
        ([{"weekday": 3, "opens": "12:00", "closes": "08:00"}], "opening_hours[0].closes"),
        ([{"weekday": 4, "opens": "08:00", "closes": "08:00"}], "opening_hours[0].closes"),
        (
            [{"weekday": 4, "opens": "13:00", "closes": "17:00"}, {"weekday": 4, "opens": "08:00", "closes": "13:30"}],
            "opening_hours[0].opens",
        ),
    ],
)
async def test_opening_hours_are_checked_entry_by_entry(
    client: Client, login_as: UserFactory, hours: list[dict[str, Any]], field: str
) -> None:
    agent = await login_as("agent")
    acme = await customer(client, agent)

    response = await client.post("/api/v1/sites", json=site_body(acme, opening_hours=hours), headers=agent)

    assert response.status_code == 422, response.text
    assert problem_of(response)["code"] == "invalid_opening_hours" and problem_of(response)["field"] == field


async def test_back_to_back_intervals_and_the_same_hours_on_other_days_are_fine(
    client: Client, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    hours = [
        {"weekday": 0, "opens": "08:00", "closes": "12:00"},
        {"weekday": 0, "opens": "12:00", "closes": "16:00"},
        {"weekday": 1, "opens": "08:00", "closes": "12:00"},
    ]

    created = await site(client, agent, await customer(client, agent), opening_hours=hours)

    assert len(created["opening_hours"]) == 3


async def test_address_and_position_are_validated(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    acme = await customer(client, agent)
    existing = await site(client, agent, acme, latitude=48.1, longitude=11.6)

    latitude = await client.post("/api/v1/sites", json=site_body(acme, latitude=91, longitude=0), headers=agent)
    longitude = await client.post("/api/v1/sites", json=site_body(acme, latitude=0, longitude=-180.5), headers=agent)
    country = await client.post("/api/v1/sites", json=site_body(acme, country="Germany"), headers=agent)
    half = await client.post("/api/v1/sites", json=site_body(acme, latitude=48.1), headers=agent)
    drop_half = await client.patch(
        f"/api/v1/sites/{existing['id']}", json={"version": 1, "latitude": None}, headers=agent
    )
    no_zone = await client.post(
        "/api/v1/sites", json={"customer_id": acme, "name": "X", "country": "DE"}, headers=agent
    )

    assert latitude.status_code == 422 and problem_of(latitude)["field"] == "latitude"
    assert longitude.status_code == 422 and problem_of(longitude)["field"] == "longitude"
    assert country.status_code == 422 and problem_of(country)["field"] == "country"
    assert half.status_code == 422 and problem_of(half)["code"] == "coordinates_incomplete"
    assert problem_of(half)["field"] == "longitude"
    assert drop_half.status_code == 422 and problem_of(drop_half)["field"] == "latitude"
    assert no_zone.status_code == 422 and "time_zone" in problem_of(no_zone)["detail"]


async def test_a_site_has_a_dispatch_territory(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    acme = await customer(client, agent)
    created = await site(client, agent, acme, territory="north")
    url = f"/api/v1/sites/{created['id']}"

    moved = await client.patch(url, json={"version": 1, "territory": "south"}, headers=agent)
    cleared = await client.patch(url, json={"version": 2, "territory": None}, headers=agent)
    too_long = await client.post("/api/v1/sites", json=site_body(acme, territory="x" * 65), headers=agent)
    empty = await client.patch(url, json={"version": 3, "territory": ""}, headers=agent)

    assert created["territory"] == "north"
    assert moved.status_code == 200 and moved.json()["territory"] == "south"
    assert cleared.status_code == 200 and cleared.json()["territory"] is None
    assert (await client.get(url, headers=agent)).json()["territory"] is None
    assert (await site(client, agent, acme))["territory"] is None
    for response in (too_long, empty):
        assert response.status_code == 422, response.text
        assert problem_of(response)["code"] == "validation_failed" and problem_of(response)["field"] == "territory"


async def test_a_site_needs_a_visible_customer(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")

    response = await client.post("/api/v1/sites", json=site_body("00000000-0000-0000-0000-000000000001"), headers=agent)

    assert response.status_code == 404
    assert problem_of(response)["code"] == "customer_not_found" and problem_of(response)["field"] == "customer_id"


async def test_listing_filters_by_customer_country_and_text(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    acme = await customer(client, agent)
    globex = await customer(client, agent, "Globex")
    await site(client, agent, acme, name="Plant 1", city="Munich")
    await site(client, agent, acme, name="Warehouse", city="Linz", country="AT", time_zone="Europe/Vienna")
    await site(client, agent, globex, name="Head office", city="Hamburg")

    of_acme = await client.get("/api/v1/sites", params={"customer_id": acme}, headers=agent)
    in_austria = await client.get("/api/v1/sites", params={"country": "AT"}, headers=agent)
    by_city = await client.get("/api/v1/sites", params={"q": "MUN"}, headers=agent)
    by_name = await client.get("/api/v1/sites", params={"q": "head"}, headers=agent)
    bad_country = await client.get("/api/v1/sites", params={"country": "austria"}, headers=agent)

    assert [s["name"] for s in of_acme.json()["items"]] == ["Plant 1", "Warehouse"]
    assert [s["name"] for s in in_austria.json()["items"]] == ["Warehouse"]
    assert [s["name"] for s in by_city.json()["items"]] == ["Plant 1"]
    assert [s["name"] for s in by_name.json()["items"]] == ["Head office"]
    assert bad_country.status_code == 422 and problem_of(bad_country)["field"] == "country"


async def test_listing_filters_by_dispatch_territory(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    acme = await customer(client, agent)
    await site(client, agent, acme, name="Plant 1", territory="north")
    await site(client, agent, acme, name="Plant 2", territory="south")
    await site(client, agent, acme, name="Plant 3")

    north = await client.get("/api/v1/sites", params={"territory": "north"}, headers=agent)
    too_long = await client.get("/api/v1/sites", params={"territory": "x" * 65}, headers=agent)

    assert [s["name"] for s in north.json()["items"]] == ["Plant 1"]
    assert too_long.status_code == 422 and problem_of(too_long)["field"] == "territory"


async def test_a_customer_user_sees_the_sites_of_its_own_customers_only(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    group = await customer(client, agent, "Group")
    subsidiary = await customer(client, agent, "Subsidiary", parent_id=group)
    stranger = await customer(client, agent, "Someone else")
    own = await site(client, agent, group)
    sub = await site(client, agent, subsidiary, name="Plant")
    foreign = await site(client, agent, stranger, name="Secret lab")
    portal = await login_as("customer", customer_id=group)

    listed = await client.get("/api/v1/sites", headers=portal)
    read_foreign = await client.get(f"/api/v1/sites/{foreign['id']}", headers=portal)
    read_own = await client.get(f"/api/v1/sites/{sub['id']}", headers=portal)
    create = await client.post("/api/v1/sites", json=site_body(group), headers=portal)

    assert {s["id"] for s in listed.json()["items"]} == {own["id"], sub["id"]}
    assert read_foreign.status_code == 404 and problem_of(read_foreign)["code"] == "site_not_found"
    assert read_own.status_code == 200
    assert create.status_code == 403 and problem_of(create)["code"] == "role_not_allowed"


async def test_technicians_and_other_staff_cannot_change_sites(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    acme = await customer(client, agent)
    existing = await site(client, agent, acme)
    technician = await login_as("technician")
    contract_admin = await login_as("contract_admin")
    planner = await login_as("planner")

    tech_create = await client.post("/api/v1/sites", json=site_body(acme), headers=technician)
    tech_read = await client.get(f"/api/v1/sites/{existing['id']}", headers=technician)
    admin_patch = await client.patch(f"/api/v1/sites/{existing['id']}", json={"version": 1}, headers=contract_admin)
    planner_delete = await client.delete(f"/api/v1/sites/{existing['id']}", headers=planner)
    planner_read = await client.get(f"/api/v1/sites/{existing['id']}", headers=planner)

    for response in (tech_create, tech_read, admin_patch, planner_delete):
        assert response.status_code == 403, response.text
        assert problem_of(response)["code"] == "role_not_allowed"
    assert planner_read.status_code == 200


async def test_a_stale_version_is_a_conflict(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    existing = await site(client, agent, await customer(client, agent))
    url = f"/api/v1/sites/{existing['id']}"

    first = await client.patch(url, json={"version": 1, "access_notes": "Key at reception"}, headers=agent)
    second = await client.patch(url, json={"version": 1, "access_notes": "Too late"}, headers=agent)

    assert first.status_code == 200 and first.json()["version"] == 2
    assert second.status_code == 409 and problem_of(second)["code"] == "stale_version"


async def test_a_site_with_equipment_cannot_be_deleted(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    admin = await login_as("admin")
    acme = await customer(client, admin)
    busy = await site(client, admin, acme)
    await install_equipment(sessions, acme, busy["id"])

    refused = await client.delete(f"/api/v1/sites/{busy['id']}", headers=admin)
    still_there = await client.get(f"/api/v1/sites/{busy['id']}", headers=admin)

    assert refused.status_code == 409
    assert problem_of(refused)["code"] == "site_in_use"
    assert problem_of(refused)["dependents"] == {"equipment": 1}
    assert still_there.status_code == 200


async def test_deleting_an_unused_site_is_audited(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    agent = await login_as("agent")
    existing = await site(client, agent, await customer(client, agent))
    url = f"/api/v1/sites/{existing['id']}"
    await client.patch(url, json={"version": 1, "city": "Potsdam"}, headers=agent)

    deleted = await client.delete(url, headers=agent)
    gone = await client.get(url, headers=agent)
    async with sessions() as s:
        rows = (
            await s.execute(
                select(audit_log.c.action, audit_log.c.after)
                .where(audit_log.c.entity == "site", audit_log.c.entity_id == existing["id"])
                .order_by(audit_log.c.id)
            )
        ).all()

    assert deleted.status_code == 204 and gone.status_code == 404
    assert [r.action for r in rows] == ["create", "update", "delete"]
    assert rows[1].after == {"city": "Potsdam", "version": 2}
