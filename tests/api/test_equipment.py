"""The installed base over HTTP: registering units, the component tree, moves, replacements, scope, history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import session_scope
from masterdata.models import Product, Site
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
Headers = dict[str, str]
Sessions = async_sessionmaker[AsyncSession]


# --- test data -------------------------------------------------------------------------------


async def make_customer(client: Client, headers: Headers, name: str = "ACME Printing", **body: Any) -> str:
    response = await client.post("/api/v1/customers", json={"name": name, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def make_site(sessions: Sessions, customer_id: str, name: str = "Plant 1") -> str:
    async with session_scope(sessions) as s:
        site = Site(customer_id=UUID(customer_id), name=name, country="DE", time_zone="Europe/Berlin")
        s.add(site)
        await s.flush()
        return str(site.id)


async def make_product(sessions: Sessions, sku: str, *, serialized: bool = True, name: str | None = None) -> str:
    async with session_scope(sessions) as s:
        product = Product(
            sku=sku,
            name=name or sku.title(),
            kind="equipment" if serialized else "consumable",
            serialized=serialized,
            list_price=Decimal("100.00"),
            currency="EUR",
            unit="pc",
        )
        s.add(product)
        await s.flush()
        return str(product.id)


async def register(client: Client, headers: Headers, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/equipment", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def history(client: Client, headers: Headers, equipment_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/equipment/{equipment_id}/history", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


class Plant:
    """One customer with two sites and a printer → controller → power supply, registered by an agent."""

    customer_id: str
    site_id: str
    other_site_id: str
    products: dict[str, str]
    machine: dict[str, Any]
    controller: dict[str, Any]
    psu: dict[str, Any]

    @classmethod
    async def build(cls, client: Client, sessions: Sessions, agent: Headers, name: str = "ACME") -> Plant:
        plant = cls()
        plant.customer_id = await make_customer(client, agent, name)
        plant.site_id = await make_site(sessions, plant.customer_id, "Plant 1")
        plant.other_site_id = await make_site(sessions, plant.customer_id, "Plant 2")
        plant.products = {
            kind: await make_product(sessions, f"{name}-{kind}".upper()) for kind in ("printer", "ctrl", "psu")
        }
        plant.machine = await register(
            client, agent, product_id=plant.products["printer"], serial_number=f"{name}-P-1",
            customer_id=plant.customer_id, site_id=plant.site_id, install_date="2024-03-01", ship_date="2024-02-20",
        )  # fmt: skip
        plant.controller = await register(
            client, agent, product_id=plant.products["ctrl"], serial_number=f"{name}-C-1",
            customer_id=plant.customer_id, parent_id=plant.machine["id"], position="slot A",
        )  # fmt: skip
        plant.psu = await register(
            client, agent, product_id=plant.products["psu"], serial_number=f"{name}-PSU-1",
            customer_id=plant.customer_id, parent_id=plant.controller["id"], position="PSU",
        )  # fmt: skip
        return plant


# --- registering -----------------------------------------------------------------------------


async def test_components_inherit_the_site_and_the_tree_nests_three_levels(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    plant = await Plant.build(client, sessions, agent)
    fan = await register(
        client, agent, product_id=plant.products["psu"], serial_number="ACME-FAN-1",
        customer_id=plant.customer_id, parent_id=plant.machine["id"], position="fan",
    )  # fmt: skip

    tree = (await client.get(f"/api/v1/equipment/{plant.machine['id']}/tree", headers=agent)).json()

    assert plant.controller["site_id"] == plant.psu["site_id"] == plant.site_id
    assert tree["serial_number"] == "ACME-P-1" and tree["status"] == "in_service"
    assert tree["product"] == {"id": plant.products["printer"], "sku": "ACME-PRINTER", "name": "Acme-Printer"}
    children = [(c["serial_number"], c["position"]) for c in tree["children"]]
    assert children == [("ACME-FAN-1", "fan"), ("ACME-C-1", "slot A")]
    controller = tree["children"][1]
    assert [c["serial_number"] for c in controller["children"]] == ["ACME-PSU-1"]
    assert controller["children"][0]["children"] == []
    assert fan["parent_id"] == plant.machine["id"]


async def test_registering_writes_history_on_the_unit_and_its_parent(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    plant = await Plant.build(client, sessions, agent)

    machine_events = await history(client, agent, plant.machine["id"])
    controller_events = await history(client, agent, plant.controller["id"])

    assert [e["kind"] for e in machine_events] == ["component_installed", "created"]
    assert machine_events[0]["new_serial"] == "ACME-C-1"
    assert machine_events[0]["related_equipment_id"] == plant.controller["id"]
    assert machine_events[1]["to_site_id"] == plant.site_id and machine_events[1]["actor_name"].startswith("agent")
    assert [e["kind"] for e in controller_events] == ["component_installed", "created"]


async def test_a_duplicate_serial_of_the_same_product_is_a_conflict(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    plant = await Plant.build(client, sessions, agent)
    body = {"product_id": plant.products["printer"], "serial_number": "ACME-P-1", "customer_id": plant.customer_id}

    duplicate = await client.post("/api/v1/equipment", json=body, headers=agent)
    other_product = await client.post(
        "/api/v1/equipment", json={**body, "product_id": plant.products["psu"]}, headers=agent
    )

    assert duplicate.status_code == 409
    assert problem_of(duplicate)["code"] == "duplicate_serial"
    assert problem_of(duplicate)["field"] == "serial_number"
    assert other_product.status_code == 201


async def test_malformed_bodies_answer_422_naming_the_field(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    customer_id = await make_customer(client, agent)
    product_id = await make_product(sessions, "PRN")
    good = {"product_id": product_id, "serial_number": "SN-1", "customer_id": customer_id}

    blank_serial = await client.post("/api/v1/equipment", json={**good, "serial_number": " SN-1"}, headers=agent)
    bad_date = await client.post("/api/v1/equipment", json={**good, "install_date": "yesterday"}, headers=agent)
    unknown = await client.post("/api/v1/equipment", json={**good, "colour": "red"}, headers=agent)
    missing = await client.post("/api/v1/equipment", json={"serial_number": "SN-1"}, headers=agent)

    for response, field in ((blank_serial, "serial_number"), (bad_date, "install_date"), (unknown, "colour")):
        assert response.status_code == 422, response.text
        assert problem_of(response)["code"] == "validation_failed"
        assert problem_of(response)["field"] == field
    assert missing.status_code == 422 and problem_of(missing)["field"] == "product_id"


async def test_references_are_checked_against_product_customer_and_site(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    plant = await Plant.build(client, sessions, agent)
    stranger = await Plant.build(client, sessions, agent, name="GLOBEX")
    toner = await make_product(sessions, "TONER", serialized=False)
    body = {"product_id": plant.products["psu"], "serial_number": "NEW-1", "customer_id": plant.customer_id}

    cases = {
        "product_not_serialized": {**body, "product_id": toner},
        "site_not_of_customer": {**body, "site_id": stranger.site_id},
        "parent_not_of_customer": {**body, "parent_id": stranger.machine["id"]},
        "component_site_mismatch": {**body, "parent_id": plant.machine["id"], "site_id": plant.other_site_id},
        "install_before_ship": {**body, "install_date": "2024-01-01", "ship_date": "2024-02-01"},
    }
    answers = {code: await client.post("/api/v1/equipment", json=sent, headers=agent) for code, sent in cases.items()}
    no_product = await client.post("/api/v1/equipment", json={**body, "product_id": str(UUID(int=7))}, headers=agent)

    for code, response in answers.items():
        assert response.status_code == 422, (code, response.text)
        assert problem_of(response)["code"] == code
    assert problem_of(answers["product_not_serialized"])["field"] == "product_id"
    assert problem_of(answers["site_not_of_customer"])["field"] == "site_id"
    assert problem_of(answers["parent_not_of_customer"])["field"] == "parent_id"
    assert no_product.status_code == 404 and problem_of(no_product)["code"] == "product_not_found"


# --- scope and roles -------------------------------------------------------------------------


async def test_a_customer_user_sees_only_its_own_installed_base(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    plant = await Plant.build(client, sessions, agent)
    stranger = await Plant.build(client, sessions, agent, name="GLOBEX")
    portal = await login_as("customer", customer_id=UUID(plant.customer_id))

    listed = await client.get("/api/v1/equipment", headers=portal)
    own = await client.get(f"/api/v1/equipment/{plant.machine['id']}", headers=portal)
    filtered_to_other = await client.get(
        "/api/v1/equipment", params={"customer_id": stranger.customer_id}, headers=portal
    )
    other_paths = ["", "/tree", "/history", "/counters"]
    others = [await client.get(f"/api/v1/equipment/{stranger.machine['id']}{p}", headers=portal) for p in other_paths]

    assert {e["customer_id"] for e in listed.json()["items"]} == {plant.customer_id}
    assert listed.json()["total"] == 3
    assert own.status_code == 200
    assert filtered_to_other.json()["total"] == 0
    for response in others:
        assert response.status_code == 404, response.text
        assert problem_of(response)["code"] == "equipment_not_found"


async def test_a_group_user_sees_its_subsidiaries_equipment(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    group = await make_customer(client, agent, "Group")
    subsidiary = await make_customer(client, agent, "Subsidiary", parent_id=group)
    product = await make_product(sessions, "PRN")
    unit = await register(client, agent, product_id=product, serial_number="SUB-1", customer_id=subsidiary)
    group_user = await login_as("customer", customer_id=UUID(group))
    subsidiary_user = await login_as("customer", customer_id=UUID(subsidiary))
    group_unit = await register(client, agent, product_id=product, serial_number="GRP-1", customer_id=group)

    seen_by_group = await client.get(f"/api/v1/equipment/{unit['id']}", headers=group_user)
    seen_by_subsidiary = await client.get(f"/api/v1/equipment/{group_unit['id']}", headers=subsidiary_user)

    assert seen_by_group.status_code == 200
    assert seen_by_subsidiary.status_code == 404


async def test_roles_on_the_installed_base(client: Client, sessions: Sessions, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    plant = await Plant.build(client, sessions, agent)
    technician = await login_as("technician")
    planner = await login_as("planner")
    portal = await login_as("customer", customer_id=UUID(plant.customer_id))
    depot = await login_as("depot")
    machine = f"/api/v1/equipment/{plant.machine['id']}"
    body = {"product_id": plant.products["psu"], "serial_number": "X-1", "customer_id": plant.customer_id}

    technician_calls = [
        await client.get("/api/v1/equipment", headers=technician),
        await client.get(machine, headers=technician),
        await client.get(f"{machine}/tree", headers=technician),
        await client.get(f"{machine}/history", headers=technician),
        await client.get(f"{machine}/counters", headers=technician),
        await client.post(f"{machine}/move", json={"site_id": plant.other_site_id}, headers=technician),
    ]
    planner_read = await client.get(f"{machine}/tree", headers=planner)
    planner_create = await client.post("/api/v1/equipment", json=body, headers=planner)
    portal_create = await client.post("/api/v1/equipment", json=body, headers=portal)
    portal_patch = await client.patch(machine, json={"version": 1, "notes": "mine"}, headers=portal)
    depot_patch = await client.patch(machine, json={"version": 1, "status": "under_repair"}, headers=depot)

    for response in [*technician_calls, planner_create, portal_create, portal_patch]:
        assert response.status_code == 403, response.text
        assert problem_of(response)["code"] == "role_not_allowed"
    assert planner_read.status_code == 200
    assert depot_patch.status_code == 200 and depot_patch.json()["status"] == "under_repair"


# --- listing ---------------------------------------------------------------------------------


async def test_listing_filters_by_serial_level_parent_and_status(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    plant = await Plant.build(client, sessions, agent)
    await Plant.build(client, sessions, agent, name="ACMEX")

    async def serials(**params: Any) -> list[str]:
        response = await client.get("/api/v1/equipment", params=params, headers=agent)
        assert response.status_code == 200, response.text
        return [e["serial_number"] for e in response.json()["items"]]

    assert await serials(serial="ACME-C-1") == ["ACME-C-1"]
    assert await serials(serial="ACME-*") == ["ACME-C-1", "ACME-P-1", "ACME-PSU-1"]
    assert await serials(serial="acme-*") == []
    assert await serials(serial="ACME%*") == []
    assert await serials(top_level="true", sort="-serial_number") == ["ACMEX-P-1", "ACME-P-1"]
    assert await serials(parent_id=plant.controller["id"]) == ["ACME-PSU-1"]
    assert await serials(customer_id=plant.customer_id, site_id=plant.site_id, status="in_service") == [
        "ACME-C-1",
        "ACME-P-1",
        "ACME-PSU-1",
    ]
    assert await serials(product_id=plant.products["printer"]) == ["ACME-P-1"]
    bad_status = await client.get("/api/v1/equipment", params={"status": "lost"}, headers=agent)
    bad_sort = await client.get("/api/v1/equipment", params={"sort": "notes"}, headers=agent)
    assert bad_status.status_code == 422 and problem_of(bad_status)["field"] == "status"
    assert bad_sort.status_code == 422 and problem_of(bad_sort)["field"] == "sort"


# --- changing --------------------------------------------------------------------------------


async def test_a_status_change_is_recorded_and_decommissioning_is_final(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    plant = await Plant.build(client, sessions, agent)
    url = f"/api/v1/equipment/{plant.machine['id']}"

    repaired = await client.patch(url, json={"version": 1, "status": "under_repair", "notes": "drum"}, headers=agent)
    stale = await client.patch(url, json={"version": 1, "notes": "late"}, headers=agent)
    retired = await client.patch(url, json={"version": 2, "status": "decommissioned"}, headers=agent)
    revived = await client.patch(url, json={"version": 3, "status": "in_service"}, headers=agent)
    removed_by_hand = await client.patch(
        f"/api/v1/equipment/{plant.psu['id']}", json={"version": 1, "status": "removed"}, headers=agent
    )
    events = await history(client, agent, plant.machine["id"])

    assert repaired.status_code == 200 and repaired.json()["version"] == 2
    assert stale.status_code == 409 and problem_of(stale)["code"] == "stale_version"
    assert retired.status_code == 200
    assert revived.status_code == 409 and problem_of(revived)["code"] == "illegal_transition"
    assert removed_by_hand.status_code == 409 and problem_of(removed_by_hand)["code"] == "illegal_transition"
    status_events = [(e["from_status"], e["to_status"]) for e in events if e["kind"] == "status_changed"]
    assert status_events == [("under_repair", "decommissioned"), ("in_service", "under_repair")]
    assert [e["note"] for e in events if e["kind"] == "updated"] == ["changed: notes"]


async def test_a_move_takes_every_component_along(client: Client, sessions: Sessions, login_as: UserFactory) -> None:
    agent, depot = await login_as("agent"), await login_as("depot")
    plant = await Plant.build(client, sessions, agent)
    stranger_site = await make_site(sessions, await make_customer(client, agent, "Globex"))
    machine = f"/api/v1/equipment/{plant.machine['id']}"

    moved = await client.post(f"{machine}/move", json={"site_id": plant.other_site_id, "note": "hall 2"}, headers=depot)
    component_alone = await client.post(
        f"/api/v1/equipment/{plant.psu['id']}/move", json={"site_id": plant.site_id}, headers=depot
    )
    to_stranger = await client.post(f"{machine}/move", json={"site_id": stranger_site}, headers=depot)
    at_new_site = await client.get("/api/v1/equipment", params={"site_id": plant.other_site_id}, headers=depot)

    assert moved.status_code == 200 and moved.json()["site_id"] == plant.other_site_id
    assert at_new_site.json()["total"] == 3
    for unit in (plant.machine, plant.controller, plant.psu):
        latest = (await history(client, depot, unit["id"]))[0]
        assert latest["kind"] == "moved" and latest["note"] == "hall 2"
        assert (latest["from_site_id"], latest["to_site_id"]) == (plant.site_id, plant.other_site_id)
    assert component_alone.status_code == 422
    assert problem_of(component_alone)["code"] == "component_moves_with_parent"
    assert to_stranger.status_code == 422 and problem_of(to_stranger)["code"] == "site_not_of_customer"


# --- replacing components --------------------------------------------------------------------


async def test_replacing_a_component_records_both_serials_on_both_units(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    plant = await Plant.build(client, sessions, agent)
    machine = f"/api/v1/equipment/{plant.machine['id']}"

    response = await client.post(
        f"{machine}/replace-component",
        json={
            "old_component_id": plant.controller["id"],
            "new_component": {"product_id": plant.products["ctrl"], "serial_number": "ACME-C-2"},
            "note": "board burnt",
        },
        headers=agent,
    )

    assert response.status_code == 200, response.text
    removed, installed = response.json()["removed"], response.json()["installed"]
    assert (removed["parent_id"], removed["status"], removed["position"]) == (None, "removed", None)
    assert (installed["parent_id"], installed["position"]) == (plant.machine["id"], "slot A")
    assert (installed["site_id"], installed["status"]) == (plant.site_id, "in_service")
    old_events = await history(client, agent, removed["id"])
    new_events = await history(client, agent, installed["id"])
    parent_events = await history(client, agent, plant.machine["id"])
    replaced_by = old_events[0]
    replaces = next(e for e in new_events if e["kind"] == "replaces")
    assert replaced_by["kind"] == "replaced_by" and replaced_by["related_equipment_id"] == installed["id"]
    assert replaces["related_equipment_id"] == removed["id"]
    for event in (replaced_by, replaces):
        assert (event["old_serial"], event["new_serial"], event["note"]) == ("ACME-C-1", "ACME-C-2", "board burnt")
    assert {e["kind"] for e in parent_events[:2]} == {"component_removed", "component_installed"}
    assert {(e["old_serial"], e["new_serial"]) for e in parent_events[:2]} == {("ACME-C-1", "ACME-C-2")}
    tree = (await client.get(f"{machine}/tree", headers=agent)).json()
    assert [c["serial_number"] for c in tree["children"]] == ["ACME-C-2"]
    old_tree = (await client.get(f"/api/v1/equipment/{removed['id']}/tree", headers=agent)).json()
    assert [c["serial_number"] for c in old_tree["children"]] == ["ACME-PSU-1"]


async def test_an_existing_spare_with_its_own_components_can_be_installed(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent, depot = await login_as("agent"), await login_as("depot")
    plant = await Plant.build(client, sessions, agent)
    spare = await register(
        client, depot, product_id=plant.products["ctrl"], serial_number="SPARE-C",
        customer_id=plant.customer_id, site_id=plant.other_site_id,
    )  # fmt: skip
    spare_psu = await register(
        client, depot, product_id=plant.products["psu"], serial_number="SPARE-PSU",
        customer_id=plant.customer_id, parent_id=spare["id"],
    )  # fmt: skip

    response = await client.post(
        f"/api/v1/equipment/{plant.machine['id']}/replace-component",
        json={"old_component_id": plant.controller["id"], "new_component_id": spare["id"]},
        headers=depot,
    )
    moved_psu = await client.get(f"/api/v1/equipment/{spare_psu['id']}", headers=depot)

    assert response.status_code == 200, response.text
    assert response.json()["installed"]["id"] == spare["id"]
    assert response.json()["installed"]["site_id"] == plant.site_id
    assert moved_psu.json()["site_id"] == plant.site_id
    psu_events = await history(client, depot, spare_psu["id"])
    assert psu_events[0]["kind"] == "moved" and psu_events[0]["to_site_id"] == plant.site_id


async def test_a_replacement_is_refused_when_the_units_do_not_fit(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    plant = await Plant.build(client, sessions, agent)
    stranger = await Plant.build(client, sessions, agent, name="GLOBEX")
    url = f"/api/v1/equipment/{plant.controller['id']}/replace-component"
    old = plant.psu["id"]

    async def replace(**body: Any) -> Any:
        return await client.post(url, json={"old_component_id": old, **body}, headers=agent)

    not_a_child = await client.post(
        f"/api/v1/equipment/{plant.machine['id']}/replace-component",
        json={"old_component_id": old, "new_component_id": stranger.machine["id"]},
        headers=agent,
    )
    installed_elsewhere = await replace(new_component_id=plant.controller["id"])
    cycle = await replace(new_component_id=plant.machine["id"])
    other_customer = await replace(new_component_id=stranger.machine["id"])
    neither = await replace()
    both = await replace(
        new_component_id=stranger.machine["id"],
        new_component={"product_id": plant.products["psu"], "serial_number": "Z"},
    )
    duplicate_new = await replace(new_component={"product_id": plant.products["psu"], "serial_number": "ACME-PSU-1"})

    expected = [
        (not_a_child, 422, "not_a_component", "old_component_id"),
        (installed_elsewhere, 409, "component_already_installed", "new_component_id"),
        (cycle, 422, "equipment_hierarchy_cycle", "new_component_id"),
        (other_customer, 422, "parent_not_of_customer", "new_component_id"),
        (neither, 422, "new_component_required", "new_component"),
        (both, 422, "new_component_required", "new_component"),
        (duplicate_new, 409, "duplicate_serial", "new_component.serial_number"),
    ]
    for response, status, code, field in expected:
        assert response.status_code == status, response.text
        assert (problem_of(response)["code"], problem_of(response)["field"]) == (code, field)
    unchanged = await client.get(f"/api/v1/equipment/{plant.psu['id']}", headers=agent)
    assert unchanged.json()["parent_id"] == plant.controller["id"] and unchanged.json()["version"] == 1


async def test_history_is_paginated_newest_first(client: Client, sessions: Sessions, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    plant = await Plant.build(client, sessions, agent)
    url = f"/api/v1/equipment/{plant.machine['id']}"
    for version, site in ((1, plant.other_site_id), (2, plant.site_id), (3, plant.other_site_id)):
        await client.post(f"{url}/move", json={"site_id": site, "note": f"move {version}"}, headers=agent)

    first = await client.get(f"{url}/history", params={"limit": 2}, headers=agent)
    oldest = await client.get(f"{url}/history", params={"limit": 1, "sort": "at"}, headers=agent)

    assert first.json()["total"] == 5
    assert [e["note"] for e in first.json()["items"]] == ["move 3", "move 2"]
    assert oldest.json()["items"][0]["kind"] == "created"
