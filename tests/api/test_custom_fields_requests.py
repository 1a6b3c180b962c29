"""Custom fields on service requests: customers log with the fields meant for them, never internal ones."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import FixedClock
from tests.api.test_service_requests import call, clock, covered_printer  # noqa: F401  (clock: a fixture)
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
URL = "/api/v1/service-requests"


async def define(client: Client, admin: dict[str, str], **body: Any) -> None:
    body = {"entity": "service_request", "label": body["name"], **body}
    response = await client.post("/api/v1/custom-fields", json=body, headers=admin)
    assert response.status_code == 201, response.text


async def test_customers_write_and_read_only_the_fields_meant_for_them(
    client: Client,
    login_as: UserFactory,
    sessions: async_sessionmaker[AsyncSession],
    clock: FixedClock,  # noqa: F811
) -> None:
    it = await covered_printer(sessions, "Mine")
    admin = await login_as("admin")
    agent = await login_as("agent")
    portal = await login_as("customer", customer_id=it.customer_id)
    await define(client, admin, name="po_number", type="text", visibility="customer", required=True)
    await define(client, admin, name="root_cause", type="single_choice", choices=["user", "wear", "defect"])

    missing = await client.post(URL, json=call(it, reported_at=None), headers=portal)
    internal = await client.post(
        URL, json=call(it, reported_at=None, custom={"po_number": "PO-1", "root_cause": "user"}), headers=portal
    )
    logged = await client.post(URL, json=call(it, reported_at=None, custom={"po_number": "PO-1"}), headers=portal)
    triaged = await client.patch(
        f"{URL}/{logged.json()['id']}", json={"version": 1, "custom": {"root_cause": "wear"}}, headers=agent
    )
    staff_view = await client.get(f"{URL}/{logged.json()['id']}", headers=agent)
    portal_view = await client.get(f"{URL}/{logged.json()['id']}", headers=portal)
    staff_list = await client.get(URL, params={"custom.root_cause": "wear"}, headers=agent)
    portal_list = await client.get(URL, params={"custom.po_number": "PO-1"}, headers=portal)

    assert missing.status_code == 422 and problem_of(missing)["field"] == "custom.po_number"
    assert internal.status_code == 422 and problem_of(internal)["field"] == "custom.root_cause"
    assert logged.status_code == 201 and logged.json()["custom"] == {"po_number": "PO-1"}
    assert triaged.status_code == 200, triaged.text
    assert staff_view.json()["custom"] == {"po_number": "PO-1", "root_cause": "wear"}
    assert portal_view.json()["custom"] == {"po_number": "PO-1"}
    assert staff_list.json()["total"] == 1 and portal_list.json()["total"] == 1
    assert portal_list.json()["items"][0]["custom"] == {"po_number": "PO-1"}
