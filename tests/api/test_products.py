"""Products over HTTP: the catalogue everyone reads, exact prices, unique SKUs, deletes refused while used."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit import audit_log
from core.db import session_scope
from masterdata.models import Customer, Equipment, Product
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
Headers = dict[str, str]


def product_body(**body: Any) -> dict[str, Any]:
    return {
        "sku": "PRN-4000",
        "name": "Printer 4000",
        "kind": "equipment",
        "serialized": True,
        "list_price": "4990.00",
        "currency": "EUR",
        "unit": "pc",
        "family": "printers",
        **body,
    }


async def product(client: Client, headers: Headers, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/products", json=product_body(**body), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def install_unit(sessions: async_sessionmaker[AsyncSession], product_id: str) -> None:
    async with session_scope(sessions) as s:
        owner = Customer(number="C-900001", name="Owner")
        s.add(owner)
        await s.flush()
        s.add(Equipment(product_id=UUID(product_id), serial_number="SN-1", customer_id=owner.id))


async def test_a_contract_admin_adds_a_product_with_an_exact_price(client: Client, login_as: UserFactory) -> None:
    contract_admin = await login_as("contract_admin")

    created = await product(client, contract_admin, list_price="125.5")
    from_number = await product(client, contract_admin, sku="LAB-H", kind="service", list_price=19.99, unit="h")
    read = await client.get(f"/api/v1/products/{created['id']}", headers=contract_admin)

    assert created["list_price"] == "125.5000" and read.json()["list_price"] == "125.5000"
    assert from_number["list_price"] == "19.9900"
    assert created["kind"] == "equipment" and created["serialized"] is True and created["active"] is True
    assert created["version"] == 1


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"list_price": "-0.01"}, "invalid_price", "list_price"),
        ({"list_price": "1.23456"}, "invalid_price", "list_price"),
        ({"list_price": "NaN"}, "invalid_price", "list_price"),
        ({"list_price": "10000000000"}, "invalid_price", "list_price"),
        ({"list_price": "cheap"}, "validation_failed", "list_price"),
        ({"currency": "euro"}, "validation_failed", "currency"),
        ({"kind": "gadget"}, "validation_failed", "kind"),
        ({"sku": "has space"}, "validation_failed", "sku"),
        ({"unit": ""}, "validation_failed", "unit"),
    ],
)
async def test_invalid_input_names_the_field(
    client: Client, login_as: UserFactory, change: dict[str, Any], code: str, field: str
) -> None:
    admin = await login_as("admin")

    response = await client.post("/api/v1/products", json=product_body(**change), headers=admin)

    assert response.status_code == 422, response.text
    assert problem_of(response)["code"] == code and problem_of(response)["field"] == field


async def test_a_price_change_is_checked_the_same_way(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    existing = await product(client, admin)
    url = f"/api/v1/products/{existing['id']}"

    refused = await client.patch(url, json={"version": 1, "list_price": "-5"}, headers=admin)
    zero = await client.patch(url, json={"version": 1, "list_price": "-0"}, headers=admin)

    assert refused.status_code == 422 and problem_of(refused)["field"] == "list_price"
    assert zero.status_code == 200 and zero.json()["list_price"] == "0.0000"


async def test_a_sku_is_unique(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    await product(client, admin)
    other = await product(client, admin, sku="PRN-5000")

    duplicate = await client.post("/api/v1/products", json=product_body(name="Another"), headers=admin)
    renamed = await client.patch(
        f"/api/v1/products/{other['id']}", json={"version": 1, "sku": "PRN-4000"}, headers=admin
    )
    unchanged = await client.patch(
        f"/api/v1/products/{other['id']}", json={"version": 1, "sku": "PRN-5000", "name": "Printer 5000"}, headers=admin
    )

    for response in (duplicate, renamed):
        assert response.status_code == 409, response.text
        assert problem_of(response)["code"] == "duplicate_sku" and problem_of(response)["field"] == "sku"
    assert unchanged.status_code == 200 and unchanged.json()["name"] == "Printer 5000"


async def test_the_database_backs_the_unique_sku(session: AsyncSession) -> None:
    for name in ("First", "Second"):
        session.add(
            Product(sku="DUP-1", name=name, kind="spare_part", list_price=Decimal(1), currency="EUR", unit="pc")
        )

    with pytest.raises(IntegrityError) as raised:
        await session.flush()

    assert "uq_products_sku" in str(raised.value) or "products.sku" in str(raised.value)


async def test_everyone_reads_the_catalogue_but_only_admins_change_it(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    existing = await product(client, admin)
    owner = (await client.post("/api/v1/customers", json={"name": "ACME"}, headers=admin)).json()["id"]
    technician = await login_as("technician")
    portal = await login_as("customer", customer_id=owner)
    agent = await login_as("agent")

    tech_list = await client.get("/api/v1/products", headers=technician)
    portal_read = await client.get(f"/api/v1/products/{existing['id']}", headers=portal)
    portal_create = await client.post("/api/v1/products", json=product_body(sku="X-1"), headers=portal)
    agent_create = await client.post("/api/v1/products", json=product_body(sku="X-2"), headers=agent)
    tech_patch = await client.patch(f"/api/v1/products/{existing['id']}", json={"version": 1}, headers=technician)
    portal_delete = await client.delete(f"/api/v1/products/{existing['id']}", headers=portal)

    assert tech_list.status_code == 200 and tech_list.json()["total"] == 1
    assert portal_read.status_code == 200 and portal_read.json()["sku"] == "PRN-4000"
    for response in (portal_create, agent_create, tech_patch, portal_delete):
        assert response.status_code == 403, response.text
        assert problem_of(response)["code"] == "role_not_allowed"


async def test_listing_filters_and_sorts(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    await product(client, admin, sku="PRN-4000", list_price="100")
    await product(client, admin, sku="TNR-1", name="Toner black", kind="consumable", serialized=False, list_price="9.5")
    await product(
        client,
        admin,
        sku="PM-VISIT",
        name="PM visit",
        kind="service",
        serialized=False,
        family=None,
        list_price="250",
        active=False,
    )

    def skus(response: Any) -> list[str]:
        return [p["sku"] for p in response.json()["items"]]

    by_price = await client.get("/api/v1/products", params={"sort": "list_price"}, headers=admin)
    by_price_desc = await client.get("/api/v1/products", params={"sort": "-list_price"}, headers=admin)
    consumables = await client.get("/api/v1/products", params={"kind": "consumable"}, headers=admin)
    serialized = await client.get("/api/v1/products", params={"serialized": "true"}, headers=admin)
    inactive = await client.get("/api/v1/products", params={"active": "false"}, headers=admin)
    printers = await client.get("/api/v1/products", params={"family": "printers"}, headers=admin)
    search = await client.get("/api/v1/products", params={"q": "toner"}, headers=admin)
    bad_kind = await client.get("/api/v1/products", params={"kind": "gadget"}, headers=admin)

    assert skus(by_price) == ["TNR-1", "PRN-4000", "PM-VISIT"]
    assert skus(by_price_desc) == ["PM-VISIT", "PRN-4000", "TNR-1"]
    assert skus(consumables) == ["TNR-1"]
    assert skus(serialized) == ["PRN-4000"]
    assert skus(inactive) == ["PM-VISIT"]
    assert skus(printers) == ["PRN-4000", "TNR-1"]
    assert skus(search) == ["TNR-1"]
    assert bad_kind.status_code == 422 and problem_of(bad_kind)["field"] == "kind"


async def test_a_product_in_use_cannot_be_deleted_or_unserialized(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    admin = await login_as("admin")
    used = await product(client, admin)
    await install_unit(sessions, used["id"])
    url = f"/api/v1/products/{used['id']}"

    refused = await client.delete(url, headers=admin)
    unserialize = await client.patch(url, json={"version": 1, "serialized": False}, headers=admin)
    deactivate = await client.patch(url, json={"version": 1, "active": False}, headers=admin)

    assert refused.status_code == 409
    assert problem_of(refused)["code"] == "product_in_use" and problem_of(refused)["dependents"] == {"equipment": 1}
    assert unserialize.status_code == 409 and problem_of(unserialize)["field"] == "serialized"
    assert deactivate.status_code == 200 and deactivate.json()["active"] is False


async def test_a_stale_version_is_a_conflict(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    existing = await product(client, admin)
    url = f"/api/v1/products/{existing['id']}"

    first = await client.patch(url, json={"version": 1, "list_price": "5100"}, headers=admin)
    second = await client.patch(url, json={"version": 1, "list_price": "4000"}, headers=admin)

    assert first.status_code == 200 and first.json()["version"] == 2 and first.json()["list_price"] == "5100.0000"
    assert second.status_code == 409 and problem_of(second)["code"] == "stale_version"


async def test_changes_and_deletes_are_audited(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    contract_admin = await login_as("contract_admin")
    existing = await product(client, contract_admin)
    url = f"/api/v1/products/{existing['id']}"
    await client.patch(url, json={"version": 1, "list_price": "5100"}, headers=contract_admin)

    deleted = await client.delete(url, headers=contract_admin)
    gone = await client.get(url, headers=contract_admin)
    async with sessions() as s:
        rows = (
            await s.execute(
                select(audit_log.c.action, audit_log.c.actor_role, audit_log.c.before, audit_log.c.after)
                .where(audit_log.c.entity == "product", audit_log.c.entity_id == existing["id"])
                .order_by(audit_log.c.id)
            )
        ).all()

    assert deleted.status_code == 204 and gone.status_code == 404
    assert [(r.action, r.actor_role) for r in rows] == [
        ("create", "contract_admin"),
        ("update", "contract_admin"),
        ("delete", "contract_admin"),
    ]
    assert Decimal(rows[1].before["list_price"]) == Decimal("4990")
    assert Decimal(rows[1].after["list_price"]) == Decimal("5100")
