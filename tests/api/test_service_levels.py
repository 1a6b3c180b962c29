"""Coverage calendars and service levels over HTTP: maintain, validate, refuse deletes in use."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
CALENDARS = "/api/v1/coverage-calendars"
LEVELS = "/api/v1/service-levels"

EIGHT_BY_FIVE = [{"weekday": d, "start": "08:00", "end": "17:00"} for d in range(5)]


def calendar_body(**changes: Any) -> dict[str, Any]:
    return {"code": "8X5", "name": "Mon–Fri 08:00–17:00", "windows": EIGHT_BY_FIVE, **changes}


def targets(response: int = 240, resolution: int = 480) -> list[dict[str, Any]]:
    return [
        {"priority": f"P{n}", "response_minutes": response * n, "resolution_minutes": resolution * n}
        for n in (1, 2, 3, 4)
    ]


async def a_calendar(client: Client, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = await client.post(CALENDARS, json=calendar_body(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def a_level(client: Client, headers: dict[str, str], calendar_id: str, **changes: Any) -> dict[str, Any]:
    body = {"code": "GOLD", "name": "Gold", "calendar_id": calendar_id, "targets": targets(), **changes}
    response = await client.post(LEVELS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_contract_admin_sets_up_an_8x5_calendar_and_a_gold_sla(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    calendar = await a_calendar(
        client,
        admin,
        time_zone=None,
        holiday_country="DE",
        holiday_subdivision="BY",
        closures=["2026-12-31", "2026-12-24", "2026-12-24"],
    )
    shuffled = list(reversed(targets()))
    level = await a_level(client, admin, calendar["id"], targets=shuffled, pause_on_customer_wait=False)

    fetched = await client.get(f"{LEVELS}/{level['id']}", headers=admin)

    assert calendar["time_zone"] is None  # runs in the zone of the site served
    assert calendar["windows"][0] == {"weekday": 0, "start": "08:00", "end": "17:00"}
    assert calendar["closures"] == ["2026-12-24", "2026-12-31"]
    assert fetched.status_code == 200
    assert [t["priority"] for t in fetched.json()["targets"]] == ["P1", "P2", "P3", "P4"]
    assert fetched.json()["targets"][0] == {"priority": "P1", "response_minutes": 240, "resolution_minutes": 480}
    assert fetched.json()["calendar_id"] == calendar["id"]
    assert fetched.json()["pause_on_customer_wait"] is False


async def test_a_24x7_calendar_ends_its_days_at_24_00(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    windows = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]

    calendar = await a_calendar(client, admin, code="24X7", time_zone="UTC", windows=windows)

    assert len(calendar["windows"]) == 7 and calendar["windows"][6]["end"] == "24:00"


@pytest.mark.parametrize(
    ("windows", "field"),
    [
        ([{"weekday": 0, "start": "17:00", "end": "08:00"}], "windows[0].end"),
        ([{"weekday": 0, "start": "08:00", "end": "08:00"}], "windows[0].end"),
        ([{"weekday": 0, "start": "8:00", "end": "17:00"}], "windows[0].start"),
        ([{"weekday": 0, "start": "08:00", "end": "24:30"}], "windows[0].end"),
        ([{"weekday": 0, "start": "24:00", "end": "24:00"}], "windows[0].start"),
        ([{"weekday": 0, "start": "08:00", "end": "12:00"}, {"weekday": 7, "start": "08:00", "end": "12:00"}],
         "windows[1].weekday"),
        ([*EIGHT_BY_FIVE, {"weekday": 2, "start": "16:00", "end": "20:00"}], "windows[5].start"),
        ([], "windows"),
    ],
)  # fmt: skip
async def test_a_calendar_with_unusable_windows_is_refused_naming_the_entry(
    client: Client, login_as: UserFactory, windows: list[dict[str, Any]], field: str
) -> None:
    admin = await login_as("contract_admin")

    response = await client.post(CALENDARS, json=calendar_body(windows=windows), headers=admin)

    body = problem_of(response)
    assert response.status_code == 422
    assert (body["code"], body["field"]) == ("invalid_calendar", field)


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "invalid_time_zone", "time_zone"),
        ({"time_zone": "europe/berlin"}, "invalid_time_zone", "time_zone"),
        ({"holiday_country": "XX"}, "invalid_calendar", "holiday_country"),
        ({"holiday_country": "DE", "holiday_subdivision": "ZZ"}, "invalid_calendar", "holiday_subdivision"),
        ({"holiday_subdivision": "BY"}, "invalid_calendar", "holiday_subdivision"),
        ({"holiday_country": "Germany"}, "validation_failed", "holiday_country"),
    ],
)
async def test_an_unknown_time_zone_or_holiday_region_is_refused(
    client: Client, login_as: UserFactory, changes: dict[str, Any], code: str, field: str
) -> None:
    admin = await login_as("contract_admin")

    response = await client.post(CALENDARS, json=calendar_body(**changes), headers=admin)

    body = problem_of(response)
    assert response.status_code == 422
    assert (body["code"], body["field"]) == (code, field)


async def test_changing_a_calendar_is_checked_like_creating_it(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    calendar = await a_calendar(client, admin, holiday_country="DE")
    url = f"{CALENDARS}/{calendar['id']}"

    bad_region = await client.patch(url, json={"version": 1, "holiday_subdivision": "ZZ"}, headers=admin)
    changed = await client.patch(
        url, json={"version": 1, "time_zone": "Europe/Berlin", "holiday_subdivision": "BY"}, headers=admin
    )
    stale = await client.patch(url, json={"version": 1, "name": "late"}, headers=admin)

    assert bad_region.status_code == 422 and problem_of(bad_region)["field"] == "holiday_subdivision"
    assert changed.status_code == 200
    assert (changed.json()["time_zone"], changed.json()["holiday_subdivision"], changed.json()["version"]) == (
        "Europe/Berlin",
        "BY",
        2,
    )
    assert stale.status_code == 409 and problem_of(stale)["code"] == "stale_version"


async def test_codes_are_unique(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    calendar = await a_calendar(client, admin)
    other = await a_calendar(client, admin, code="24X7")
    await a_level(client, admin, calendar["id"])

    same_calendar = await client.post(CALENDARS, json=calendar_body(), headers=admin)
    renamed_onto = await client.patch(f"{CALENDARS}/{other['id']}", json={"version": 1, "code": "8X5"}, headers=admin)
    same_level = await client.post(
        LEVELS,
        json={"code": "GOLD", "name": "Gold 2", "calendar_id": calendar["id"], "targets": targets()},
        headers=admin,
    )

    for response in (same_calendar, renamed_onto, same_level):
        assert response.status_code == 409, response.text
        assert (problem_of(response)["code"], problem_of(response)["field"]) == ("duplicate_code", "code")


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda t: t.pop(3), "targets"),  # no P4
        (lambda t: t[0].update(response_minutes=0), "targets[0].response_minutes"),
        (lambda t: t[1].update(resolution_minutes=10), "targets[1].resolution_minutes"),
        (lambda t: t[2].update(priority="P1"), "targets[2].priority"),
        (lambda t: t[3].update(resolution_minutes=10_000_000), "targets[3].resolution_minutes"),
    ],
)
async def test_targets_for_each_priority_with_resolution_after_response(
    client: Client, login_as: UserFactory, edit: Any, field: str
) -> None:
    admin = await login_as("contract_admin")
    calendar = await a_calendar(client, admin)
    sent = targets()
    edit(sent)

    response = await client.post(
        LEVELS, json={"code": "GOLD", "name": "Gold", "calendar_id": calendar["id"], "targets": sent}, headers=admin
    )

    body = problem_of(response)
    assert response.status_code == 422
    assert (body["code"], body["field"]) == ("invalid_targets", field)


async def test_an_sla_on_an_unknown_calendar_is_not_found(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    body = {"code": "GOLD", "name": "Gold", "calendar_id": "0190f0b8-0000-7000-8000-000000000000", "targets": targets()}

    response = await client.post(LEVELS, json=body, headers=admin)

    assert response.status_code == 404
    assert (problem_of(response)["code"], problem_of(response)["field"]) == (
        "coverage_calendar_not_found",
        "calendar_id",
    )


async def test_new_targets_replace_the_old_ones_and_count_as_a_change(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    level = await a_level(client, admin, (await a_calendar(client, admin))["id"])
    url = f"{LEVELS}/{level['id']}"

    changed = await client.patch(url, json={"version": 1, "targets": targets(60, 120)}, headers=admin)
    stale = await client.patch(url, json={"version": 1, "name": "Platinum"}, headers=admin)
    fetched = await client.get(url, headers=admin)

    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert stale.status_code == 409
    assert [t["response_minutes"] for t in fetched.json()["targets"]] == [60, 120, 180, 240]
    assert fetched.json()["name"] == "Gold"


async def test_calendars_and_slas_in_use_cannot_be_deleted(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    calendar = await a_calendar(client, admin)
    level = await a_level(client, admin, calendar["id"])
    term = await client.post(
        "/api/v1/warranty-terms",
        json={
            "code": "STD",
            "name": "Standard",
            "duration_months": 12,
            "labour_pct": "100",
            "parts_pct": "100",
            "travel_pct": "0",
            "service_level_id": level["id"],
        },
        headers=admin,
    )
    assert term.status_code == 201, term.text

    calendar_in_use = await client.delete(f"{CALENDARS}/{calendar['id']}", headers=admin)
    level_in_use = await client.delete(f"{LEVELS}/{level['id']}", headers=admin)
    await client.delete(f"/api/v1/warranty-terms/{term.json()['id']}", headers=admin)
    level_gone = await client.delete(f"{LEVELS}/{level['id']}", headers=admin)
    calendar_gone = await client.delete(f"{CALENDARS}/{calendar['id']}", headers=admin)
    missing = await client.get(f"{LEVELS}/{level['id']}", headers=admin)

    assert calendar_in_use.status_code == 409
    assert problem_of(calendar_in_use)["code"] == "in_use"
    assert problem_of(calendar_in_use)["dependents"] == {"service_levels": 1}
    assert level_in_use.status_code == 409 and problem_of(level_in_use)["dependents"] == {"warranty_terms": 1}
    assert (level_gone.status_code, calendar_gone.status_code) == (204, 204)
    assert missing.status_code == 404 and problem_of(missing)["code"] == "service_level_not_found"


async def test_listing_searches_and_sorts(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    calendar = await a_calendar(client, admin)
    other = await a_calendar(client, admin, code="24X7", name="Around the clock")
    for code in ("SILVER", "BRONZE", "GOLD"):
        await a_level(client, admin, calendar["id"], code=code, name=code.title())
    await a_level(client, admin, other["id"], code="PLATINUM", name="Platinum")

    levels = await client.get(LEVELS, params={"sort": "-code", "limit": 2}, headers=admin)
    on_8x5 = await client.get(LEVELS, params={"calendar_id": calendar["id"]}, headers=admin)
    found = await client.get(CALENDARS, params={"q": "clock"}, headers=admin)

    assert [level["code"] for level in levels.json()["items"]] == ["SILVER", "PLATINUM"]
    assert levels.json()["total"] == 4 and len(levels.json()["items"][0]["targets"]) == 4
    assert on_8x5.json()["total"] == 3
    assert [c["code"] for c in found.json()["items"]] == ["24X7"]


async def test_staff_read_and_only_admins_maintain(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    calendar = await a_calendar(client, admin)
    level = await a_level(client, admin, calendar["id"])
    customer = await client.post("/api/v1/customers", json={"name": "ACME"}, headers=admin)
    readers = [await login_as(role) for role in ("agent", "planner", "manager", "depot")]
    outsiders = [await login_as("technician"), await login_as("customer", customer_id=customer.json()["id"])]

    for headers in readers:
        assert (await client.get(f"{LEVELS}/{level['id']}", headers=headers)).status_code == 200
        assert (await client.get(CALENDARS, headers=headers)).status_code == 200
        created = await client.post(CALENDARS, json=calendar_body(code="X"), headers=headers)
        deleted = await client.delete(f"{LEVELS}/{level['id']}", headers=headers)
        assert (created.status_code, deleted.status_code) == (403, 403)
    for headers in outsiders:
        response = await client.get(LEVELS, headers=headers)
        assert response.status_code == 403 and problem_of(response)["code"] == "role_not_allowed"
