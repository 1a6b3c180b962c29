"""Billable items over HTTP: a work order's items for staff and its own customer, the billing list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID, uuid4

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth import SYSTEM, Role
from core.db import session_scope
from service_mgmt.services.billable_work import record_billable_items
from tests.conftest import UserFactory, problem_of
from tests.integration.billable_fixtures import (
    COMPLETED_AT,
    MORNING,
    completed,
    confirm,
    engineer,
    hours,
    job,
    service_products,
    spare_part,
)
from tests.integration.contract_fixtures import installed_printer, warranty_for

Client = AsyncTestClient[Litestar]
Sessions = async_sessionmaker[AsyncSession]


@dataclass
class Billed:
    customer_id: UUID
    other_customer_id: UUID
    work_order_id: UUID
    number: str
    engineer_id: UUID


async def billed_work_order(sessions: Sessions) -> Billed:
    """ACME's printer repaired under a warranty that covers labour at 50 %; BETA is another customer."""
    async with session_scope(sessions) as session:
        it = await installed_printer(session, "ACME")
        other = await installed_printer(session, "BETA")
        await warranty_for(session, it, ends_on=dt.date(2026, 12, 31), labour=50)
        await service_products(session)
        fuser = await spare_part(session, "FUSER-1", "120.00")
        erik = await engineer(session, "E-000001", "Erik")
        work = await job(session, it)
        await confirm(session, work, work.tasks[0], erik, work=[hours(MORNING, 2)], parts=[(fuser, "1")])
        await record_billable_items(session, SYSTEM, completed(work), COMPLETED_AT)
        return Billed(it.customer_id, other.customer_id, work.work_order.id, work.work_order.number, erik.id)


def url(work_order_id: UUID) -> str:
    return f"/api/v1/work-orders/{work_order_id}/billable-items"


async def test_staff_see_a_work_orders_items_with_coverage_and_totals(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    billed = await billed_work_order(sessions)

    response = await client.get(url(billed.work_order_id), headers=await login_as(Role.PLANNER))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["work_order_number"], body["currency"]) == (billed.number, "EUR")
    assert (body["covered_amount"], body["amount"]) == ("303.00", "98.00")
    assert [(i["kind"], i["quantity"], i["coverage_pct"], i["covered_amount"], i["amount"]) for i in body["items"]] == [
        ("labour", "2.000", "50.00", "98.00", "98.00"),
        ("travel", "1.000", "100.00", "85.00", "0.00"),
        ("parts", "1.000", "100.00", "120.00", "0.00"),
    ]
    assert {i["source_ref"] for i in body["items"]} == {billed.number}


async def test_the_customer_sees_its_own_work_order_and_another_customer_gets_404(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    billed = await billed_work_order(sessions)

    own = await client.get(
        url(billed.work_order_id), headers=await login_as(Role.CUSTOMER, customer_id=billed.customer_id)
    )
    other = await client.get(
        url(billed.work_order_id), headers=await login_as(Role.CUSTOMER, customer_id=billed.other_customer_id)
    )

    assert own.status_code == 200 and len(own.json()["items"]) == 3
    assert other.status_code == 404 and problem_of(other)["code"] == "work_order_not_found"


async def test_technicians_may_not_read_billable_items(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    billed = await billed_work_order(sessions)
    technician = await login_as(Role.TECHNICIAN, engineer_id=billed.engineer_id)

    response = await client.get(url(billed.work_order_id), headers=technician)
    listing = await client.get("/api/v1/billable-items", headers=technician)

    assert response.status_code == 403 and problem_of(response)["code"] == "role_not_allowed"
    assert listing.status_code == 403


async def test_an_unknown_work_order_is_404(client: Client, login_as: UserFactory) -> None:
    response = await client.get(url(uuid4()), headers=await login_as(Role.AGENT))

    assert response.status_code == 404 and problem_of(response)["code"] == "work_order_not_found"


async def test_billing_lists_open_items_by_customer_with_paging(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    billed = await billed_work_order(sessions)
    admin = await login_as(Role.CONTRACT_ADMIN)

    page = await client.get(
        "/api/v1/billable-items",
        params={"customer_id": str(billed.customer_id), "status": "open", "limit": 2, "sort": "source_ref"},
        headers=admin,
    )
    others = await client.get(
        "/api/v1/billable-items", params={"customer_id": str(billed.other_customer_id)}, headers=admin
    )
    billed_only = await client.get("/api/v1/billable-items", params={"status": "billed"}, headers=admin)

    assert page.status_code == 200, page.text
    assert (page.json()["total"], len(page.json()["items"]), page.json()["limit"]) == (3, 2, 2)
    assert others.json()["total"] == 0 and billed_only.json()["total"] == 0


async def test_the_billing_list_is_for_billing_roles_and_refuses_bad_filters(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    billed = await billed_work_order(sessions)
    manager = await login_as(Role.MANAGER)

    planner = await client.get("/api/v1/billable-items", headers=await login_as(Role.PLANNER))
    customer = await client.get(
        "/api/v1/billable-items", headers=await login_as(Role.CUSTOMER, customer_id=billed.customer_id)
    )
    bad_status = await client.get("/api/v1/billable-items", params={"status": "paid"}, headers=manager)
    bad_sort = await client.get("/api/v1/billable-items", params={"sort": "secret"}, headers=manager)

    assert planner.status_code == 403 and customer.status_code == 403
    assert bad_status.status_code == 422 and problem_of(bad_status)["field"] == "status"
    assert bad_sort.status_code == 422 and problem_of(bad_sort)["code"] == "invalid_sort"
