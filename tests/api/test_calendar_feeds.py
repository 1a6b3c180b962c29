"""Calendar feeds: a technician's jobs and a customer's visits as iCalendar on a revocable secret URL."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID, uuid4

from icalendar import Calendar, Event
from sqlalchemy import select

from core.db import session_scope
from masterdata.models import Engineer, Site, User
from service_mgmt.models import CalendarFeed, Task
from tests.api.technician_fixtures import Job, dispatched_job
from tests.api.test_work_orders import Client, Sessions, transition
from tests.conftest import UserFactory, problem_of

FEEDS = "/api/v1/calendar-feeds"


async def make_feed(client: Client, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(FEEDS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def fetch(client: Client, feed: dict[str, Any]) -> Calendar:
    """The feed as a calendar application reads it: no session, only the URL."""
    response = await client.get(feed["path"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    assert "private" in response.headers["cache-control"]
    return Calendar.from_ical(response.content)


def events(calendar: Calendar) -> list[Event]:
    return list(calendar.walk("VEVENT"))


async def place_site(sessions: Sessions, job: Job) -> None:
    """Geo-code the job's site and put its engineer in a zone of their own (so X-WR-TIMEZONE is theirs)."""
    async with session_scope(sessions) as session:
        site = await session.get(Site, job.call.it.site_id)
        engineer = await session.get(Engineer, job.engineer_id)
        assert site is not None and engineer is not None
        site.street, site.postal_code, site.city = "Hauptstr. 1", "10115", "Berlin"
        site.latitude, site.longitude = 52.53, 13.38
        engineer.time_zone = "Europe/Lisbon"


async def task_row(sessions: Sessions, task_id: str) -> Task:
    async with session_scope(sessions) as session:
        task = await session.get(Task, UUID(task_id))
        assert task is not None
        return task


async def test_a_technician_feed_parses_and_holds_exactly_their_jobs(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    mine = await dispatched_job(client, login_as, sessions, "ACME", tasks=2)
    theirs = await dispatched_job(client, login_as, sessions, "Other")
    await place_site(sessions, mine)

    feed = await make_feed(client, mine.technician, kind="engineer", label="phone")
    calendar = await fetch(client, feed)

    assert feed["kind"] == "engineer" and feed["engineer_id"] == str(mine.engineer_id) and feed["label"] == "phone"
    assert feed["path"].startswith("/calendar/") and feed["path"].endswith(".ics")
    assert feed["url"].endswith(feed["path"]) and feed["url"].startswith("http")
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Lisbon"
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["METHOD"]) == "PUBLISH"
    found = events(calendar)
    assert [str(e["UID"]) for e in found] == [f"task-{t['id']}@service-mgmt" for t in mine.tasks]
    assert all(str(e["UID"]) != f"task-{theirs.task['id']}@service-mgmt" for e in found)
    assert theirs.work_order["number"].encode() not in calendar.to_ical()
    first, task = found[0], await task_row(sessions, mine.task["id"])
    assert task.planned_start is not None and task.planned_end is not None
    assert first.decoded("DTSTART") == task.planned_start and first.decoded("DTEND") == task.planned_end
    assert first.decoded("DTSTART").utcoffset() == dt.timedelta(0)  # written in UTC
    assert first.decoded("LAST-MODIFIED") == task.updated_at.replace(microsecond=0)
    assert int(first["SEQUENCE"]) == task.version
    assert str(first["STATUS"]) == "CONFIRMED"
    summary, description = str(first["SUMMARY"]), str(first["DESCRIPTION"])
    assert mine.work_order["number"] in summary and "ACME" in summary and task.name in summary
    assert f"Work order: {mine.work_order['number']}" in description and "Status: dispatched" in description
    assert str(first["LOCATION"]) == "HQ, Hauptstr. 1, 10115 Berlin, DE"
    assert (first["GEO"].latitude, first["GEO"].longitude) == (52.53, 13.38)


