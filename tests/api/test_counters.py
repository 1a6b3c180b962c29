"""Counters and readings over HTTP: readings only go up unless a reset is recorded, back-dating fits between
neighbours, sources follow the role, and a customer reads and reports only on its own equipment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.test_equipment import make_customer, make_product, register
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
Headers = dict[str, str]
Sessions = async_sessionmaker[AsyncSession]

DAY = dt.timedelta(days=1)


def days_ago(days: float) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat()


async def unit(client: Client, sessions: Sessions, agent: Headers, name: str = "ACME") -> dict[str, Any]:
    customer_id = await make_customer(client, agent, name)
    product_id = await make_product(sessions, f"{name}-PRN")
    return await register(client, agent, product_id=product_id, serial_number=f"{name}-1", customer_id=customer_id)


async def counter(client: Client, headers: Headers, equipment_id: str, name: str = "operating hours") -> str:
    response = await client.post(
        f"/api/v1/equipment/{equipment_id}/counters", json={"name": name, "unit": "h"}, headers=headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


class Meter:
    """Posts readings to one counter and answers the raw responses."""

    def __init__(self, client: Client, equipment_id: str, counter_id: str) -> None:
        self.client = client
        self.url = f"/api/v1/equipment/{equipment_id}/counters/{counter_id}/readings"

    async def read(self, headers: Headers, value: str | int, **body: Any) -> Any:
        return await self.client.post(self.url, json={"value": value, **body}, headers=headers)

    async def values(self, headers: Headers) -> list[Decimal]:
        response = await self.client.get(self.url, headers=headers)
        assert response.status_code == 200, response.text
        return [Decimal(r["value"]) for r in response.json()["items"]]


async def meter(client: Client, sessions: Sessions, agent: Headers) -> Meter:
    equipment = await unit(client, sessions, agent)
    return Meter(client, equipment["id"], await counter(client, agent, equipment["id"]))


async def test_a_counter_name_is_unique_per_unit_whatever_the_case(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    first, second = await unit(client, sessions, agent), await unit(client, sessions, agent, "GLOBEX")
    await counter(client, agent, first["id"], "Pages")
    url = f"/api/v1/equipment/{first['id']}/counters"

    duplicate = await client.post(url, json={"name": "pages", "unit": "pages"}, headers=agent)
    elsewhere = await client.post(
        f"/api/v1/equipment/{second['id']}/counters", json={"name": "Pages", "unit": "pages"}, headers=agent
    )
    empty_name = await client.post(url, json={"name": "", "unit": "h"}, headers=agent)

    assert duplicate.status_code == 409
    assert (problem_of(duplicate)["code"], problem_of(duplicate)["field"]) == ("duplicate_counter", "name")
    assert elsewhere.status_code == 201
    assert empty_name.status_code == 422 and problem_of(empty_name)["field"] == "name"


async def test_readings_go_up_and_only_a_reset_goes_down(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    hours = await meter(client, sessions, agent)

    first = await hours.read(agent, "100.5", read_at=days_ago(3))
    same = await hours.read(agent, "100.5", read_at=days_ago(2))
    lower = await hours.read(agent, 90, read_at=days_ago(1))
    reset = await hours.read(agent, 0, read_at=days_ago(1), kind="reset", note="controller swapped")
    after_reset = await hours.read(agent, 12)
    replaced_meter = await hours.read(agent, 5, kind="meter_replacement")

    assert first.status_code == 201 and Decimal(first.json()["value"]) == Decimal("100.5")
    assert same.status_code == 201
    assert lower.status_code == 422
    body = problem_of(lower)
    assert (body["code"], body["field"]) == ("reading_below_previous", "value")
    assert "100.5" in body["detail"] and Decimal(body["previous_value"]) == Decimal("100.5")
    assert reset.status_code == 201 and reset.json()["kind"] == "reset"
    assert after_reset.status_code == 201
    assert replaced_meter.status_code == 201
    assert await hours.values(agent) == [Decimal(5), Decimal(12), Decimal(0), Decimal("100.5"), Decimal("100.5")]


async def test_a_back_dated_reading_must_fit_between_its_neighbours(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    hours = await meter(client, sessions, agent)
    for days, value in ((10, 100), (6, 200), (2, 300)):
        assert (await hours.read(agent, value, read_at=days_ago(days))).status_code == 201

    fits = await hours.read(agent, 150, read_at=days_ago(8))
    above_next = await hours.read(agent, 250, read_at=days_ago(7))
    below_previous = await hours.read(agent, 120, read_at=days_ago(7))
    before_everything = await hours.read(agent, 120, read_at=days_ago(20))

    assert fits.status_code == 201
    assert above_next.status_code == 422
    assert (problem_of(above_next)["code"], problem_of(above_next)["field"]) == ("reading_above_next", "value")
    assert Decimal(problem_of(above_next)["next_value"]) == Decimal(200)
    assert below_previous.status_code == 422 and problem_of(below_previous)["code"] == "reading_below_previous"
    assert before_everything.status_code == 422 and problem_of(before_everything)["code"] == "reading_above_next"


async def test_a_reset_starts_a_new_baseline_for_back_dated_readings(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    hours = await meter(client, sessions, agent)
    await hours.read(agent, 500, read_at=days_ago(10))
    await hours.read(agent, 0, read_at=days_ago(5), kind="reset")
    await hours.read(agent, 40, read_at=days_ago(1))

    before_reset = await hours.read(agent, 700, read_at=days_ago(6))
    after_reset = await hours.read(agent, 20, read_at=days_ago(3))
    above_later = await hours.read(agent, 60, read_at=days_ago(3))
    reset_above_later = await hours.read(agent, 900, read_at=days_ago(2), kind="reset")

    assert before_reset.status_code == 201
    assert after_reset.status_code == 201
    assert above_later.status_code == 422 and problem_of(above_later)["code"] == "reading_above_next"
    assert reset_above_later.status_code == 422 and problem_of(reset_above_later)["code"] == "reading_above_next"


async def test_readings_in_the_future_or_out_of_range_are_refused(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    hours = await meter(client, sessions, agent)
    tomorrow = (dt.datetime.now(dt.UTC) + DAY).isoformat()

    future = await hours.read(agent, 1, read_at=tomorrow)
    naive = await hours.read(agent, 1, read_at="2024-01-01T10:00:00")
    negative = await hours.read(agent, "-1")
    too_precise = await hours.read(agent, "1.0001")
    not_a_number = await hours.read(agent, "NaN")
    unknown_kind = await hours.read(agent, 1, kind="guess")

    expected = [
        (future, "reading_in_future", "read_at"),
        (naive, "validation_failed", "read_at"),
        (negative, "invalid_reading_value", "value"),
        (too_precise, "invalid_reading_value", "value"),
        (not_a_number, "invalid_reading_value", "value"),
        (unknown_kind, "validation_failed", "kind"),
    ]
    for response, code, field in expected:
        assert response.status_code == 422, response.text
        assert (problem_of(response)["code"], problem_of(response)["field"]) == (code, field)
    assert await hours.values(agent) == []


async def test_the_counter_list_shows_the_latest_reading_by_time_not_by_entry(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    equipment = await unit(client, sessions, agent)
    hours_id = await counter(client, agent, equipment["id"], "operating hours")
    await counter(client, agent, equipment["id"], "cycles")
    hours = Meter(client, equipment["id"], hours_id)
    await hours.read(agent, 300, read_at=days_ago(1))
    await hours.read(agent, 200, read_at=days_ago(5))

    listed = await client.get(f"/api/v1/equipment/{equipment['id']}/counters", headers=agent)
    page = await client.get(f"{hours.url}", params={"limit": 1, "sort": "read_at"}, headers=agent)

    by_name = {c["name"]: c for c in listed.json()}
    assert list(by_name) == ["cycles", "operating hours"]
    assert by_name["cycles"]["latest_reading"] is None
    assert Decimal(by_name["operating hours"]["latest_reading"]["value"]) == Decimal(300)
    assert page.json()["total"] == 2 and Decimal(page.json()["items"][0]["value"]) == Decimal(200)


async def test_sources_follow_the_role_and_customers_report_only_on_their_own_equipment(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent, depot = await login_as("agent"), await login_as("depot")
    own = await unit(client, sessions, agent)
    foreign = await unit(client, sessions, agent, "GLOBEX")
    own_hours = Meter(client, own["id"], await counter(client, agent, own["id"]))
    foreign_hours = Meter(client, foreign["id"], await counter(client, agent, foreign["id"]))
    portal = await login_as("customer", customer_id=UUID(own["customer_id"]))

    by_agent = await own_hours.read(agent, 10, read_at=days_ago(3))
    by_device = await own_hours.read(depot, 20, read_at=days_ago(2), source="device")
    by_customer = await own_hours.read(portal, 30, source="device")
    customer_reset = await own_hours.read(portal, 0, kind="reset")
    on_foreign = await foreign_hours.read(portal, 30)
    foreign_list = await client.get(foreign_hours.url, headers=portal)
    customer_creates_counter = await client.post(
        f"/api/v1/equipment/{own['id']}/counters", json={"name": "pages", "unit": "pages"}, headers=portal
    )

    assert [r.json()["source"] for r in (by_agent, by_device, by_customer)] == ["manual", "device", "customer"]
    assert by_customer.json()["recorded_by"].startswith("customer")
    assert customer_reset.status_code == 403 and problem_of(customer_reset)["code"] == "reading_kind_not_allowed"
    assert on_foreign.status_code == 404 and problem_of(on_foreign)["code"] == "equipment_not_found"
    assert foreign_list.status_code == 404
    assert customer_creates_counter.status_code == 403
    assert await own_hours.values(portal) == [Decimal(30), Decimal(20), Decimal(10)]


async def test_technicians_and_readers_without_write_rights_are_refused(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    hours = await meter(client, sessions, agent)
    technician, manager = await login_as("technician"), await login_as("manager")

    technician_read = await hours.read(technician, 5)
    technician_list = await client.get(hours.url, headers=technician)
    manager_read = await hours.read(manager, 5)
    manager_list = await client.get(hours.url, headers=manager)

    for response in (technician_read, technician_list, manager_read):
        assert response.status_code == 403 and problem_of(response)["code"] == "role_not_allowed"
    assert manager_list.status_code == 200


async def test_an_unknown_counter_or_one_of_another_unit_is_not_found(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    agent = await login_as("agent")
    first = await unit(client, sessions, agent)
    second = await unit(client, sessions, agent, "GLOBEX")
    first_counter = await counter(client, agent, first["id"])

    through_other_unit = await Meter(client, second["id"], first_counter).read(agent, 1)
    unknown = await Meter(client, first["id"], str(UUID(int=5))).read(agent, 1)

    for response in (through_other_unit, unknown):
        assert response.status_code == 404 and problem_of(response)["code"] == "counter_not_found"
