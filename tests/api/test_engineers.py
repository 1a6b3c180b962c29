"""Engineers over HTTP: master data with nested skills, certifications and pattern; absences;
availability across a DST change; who may see and change what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import audit_log
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]

WEEKDAYS_8_TO_16 = [{"weekday": day, "starts": "08:00", "ends": "16:00"} for day in range(5)]


def engineer_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Erika Mustermann",
        "home_latitude": 48.137,
        "home_longitude": 11.575,
        "home_address": "Marienplatz 1, München",
        "territory": "south",
        "time_zone": "Europe/Berlin",
        "cost_rate": "55.00",
        "currency": "EUR",
        "skills": [{"skill": "hvac", "level": 4}, {"skill": "electrical", "level": 2}],
        "working_hours": WEEKDAYS_8_TO_16,
    }
    return body | overrides


async def create(client: Client, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/engineers", json=engineer_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_planner_creates_an_engineer_with_skills_certifications_and_pattern(
    client: Client, login_as: UserFactory
) -> None:
    planner = await login_as("planner")
    today = dt.date.today()
    certifications = [
        {"name": "F-Gas", "issued_on": "2020-01-01", "expires_on": str(today + dt.timedelta(days=365))},
        {"name": "Forklift", "expires_on": str(today - dt.timedelta(days=2))},
        {"name": "High voltage", "issued_on": str(today + dt.timedelta(days=30)), "expires_on": "2099-01-01"},
    ]
    created = await create(client, planner, certifications=certifications)
    second = await create(client, planner, name="Max Mustermann", skills=[], working_hours=[])
    fetched = await client.get(f"/api/v1/engineers/{created['id']}", headers=planner)

    assert (created["number"], second["number"]) == ("E-000001", "E-000002")
    assert created["cost_rate"] == "55.00" and created["version"] == 1
    assert {(s["skill"], s["level"]) for s in created["skills"]} == {("hvac", 4), ("electrical", 2)}
    assert {c["name"]: c["valid"] for c in created["certifications"]} == {
        "F-Gas": True,
        "Forklift": False,
        "High voltage": False,
    }
    assert created["working_hours"][0] == {"weekday": 0, "starts": "08:00", "ends": "16:00"}
    assert len(created["working_hours"]) == 5
    assert fetched.status_code == 200 and fetched.json() == created


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        (
            {"skills": [{"skill": "a", "level": 1}, {"skill": "b", "level": 2}, {"skill": "c", "level": 6}]},
            422,
            "validation_failed",
            "skills[2].level",
        ),
        ({"skills": [{"skill": "HVAC", "level": 3}]}, 422, "validation_failed", "skills[0].skill"),
        (
            {"skills": [{"skill": "hvac", "level": 3}, {"skill": "hvac", "level": 5}]},
            422,
            "duplicate_skill",
            "skills[1].skill",
        ),
        (
            {
                "working_hours": [
                    {"weekday": 0, "starts": "08:00", "ends": "12:00"},
                    {"weekday": 1, "starts": "08:00", "ends": "12:00"},
                    {"weekday": 0, "starts": "11:30", "ends": "16:00"},
                ]
            },
            422,
            "overlapping_hours",
            "working_hours[2]",
        ),
        (
            {"working_hours": [{"weekday": 0, "starts": "16:00", "ends": "08:00"}]},
            422,
            "ends_before_starts",
            "working_hours[0].ends",
        ),
        (
            {"working_hours": [{"weekday": 7, "starts": "08:00", "ends": "16:00"}]},
            422,
            "validation_failed",
            "working_hours[0].weekday",
        ),
        (
            {"working_hours": [{"weekday": 0, "starts": "8am", "ends": "16:00"}]},
            422,
            "validation_failed",
            "working_hours[0].starts",
        ),
        (
            {"certifications": [{"name": "X", "issued_on": "2024-05-01", "expires_on": "2024-04-01"}]},
            422,
            "ends_before_starts",
            "certifications[0].expires_on",
        ),
        ({"time_zone": "Europe/Atlantis"}, 422, "invalid_time_zone", "time_zone"),
        ({"time_zone": "Europe"}, 422, "invalid_time_zone", "time_zone"),
        ({"cost_rate": "-1"}, 422, "invalid_amount", "cost_rate"),
        ({"cost_rate": "12.345"}, 422, "invalid_amount", "cost_rate"),
        ({"cost_rate": "NaN"}, 422, "invalid_amount", "cost_rate"),
        ({"home_latitude": 91}, 422, "validation_failed", "home_latitude"),
        ({"currency": "euro"}, 422, "validation_failed", "currency"),
    ],
)
async def test_invalid_engineer_bodies_name_the_field(
    client: Client, login_as: UserFactory, change: dict[str, Any], status: int, code: str, field: str
) -> None:
    planner = await login_as("planner")

    response = await client.post("/api/v1/engineers", json=engineer_body(**change), headers=planner)

    body = problem_of(response)
    assert (response.status_code, body["code"], body["field"]) == (status, code, field)


async def test_patch_replaces_sent_lists_keeps_the_others_and_bumps_the_version(
    client: Client, login_as: UserFactory
) -> None:
    planner = await login_as("planner")
    engineer = await create(client, planner)
    url = f"/api/v1/engineers/{engineer['id']}"

    skills_only = await client.patch(
        url, json={"version": 1, "skills": [{"skill": "plumbing", "level": 3}]}, headers=planner
    )
    renamed = await client.patch(
        url, json={"version": 2, "name": "Erika Musterfrau", "territory": None}, headers=planner
    )
    stale = await client.patch(url, json={"version": 1, "working_hours": []}, headers=planner)

    assert skills_only.status_code == 200, skills_only.text
    assert skills_only.json()["version"] == 2
    assert skills_only.json()["skills"] == [{"skill": "plumbing", "level": 3}]
    assert skills_only.json()["working_hours"] == engineer["working_hours"]
    assert renamed.json()["name"] == "Erika Musterfrau" and renamed.json()["territory"] is None
    assert renamed.json()["skills"] == [{"skill": "plumbing", "level": 3}]
    assert stale.status_code == 409 and problem_of(stale)["code"] == "stale_version"


async def test_patch_validates_nested_lists_like_create(client: Client, login_as: UserFactory) -> None:
    planner = await login_as("planner")
    engineer = await create(client, planner)
    url = f"/api/v1/engineers/{engineer['id']}"

    duplicate = await client.patch(
        url, json={"version": 1, "skills": [{"skill": "x", "level": 1}, {"skill": "x", "level": 2}]}, headers=planner
    )
    bad_zone = await client.patch(url, json={"version": 1, "time_zone": "Mars/Olympus"}, headers=planner)
    unchanged = await client.get(url, headers=planner)

    assert duplicate.status_code == 422 and problem_of(duplicate)["code"] == "duplicate_skill"
    assert bad_zone.status_code == 422 and problem_of(bad_zone)["field"] == "time_zone"
    assert unchanged.json() == engineer


async def test_linking_a_user_needs_an_unlinked_technician(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    technician = await client.post(
        "/api/v1/users", json={"username": "tom", "password": "pw-tom-1", "role": "technician"}, headers=admin
    )
    agent = await client.post(
        "/api/v1/users", json={"username": "anna", "password": "pw-anna-1", "role": "agent"}, headers=admin
    )
    tom, anna = technician.json()["id"], agent.json()["id"]

    first = await create(client, admin, user_id=tom)
    second = await create(client, admin, name="Second")
    taken = await client.patch(f"/api/v1/engineers/{second['id']}", json={"version": 1, "user_id": tom}, headers=admin)
    not_technician = await client.post("/api/v1/engineers", json=engineer_body(user_id=anna), headers=admin)
    unknown = await client.post(
        "/api/v1/engineers", json=engineer_body(user_id="00000000-0000-0000-0000-000000000001"), headers=admin
    )
    unlinked = await client.patch(
        f"/api/v1/engineers/{first['id']}", json={"version": 1, "user_id": None}, headers=admin
    )
    relinked = await client.patch(
        f"/api/v1/engineers/{second['id']}", json={"version": 1, "user_id": tom}, headers=admin
    )

    assert first["user_id"] == tom
    assert taken.status_code == 409
    assert (problem_of(taken)["code"], problem_of(taken)["field"]) == ("user_already_linked", "user_id")
    assert not_technician.status_code == 422
    assert (problem_of(not_technician)["code"], problem_of(not_technician)["field"]) == (
        "user_not_technician",
        "user_id",
    )
    assert unknown.status_code == 404 and problem_of(unknown)["code"] == "user_not_found"
    assert unlinked.status_code == 200 and unlinked.json()["user_id"] is None
    assert relinked.status_code == 200 and relinked.json()["user_id"] == tom


async def test_listing_filters_by_skill_level_territory_activity_and_text(
    client: Client, login_as: UserFactory
) -> None:
    planner = await login_as("planner")
    await create(client, planner, name="Anna", skills=[{"skill": "hvac", "level": 5}], territory="north")
    await create(client, planner, name="Bert", skills=[{"skill": "hvac", "level": 2}], territory="south")
    await create(
        client, planner, name="Cleo", skills=[{"skill": "plumbing", "level": 4}], territory="north", active=False
    )

    async def names(**params: Any) -> list[str]:
        response = await client.get("/api/v1/engineers", params={"sort": "name", **params}, headers=planner)
        assert response.status_code == 200, response.text
        return [e["name"] for e in response.json()["items"]]

    assert await names(skill="hvac") == ["Anna", "Bert"]
    assert await names(skill="hvac", min_level=3) == ["Anna"]
    assert await names(territory="north") == ["Anna", "Cleo"]
    assert await names(active="false") == ["Cleo"]
    assert await names(q="e-000002") == ["Bert"]
    assert await names(q="LE") == ["Cleo"]
    assert await names(sort="-name") == ["Cleo", "Bert", "Anna"]
    without_skill = await client.get("/api/v1/engineers", params={"min_level": 3}, headers=planner)
    assert without_skill.status_code == 422 and problem_of(without_skill)["field"] == "min_level"


async def test_roles_that_may_not_write_or_read_engineers(client: Client, login_as: UserFactory) -> None:
    planner = await login_as("planner")
    engineer = await create(client, planner)
    customer = await client.post("/api/v1/customers", json={"name": "ACME"}, headers=await login_as("agent"))
    portal = await login_as("customer", customer_id=customer.json()["id"])
    technician = await login_as("technician", engineer_id=engineer["id"])
    agent = await login_as("agent")
    url = f"/api/v1/engineers/{engineer['id']}"

    refused = [
        await client.post("/api/v1/engineers", json=engineer_body(), headers=technician),
        await client.post("/api/v1/engineers", json=engineer_body(), headers=agent),
        await client.patch(url, json={"version": 2, "name": "Me"}, headers=technician),
        await client.get("/api/v1/engineers", headers=portal),
        await client.get(url, headers=portal),
        await client.post(
            f"{url}/absences",
            json={"starts_at": "2025-01-01T00:00:00Z", "ends_at": "2025-01-02T00:00:00Z", "reason": "x"},
            headers=technician,
        ),
    ]
    readable = [await client.get(url, headers=await login_as(role)) for role in ("manager", "depot", "contract_admin")]

    for response in refused:
        assert response.status_code == 403, response.text
        assert problem_of(response)["code"] == "role_not_allowed"
    assert all(response.status_code == 200 for response in readable)


async def test_a_technician_sees_only_its_own_engineer(client: Client, login_as: UserFactory) -> None:
    planner = await login_as("planner")
    own = await create(client, planner, name="Own")
    other = await create(client, planner, name="Other")
    technician = await login_as("technician", engineer_id=own["id"])
    unlinked = await login_as("technician")
    period = {"from": "2025-01-06", "to": "2025-01-07"}

    listed = await client.get("/api/v1/engineers", headers=technician)
    mine = await client.get(f"/api/v1/engineers/{own['id']}", headers=technician)
    theirs = await client.get(f"/api/v1/engineers/{other['id']}", headers=technician)
    my_absences = await client.get(f"/api/v1/engineers/{own['id']}/absences", headers=technician)
    their_absences = await client.get(f"/api/v1/engineers/{other['id']}/absences", headers=technician)
    my_availability = await client.get(f"/api/v1/engineers/{own['id']}/availability", params=period, headers=technician)
    their_availability = await client.get(
        f"/api/v1/engineers/{other['id']}/availability", params=period, headers=technician
    )
    nobody = await client.get("/api/v1/engineers", headers=unlinked)

    assert [e["name"] for e in listed.json()["items"]] == ["Own"]
    assert mine.status_code == 200 and mine.json()["name"] == "Own"
    assert my_absences.status_code == 200 and my_availability.status_code == 200
    for response in (theirs, their_absences, their_availability):
        assert response.status_code == 404
        assert problem_of(response)["code"] == "engineer_not_found"
    assert nobody.json()["total"] == 0


async def test_absences_are_added_listed_refused_when_overlapping_and_removed(
    client: Client, login_as: UserFactory
) -> None:
    planner = await login_as("planner")
    engineer = await create(client, planner)
    url = f"/api/v1/engineers/{engineer['id']}/absences"
    vacation = {"starts_at": "2025-07-07T00:00:00+02:00", "ends_at": "2025-07-19T00:00:00+02:00", "reason": "vacation"}

    added = await client.post(url, json=vacation, headers=planner)
    overlapping = await client.post(
        url,
        json={"starts_at": "2025-07-18T08:00:00Z", "ends_at": "2025-07-18T12:00:00Z", "reason": "training"},
        headers=planner,
    )
    adjacent = await client.post(
        url,
        json={"starts_at": "2025-07-18T22:00:00Z", "ends_at": "2025-07-19T06:00:00Z", "reason": "on call rest"},
        headers=planner,
    )
    listed = await client.get(url, headers=planner)
    current = await client.get(url, params={"ends_after": "2025-07-18T23:00:00Z"}, headers=planner)
    removed = await client.delete(f"{url}/{added.json()['id']}", headers=planner)
    after = await client.get(url, headers=planner)

    assert added.status_code == 201, added.text
    assert added.json()["starts_at"] == "2025-07-06T22:00:00Z"
    assert overlapping.status_code == 409
    assert problem_of(overlapping)["code"] == "overlapping_absence"
    assert problem_of(overlapping)["absence_id"] == added.json()["id"]
    assert adjacent.status_code == 201, adjacent.text
    assert [a["reason"] for a in listed.json()["items"]] == ["vacation", "on call rest"]
    assert [a["reason"] for a in current.json()["items"]] == ["on call rest"]
    assert removed.status_code == 204
    assert [a["reason"] for a in after.json()["items"]] == ["on call rest"]


async def test_invalid_absences(client: Client, login_as: UserFactory) -> None:
    planner = await login_as("planner")
    engineer = await create(client, planner)
    other = await create(client, planner, name="Other")
    url = f"/api/v1/engineers/{engineer['id']}/absences"

    naive = await client.post(
        url,
        json={"starts_at": "2025-07-07T08:00:00", "ends_at": "2025-07-07T12:00:00Z", "reason": "x"},
        headers=planner,
    )
    backwards = await client.post(
        url,
        json={"starts_at": "2025-07-07T12:00:00Z", "ends_at": "2025-07-07T12:00:00Z", "reason": "x"},
        headers=planner,
    )
    no_reason = await client.post(
        url,
        json={"starts_at": "2025-07-07T08:00:00Z", "ends_at": "2025-07-07T12:00:00Z", "reason": ""},
        headers=planner,
    )
    theirs = await client.post(
        f"/api/v1/engineers/{other['id']}/absences",
        json={"starts_at": "2025-07-07T08:00:00Z", "ends_at": "2025-07-07T12:00:00Z", "reason": "x"},
        headers=planner,
    )
    wrong_engineer = await client.delete(f"{url}/{theirs.json()['id']}", headers=planner)
    naive_filter = await client.get(url, params={"ends_after": "2025-07-07T08:00:00"}, headers=planner)

    assert naive.status_code == 422 and problem_of(naive)["field"] == "starts_at"
    assert backwards.status_code == 422
    assert (problem_of(backwards)["code"], problem_of(backwards)["field"]) == ("ends_before_starts", "ends_at")
    assert no_reason.status_code == 422 and problem_of(no_reason)["field"] == "reason"
    assert wrong_engineer.status_code == 404 and problem_of(wrong_engineer)["code"] == "absence_not_found"
    assert naive_filter.status_code == 422 and problem_of(naive_filter)["field"] == "ends_after"


async def test_availability_follows_the_pattern_across_the_dst_change_minus_absences(
    client: Client, login_as: UserFactory
) -> None:
    planner = await login_as("planner")
    engineer = await create(client, planner)
    base = f"/api/v1/engineers/{engineer['id']}"
    dentist = {"starts_at": "2024-04-01T10:00:00+02:00", "ends_at": "2024-04-01T11:00:00+02:00", "reason": "dentist"}
    assert (await client.post(f"{base}/absences", json=dentist, headers=planner)).status_code == 201

    response = await client.get(
        f"{base}/availability", params={"from": "2024-03-29", "to": "2024-04-01"}, headers=planner
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"], body["time_zone"]) == ("2024-03-29", "2024-04-01", "Europe/Berlin")
    friday, saturday, sunday, monday = body["days"]
    assert friday == {
        "date": "2024-03-29",
        "minutes": 480,
        "intervals": [{"starts": "2024-03-29T07:00:00Z", "ends": "2024-03-29T15:00:00Z"}],
    }
    assert saturday["intervals"] == [] and sunday["minutes"] == 0
    assert monday["minutes"] == 420
    assert monday["intervals"] == [
        {"starts": "2024-04-01T06:00:00Z", "ends": "2024-04-01T08:00:00Z"},
        {"starts": "2024-04-01T09:00:00Z", "ends": "2024-04-01T14:00:00Z"},
    ]


async def test_availability_asks_for_a_sane_period(client: Client, login_as: UserFactory) -> None:
    planner = await login_as("planner")
    engineer = await create(client, planner)
    url = f"/api/v1/engineers/{engineer['id']}/availability"

    month = await client.get(url, params={"from": "2025-01-01", "to": "2025-01-31"}, headers=planner)
    too_long = await client.get(url, params={"from": "2025-01-01", "to": "2025-02-01"}, headers=planner)
    backwards = await client.get(url, params={"from": "2025-01-05", "to": "2025-01-04"}, headers=planner)
    missing = await client.get(url, params={"from": "2025-01-05"}, headers=planner)
    not_a_date = await client.get(url, params={"from": "tomorrow", "to": "2025-01-04"}, headers=planner)

    assert month.status_code == 200 and len(month.json()["days"]) == 31
    assert too_long.status_code == 422
    assert (problem_of(too_long)["code"], problem_of(too_long)["field"]) == ("date_range_too_long", "to")
    assert backwards.status_code == 422 and problem_of(backwards)["code"] == "ends_before_starts"
    assert missing.status_code == 422 and problem_of(missing)["field"] == "to"
    assert not_a_date.status_code == 422 and problem_of(not_a_date)["field"] == "from"


async def test_changes_to_engineers_and_absences_are_audited(
    client: Client, login_as: UserFactory, session: AsyncSession
) -> None:
    planner = await login_as("planner")
    engineer = await create(client, planner)
    url = f"/api/v1/engineers/{engineer['id']}"
    await client.patch(url, json={"version": 1, "skills": [{"skill": "hvac", "level": 5}]}, headers=planner)
    absence = await client.post(
        f"{url}/absences",
        json={"starts_at": "2025-07-07T08:00:00Z", "ends_at": "2025-07-07T12:00:00Z", "reason": "training"},
        headers=planner,
    )
    await client.delete(f"{url}/absences/{absence.json()['id']}", headers=planner)

    rows = (await session.execute(select(audit_log).order_by(audit_log.c.id))).mappings().all()
    trail = [(r["entity"], r["action"], r["actor_role"]) for r in rows if r["entity"] in {"engineer", "absence"}]
    update = next(r for r in rows if r["entity"] == "engineer" and r["action"] == "update")

    assert trail == [
        ("engineer", "create", "planner"),
        ("engineer", "update", "planner"),
        ("absence", "create", "planner"),
        ("absence", "delete", "planner"),
    ]
    assert update["before"]["skills"] == [{"skill": "electrical", "level": 2}, {"skill": "hvac", "level": 4}]
    assert update["after"]["skills"] == [{"skill": "hvac", "level": 5}]
