"""Custom fields over HTTP: an admin defines them, writes are validated, reads filter and sort by them."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
URL = "/api/v1/custom-fields"


async def define(client: Client, admin: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(
        URL, json={"entity": "customer", "label": body.get("name", "x"), **body}, headers=admin
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def customer(client: Client, headers: dict[str, str], **body: Any) -> Any:
    return await client.post("/api/v1/customers", json={"name": "ACME", **body}, headers=headers)


async def test_a_field_defined_through_the_api_is_accepted_returned_and_filtered(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("admin")
    agent = await login_as("agent")
    await define(client, admin, name="contract_region", type="single_choice", choices=["north", "south"])
    await define(client, admin, name="employees", type="integer", min=1, max=100_000)

    north = await customer(client, agent, custom={"contract_region": "north", "employees": 120})
    south = await customer(client, agent, name="Globex", custom={"contract_region": "south", "employees": 8})
    plain = await customer(client, agent, name="Initech")
    listed = await client.get("/api/v1/customers?custom.contract_region=north", headers=agent)
    by_size = await client.get("/api/v1/customers?sort=-custom.employees", headers=agent)
    read = await client.get(f"/api/v1/customers/{north.json()['id']}", headers=agent)

    assert north.status_code == 201 and north.json()["custom"] == {"contract_region": "north", "employees": 120}
    assert south.status_code == 201 and plain.json()["custom"] == {}
    assert [c["name"] for c in listed.json()["items"]] == ["ACME"] and listed.json()["total"] == 1
    assert [c["name"] for c in by_size.json()["items"]][:2] == ["ACME", "Globex"]
    assert read.json()["custom"] == {"contract_region": "north", "employees": 120}


@pytest.mark.parametrize(
    ("definition", "value", "code"),
    [
        ({"type": "text", "max": 5}, "too long", "custom_field_too_long"),
        ({"type": "text", "pattern": "[A-Z]{2}-[0-9]+"}, "ab-1", "custom_field_pattern_mismatch"),
        ({"type": "long_text"}, 12, "custom_field_wrong_type"),
        ({"type": "integer", "min": 1}, 0, "custom_field_too_small"),
        ({"type": "integer"}, 1.5, "custom_field_wrong_type"),
        ({"type": "decimal", "max": "9.99"}, "10.00", "custom_field_too_large"),
        ({"type": "decimal"}, "ten", "custom_field_wrong_type"),
        ({"type": "date", "min": "2026-01-01"}, "2025-12-31", "custom_field_too_small"),
        ({"type": "date"}, "31.12.2026", "custom_field_wrong_type"),
        ({"type": "boolean"}, "yes", "custom_field_wrong_type"),
        ({"type": "single_choice", "choices": ["a", "b"]}, "c", "custom_field_not_a_choice"),
        ({"type": "multiple_choice", "choices": ["a", "b"]}, ["a", "z"], "custom_field_not_a_choice"),
        (
            {"type": "reference", "reference_to": "customer"},
            "0190d8e0-0000-7000-8000-000000000000",
            "custom_field_reference_not_found",
        ),
        ({"type": "reference", "reference_to": "equipment"}, "not-a-uuid", "custom_field_wrong_type"),
    ],
)
async def test_each_type_validates_its_values(
    client: Client, login_as: UserFactory, definition: dict[str, Any], value: Any, code: str
) -> None:
    admin = await login_as("admin")
    await define(client, admin, name="extra", **definition)

    response = await customer(client, admin, custom={"extra": value})

    assert response.status_code == 422, response.text
    assert (problem_of(response)["code"], problem_of(response)["field"]) == (code, "custom.extra")


async def test_valid_values_are_stored_in_their_canonical_form(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    other = (await customer(client, admin, name="Parent")).json()
    for name, body in {
        "code": {"type": "text", "pattern": "[A-Z]{2}-[0-9]+"},
        "rate": {"type": "decimal", "min": 0},
        "since": {"type": "date"},
        "vip": {"type": "boolean"},
        "tags": {"type": "multiple_choice", "choices": ["gold", "silver", "iron"]},
        "owner": {"type": "reference", "reference_to": "customer"},
    }.items():
        await define(client, admin, name=name, **body)

    response = await customer(
        client,
        admin,
        custom={
            "code": "AB-12",
            "rate": 12.50,
            "since": "2026-03-01",
            "vip": True,
            "tags": ["iron", "gold"],
            "owner": other["id"],
        },
    )

    assert response.status_code == 201, response.text
    assert response.json()["custom"] == {
        "code": "AB-12",
        "rate": "12.5",
        "since": "2026-03-01",
        "vip": True,
        "tags": ["gold", "iron"],
        "owner": other["id"],
    }
    vip = await client.get("/api/v1/customers?custom.vip=true&custom.tags=gold", headers=admin)
    not_vip = await client.get("/api/v1/customers?custom.vip=false", headers=admin)
    bad = await client.get("/api/v1/customers?custom.vip=maybe", headers=admin)
    unknown = await client.get("/api/v1/customers?custom.colour=red", headers=admin)
    assert [c["name"] for c in vip.json()["items"]] == ["ACME"]
    assert not_vip.json()["total"] == 0
    assert bad.status_code == 422 and problem_of(bad)["field"] == "custom.vip"
    assert unknown.status_code == 422 and problem_of(unknown)["code"] == "unknown_custom_field"


async def test_required_fields_defaults_and_unknown_names(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    await define(client, admin, name="segment", type="single_choice", choices=["smb", "enterprise"], default="smb")
    await define(client, admin, name="tax_id", type="text", required=True)

    missing = await customer(client, admin)
    unknown = await customer(client, admin, custom={"tax_id": "X1", "colour": "red"})
    created = await customer(client, admin, custom={"tax_id": "X1"})
    cleared = await client.patch(
        f"/api/v1/customers/{created.json()['id']}", json={"version": 1, "custom": {"tax_id": None}}, headers=admin
    )
    changed = await client.patch(
        f"/api/v1/customers/{created.json()['id']}",
        json={"version": 1, "custom": {"segment": "enterprise"}},
        headers=admin,
    )

    assert missing.status_code == 422 and problem_of(missing)["code"] == "custom_field_required"
    assert problem_of(missing)["field"] == "custom.tax_id"
    assert unknown.status_code == 422 and problem_of(unknown)["field"] == "custom.colour"
    assert created.json()["custom"] == {"segment": "smb", "tax_id": "X1"}
    assert cleared.status_code == 422 and problem_of(cleared)["field"] == "custom.tax_id"
    assert changed.status_code == 200 and changed.json()["custom"] == {"segment": "enterprise", "tax_id": "X1"}


async def test_a_rename_keeps_the_values_and_a_delete_archives(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    field = await define(client, admin, name="region", type="text")
    created = (await customer(client, admin, custom={"region": "north"})).json()
    url = f"/api/v1/customers/{created['id']}"

    renamed = await client.patch(f"{URL}/{field['id']}", json={"version": 1, "name": "sales_region"}, headers=admin)
    after_rename = await client.get(url, headers=admin)
    filtered = await client.get("/api/v1/customers?custom.sales_region=north", headers=admin)
    archived = await client.delete(f"{URL}/{field['id']}", headers=admin)
    after_archive = await client.get(url, headers=admin)
    write_archived = await client.patch(url, json={"version": 1, "custom": {"sales_region": "south"}}, headers=admin)
    listed = await client.get(f"{URL}?archived=true", headers=admin)
    restored = await client.patch(f"{URL}/{field['id']}", json={"version": 3, "archived": False}, headers=admin)
    after_restore = await client.get(url, headers=admin)

    assert renamed.status_code == 200 and renamed.json()["name"] == "sales_region"
    assert after_rename.json()["custom"] == {"sales_region": "north"}
    assert filtered.json()["total"] == 1
    assert archived.status_code == 204
    assert after_archive.json()["custom"] == {}
    assert write_archived.status_code == 422 and problem_of(write_archived)["code"] == "custom_field_archived"
    assert [f["name"] for f in listed.json()] == ["sales_region"]
    assert restored.status_code == 200, restored.text
    assert after_restore.json()["custom"] == {"sales_region": "north"}  # archived values were kept


async def test_sites_carry_their_own_fields(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    await define(client, admin, entity="site", name="dock_doors", type="integer", min=0)
    await define(client, admin, name="dock_doors_on_customer", type="integer")
    owner = (await customer(client, admin)).json()
    site = {"customer_id": owner["id"], "name": "Plant", "country": "DE", "time_zone": "Europe/Berlin"}

    created = await client.post("/api/v1/sites", json={**site, "custom": {"dock_doors": 3}}, headers=admin)
    wrong_entity = await client.post(
        "/api/v1/sites", json={**site, "custom": {"dock_doors_on_customer": 3}}, headers=admin
    )
    negative = await client.patch(
        f"/api/v1/sites/{created.json()['id']}", json={"version": 1, "custom": {"dock_doors": -1}}, headers=admin
    )
    listed = await client.get("/api/v1/sites?custom.dock_doors=3", headers=admin)

    assert created.status_code == 201 and created.json()["custom"] == {"dock_doors": 3}
    assert wrong_entity.status_code == 422 and problem_of(wrong_entity)["field"] == "custom.dock_doors_on_customer"
    assert negative.status_code == 422 and problem_of(negative)["code"] == "custom_field_too_small"
    assert listed.json()["total"] == 1


async def test_only_admins_define_and_editable_by_limits_who_writes(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    agent = await login_as("agent")
    contract_admin = await login_as("contract_admin")
    by_agent = await client.post(
        URL, json={"entity": "customer", "name": "x", "label": "X", "type": "text"}, headers=agent
    )
    field = await define(client, admin, name="credit_class", type="text", editable_by=["contract_admin"])
    created = (await customer(client, agent)).json()
    url = f"/api/v1/customers/{created['id']}"

    agent_write = await client.patch(url, json={"version": 1, "custom": {"credit_class": "A"}}, headers=agent)
    allowed = await client.patch(url, json={"version": 1, "custom": {"credit_class": "A"}}, headers=contract_admin)
    read_back = await client.patch(
        url, json={"version": 2, "custom": {"credit_class": "A"}, "name": "N"}, headers=agent
    )
    agent_change = await client.patch(f"{URL}/{field['id']}", json={"version": 1, "label": "L"}, headers=agent)
    agent_delete = await client.delete(f"{URL}/{field['id']}", headers=agent)
    agent_reads = await client.get(URL, headers=agent)

    assert by_agent.status_code == 403
    assert agent_write.status_code == 403
    assert (problem_of(agent_write)["code"], problem_of(agent_write)["field"]) == (
        "field_not_allowed",
        "custom.credit_class",
    )
    assert allowed.status_code == 200 and read_back.status_code == 200
    assert agent_change.status_code == 403 and agent_delete.status_code == 403
    assert agent_reads.status_code == 200 and [f["name"] for f in agent_reads.json()] == ["credit_class"]


async def test_a_customer_never_sees_internal_fields(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    await define(client, admin, name="portal_note", type="text", visibility="customer")
    await define(client, admin, name="risk_score", type="integer")  # internal by default
    created = (await customer(client, admin, custom={"portal_note": "hi", "risk_score": 7})).json()
    portal = await login_as("customer", customer_id=created["id"])

    read = await client.get(f"/api/v1/customers/{created['id']}", headers=portal)
    listed = await client.get("/api/v1/customers", headers=portal)
    by_internal = await client.get("/api/v1/customers?custom.risk_score=7", headers=portal)
    by_internal_sort = await client.get("/api/v1/customers?sort=custom.risk_score", headers=portal)
    definitions = await client.get(URL, headers=portal)

    assert read.json()["custom"] == {"portal_note": "hi"}
    assert listed.json()["items"][0]["custom"] == {"portal_note": "hi"}
    assert by_internal.status_code == 422 and problem_of(by_internal)["code"] == "unknown_custom_field"
    assert by_internal_sort.status_code == 422 and problem_of(by_internal_sort)["field"] == "sort"
    assert definitions.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "single_choice"}, "choices"),
        ({"type": "text", "choices": ["a"]}, "choices"),
        ({"type": "reference"}, "reference_to"),
        ({"type": "boolean", "min": 1}, "min"),
        ({"type": "integer", "min": 5, "max": 1}, "min"),
        ({"type": "date", "min": "soon"}, "min"),
        ({"type": "text", "pattern": "("}, "pattern"),
        ({"type": "integer", "default": "x"}, "default"),
        ({"type": "text", "name": "Bad Name"}, "name"),
    ],
)
async def test_a_definition_that_cannot_work_is_refused(
    client: Client, login_as: UserFactory, body: dict[str, Any], field: str
) -> None:
    admin = await login_as("admin")
    response = await client.post(URL, json={"entity": "customer", "name": "f", "label": "F", **body}, headers=admin)

    assert response.status_code == 422, response.text
    assert problem_of(response)["field"] == field


async def test_a_name_is_unique_per_entity(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    await define(client, admin, name="region", type="text")
    await define(client, admin, entity="site", name="region", type="text")

    again = await client.post(
        URL, json={"entity": "customer", "name": "region", "label": "R", "type": "text"}, headers=admin
    )

    assert again.status_code == 409 and problem_of(again)["code"] == "custom_field_exists"


async def test_the_openapi_document_follows_the_definitions(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    before = (await client.get("/schema/openapi.json")).json()
    field = await define(
        client,
        admin,
        name="contract_region",
        label="Contract region",
        type="single_choice",
        choices=["north", "south"],
        required=True,
    )
    await define(client, admin, entity="site", name="dock_doors", type="integer", min=0, max=40)
    defined = (await client.get("/schema/openapi.json")).json()
    await client.patch(f"{URL}/{field['id']}", json={"version": 1, "name": "region"}, headers=admin)
    renamed = (await client.get("/schema/openapi.json")).json()
    await client.delete(f"{URL}/{field['id']}", headers=admin)
    archived = (await client.get("/schema/openapi.json")).json()

    def custom_of(document: dict[str, Any], component: str) -> dict[str, Any]:
        return document["components"]["schemas"][component]["properties"]  # type: ignore[no-any-return]

    schemas = defined["components"]["schemas"]
    assert custom_of(before, "CustomerCustomFields") == {}
    assert schemas["CustomerOut"]["properties"]["custom"] == {"$ref": "#/components/schemas/CustomerCustomFields"}
    assert schemas["CustomerCreate"]["properties"]["custom"] == {
        "$ref": "#/components/schemas/CustomerCustomFieldsInput"
    }
    for body, component in {
        "SiteUpdate": "SiteCustomFieldsInput",
        "EquipmentOut": "EquipmentCustomFields",
        "ContractDetailOut": "ContractCustomFields",
        "RequestCreate": "ServiceRequestCustomFieldsInput",
        "WorkOrderDetailOut": "WorkOrderCustomFields",
        "RmaOut": "RmaCustomFields",
    }.items():
        assert schemas[body]["properties"]["custom"] == {"$ref": f"#/components/schemas/{component}"}, body
        assert component in schemas
    region = custom_of(defined, "CustomerCustomFields")["contract_region"]
    assert (region["type"], region["enum"], region["title"]) == ("string", ["north", "south"], "Contract region")
    assert custom_of(defined, "SiteCustomFields")["dock_doors"] | {"description": ""} == {
        "type": "integer",
        "minimum": 0,
        "maximum": 40,
        "title": "dock_doors",
        "description": "",
    }
    filters = [p for p in defined["paths"]["/api/v1/customers"]["get"]["parameters"] if p["name"].startswith("custom.")]
    assert [(p["name"], p["schema"]) for p in filters] == [
        ("custom.contract_region", {"type": "string", "enum": ["north", "south"]})
    ]
    assert list(custom_of(renamed, "CustomerCustomFields")) == ["region"]
    assert custom_of(archived, "CustomerCustomFields") == {}


async def test_equipment_carries_custom_fields(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    await define(client, admin, entity="equipment", name="asset_tag", type="text", pattern="AT-[0-9]{4}")
    owner = (await customer(client, admin)).json()
    product = await client.post(
        "/api/v1/products",
        json={
            "sku": "P-1",
            "name": "Printer",
            "kind": "equipment",
            "serialized": True,
            "list_price": "100.00",
            "currency": "EUR",
            "unit": "pc",
        },
        headers=admin,
    )
    assert product.status_code == 201, product.text
    unit = {"product_id": product.json()["id"], "customer_id": owner["id"]}

    created = await client.post(
        "/api/v1/equipment", json={**unit, "serial_number": "S1", "custom": {"asset_tag": "AT-0001"}}, headers=admin
    )
    await client.post("/api/v1/equipment", json={**unit, "serial_number": "S2"}, headers=admin)
    wrong = await client.patch(
        f"/api/v1/equipment/{created.json()['id']}", json={"version": 1, "custom": {"asset_tag": "X"}}, headers=admin
    )
    listed = await client.get("/api/v1/equipment?custom.asset_tag=AT-0001", headers=admin)

    assert created.status_code == 201 and created.json()["custom"] == {"asset_tag": "AT-0001"}
    assert wrong.status_code == 422 and problem_of(wrong)["code"] == "custom_field_pattern_mismatch"
    assert [u["serial_number"] for u in listed.json()["items"]] == ["S1"]


async def test_a_stricter_rule_applies_to_new_writes_and_lists_what_no_longer_passes(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("admin")
    agent = await login_as("agent")
    field = await define(client, admin, name="employees", type="integer")
    small = (await customer(client, agent, name="Small", custom={"employees": 50})).json()
    large = (await customer(client, agent, name="Large", custom={"employees": 90})).json()
    blank = (await customer(client, agent, name="Blank")).json()

    stricter = await client.patch(
        f"{URL}/{field['id']}", json={"version": 1, "max": 60, "required": True}, headers=admin
    )
    report = await client.get(f"{URL}/{field['id']}/violations", headers=admin)
    by_agent = await client.get(f"{URL}/{field['id']}/violations", headers=agent)
    still_read = await client.get(f"/api/v1/customers/{large['id']}", headers=agent)
    unrelated_edit = await client.patch(
        f"/api/v1/customers/{large['id']}", json={"version": 1, "name": "Larger"}, headers=agent
    )
    new_write = await client.patch(
        f"/api/v1/customers/{small['id']}", json={"version": 1, "custom": {"employees": 61}}, headers=agent
    )

    assert stricter.status_code == 200, stricter.text
    assert report.status_code == 200
    listed = {item["record_id"]: item["code"] for item in report.json()["items"]}
    assert listed == {large["id"]: "custom_field_too_large", blank["id"]: "custom_field_required"}
    assert report.json()["total"] == 2
    assert by_agent.status_code == 403
    assert still_read.json()["custom"] == {"employees": 90}  # nothing stored is changed
    assert unrelated_edit.status_code == 200
    assert new_write.status_code == 422 and problem_of(new_write)["code"] == "custom_field_too_large"
