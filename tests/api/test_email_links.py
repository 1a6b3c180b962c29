"""Links in e-mails are absolute on PUBLIC_BASE_URL and open pages of the app.

A return goes through the API from the portal request to the repair quote; the outbox delivers
its e-mails to a real SMTP server. Every link in every mail starts with the public base URL and
answers 200 when followed; the quote's link opens the page that shows the quote, where the
customer approves it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from email.message import EmailMessage
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.outbox_handlers import outbox_handlers
from core.auth import Role
from core.db import session_scope
from core.outbox_dispatch import dispatch_due
from core.settings import Settings
from tests.conftest import UserFactory
from tests.integration.repair_fixtures import credit_account, depot_with_stock
from tests.integration.rma_fixtures import rma_customer
from tests.smtp_inbox import SmtpServer

Client = AsyncTestClient[Litestar]
BASE = "http://testserver.local"  # where the test client reaches the app
URL = re.compile(r"\b\w+://\S+")
PATH_LIKE = re.compile(r"(?<![\w:/.])/(?:track|api|static)\b")  # a path with no base in front


@pytest.fixture
def app(web_app: Litestar) -> Litestar:
    """The whole product: the links lead to the tracking pages (web/), beside the API."""
    return web_app


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, public_base_url=BASE)


def body_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


async def deliver(sessions: async_sessionmaker[AsyncSession], settings: Settings, smtp: SmtpServer) -> None:
    report = await dispatch_due(sessions, outbox_handlers(settings), smtp.mailer)
    assert report.failed == 0 and report.retried == 0


async def step(client: Client, path: str, headers: dict[str, str], json: Any = None) -> dict[str, Any]:
    response = await client.post(path, json=json if json is not None else {}, headers=headers)
    assert response.status_code in {200, 201}, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_every_link_in_the_return_emails_is_absolute_and_the_quote_link_approves_the_quote(
    client: Client,
    login_as: UserFactory,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    async with session_scope(sessions) as s:
        who = await rma_customer(s, in_warranty=False)  # the repair is billed: a quote is needed
        depot_stock = await depot_with_stock(s)
        await credit_account(s, who.it.customer_id)
    customer = await login_as(Role.CUSTOMER, customer_id=who.it.customer_id)
    agent, depot = await login_as(Role.AGENT), await login_as(Role.DEPOT)

    request = {"serial_number": "SN-1", "reason_code": "no_power", "problem_description": "dead after a power cut"}
    rma = await step(client, "/api/v1/rmas", customer, request)
    path = f"/api/v1/rmas/{rma['id']}"
    await step(client, f"{path}/authorize", agent)  # mail: authorized
    await step(client, f"{path}/receive", depot, {"serial_number": "SN-1"})  # mail: received
    order = await step(client, f"{path}/repair-order", depot)
    await step(client, f"/api/v1/repair-orders/{order['id']}/diagnosis", depot, {"diagnosis": "Fuser worn"})
    estimate = {"labour_hours": "1", "parts": [{"product_id": str(depot_stock.part_id), "quantity": "1"}]}
    quoted = await step(client, f"/api/v1/repair-orders/{order['id']}/quote", depot, estimate)  # mail: quote
    assert quoted["status"] == "awaiting_approval"
    await deliver(sessions, settings, smtp)

    mails = {mail["Subject"]: body_of(mail) for _, mail in smtp.inbox.received}
    assert len(mails) == 3, list(mails)
    for subject, body in mails.items():
        links = URL.findall(body)
        assert links, f"no link in {subject!r}"
        assert all(link.startswith(f"{BASE}/track/") for link in links), body
        assert not PATH_LIKE.search(URL.sub("", body)), f"a relative link in {subject!r}: {body}"
        for link in links:
            assert (await client.get(link)).status_code == 200, link

    [quote_mail] = [body for subject, body in mails.items() if "repair quote" in subject]
    [link] = URL.findall(quote_mail)
    page = await client.get(link)
    assert 'id="approve"' in page.text and "EUR" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    decided = await client.post(
        f"{link}/quote", data={"decision": "approve", "csrf_token": csrf[1]}, follow_redirects=False
    )
    assert decided.status_code == 303, decided.text
    after = await client.get(f"{path}/quote", headers=customer)
    assert after.json()["quote_status"] == "approved"
