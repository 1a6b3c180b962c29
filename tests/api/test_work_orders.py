"""Work orders over HTTP: from a request and template, task editing, manual assignment, lifecycle, credit gate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import session_scope
from masterdata.models import Absence, Engineer, EngineerSkill, Equipment, Product
from service_mgmt.models import ServiceRequest
from tests.conftest import UserFactory, problem_of
from tests.integration.contract_fixtures import Installed, installed_printer

Client = AsyncTestClient[Litestar]
URL = "/api/v1/work-orders"
Sessions = async_sessionmaker[AsyncSession]


def tomorrow_at(hour: int, minute: int = 0) -> dt.datetime:
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


@dataclass
class Call:
    it: Installed
    request_id: UUID
    resolution_due: dt.datetime


async def logged_call(
    sessions: Sessions,
    name: str = "ACME",
    *,
    covered_by: str = "none",
    coverage: int = 0,
    amount: str | None = "250.00",
    status: str = "triaged",
    unit_without_site: bool = False,
) -> Call:
    """A printer and a call about it, as the call logging leaves it (entitlement snapshot taken)."""
    async with session_scope(sessions) as session:
        it = await installed_printer(session, name)
        if unit_without_site:
            unit = await session.get(Equipment, it.equipment_id)
            assert unit is not None
            unit.site_id = None
        now = dt.datetime.now(dt.UTC)
        due = (now + dt.timedelta(days=2)).replace(microsecond=0)
        pct = Decimal(coverage)
        request = ServiceRequest(
            number=f"SR-{name[:6]}",
            customer_id=it.customer_id,
            equipment_id=it.equipment_id,
            symptom="paper jam, fuser error E5",
            priority="P2",
            service_type="repair",
            channel="phone",
            status=status,
            reported_at=now,
            entitlement={"covered_by": covered_by},
            covered_by=covered_by,
            labour_pct=pct,
            parts_pct=pct,
            travel_pct=pct,
            response_due=now + dt.timedelta(hours=4),
            resolution_due=due,
            estimated_amount=Decimal(amount) if amount else None,
            logged_by="agent",
        )
        session.add(request)
        await session.flush()
        return Call(it, request.id, due)


async def spare_part(sessions: Sessions) -> UUID:
    async with session_scope(sessions) as session:
        part = Product(
            sku="FUSER-1",
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


async def engineer(
    sessions: Sessions,
    number: str,
    skills: dict[str, int],
    *,
    active: bool = True,
    absent: tuple[dt.datetime, dt.datetime] | None = None,
) -> UUID:
    async with session_scope(sessions) as session:
        row = Engineer(
            number=number,
            name=f"Engineer {number}",
            home_latitude=52.5,
            home_longitude=13.4,
            time_zone="Europe/Berlin",
            cost_rate=Decimal("60.00"),
            currency="EUR",
            active=active,
        )
        session.add(row)
        await session.flush()
        session.add_all(EngineerSkill(engineer_id=row.id, skill=skill, level=level) for skill, level in skills.items())
        if absent:
            session.add(Absence(engineer_id=row.id, starts_at=absent[0], ends_at=absent[1], reason="training"))
        await session.flush()
        return row.id


async def fuser_template(client: Client, headers: dict[str, str], part_id: UUID) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/job-templates",
        json={
            "code": "PRN-FUSER",
            "name": "Printer fuser replacement",
            "service_type": "repair",
            "checklist": ["Let the fuser cool down", "Print a test page"],
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
                    "required_skills": [{"skill": "printers", "level": 3}],
                    "depends_on": [1],
                    "parts": [{"product_id": str(part_id), "quantity": "1"}],
                },
            ],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def from_request(client: Client, headers: dict[str, str], call: Call, **body: Any) -> dict[str, Any]:
    response = await client.post(URL, json={"request_id": str(call.request_id), **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def assign(
    client: Client,
    headers: dict[str, str],
    work_order: dict[str, Any],
    task: dict[str, Any],
    *engineers: UUID,
    start: dt.datetime | None = None,
) -> Any:
    return await client.put(
        f"{URL}/{work_order['id']}/tasks/{task['id']}/assignment",
        json={"engineer_ids": [str(e) for e in engineers], "planned_start": (start or tomorrow_at(9)).isoformat()},
        headers=headers,
    )


async def transition(client: Client, headers: dict[str, str], work_order: dict[str, Any], status: str) -> Any:
    return await client.post(f"{URL}/{work_order['id']}/transitions", json={"status": status}, headers=headers)


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


# --- creating --------------------------------------------------------------------------------


async def test_a_work_order_from_a_request_and_template_copies_tasks_dependencies_parts_and_the_sla(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    call = await logged_call(sessions)
    part_id = await spare_part(sessions)
    planner = await login_as("planner")
    agent = await login_as("agent")
    template = await fuser_template(client, planner, part_id)
    before = dt.datetime.now(dt.UTC)

    work_order = await from_request(client, agent, call, template_id=template["id"])

    assert work_order["number"] == "WO-000001" and work_order["status"] == "open"
    assert work_order["request_id"] == str(call.request_id)
    assert work_order["template_id"] == template["id"]
    assert (work_order["customer_id"], work_order["site_id"]) == (str(call.it.customer_id), str(call.it.site_id))
    assert work_order["equipment_id"] == str(call.it.equipment_id)
    assert (work_order["service_type"], work_order["priority"]) == ("repair", "P2")
    assert work_order["billable"] is True and work_order["estimated_amount"] == "250.00"
    assert work_order["description"] == "paper jam, fuser error E5"
    assert work_order["checklist"] == [
        {"item": "Let the fuser cool down", "done": False},
        {"item": "Print a test page", "done": False},
    ]
    diagnose, replace = work_order["tasks"]
    assert (diagnose["name"], diagnose["duration_minutes"], diagnose["status"]) == ("Diagnose", 30, "open")
    assert diagnose["required_skills"] == [{"skill": "printers", "level": 2}]
    assert replace["depends_on"] == [diagnose["id"]] and diagnose["depends_on"] == []
    assert [(p["product_id"], p["quantity"]) for p in replace["parts"]] == [(str(part_id), "1.000")]
    assert replace["site_id"] == str(call.it.site_id) and replace["priority"] == "P2"
    for task in (diagnose, replace):
        (window,) = task["time_windows"]
        assert window["kind"] == "sla"
        assert before - dt.timedelta(seconds=1) <= parse(window["start"]) <= dt.datetime.now(dt.UTC)
        assert parse(window["end"]) == call.resolution_due

    again = await client.get(f"{URL}/{work_order['id']}", headers=agent)
    assert again.status_code == 200 and again.json() == work_order


async def test_without_a_template_a_work_order_gets_one_task_of_an_hour(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    call = await logged_call(sessions, covered_by="warranty", coverage=100)
    planner = await login_as("planner")

    work_order = await from_request(client, planner, call)

    (task,) = work_order["tasks"]
    assert (task["sequence"], task["name"], task["duration_minutes"], task["crew_size"]) == (1, "Repair", 60, 1)
    assert work_order["billable"] is False  # a warranty pays labour, parts and travel in full
    assert work_order["checklist"] == []


async def test_partial_coverage_is_billable(client: Client, login_as: UserFactory, sessions: Sessions) -> None:
    call = await logged_call(sessions, covered_by="contract_line", coverage=50)
    planner = await login_as("planner")

    work_order = await from_request(client, planner, call)

    assert work_order["billable"] is True


async def test_a_request_without_a_site_anywhere_gets_no_work_order(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    call = await logged_call(sessions, unit_without_site=True)
    planner = await login_as("planner")

    response = await client.post(URL, json={"request_id": str(call.request_id)}, headers=planner)

    assert response.status_code == 422
    assert problem_of(response)["code"] == "site_required" and problem_of(response)["field"] == "request_id"


async def test_closed_requests_get_no_work_order_and_the_request_decides_the_object(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    closed = await logged_call(sessions, "Closed", status="closed")
    call = await logged_call(sessions, "Open")
    planner = await login_as("planner")

    refused = await client.post(URL, json={"request_id": str(closed.request_id)}, headers=planner)
    with_site = await client.post(
        URL, json={"request_id": str(call.request_id), "site_id": str(call.it.site_id)}, headers=planner
    )
    missing = await client.post(URL, json={"request_id": "00000000-0000-7000-8000-000000000001"}, headers=planner)

    assert refused.status_code == 409 and problem_of(refused)["code"] == "request_not_open"
    assert with_site.status_code == 422 and problem_of(with_site)["code"] == "decided_by_request"
    assert problem_of(with_site)["field"] == "site_id"
    assert missing.status_code == 404 and problem_of(missing)["code"] == "service_request_not_found"


async def test_a_planner_creates_a_standalone_work_order_whose_billing_the_entitlement_decides(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    call = await logged_call(sessions)
    planner = await login_as("planner")
    agent = await login_as("agent")
    body = {
        "customer_id": str(call.it.customer_id),
        "site_id": str(call.it.site_id),
        "equipment_id": str(call.it.equipment_id),
        "service_type": "installation",
        "priority": "P3",
        "estimated_amount": "800.00",
        "tasks": [
            {"sequence": 1, "name": "Unpack", "duration_minutes": 60},
            {"sequence": 2, "name": "Install", "duration_minutes": 240, "crew_size": 2, "depends_on": [1]},
        ],
    }

    created = await client.post(URL, json=body, headers=planner)
    by_agent = await client.post(URL, json=body, headers=agent)
    incomplete = await client.post(URL, json={k: v for k, v in body.items() if k != "site_id"}, headers=planner)
    both = await client.post(URL, json=body | {"template_id": "00000000-0000-7000-8000-000000000001"}, headers=planner)

    assert created.status_code == 201, created.text
    work_order = created.json()
    assert work_order["request_id"] is None and work_order["billable"] is True  # nothing covers the unit
    unpack, install = work_order["tasks"]
    assert install["depends_on"] == [unpack["id"]] and install["crew_size"] == 2
    assert unpack["time_windows"] == [] and unpack["priority"] == "P3"
    assert by_agent.status_code == 403 and problem_of(by_agent)["code"] == "field_not_allowed"
    assert problem_of(by_agent)["field"] == "request_id"
    assert incomplete.status_code == 422 and problem_of(incomplete)["field"] == "site_id"
    assert problem_of(incomplete)["code"] == "field_required"
    assert both.status_code == 422 and problem_of(both)["code"] == "tasks_or_template"


async def test_time_windows_are_aware_and_end_after_they_start(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    call = await logged_call(sessions)
    planner = await login_as("planner")
    work_order = await from_request(client, planner, call)
    url = f"{URL}/{work_order['id']}/tasks"
    start = tomorrow_at(9)

    backwards = await client.post(
        url,
        json={
            "name": "Follow-up",
            "duration_minutes": 30,
            "time_windows": [{"start": start.isoformat(), "end": start.isoformat(), "kind": "appointment"}],
        },
        headers=planner,
    )
    naive = await client.post(
        url,
        json={
            "name": "Follow-up",
            "duration_minutes": 30,
            "time_windows": [{"start": "2030-01-01T09:00:00", "end": "2030-01-01T10:00:00"}],
        },
        headers=planner,
    )
    bad_kind = await client.post(
        url,
        json={
            "name": "Follow-up",
            "duration_minutes": 30,
            "time_windows": [{"start": start.isoformat(), "end": tomorrow_at(10).isoformat(), "kind": "someday"}],
        },
        headers=planner,
    )

    assert backwards.status_code == 422 and problem_of(backwards)["code"] == "ends_before_starts"
    assert problem_of(backwards)["field"] == "time_windows[0].end"
    assert naive.status_code == 422 and problem_of(naive)["field"] == "time_windows[0].start"
    assert bad_kind.status_code == 422 and problem_of(bad_kind)["field"] == "time_windows[0].kind"


# --- tasks before scheduling -----------------------------------------------------------------


async def test_tasks_are_added_changed_linked_and_removed_before_scheduling(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    call = await logged_call(sessions)
    planner = await login_as("planner")
    work_order = await from_request(client, planner, call)
    (first,) = work_order["tasks"]
    base = f"{URL}/{work_order['id']}/tasks"
    window = {"start": tomorrow_at(8).isoformat(), "end": tomorrow_at(12).isoformat(), "kind": "appointment"}

    added = await client.post(
        base,
        json={"name": "Test print", "duration_minutes": 15, "depends_on": [first["id"]], "time_windows": [window]},
        headers=planner,
    )
    assert added.status_code == 201, added.text
    second = added.json()
    changed = await client.patch(
        f"{base}/{first['id']}",
        json={
            "version": first["version"],
            "name": "Repair fuser",
            "duration_minutes": 120,
            "required_skills": [{"skill": "printers", "level": 3}],
            "crew_size": 2,
            "pinned": True,
            "priority": "P1",
            "planned_start": tomorrow_at(9).isoformat(),
        },
        headers=planner,
    )
    removed = await client.delete(f"{base}/{second['id']}", headers=planner)
    after = (await client.get(f"{URL}/{work_order['id']}", headers=planner)).json()

    assert second["sequence"] == 2 and second["depends_on"] == [first["id"]] and second["priority"] == "P2"
    assert second["time_windows"][0]["kind"] == "appointment"
    assert changed.status_code == 200, changed.text
    task = changed.json()
    assert (task["name"], task["duration_minutes"], task["crew_size"], task["pinned"]) == ("Repair fuser", 120, 2, True)
    assert task["priority"] == "P1" and task["version"] == first["version"] + 1
    assert parse(task["planned_end"]) == tomorrow_at(11)  # start + duration
    assert removed.status_code == 204
    assert [t["id"] for t in after["tasks"]] == [first["id"]]


async def test_dependencies_stay_inside_the_work_order_and_never_form_a_cycle(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    call = await logged_call(sessions)
    other_call = await logged_call(sessions, "Other")
    part_id = await spare_part(sessions)
    planner = await login_as("planner")
    template = await fuser_template(client, planner, part_id)
    work_order = await from_request(client, planner, call, template_id=template["id"])
    other = await from_request(client, planner, other_call)
    diagnose, replace = work_order["tasks"]
    url = f"{URL}/{work_order['id']}/tasks/{diagnose['id']}/dependencies"

    cycle = await client.put(url, json={"depends_on": [replace["id"]]}, headers=planner)
    itself = await client.put(url, json={"depends_on": [diagnose["id"]]}, headers=planner)
    foreign = await client.put(url, json={"depends_on": [other["tasks"][0]["id"]]}, headers=planner)
    cleared = await client.put(
        f"{URL}/{work_order['id']}/tasks/{replace['id']}/dependencies", json={"depends_on": []}, headers=planner
    )
    reversed_ = await client.put(url, json={"depends_on": [replace["id"]]}, headers=planner)

    assert cycle.status_code == 422 and problem_of(cycle)["code"] == "dependency_cycle"
    assert problem_of(cycle)["field"] == "depends_on"
    assert itself.status_code == 422 and problem_of(itself)["code"] == "dependency_cycle"
    assert foreign.status_code == 422 and problem_of(foreign)["code"] == "unknown_dependency"
    assert problem_of(foreign)["field"] == "depends_on[0]"
    assert cleared.status_code == 200 and cleared.json()["depends_on"] == []
    assert reversed_.status_code == 200 and reversed_.json()["depends_on"] == [replace["id"]]


# --- manual assignment -----------------------------------------------------------------------


async def test_an_assignment_checks_crew_skills_activity_and_absences(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    call = await logged_call(sessions)
    part_id = await spare_part(sessions)
    planner = await login_as("planner")
    template = await fuser_template(client, planner, part_id)
    work_order = await from_request(client, planner, call, template_id=template["id"])
    _, replace = work_order["tasks"]  # needs printers at level 3, 90 minutes
    expert = await engineer(sessions, "E-1", {"printers": 4})
    novice = await engineer(sessions, "E-2", {"printers": 2, "electrics": 5})
    in_training = await engineer(sessions, "E-3", {"printers": 5}, absent=(tomorrow_at(10), tomorrow_at(16)))
    retired = await engineer(sessions, "E-4", {"printers": 5}, active=False)

    too_low = await assign(client, planner, work_order, replace, novice)
    absent = await assign(client, planner, work_order, replace, in_training, start=tomorrow_at(9))
    inactive = await assign(client, planner, work_order, replace, retired)
    crew = await assign(client, planner, work_order, replace, expert, novice)
    assigned = await assign(client, planner, work_order, replace, expert, start=tomorrow_at(9))
    before_training = await assign(client, planner, work_order, replace, in_training, start=tomorrow_at(8, 30))

    assert too_low.status_code == 422
    problem = problem_of(too_low)
    assert problem["code"] == "skill_missing" and problem["skill"] == "printers"
    assert (problem["required_level"], problem["engineer_level"]) == (3, 2)
    assert "'printers'" in problem["detail"] and problem["field"] == "engineer_ids[0]"
    assert absent.status_code == 409 and problem_of(absent)["code"] == "engineer_absent"
    assert problem_of(absent)["engineer_id"] == str(in_training)
    assert inactive.status_code == 422 and problem_of(inactive)["code"] == "engineer_inactive"
    assert crew.status_code == 422 and problem_of(crew)["code"] == "crew_size_mismatch"
    assert assigned.status_code == 200, assigned.text
    task = assigned.json()
    assert task["assignments"] == [{"engineer_id": str(expert), "lead": True}]
    assert parse(task["planned_start"]) == tomorrow_at(9)
    assert parse(task["planned_end"]) == tomorrow_at(10, 30)  # start + 90 minutes
    # 08:30 + 90 minutes ends at 10:00, when the training starts: no clash; it replaces the expert.
    assert before_training.status_code == 200, before_training.text
    assert before_training.json()["assignments"] == [{"engineer_id": str(in_training), "lead": True}]


async def test_assignments_name_real_engineers_and_a_sensible_end(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    call = await logged_call(sessions)
    planner = await login_as("planner")
    work_order = await from_request(client, planner, call)
    (task,) = work_order["tasks"]
    expert = await engineer(sessions, "E-1", {"printers": 4})
    url = f"{URL}/{work_order['id']}/tasks/{task['id']}/assignment"

    unknown = await client.put(
        url,
        json={"engineer_ids": ["00000000-0000-7000-8000-000000000001"], "planned_start": tomorrow_at(9).isoformat()},
        headers=planner,
    )
    backwards = await client.put(
        url,
        json={
            "engineer_ids": [str(expert)],
            "planned_start": tomorrow_at(9).isoformat(),
            "planned_end": tomorrow_at(8).isoformat(),
        },
        headers=planner,
    )
    nobody = await client.put(
        url, json={"engineer_ids": [], "planned_start": tomorrow_at(9).isoformat()}, headers=planner
    )

    assert unknown.status_code == 404 and problem_of(unknown)["code"] == "engineer_not_found"
    assert problem_of(unknown)["field"] == "engineer_ids[0]"
    assert backwards.status_code == 422 and problem_of(backwards)["field"] == "planned_end"
    assert nobody.status_code == 422 and problem_of(nobody)["field"] == "engineer_ids"


# --- lifecycle -------------------------------------------------------------------------------


async def test_scheduling_needs_every_task_planned_and_then_tasks_are_locked(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    call = await logged_call(sessions, covered_by="warranty", coverage=100)
    part_id = await spare_part(sessions)
    planner = await login_as("planner")
    template = await fuser_template(client, planner, part_id)
    work_order = await from_request(client, planner, call, template_id=template["id"])
    diagnose, replace = work_order["tasks"]
    expert = await engineer(sessions, "E-1", {"printers": 4})
    await assign(client, planner, work_order, diagnose, expert, start=tomorrow_at(8))

    unplanned = await transition(client, planner, work_order, "scheduled")
    await assign(client, planner, work_order, replace, expert, start=tomorrow_at(9))
    scheduled = await transition(client, planner, work_order, "scheduled")
    base = f"{URL}/{work_order['id']}/tasks"
    edits = [
        await client.patch(f"{base}/{diagnose['id']}", json={"version": 2, "name": "Look"}, headers=planner),
        await client.post(base, json={"name": "More", "duration_minutes": 10}, headers=planner),
        await client.delete(f"{base}/{replace['id']}", headers=planner),
        await client.put(f"{base}/{replace['id']}/dependencies", json={"depends_on": []}, headers=planner),
    ]
    moved = await assign(client, planner, work_order, replace, expert, start=tomorrow_at(13))

    assert unplanned.status_code == 409
    assert problem_of(unplanned)["code"] == "tasks_unplanned"
    assert [t["task_id"] for t in problem_of(unplanned)["tasks"]] == [replace["id"]]
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["status"] == "scheduled"
    assert [t["status"] for t in scheduled.json()["tasks"]] == ["scheduled", "scheduled"]
    assert scheduled.json()["credit_override_id"] is None
    for edit in edits:
        assert edit.status_code == 409, edit.text
        assert problem_of(edit)["code"] == "tasks_locked" and problem_of(edit)["current_status"] == "scheduled"
    # The planner may still move who does it and when until the work order is dispatched.
    assert moved.status_code == 200 and parse(moved.json()["planned_start"]) == tomorrow_at(13)


async def test_illegal_transitions_name_the_current_status_and_hold_remembers_where_it_was(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    call = await logged_call(sessions)
    planner = await login_as("planner")
    work_order = await from_request(client, planner, call)

    jump = await transition(client, planner, work_order, "dispatched")
    held = await transition(client, planner, work_order, "on_hold")
    to_scheduled = await transition(client, planner, work_order, "scheduled")
    resumed = await transition(client, planner, work_order, "open")
    cancelled = await client.post(
        f"{URL}/{work_order['id']}/transitions",
        json={"status": "cancelled", "reason": "customer fixed it", "version": resumed.json()["version"]},
        headers=planner,
    )
    reopened = await transition(client, planner, work_order, "open")
    unknown = await transition(client, planner, work_order, "paused")

    assert jump.status_code == 409 and problem_of(jump)["code"] == "illegal_transition"
    assert problem_of(jump)["current_status"] == "open"
    assert held.status_code == 200
    assert (held.json()["status"], held.json()["status_before_hold"]) == ("on_hold", "open")
    assert to_scheduled.status_code == 409 and problem_of(to_scheduled)["current_status"] == "on_hold"
    assert resumed.status_code == 200
    assert (resumed.json()["status"], resumed.json()["status_before_hold"]) == ("open", None)
    assert cancelled.status_code == 200
    assert [t["status"] for t in cancelled.json()["tasks"]] == ["cancelled"]
    assert reopened.status_code == 409 and problem_of(reopened)["current_status"] == "cancelled"
    assert unknown.status_code == 422 and problem_of(unknown)["field"] == "status"


async def test_a_stale_version_on_a_transition_or_change_is_a_conflict(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    call = await logged_call(sessions)
    planner = await login_as("planner")
    work_order = await from_request(client, planner, call)
    url = f"{URL}/{work_order['id']}"

    changed = await client.patch(
        url,
        json={
            "version": 1,
            "description": "fuser E5, customer says it smells",
            "priority": "P1",
            "checklist": [{"item": "Bring a fuser", "done": True}],
        },
        headers=planner,
    )
    stale_change = await client.patch(url, json={"version": 1, "priority": "P4"}, headers=planner)
    stale_transition = await client.post(
        f"{url}/transitions", json={"status": "on_hold", "version": 1}, headers=planner
    )

    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["priority"], body["version"]) == ("P1", 2)
    assert body["checklist"] == [{"item": "Bring a fuser", "done": True}]
    assert stale_change.status_code == 409 and problem_of(stale_change)["code"] == "stale_version"
    assert stale_transition.status_code == 409 and problem_of(stale_transition)["code"] == "stale_version"


# --- the credit gate -------------------------------------------------------------------------


async def test_billable_work_for_a_customer_on_hold_is_scheduled_only_after_an_override(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    call = await logged_call(sessions, amount="480.00")
    customer_id = str(call.it.customer_id)
    carla = await login_as("contract_admin")
    dora = await login_as("contract_admin")
    planner = await login_as("planner")
    carla_id = (await client.get("/api/v1/auth/me", headers=carla)).json()["user_id"]
    account = await client.post(
        "/api/v1/credit/accounts",
        json={"customer_id": customer_id, "credit_limit": "5000.00", "currency": "EUR"},
        headers=carla,
    )
    hold = await client.post(
        f"/api/v1/credit/accounts/{customer_id}/hold", json={"reason": "cheque bounced"}, headers=carla
    )
    assert account.status_code == 201 and hold.status_code == 200
    work_order = await from_request(client, planner, call)
    expert = await engineer(sessions, "E-1", {"printers": 4})
    await assign(client, planner, work_order, work_order["tasks"][0], expert)

    refused = await transition(client, planner, work_order, "scheduled")
    still_open = await client.get(f"{URL}/{work_order['id']}", headers=planner)
    override = await client.post(
        "/api/v1/credit/overrides",
        json={
            "customer_id": customer_id,
            "amount": "480.00",
            "currency": "EUR",
            "reason": "urgent repair, payment promised",
            "requested_by_id": carla_id,
            "reference": work_order["number"],
        },
        headers=dora,
    )
    scheduled = await transition(client, planner, work_order, "scheduled")

    assert refused.status_code == 409
    problem = problem_of(refused)
    assert problem["code"] == "credit_check_failed" and problem["outcome"] == "hold"
    assert [r["code"] for r in problem["reasons"]] == ["on_hold"]
    assert problem["reasons"][0]["hold_reason"] == "cheque bounced"
    assert "cheque bounced" in problem["detail"]
    assert still_open.json()["status"] == "open" and still_open.json()["credit_override_id"] is None
    assert override.status_code == 201, override.text
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["status"] == "scheduled"
    assert scheduled.json()["credit_override_id"] == override.json()["id"]
    used = await client.get("/api/v1/credit/overrides", params={"customer_id": customer_id}, headers=carla)
    assert [o["used"] for o in used.json()["items"]] == [True]


async def test_covered_work_is_scheduled_without_a_credit_check(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    call = await logged_call(sessions, covered_by="contract_line", coverage=100)
    carla = await login_as("contract_admin")
    planner = await login_as("planner")
    customer_id = str(call.it.customer_id)
    await client.post(
        "/api/v1/credit/accounts",
        json={"customer_id": customer_id, "credit_limit": "0.00", "currency": "EUR"},
        headers=carla,
    )
    await client.post(f"/api/v1/credit/accounts/{customer_id}/hold", json={"reason": "insolvency"}, headers=carla)
    work_order = await from_request(client, planner, call)
    expert = await engineer(sessions, "E-1", {"printers": 4})
    await assign(client, planner, work_order, work_order["tasks"][0], expert)

    scheduled = await transition(client, planner, work_order, "scheduled")

    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["billable"] is False and scheduled.json()["credit_override_id"] is None


async def test_billable_work_without_a_credit_account_fails_the_gate_unless_nothing_was_estimated(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    priced = await logged_call(sessions, "Priced", amount="100.00")
    unpriced = await logged_call(sessions, "Unpriced", amount=None)
    planner = await login_as("planner")
    expert = await engineer(sessions, "E-1", {"printers": 4})
    results = []
    for call in (priced, unpriced):
        work_order = await from_request(client, planner, call)
        await assign(client, planner, work_order, work_order["tasks"][0], expert)
        results.append(await transition(client, planner, work_order, "scheduled"))

    refused, passed = results
    assert refused.status_code == 409 and problem_of(refused)["outcome"] == "fail"
    assert [r["code"] for r in problem_of(refused)["reasons"]] == ["no_credit_account"]
    assert passed.status_code == 200  # an amount of 0 needs no credit


# --- who sees and does what ------------------------------------------------------------------


async def test_customers_see_their_own_work_orders_and_technicians_none_yet(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    mine = await logged_call(sessions, "Mine")
    theirs = await logged_call(sessions, "Theirs")
    planner = await login_as("planner")
    own = await from_request(client, planner, mine)
    other = await from_request(client, planner, theirs)
    portal = await login_as("customer", customer_id=mine.it.customer_id)
    technician = await login_as("technician")
    agent = await login_as("agent")

    listed = await client.get(URL, headers=portal)
    own_one = await client.get(f"{URL}/{own['id']}", headers=portal)
    other_one = await client.get(f"{URL}/{other['id']}", headers=portal)

    assert [w["number"] for w in listed.json()["items"]] == [own["number"]]
    assert own_one.status_code == 200
    assert other_one.status_code == 404 and problem_of(other_one)["code"] == "work_order_not_found"
    assert (await client.get(URL, headers=technician)).status_code == 403
    assert (await client.get(f"{URL}/{own['id']}", headers=technician)).status_code == 403
    assert (await client.post(URL, json={"request_id": str(mine.request_id)}, headers=portal)).status_code == 403
    forbidden = [
        await client.patch(f"{URL}/{own['id']}", json={"version": 1, "priority": "P1"}, headers=agent),
        await transition(client, agent, own, "on_hold"),
        await client.post(f"{URL}/{own['id']}/tasks", json={"name": "x", "duration_minutes": 5}, headers=portal),
    ]
    for response in forbidden:
        assert response.status_code == 403 and problem_of(response)["code"] == "role_not_allowed"


async def test_the_list_filters_by_engineer_period_status_and_request_and_sorts_by_priority(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    first_call = await logged_call(sessions, "First")
    second_call = await logged_call(sessions, "Second")
    planner = await login_as("planner")
    first = await from_request(client, planner, first_call, priority="P4")
    second = await from_request(client, planner, second_call, priority="P1")
    expert = await engineer(sessions, "E-1", {"printers": 4})
    await assign(client, planner, first, first["tasks"][0], expert, start=tomorrow_at(9))
    await transition(client, planner, second, "on_hold")

    def numbers(response: Any) -> list[str]:
        assert response.status_code == 200, response.text
        return [w["number"] for w in response.json()["items"]]

    by_engineer = await client.get(URL, params={"engineer_id": str(expert)}, headers=planner)
    in_period = await client.get(
        URL,
        params={"planned_from": tomorrow_at(8).isoformat(), "planned_to": tomorrow_at(10).isoformat()},
        headers=planner,
    )
    after_period = await client.get(URL, params={"planned_from": tomorrow_at(10).isoformat()}, headers=planner)
    held = await client.get(URL, params={"status": "on_hold"}, headers=planner)
    by_request = await client.get(URL, params={"request_id": str(first_call.request_id)}, headers=planner)
    by_priority = await client.get(URL, params={"sort": "priority"}, headers=planner)
    by_bad_sort = await client.get(URL, params={"sort": "colour"}, headers=planner)

    assert numbers(by_engineer) == [first["number"]]
    assert numbers(in_period) == [first["number"]]
    assert numbers(after_period) == []
    assert numbers(held) == [second["number"]]
    assert numbers(by_request) == [first["number"]]
    assert numbers(by_priority) == [second["number"], first["number"]]
    assert by_bad_sort.status_code == 422 and problem_of(by_bad_sort)["field"] == "sort"
