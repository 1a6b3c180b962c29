"""Downloading the service report PDF: who may, what they get, and when it exists."""

from __future__ import annotations

import io
from decimal import Decimal

from litestar import Litestar
from litestar.testing import AsyncTestClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import session_scope
from core.documents import Document
from masterdata.models import Engineer
from tests.conftest import UserFactory, problem_of
from tests.integration.service_report_fixtures import Completed, completed_work_order

Client = AsyncTestClient[Litestar]
Sessions = async_sessionmaker[AsyncSession]


def url(done: Completed) -> str:
    return f"/api/v1/work-orders/{done.work_order_id}/service-report"


async def completed(sessions: Sessions, name: str = "ACME", **options: object) -> Completed:
    async with session_scope(sessions) as session:
        return await completed_work_order(session, name=name, number=f"WO-{name[:6]}", **options)  # type: ignore[arg-type]


async def test_staff_download_the_pdf_rendered_on_first_request_and_stored(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    done = await completed(sessions)
    agent = await login_as("agent")

    response = await client.get(url(done), headers=agent)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="WO-ACME-service-report.pdf"'
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert "WO-ACME" in text and "SN-1" in text and "Signed by Pat Doe" in text
    async with sessions() as session:
        stored = await session.scalar(select(Document))
        assert stored is not None and stored.content == response.content

    again = await client.get(url(done), headers=await login_as("manager"))
    assert again.status_code == 200 and again.content == response.content
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Document)) == 1


async def test_a_customer_gets_its_own_report_and_404_for_another_customers(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    ours = await completed(sessions, "ACME")
    theirs = await completed(sessions, "Globex")
    customer = await login_as("customer", customer_id=ours.it.customer_id)

    assert (await client.get(url(ours), headers=customer)).status_code == 200
    refused = await client.get(url(theirs), headers=customer)
    assert refused.status_code == 404 and problem_of(refused)["code"] == "work_order_not_found"


async def test_a_technician_gets_reports_of_work_orders_with_a_task_of_theirs_only(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    done = await completed(sessions)
    async with session_scope(sessions) as session:
        other = Engineer(
            number="E-OTHER",
            name="Olga",
            home_latitude=52.5,
            home_longitude=13.4,
            time_zone="Europe/Berlin",
            cost_rate=Decimal(50),
            currency="EUR",
        )
        session.add(other)
        await session.flush()
        other_id = other.id

    own = await client.get(url(done), headers=await login_as("technician", engineer_id=done.engineer_id))
    foreign = await client.get(url(done), headers=await login_as("technician", engineer_id=other_id))
    unbound = await client.get(url(done), headers=await login_as("technician"))

    assert own.status_code == 200
    assert foreign.status_code == 404 and problem_of(foreign)["code"] == "work_order_not_found"
    assert unbound.status_code == 404


async def test_before_completion_there_is_no_report(client: Client, login_as: UserFactory, sessions: Sessions) -> None:
    done = await completed(sessions, status="on_site")

    response = await client.get(url(done), headers=await login_as("planner"))

    assert response.status_code == 409
    problem = problem_of(response)
    assert problem["code"] == "work_order_not_completed" and "on_site" in problem["detail"]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Document)) == 0


async def test_an_unknown_work_order_is_404_and_a_stranger_is_401(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    done = await completed(sessions)
    missing = "/api/v1/work-orders/0190b5c2-0000-7000-8000-000000000000/service-report"

    assert (await client.get(missing, headers=await login_as("admin"))).status_code == 404
    assert (await client.get(url(done))).status_code == 401
