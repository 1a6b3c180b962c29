"""Registering a unit grants its product's default manufacturer warranty, with computed end dates."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import UserFactory

Client = AsyncTestClient[Litestar]


async def post(client: Client, url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    response = await client.request(
        "POST" if not url.endswith("warranty-term") else "PUT", url, json=body, headers=headers
    )
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_new_unit_gets_the_products_default_warranty(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    customer = await post(client, "/api/v1/customers", {"name": "ACME"}, admin)
    product = await post(
        client,
        "/api/v1/products",
        {
            "sku": "PRN-4000",
            "name": "Printer 4000",
            "kind": "equipment",
            "list_price": "9999.00",
            "currency": "EUR",
            "unit": "pc",
            "family": "printers",
            "serialized": True,
        },
        admin,
    )
    term = await post(
        client,
        "/api/v1/warranty-terms",
        {
            "code": "STD24",
            "name": "24 months or 500,000 pages",
            "duration_months": 24,
            "counter_name": "pages",
            "counter_units": "500000",
            "labour_pct": "100",
            "parts_pct": "100",
            "travel_pct": "50",
        },
        admin,
    )
    await post(client, f"/api/v1/products/{product['id']}/warranty-term", {"term_id": term["id"]}, admin)

    unit = await post(
        client,
        "/api/v1/equipment",
        {
            "product_id": product["id"],
            "serial_number": "SN-0001",
            "customer_id": customer["id"],
            "install_date": "2026-03-15",
        },
        admin,
    )
    without_date = await post(
        client,
        "/api/v1/equipment",
        {"product_id": product["id"], "serial_number": "SN-0002", "customer_id": customer["id"]},
        admin,
    )
    warranties = (await client.get(f"/api/v1/equipment/{unit['id']}/warranties", headers=admin)).json()
    none_yet = (await client.get(f"/api/v1/equipment/{without_date['id']}/warranties", headers=admin)).json()

    assert len(warranties) == 1
    assert warranties[0]["kind"] == "manufacturer"
    assert (warranties[0]["starts_on"], warranties[0]["ends_on"]) == ("2026-03-15", "2028-03-14")
    assert none_yet == []  # no install date yet: the warranty starts when the unit is installed
