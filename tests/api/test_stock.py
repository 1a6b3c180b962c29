"""Inventory over HTTP: depot staff move stock, everyone on staff reads, a technician sees only
their own van, customers get 403; refusals are problem+json with code and field."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from core.db import session_scope
from masterdata.models import Customer
from returns.choices import StockLocationKind
from tests.api.test_work_orders import Client, Sessions
from tests.conftest import UserFactory, problem_of
from tests.integration.stock_fixtures import engineer_row, spare_part

URL = "/api/v1/stock"


async def part_and_engineer(sessions: Sessions) -> tuple[str, str]:
    async with session_scope(sessions) as session:
        toner = await spare_part(session)
        engineer = await engineer_row(session)
        return str(toner.id), str(engineer.id)


async def location(client: Client, headers: dict[str, str], code: str, kind: str = "warehouse") -> dict[str, Any]:
    response = await client.post(f"{URL}/locations", json={"code": code, "name": code, "kind": kind}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def receipt(client: Client, headers: dict[str, str], where: str, product: str, quantity: str) -> Any:
    body = {"location_id": where, "product_id": product, "quantity": quantity}
    return await client.post(f"{URL}/moves/receipt", json=body, headers=headers)


async def test_depot_receives_transfers_and_everyone_on_staff_reads_the_levels_and_ledger(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    toner, _ = await part_and_engineer(sessions)
    depot = await login_as("depot")
    warehouse = await location(client, depot, "WH")
    bench = await location(client, depot, "DEPOT", "depot")

    assert (await receipt(client, depot, warehouse["id"], toner, "5")).status_code == 201
    moved = await client.post(
        f"{URL}/moves/transfer",
        json={"from_location_id": warehouse["id"], "to_location_id": bench["id"], "product_id": toner, "quantity": "2"},
        headers=depot,
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["quantity"] == "2.000"

    manager = await login_as("manager")
    levels = (await client.get(f"{URL}/levels", params={"product_id": toner}, headers=manager)).json()["items"]
    assert sorted((lv["location_id"], lv["on_hand"], lv["available"]) for lv in levels) == sorted(
        [(warehouse["id"], "3.000", "3.000"), (bench["id"], "2.000", "2.000")]
    )
    ledger = (await client.get(f"{URL}/moves", params={"location_id": bench["id"]}, headers=manager)).json()
    assert [m["kind"] for m in ledger["items"]] == ["transfer"]
    where = (await client.get(f"{URL}/availability", params={"product_id": toner}, headers=manager)).json()
    assert where["available"] == "5.000"


async def test_taking_more_than_is_there_is_a_409_naming_what_is_available(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    toner, _ = await part_and_engineer(sessions)
    depot = await login_as("depot")
    warehouse = await location(client, depot, "WH")
    await receipt(client, depot, warehouse["id"], toner, "1")

    response = await client.post(
        f"{URL}/moves/scrap",
        json={"location_id": warehouse["id"], "product_id": toner, "quantity": "2", "reason": "broken"},
        headers=depot,
    )

    assert response.status_code == 409
    problem = problem_of(response)
    assert (problem["code"], problem["field"], problem["available"], problem["location"]) == (
        "insufficient_stock",
        "quantity",
        "1.000",
        "WH",
    )


@pytest.mark.parametrize(
    ("path", "body", "code", "field"),
    [
        ("receipt", {"quantity": "0"}, "invalid_quantity", "quantity"),
        ("receipt", {"quantity": "1.2345"}, "invalid_quantity", "quantity"),
        ("receipt", {"serial_number": "SN-1"}, "serial_not_allowed", "serial_number"),
        ("receipt", {"location_id": str(uuid.UUID(int=7))}, "stock_location_not_found", "location_id"),
        ("adjustment", {"delta": "-1", "reason": " "}, "reason_required", "reason"),
    ],
)
async def test_bad_moves_are_422_or_404_pointing_at_the_field(
    client: Client, login_as: UserFactory, sessions: Sessions, path: str, body: dict[str, Any], code: str, field: str
) -> None:
    toner, _ = await part_and_engineer(sessions)
    depot = await login_as("depot")
    warehouse = await location(client, depot, "WH")
    base = {"location_id": warehouse["id"], "product_id": toner}
    base |= {"quantity": "1"} if path == "receipt" else {}

    response = await client.post(f"{URL}/moves/{path}", json=base | body, headers=depot)

    assert response.status_code in (404, 422), response.text
    assert (problem_of(response)["code"], problem_of(response)["field"]) == (code, field)


async def test_reservations_reduce_availability_and_can_be_released(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    toner, _ = await part_and_engineer(sessions)
    depot = await login_as("depot")
    bench = await location(client, depot, "DEPOT", "depot")
    await receipt(client, depot, bench["id"], toner, "3")
    held = await client.post(
        f"{URL}/reservations",
        json={
            "location_id": bench["id"],
            "product_id": toner,
            "quantity": "2",
            "reference_kind": "repair_order",
            "reference_id": str(uuid.uuid4()),
        },
        headers=depot,
    )
    assert held.status_code == 201, held.text

    check = await client.post(
        f"{URL}/availability",
        json={"location_id": bench["id"], "lines": [{"product_id": toner, "quantity": "2"}]},
        headers=depot,
    )
    assert check.status_code == 200, check.text
    [line] = check.json()["lines"]
    assert (line["available"], line["short"], line["enough"]) == ("1.000", "1.000", False)

    released = await client.post(f"{URL}/reservations/{held.json()['id']}/release", headers=depot)
    assert released.json()["status"] == "released"
    level = (await client.get(f"{URL}/levels", params={"location_id": bench["id"]}, headers=depot)).json()["items"]
    assert level[0]["available"] == "3.000"


async def test_who_may_do_what(client: Client, login_as: UserFactory, sessions: Sessions) -> None:
    toner, engineer_id = await part_and_engineer(sessions)
    admin = await login_as("admin")
    warehouse = await location(client, admin, "WH")
    van = (await client.post(f"{URL}/locations/vans/{engineer_id}", headers=admin)).json()
    await receipt(client, admin, warehouse["id"], toner, "4")
    await client.post(
        f"{URL}/moves/transfer",
        json={"from_location_id": warehouse["id"], "to_location_id": van["id"], "product_id": toner, "quantity": "1"},
        headers=admin,
    )

    async with session_scope(sessions) as session:
        buyer = Customer(number="C-BUYER", name="Buyer", status="active")
        session.add(buyer)
        await session.flush()
    customer = await login_as("customer", customer_id=buyer.id)
    for path in ("/locations", "/levels", "/moves", "/serials", "/reservations"):
        assert (await client.get(URL + path, headers=customer)).status_code == 403
    assert (await client.get(f"{URL}/availability", params={"product_id": toner}, headers=customer)).status_code == 403

    technician = await login_as("technician", engineer_id=uuid.UUID(engineer_id))
    for role in ("agent", "manager", "contract_admin", "planner"):
        assert (await receipt(client, await login_as(role), warehouse["id"], toner, "1")).status_code == 403, role
    assert (await receipt(client, technician, warehouse["id"], toner, "1")).status_code == 403
    planner = await login_as("planner")
    assert (await location(client, planner, "DEPOT-2", "depot"))["kind"] == "depot"

    # a technician sees their own van, and nothing else
    locations = (await client.get(f"{URL}/locations", headers=technician)).json()["items"]
    assert [loc["id"] for loc in locations] == [van["id"]]
    assert (await client.get(f"{URL}/locations/{warehouse['id']}", headers=technician)).status_code == 404
    levels = (await client.get(f"{URL}/levels", headers=technician)).json()["items"]
    assert [(lv["location_id"], lv["on_hand"]) for lv in levels] == [(van["id"], "1.000")]
    moves = (await client.get(f"{URL}/moves", headers=technician)).json()["items"]
    assert [m["kind"] for m in moves] == ["transfer"]

    # another engineer's technician sees no van at all
    async with session_scope(sessions) as session:
        other = await engineer_row(session, "E-000202", "Olaf")
    stranger = await login_as("technician", engineer_id=other.id)
    assert (await client.get(f"{URL}/locations/{van['id']}", headers=stranger)).status_code == 404
    assert (await client.get(f"{URL}/levels", headers=stranger)).json()["items"] == []


async def test_a_location_with_history_cannot_be_deleted_only_deactivated(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    toner, _ = await part_and_engineer(sessions)
    depot = await login_as("depot")
    warehouse = await location(client, depot, "WH")
    empty = await location(client, depot, "SPARE")
    await receipt(client, depot, warehouse["id"], toner, "1")

    refused = await client.delete(f"{URL}/locations/{warehouse['id']}", headers=depot)
    assert refused.status_code == 409 and problem_of(refused)["code"] == "location_in_use"
    assert (await client.delete(f"{URL}/locations/{empty['id']}", headers=depot)).status_code == 204
    patched = await client.patch(
        f"{URL}/locations/{warehouse['id']}", json={"version": warehouse["version"], "active": False}, headers=depot
    )
    assert patched.status_code == 200 and patched.json()["active"] is False
    inactive = await receipt(client, depot, warehouse["id"], toner, "1")
    assert inactive.status_code == 409 and problem_of(inactive)["code"] == "location_inactive"


async def test_a_van_names_its_engineer(client: Client, login_as: UserFactory, sessions: Sessions) -> None:
    depot = await login_as("depot")
    response = await client.post(
        f"{URL}/locations", json={"code": "VAN-X", "name": "Van", "kind": StockLocationKind.VAN}, headers=depot
    )
    assert response.status_code == 422 and problem_of(response)["field"] == "engineer_id"
