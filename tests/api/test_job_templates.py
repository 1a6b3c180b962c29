"""Job templates over HTTP: tasks with skills, dependencies and parts; who may write; the error contract."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import session_scope
from masterdata.models import Product
from tests.conftest import UserFactory, problem_of
from tests.integration.contract_fixtures import installed_printer

Client = AsyncTestClient[Litestar]
URL = "/api/v1/job-templates"


async def spare_part(sessions: async_sessionmaker[AsyncSession], sku: str = "FUSER-1") -> UUID:
    async with session_scope(sessions) as session:
        part = Product(
            sku=sku,
            name="Fuser unit",
            kind="spare_part",
            serialized=False,
            list_price=Decimal("120"),
            currency="EUR",
            unit="pc",
        )
        session.add(part)
        await session.flush()
        return part.id


def fuser_template(part_id: UUID, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "PRN-FUSER",
        "name": "Printer fuser replacement",
        "service_type": "repair",
        "product_family": "printers",
        "checklist": ["Switch off and let the fuser cool down", "Print a test page"],
        "tasks": [
            {
                "sequence": 1,
                "name": "Diagnose",
                "duration_minutes": 30,
                "required_skills": [{"skill": "printers", "level": 2}],
            },
            {
                "sequence": 2,
                "name": "Replace fuser",
                "duration_minutes": 90,
                "required_skills": [{"skill": "printers", "level": 3}, {"skill": "electrics", "level": 1}],
                "crew_size": 2,
                "depends_on": [1],
                "parts": [{"product_id": str(part_id), "quantity": "1"}],
            },
        ],
    }
    return body | changes


async def test_a_planner_writes_a_template_and_all_staff_read_it(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    part_id = await spare_part(sessions)
    planner = await login_as("planner")
    agent = await login_as("agent")

    created = await client.post(URL, json=fuser_template(part_id), headers=planner)

    assert created.status_code == 201, created.text
    body = created.json()
    assert body["code"] == "PRN-FUSER" and body["version"] == 1 and body["active"] is True
    assert body["checklist"] == ["Switch off and let the fuser cool down", "Print a test page"]
    first, second = body["tasks"]
    assert (first["sequence"], first["name"], first["depends_on"]) == (1, "Diagnose", [])
    assert second["crew_size"] == 2 and second["depends_on"] == [1]
    assert second["required_skills"] == [{"skill": "printers", "level": 3}, {"skill": "electrics", "level": 1}]
    assert second["parts"] == [{"product_id": str(part_id), "quantity": "1.000"}]

    listed = await client.get(URL, params={"q": "fuser", "service_type": "repair"}, headers=agent)
    one = await client.get(f"{URL}/{body['id']}", headers=agent)
    assert listed.status_code == 200 and [t["code"] for t in listed.json()["items"]] == ["PRN-FUSER"]
    assert one.status_code == 200 and one.json()["tasks"] == body["tasks"]


async def test_only_admins_and_planners_write_and_field_people_do_not_read(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with session_scope(sessions) as session:
        it = await installed_printer(session)
    part_id = await spare_part(sessions)
    agent = await login_as("agent")
    technician = await login_as("technician")
    customer = await login_as("customer", customer_id=it.customer_id)
    admin = await login_as("admin")

    by_agent = await client.post(URL, json=fuser_template(part_id), headers=agent)
    by_admin = await client.post(URL, json=fuser_template(part_id), headers=admin)
    read_by_technician = await client.get(URL, headers=technician)
    read_by_customer = await client.get(URL, headers=customer)

    assert by_agent.status_code == 403 and problem_of(by_agent)["code"] == "role_not_allowed"
    assert by_admin.status_code == 201
    assert read_by_technician.status_code == 403
    assert read_by_customer.status_code == 403


async def test_a_template_code_is_unique(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    part_id = await spare_part(sessions)
    planner = await login_as("planner")
    await client.post(URL, json=fuser_template(part_id), headers=planner)

    again = await client.post(URL, json=fuser_template(part_id, name="Another"), headers=planner)

    assert again.status_code == 409
    assert problem_of(again)["code"] == "duplicate_template_code" and problem_of(again)["field"] == "code"


async def test_dependencies_must_name_tasks_of_the_template_without_cycles(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    part_id = await spare_part(sessions)
    planner = await login_as("planner")
    unknown = fuser_template(part_id)
    unknown["tasks"][1]["depends_on"] = [7]
    cyclic = fuser_template(part_id)
    cyclic["tasks"][0]["depends_on"] = [2]
    itself = fuser_template(part_id)
    itself["tasks"][0]["depends_on"] = [1]

    unknown_answer = await client.post(URL, json=unknown, headers=planner)
    cyclic_answer = await client.post(URL, json=cyclic, headers=planner)
    itself_answer = await client.post(URL, json=itself, headers=planner)

    assert unknown_answer.status_code == 422
    assert problem_of(unknown_answer)["code"] == "unknown_dependency"
    assert problem_of(unknown_answer)["field"] == "tasks[1].depends_on[0]"
    assert cyclic_answer.status_code == 422
    assert problem_of(cyclic_answer)["code"] == "dependency_cycle"
    assert problem_of(cyclic_answer)["cycle"] == [1, 2, 1]
    assert itself_answer.status_code == 422 and problem_of(itself_answer)["cycle"] == [1, 1]


async def test_task_fields_are_validated_with_the_field_named(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    part_id = await spare_part(sessions)
    planner = await login_as("planner")

    def with_task_change(index: int, **change: Any) -> dict[str, Any]:
        body = fuser_template(part_id)
        body["tasks"][index] |= change
        return body

    cases = {
        "tasks[0].duration_minutes": with_task_change(0, duration_minutes=0),
        "tasks[1].crew_size": with_task_change(1, crew_size=11),
        "tasks[0].required_skills[0].level": with_task_change(0, required_skills=[{"skill": "printers", "level": 6}]),
        "tasks[1].sequence": with_task_change(1, sequence=1),
        "tasks[0].required_skills[1].skill": with_task_change(
            0, required_skills=[{"skill": "printers", "level": 2}, {"skill": "printers", "level": 3}]
        ),
        "tasks[1].parts[0].quantity": with_task_change(1, parts=[{"product_id": str(part_id), "quantity": "0"}]),
        "checklist[0]": fuser_template(part_id, checklist=[""]),
        "tasks": fuser_template(part_id, tasks=[]),
    }
    for field, body in cases.items():
        response = await client.post(URL, json=body, headers=planner)
        assert response.status_code == 422, (field, response.text)
        assert problem_of(response)["field"] == field, field


async def test_parts_name_existing_products(client: Client, login_as: UserFactory) -> None:
    planner = await login_as("planner")
    missing = UUID("00000000-0000-7000-8000-000000000001")

    response = await client.post(URL, json=fuser_template(missing), headers=planner)

    assert response.status_code == 404
    assert problem_of(response)["code"] == "product_not_found"
    assert problem_of(response)["field"] == "tasks[1].parts[0].product_id"


async def test_sent_tasks_replace_all_tasks_and_a_stale_version_conflicts(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    part_id = await spare_part(sessions)
    planner = await login_as("planner")
    template = (await client.post(URL, json=fuser_template(part_id), headers=planner)).json()
    url = f"{URL}/{template['id']}"

    changed = await client.patch(
        url,
        json={
            "version": 1,
            "name": "Fuser swap",
            "tasks": [{"sequence": 1, "name": "Swap fuser", "duration_minutes": 45}],
        },
        headers=planner,
    )
    stale = await client.patch(url, json={"version": 1, "active": False}, headers=planner)

    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2 and changed.json()["name"] == "Fuser swap"
    assert [(t["sequence"], t["name"]) for t in changed.json()["tasks"]] == [(1, "Swap fuser")]
    assert stale.status_code == 409 and problem_of(stale)["code"] == "stale_version"


async def test_a_template_a_work_order_was_made_from_is_not_deleted(
    client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with session_scope(sessions) as session:
        it = await installed_printer(session)
    part_id = await spare_part(sessions)
    planner = await login_as("planner")
    used = (await client.post(URL, json=fuser_template(part_id), headers=planner)).json()
    unused = (await client.post(URL, json=fuser_template(part_id, code="PRN-OTHER"), headers=planner)).json()
    work_order = await client.post(
        "/api/v1/work-orders",
        json={
            "customer_id": str(it.customer_id),
            "site_id": str(it.site_id),
            "service_type": "repair",
            "priority": "P3",
            "template_id": used["id"],
        },
        headers=planner,
    )
    assert work_order.status_code == 201, work_order.text

    refused = await client.delete(f"{URL}/{used['id']}", headers=planner)
    deleted = await client.delete(f"{URL}/{unused['id']}", headers=planner)

    assert refused.status_code == 409
    assert problem_of(refused)["code"] == "job_template_in_use"
    assert problem_of(refused)["dependents"] == {"work_orders": 1}
    assert deleted.status_code == 204
    assert (await client.get(f"{URL}/{unused['id']}", headers=planner)).status_code == 404
