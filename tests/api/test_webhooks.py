"""Webhooks end to end: an admin subscribes a local receiver, a logged call becomes a signed
delivery sent after commit by the dispatcher (run step by step on a fixed clock: no sleeps),
retried after a 500, dead-lettered after the last try, replayed; private targets refused at
subscribe time and again at delivery time; every other role refused."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import api.routes.service_requests as request_routes
import api.routes.webhooks as webhook_routes
from api.worker import job_registry
from core.auth import Role
from core.clock import FixedClock
from core.jobs import Outcome, Runner
from core.settings import Settings, WebhookSettings
from core.webhooks.dispatch import JOB, Policy, Report, dispatch_due
from tests.api.test_credit import ACCOUNTS, new_customer, open_account
from tests.api.test_service_requests import JUST_AFTER, call, covered_printer, log
from tests.conftest import UserFactory, problem_of
from tests.webhook_receiver import Receiver, webhook_receiver

Client = AsyncTestClient[Litestar]
URL = "/api/v1/webhooks"
Sessions = async_sessionmaker[AsyncSession]
MAX_ATTEMPTS = 3
FIRST_RETRY = dt.timedelta(seconds=30)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The receiver listens on 127.0.0.1: allowed here, as a company would for its own network.
    return dataclasses.replace(
        settings,
        webhooks=WebhookSettings(
            allow_private_targets=True, max_attempts=MAX_ATTEMPTS, first_retry_seconds=30, max_retry_seconds=600
        ),
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    fixed = FixedClock(JUST_AFTER)
    monkeypatch.setattr(request_routes, "CLOCK", fixed)
    monkeypatch.setattr(webhook_routes, "CLOCK", fixed)
    return fixed


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


async def dispatch(sessions: Sessions, settings: Settings, clock: FixedClock, **policy: Any) -> Report:
    return await dispatch_due(sessions, dataclasses.replace(Policy.of(settings.webhooks), **policy), clock=clock)


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's side of Standard Webhooks, written from the specification (not our signer)."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = headers["webhook-id"].encode() + b"." + headers["webhook-timestamp"].encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [part.split(",", 1)[1] for part in headers["webhook-signature"].split(" ") if part.startswith("v1,")]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


async def subscribe(client: Client, admin: dict[str, str], url: str, *events: str) -> dict[str, Any]:
    response = await client.post(URL, json={"url": url, "event_types": list(events)}, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def deliveries(client: Client, admin: dict[str, str], subscription_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{URL}/{subscription_id}/deliveries", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def test_a_logged_call_reaches_the_receiver_signed_after_a_retry(
    client: Client,
    login_as: UserFactory,
    sessions: Sessions,
    settings: Settings,
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    admin, agent = await login_as("admin"), await login_as("agent")
    subscription = await subscribe(client, admin, receiver.url, "service_request.logged")
    secret = subscription["secret"]
    assert secret.startswith("whsec_")
    shown = await client.get(f"{URL}/{subscription['id']}", headers=admin)
    assert "secret" not in shown.json()  # shown once, at creation

    it = await covered_printer(sessions)
    request = await log(client, agent, call(it))

    # Enqueued in the request's transaction, sent by nobody yet: nothing has arrived.
    (pending,) = await deliveries(client, admin, subscription["id"])
    assert (pending["status"], pending["attempts"], pending["event_type"]) == ("pending", 0, "service_request.logged")
    assert receiver.received == []

    receiver.answers.append(500)
    first = await dispatch(sessions, settings, clock)
    assert (first.claimed, first.delivered, first.retried, first.dead) == (1, 0, 1, 0)
    (retrying,) = await deliveries(client, admin, subscription["id"])
    assert (retrying["status"], retrying["attempts"], retrying["last_http_status"]) == ("pending", 1, 500)
    assert retrying["next_attempt_at"] == (JUST_AFTER + FIRST_RETRY).isoformat().replace("+00:00", "Z")

    # Not due before its backoff has passed.
    assert (await dispatch(sessions, settings, clock)).claimed == 0
    clock.advance(FIRST_RETRY)
    second = await dispatch(sessions, settings, clock)
    assert (second.claimed, second.delivered) == (1, 1)

    tried, delivered = receiver.received
    assert delivered.path == "/hooks/service"
    assert tried.headers["webhook-id"] == delivered.headers["webhook-id"] == pending["message_id"]
    assert delivered.headers["webhook-timestamp"] == str(int(clock.now().timestamp()))
    assert verify(secret, delivered.headers, delivered.body)
    assert verify(secret, tried.headers, tried.body)
    assert not verify(secret, delivered.headers, delivered.body + b" ")  # the signature covers the body
    event = json.loads(delivered.body)
    assert event["type"] == "service_request.logged"
    assert event["data"]["entity"] == "service_request" and event["data"]["id"] == request["id"]
    assert event["data"]["after"]["number"] == request["number"]
    (done,) = await deliveries(client, admin, subscription["id"])
    assert (done["status"], done["attempts"], done["last_http_status"], done["next_attempt_at"]) == (
        "delivered",
        2,
        200,
        None,
    )


async def test_a_delivery_is_dead_lettered_after_the_last_try_and_a_replay_delivers_it(
    client: Client,
    login_as: UserFactory,
    sessions: Sessions,
    settings: Settings,
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    admin, agent = await login_as("admin"), await login_as("agent")
    subscription = await subscribe(client, admin, receiver.url, "service_request.logged", "work_order.completed")
    it = await covered_printer(sessions)
    await log(client, agent, call(it))
    receiver.default = 503

    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = await dispatch(sessions, settings, clock)
        assert report.claimed == 1
        assert (report.retried, report.dead) == ((1, 0) if attempt < MAX_ATTEMPTS else (0, 1))
        clock.advance(FIRST_RETRY * 2 ** (attempt - 1))  # the backoff doubles
    assert (await dispatch(sessions, settings, clock)).claimed == 0  # dead: never tried again
    (dead,) = await deliveries(client, admin, subscription["id"])
    assert (dead["status"], dead["attempts"], dead["last_http_status"]) == ("dead", MAX_ATTEMPTS, 503)
    assert dead["last_error"].startswith("HTTP 503")
    assert len(receiver.received) == MAX_ATTEMPTS

    receiver.default = 204
    replay = await client.post(f"{URL}/{subscription['id']}/deliveries/{dead['id']}/replay", headers=admin)
    assert replay.status_code == 202, replay.text
    replayed = replay.json()
    assert (replayed["status"], replayed["replay_of_id"], replayed["message_id"]) == (
        "pending",
        dead["id"],
        dead["message_id"],
    )
    again = await client.post(f"{URL}/{subscription['id']}/deliveries/{replayed['id']}/replay", headers=admin)
    assert (again.status_code, problem_of(again)["code"]) == (409, "webhook_delivery_pending")
    report = await dispatch(sessions, settings, clock)
    assert (report.claimed, report.delivered) == (1, 1)
    last = receiver.received[-1]
    assert last.body == receiver.received[0].body and last.headers["webhook-id"] == dead["message_id"]
    assert verify(subscription["secret"], last.headers, last.body)
    log_now = {d["id"]: d["status"] for d in await deliveries(client, admin, subscription["id"])}
    assert log_now == {dead["id"]: "dead", replayed["id"]: "delivered"}

    other = await client.post(f"{URL}/{subscription['id']}/deliveries/{subscription['id']}/replay", headers=admin)
    assert (other.status_code, problem_of(other)["code"]) == (404, "webhook_delivery_not_found")


async def test_a_target_that_turned_private_is_dead_lettered_at_delivery_without_a_request(
    client: Client,
    login_as: UserFactory,
    sessions: Sessions,
    settings: Settings,
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    admin, agent = await login_as("admin"), await login_as("agent")
    subscription = await subscribe(client, admin, receiver.url, "service_request.logged")
    it = await covered_printer(sessions)
    await log(client, agent, call(it))

    # The setting was switched off after the subscription was saved: checked again after resolution.
    report = await dispatch(sessions, settings, clock, allow_private=False)

    assert (report.claimed, report.dead) == (1, 1)
    assert receiver.received == []
    (dead,) = await deliveries(client, admin, subscription["id"])
    assert dead["status"] == "dead" and dead["last_error"].startswith("webhook_target_private")


async def test_a_paused_subscription_gets_nothing_new_and_a_rolled_back_change_sends_nothing(
    client: Client,
    login_as: UserFactory,
    sessions: Sessions,
    settings: Settings,
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    admin, agent = await login_as("admin"), await login_as("agent")
    subscription = await subscribe(client, admin, receiver.url, "service_request.logged")
    paused = await client.patch(
        f"{URL}/{subscription['id']}", json={"version": subscription["version"], "active": False}, headers=admin
    )
    assert paused.status_code == 200 and paused.json()["active"] is False
    it = await covered_printer(sessions)
    await log(client, agent, call(it))
    refused = await client.post("/api/v1/service-requests", json=call(it, priority="P9"), headers=agent)
    assert refused.status_code == 422

    assert await deliveries(client, admin, subscription["id"]) == []
    assert (await dispatch(sessions, settings, clock)).claimed == 0


async def test_subscriptions_are_validated_and_listed(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    types = await client.get(f"{URL}/event-types", headers=admin)
    names = {event["name"] for event in types.json()}
    assert {"service_request.logged", "work_order.scheduled", "work_order.completed", "credit.hold"} <= names
    assert {"rma.step", "invoice.issued", "payment.received"} <= names

    unknown = await client.post(
        URL, json={"url": "http://127.0.0.1:9/x", "event_types": ["invoice.issued", "nope"]}, headers=admin
    )
    assert (unknown.status_code, problem_of(unknown)["code"], problem_of(unknown)["field"]) == (
        422,
        "unknown_event_type",
        "event_types[1]",
    )
    empty = await client.post(URL, json={"url": "http://127.0.0.1:9/x", "event_types": []}, headers=admin)
    assert (problem_of(empty)["code"], problem_of(empty)["field"]) == ("event_types_required", "event_types")
    bad = await client.post(URL, json={"url": "ftp://example.com/x", "event_types": ["invoice.issued"]}, headers=admin)
    assert (bad.status_code, problem_of(bad)["code"], problem_of(bad)["field"]) == (422, "invalid_webhook_url", "url")

    created = await subscribe(client, admin, "http://127.0.0.1:9/x", "invoice.issued", "invoice.issued")
    assert created["event_types"] == ["invoice.issued"]
    rotated = await client.post(f"{URL}/{created['id']}/rotate-secret", headers=admin)
    assert rotated.status_code == 201 and rotated.json()["secret"] not in (created["secret"], None)
    listed = await client.get(URL, headers=admin)
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]
    stale = await client.patch(f"{URL}/{created['id']}", json={"version": 99, "active": False}, headers=admin)
    assert stale.status_code == 409
    gone = await client.delete(f"{URL}/{created['id']}", headers=admin)
    assert gone.status_code == 204
    assert (await client.get(f"{URL}/{created['id']}", headers=admin)).status_code == 404


OTHER_ROLES = [role for role in Role if role is not Role.ADMIN]


@pytest.mark.parametrize("role", OTHER_ROLES, ids=[role.value for role in OTHER_ROLES])
async def test_every_other_role_is_refused_everywhere(client: Client, login_as: UserFactory, role: Role) -> None:
    admin = await login_as("admin")
    created = await subscribe(client, admin, "http://127.0.0.1:9/x", "invoice.issued")
    sid = created["id"]
    headers = await login_as(role) if role is not Role.CUSTOMER else await _customer(client, login_as)
    calls = [
        client.get(f"{URL}/event-types", headers=headers),
        client.get(URL, headers=headers),
        client.post(URL, json={"url": "https://example.com/x", "event_types": ["invoice.issued"]}, headers=headers),
        client.get(f"{URL}/{sid}", headers=headers),
        client.patch(f"{URL}/{sid}", json={"version": 1, "active": False}, headers=headers),
        client.post(f"{URL}/{sid}/rotate-secret", headers=headers),
        client.get(f"{URL}/{sid}/deliveries", headers=headers),
        client.post(f"{URL}/{sid}/deliveries/{sid}/replay", headers=headers),
        client.delete(f"{URL}/{sid}", headers=headers),
    ]
    for pending_call in calls:
        response = await pending_call
        assert response.status_code == 403, (response.request.method, response.request.url, response.text)
        assert problem_of(response)["code"]
    assert (await client.get(f"{URL}/{sid}", headers=admin)).json()["active"] is True


async def _customer(client: Client, login_as: UserFactory) -> dict[str, str]:
    admin = await login_as("admin")
    customer = await client.post("/api/v1/customers", json={"name": "Portal GmbH"}, headers=admin)
    assert customer.status_code == 201, customer.text
    return await login_as("customer", customer_id=customer.json()["id"])


async def test_a_refused_connection_is_retried_like_an_error_answer(
    client: Client, login_as: UserFactory, sessions: Sessions, settings: Settings, clock: FixedClock
) -> None:
    with webhook_receiver() as gone:
        closed_port_url = gone.url  # the server stops at the end of this block: nobody listens then
    admin, agent = await login_as("admin"), await login_as("agent")
    subscription = await subscribe(client, admin, closed_port_url, "service_request.logged")
    it = await covered_printer(sessions)
    await log(client, agent, call(it))

    report = await dispatch(sessions, settings, clock)

    assert (report.claimed, report.retried) == (1, 1)
    (retrying,) = await deliveries(client, admin, subscription["id"])
    assert (retrying["status"], retrying["last_http_status"]) == ("pending", None)
    assert retrying["last_error"].startswith("ConnectError")


async def test_a_credit_hold_and_its_release_reach_only_the_subscriber_of_holds(
    client: Client, login_as: UserFactory, sessions: Sessions, settings: Settings, receiver: Receiver
) -> None:
    admin, contracts = await login_as("admin"), await login_as("contract_admin")
    holds = await subscribe(client, admin, receiver.url, "credit.hold")
    invoices = await subscribe(client, admin, receiver.url, "invoice.issued")
    customer_id = await new_customer(client, contracts)
    await open_account(client, contracts, customer_id)
    held = await client.post(f"{ACCOUNTS}/{customer_id}/hold", json={"reason": "cheque bounced"}, headers=contracts)
    assert held.status_code == 200, held.text
    released = await client.post(f"{ACCOUNTS}/{customer_id}/release", headers=contracts)
    assert released.status_code == 200, released.text

    # The credit routes stamp changes with the system clock; send what is due a minute later.
    later = FixedClock(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
    report = await dispatch(sessions, settings, later)

    assert (report.claimed, report.delivered) == (1, 1)  # the release is no event of theirs
    (received,) = receiver.received
    assert verify(holds["secret"], received.headers, received.body)
    assert not verify(invoices["secret"], received.headers, received.body)
    event = json.loads(received.body)
    assert event["type"] == "credit.hold"
    assert (event["data"]["entity"], event["data"]["action"]) == ("credit_account", "hold")
    assert event["data"]["after"]["hold_reason"] == "cheque bounced"
    assert event["data"]["actor"] == {"name": "contract_admin2", "role": "contract_admin"}
    assert await deliveries(client, admin, invoices["id"]) == []


async def test_the_worker_schedules_the_dispatch_and_its_run_sends(
    client: Client,
    login_as: UserFactory,
    sessions: Sessions,
    settings: Settings,
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    admin, agent = await login_as("admin"), await login_as("agent")
    await subscribe(client, admin, receiver.url, "service_request.logged")
    it = await covered_printer(sessions)
    await log(client, agent, call(it))
    job = job_registry(settings).get(JOB)

    run = await Runner(sessions, clock=clock).run(job, clock.now())

    assert run.outcome == Outcome.SUCCEEDED and run.result["delivered"] == 1
    assert len(receiver.received) == 1