async def test_a_cancelled_job_stays_in_the_feed_as_cancelled_with_a_higher_sequence(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    feed = await make_feed(client, job.technician, kind="engineer")
    (before,) = events(await fetch(client, feed))

    response = await transition(client, job.planner, job.work_order, "cancelled")
    assert response.status_code == 200, response.text
    (after,) = events(await fetch(client, feed))

    assert str(before["STATUS"]) == "CONFIRMED" and str(after["STATUS"]) == "CANCELLED"
    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert int(after["SEQUENCE"]) == (await task_row(sessions, job.task["id"])).version


async def test_a_customer_feed_holds_only_its_own_visits_without_internal_details(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    ours = await dispatched_job(client, login_as, sessions, "ACME")
    other = await dispatched_job(client, login_as, sessions, "Other")
    customer = await login_as("customer", customer_id=ours.call.it.customer_id)
    agent = await login_as("agent")

    own = await make_feed(client, customer, kind="customer")
    by_agent = await make_feed(client, agent, kind="customer", customer_id=str(other.call.it.customer_id))
    ours_calendar, other_calendar = await fetch(client, own), await fetch(client, by_agent)

    assert own["customer_id"] == str(ours.call.it.customer_id)
    (visit,) = events(ours_calendar)
    assert str(visit["UID"]) == f"visit-{ours.task['id']}@service-mgmt"
    assert ours.work_order["number"] in str(visit["SUMMARY"])
    assert str(ours_calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"  # where its site is
    document = ours_calendar.to_ical().decode()
    assert other.work_order["number"] not in document and "Other" not in document
    assert "Ring at gate B" not in document  # the site's access notes are for the technician
    assert "Engineer " not in document  # nor who comes
    assert "paper jam" not in document  # nor the call's symptom
    assert [str(e["UID"]) for e in events(other_calendar)] == [f"visit-{other.task['id']}@service-mgmt"]


async def test_a_customer_sees_a_visit_once_it_is_scheduled(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions, dispatch=False)
    customer = await login_as("customer", customer_id=job.call.it.customer_id)
    feed = await make_feed(client, customer, kind="customer")
    async with session_scope(sessions) as session:  # planned, but not yet scheduled
        task = await session.get(Task, UUID(job.task["id"]))
        assert task is not None
        task.status = "open"

    assert events(await fetch(client, feed)) == []
    (tentative,) = events(await fetch(client, await make_feed(client, job.technician, kind="engineer")))
    assert str(tentative["STATUS"]) == "TENTATIVE"


async def test_a_revoked_or_unknown_token_answers_404_and_only_the_maker_or_an_admin_revokes(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    other = await dispatched_job(client, login_as, sessions, "Other")
    admin = await login_as("admin")
    feed = await make_feed(client, job.technician, kind="engineer")
    second = await make_feed(client, job.technician, kind="engineer", label="tablet")

    by_colleague = await client.delete(f"{FEEDS}/{feed['id']}", headers=other.technician)
    seen_by_colleague = await client.get(f"{FEEDS}/{feed['id']}", headers=other.technician)
    revoked = await client.delete(f"{FEEDS}/{feed['id']}", headers=job.technician)
    again = await client.delete(f"{FEEDS}/{feed['id']}", headers=job.technician)
    by_admin = await client.delete(f"{FEEDS}/{second['id']}", headers=admin)
    gone = await client.get(feed["path"])
    unknown = await client.get(f"/calendar/{'A' * 43}.ics")
    malformed = await client.get("/calendar/not-a-token.ics")
    no_suffix = await client.get(feed["path"].removesuffix(".ics"))

    assert by_colleague.status_code == 404 and problem_of(by_colleague)["code"] == "calendar_feed_not_found"
    assert seen_by_colleague.status_code == 404
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]
    assert by_admin.status_code == 200 and by_admin.json()["revoked_by"] != by_admin.json()["owner_id"]
    for response in (gone, unknown, malformed, no_suffix):
        assert response.status_code == 404 and problem_of(response)["code"] == "calendar_feed_not_found"
    assert "url" not in revoked.json()  # the URL is shown once, at creation
    async with session_scope(sessions) as session:  # only a hash of the token is kept
        stored = await session.scalar(select(CalendarFeed.token_hash).where(CalendarFeed.id == UUID(feed["id"])))
    token = feed["path"].removeprefix("/calendar/").removesuffix(".ics")
    assert stored is not None and token not in stored and len(stored) == 64


async def test_the_list_shows_my_feeds_and_an_admin_everyones(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    other = await dispatched_job(client, login_as, sessions, "Other")
    admin = await login_as("admin")
    mine = await make_feed(client, job.technician, kind="engineer")
    old = await make_feed(client, job.technician, kind="engineer")
    theirs = await make_feed(client, other.technician, kind="engineer")
    assert (await client.delete(f"{FEEDS}/{old['id']}", headers=job.technician)).status_code == 200

    listed = (await client.get(FEEDS, headers=job.technician)).json()
    with_revoked = (await client.get(FEEDS, params={"include_revoked": "true"}, headers=job.technician)).json()
    everyone = (await client.get(FEEDS, headers=admin)).json()

    assert [f["id"] for f in listed["items"]] == [mine["id"]] and listed["total"] == 1
    assert {f["id"] for f in with_revoked["items"]} == {mine["id"], old["id"]}
    assert {mine["id"], theirs["id"]} <= {f["id"] for f in everyone["items"]}
    assert all("url" not in f for f in everyone["items"])


async def test_a_feed_stops_when_its_maker_is_deactivated(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    feed = await make_feed(client, job.technician, kind="engineer")
    async with session_scope(sessions) as session:
        owner = await session.get(User, UUID(feed["owner_id"]))
        assert owner is not None
        owner.active = False

    response = await client.get(feed["path"])

    assert response.status_code == 404 and problem_of(response)["code"] == "calendar_feed_not_found"


async def test_feeds_are_made_only_for_oneself_or_by_the_roles_that_may(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    other = await dispatched_job(client, login_as, sessions, "Other")
    customer = await login_as("customer", customer_id=job.call.it.customer_id)
    unlinked = await login_as("technician")
    manager, depot = await login_as("manager"), await login_as("depot")
    planner, contract_admin = job.planner, await login_as("contract_admin")
    other_customer = str(other.call.it.customer_id)

    cases: list[tuple[dict[str, str], dict[str, Any], int, str, str | None]] = [
        (
            job.technician,
            {"kind": "engineer", "engineer_id": str(other.engineer_id)},
            403,
            "not_your_engineer",
            "engineer_id",
        ),
        (
            job.technician,
            {"kind": "customer", "customer_id": str(job.call.it.customer_id)},
            403,
            "field_not_allowed",
            "kind",
        ),
        (customer, {"kind": "customer", "customer_id": other_customer}, 403, "not_your_customer", "customer_id"),
        (customer, {"kind": "engineer", "engineer_id": str(job.engineer_id)}, 403, "field_not_allowed", "kind"),
        (planner, {"kind": "customer", "customer_id": other_customer}, 403, "field_not_allowed", "kind"),
        (
            contract_admin,
            {"kind": "engineer", "engineer_id": str(job.engineer_id)},
            403,
            "field_not_allowed",
            "kind",
        ),
        (unlinked, {"kind": "engineer"}, 403, "no_engineer", None),
        (manager, {"kind": "engineer", "engineer_id": str(job.engineer_id)}, 403, "role_not_allowed", None),
        (depot, {"kind": "customer", "customer_id": other_customer}, 403, "role_not_allowed", None),
    ]
    for headers, body, status, code, field in cases:
        response = await client.post(FEEDS, json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        problem = problem_of(response)
        assert (problem["code"], problem.get("field")) == (code, field), (body, problem)

    for_engineer = await make_feed(client, planner, kind="engineer", engineer_id=str(other.engineer_id))
    for_customer = await make_feed(client, contract_admin, kind="customer", customer_id=other_customer)
    assert for_engineer["engineer_id"] == str(other.engineer_id)
    assert for_customer["customer_id"] == other_customer
    assert [str(e["UID"]) for e in events(await fetch(client, for_engineer))] == [
        f"task-{other.task['id']}@service-mgmt"
    ]


async def test_bad_input_is_a_problem_naming_the_field(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    planner, agent = job.planner, await login_as("agent")

    cases: list[tuple[dict[str, str], dict[str, Any], int, str, str]] = [
        (planner, {"kind": "engineer"}, 422, "field_required", "engineer_id"),
        (agent, {"kind": "customer"}, 422, "field_required", "customer_id"),
        (planner, {"kind": "engineer", "engineer_id": str(uuid4())}, 404, "engineer_not_found", "engineer_id"),
        (agent, {"kind": "customer", "customer_id": str(uuid4())}, 404, "customer_not_found", "customer_id"),
        (
            planner,
            {"kind": "engineer", "engineer_id": str(job.engineer_id), "customer_id": str(job.call.it.customer_id)},
            422,
            "field_not_for_kind",
            "customer_id",
        ),
        (planner, {"kind": "room"}, 422, "validation_failed", "kind"),
        (planner, {"kind": "engineer", "engineer_id": "nope"}, 422, "validation_failed", "engineer_id"),
        (job.technician, {"kind": "engineer", "label": "x" * 101}, 422, "validation_failed", "label"),
        (job.technician, {"kind": "engineer", "colour": "red"}, 422, "validation_failed", "colour"),
        (job.technician, {}, 422, "validation_failed", "kind"),
    ]
    for headers, body, status, code, field in cases:
        response = await client.post(FEEDS, json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        problem = problem_of(response)
        assert (problem["code"], problem.get("field")) == (code, field), (body, problem)
    not_a_feed = await client.delete(f"{FEEDS}/{uuid4()}", headers=planner)
    assert not_a_feed.status_code == 404 and problem_of(not_a_feed)["code"] == "calendar_feed_not_found"
