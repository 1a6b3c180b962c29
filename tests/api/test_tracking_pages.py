"""Public repair tracking over HTTP: lookup, no enumeration, rate limit, signed links, quote decision.

The pages are part of the product's web application (`web/pages/tracking.py`), so these tests
run against the whole product (`web_app`), not the API alone."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.settings import Settings
from returns.models import RepairOrder
from returns.services.tracking_links import make_token
from tests.conftest import problem_of
from tests.integration.tracking_fixtures import INTERNAL_NOTE, VISIBLE_MESSAGE, TrackedRma, tracked_rma

Client = AsyncTestClient[Litestar]
HTML = {"accept": "text/html"}


@pytest.fixture
def app(web_app: Litestar) -> Litestar:
    return web_app


@pytest.fixture
async def rma(sessions: async_sessionmaker[AsyncSession]) -> TrackedRma:
    async with sessions() as s:
        return await tracked_rma(s)


@pytest.fixture
async def quoted(sessions: async_sessionmaker[AsyncSession]) -> TrackedRma:
    async with sessions() as s:
        return await tracked_rma(s, with_quote=True)


async def csrf(client: Client, path: str = "/track") -> str:
    page = await client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


async def look_up(client: Client, number: str, contact: str, headers: dict[str, str] | None = None) -> Any:
    form = {"number": number, "contact": contact, "csrf_token": await csrf(client)}
    return await client.post("/track", data=form, headers=headers, follow_redirects=False)


async def test_number_and_email_open_the_tracking_page_with_only_customer_visible_steps(
    client: Client, rma: TrackedRma
) -> None:
    found = await look_up(client, " rma-000001 ", "  JANE.doe@example.COM ")
    assert found.status_code == 303
    assert found.headers["location"].startswith("/track/")
    page = await client.get(found.headers["location"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "RMA-000001" in page.text and VISIBLE_MESSAGE in page.text
    assert "Being repaired" in page.text  # in_diagnosis in the customer's words
    assert "Return authorized" in page.text and "Mar 20, 2026" in page.text  # the expected ship date
    assert INTERNAL_NOTE not in page.text
    assert "Fuser smells burnt" not in page.text and "Bench test started" not in page.text


async def test_the_postal_code_on_file_also_opens_it(client: Client, rma: TrackedRma) -> None:
    assert (await look_up(client, rma.number, "10 115")).status_code == 303  # the ship-to address
    assert (await look_up(client, rma.number, "99999")).status_code == 303  # the equipment's site


async def test_unknown_number_and_wrong_email_answer_exactly_alike(client: Client, rma: TrackedRma) -> None:
    unknown = await look_up(client, "RMA-999999", rma.email)
    wrong_email = await look_up(client, rma.number, "someone@else.example")
    wrong_postal = await look_up(client, rma.number, "00000")
    assert unknown.status_code == wrong_email.status_code == wrong_postal.status_code == 404
    assert unknown.text == wrong_email.text == wrong_postal.text
    assert "could not find a return" in unknown.text


async def test_another_customers_email_does_not_open_an_rma(
    client: Client, rma: TrackedRma, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as s:
        other = await tracked_rma(s, name="OTHER", number="RMA-000002", email="bob@other.example", postal_code="80331")
    assert (await look_up(client, rma.number, other.email)).status_code == 404
    assert (await look_up(client, other.number, rma.postal_code)).status_code == 404


async def test_too_many_failed_lookups_for_one_number_are_refused_with_429(
    client: Client, rma: TrackedRma, settings: Settings
) -> None:
    for _ in range(settings.auth.tracking_max_failures):
        assert (await look_up(client, rma.number, "guess@example.com")).status_code == 404
    refused = await look_up(client, rma.number, rma.email)  # even the right e-mail waits now
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(settings.auth.tracking_window_seconds)
    assert problem_of(refused)["code"] == "tracking_rate_limited"
    in_browser = await look_up(client, rma.number, rma.email, headers=HTML)
    assert in_browser.status_code == 429 and "Too many" in in_browser.text
    assert in_browser.headers["retry-after"] == str(settings.auth.tracking_window_seconds)


async def test_too_many_failed_lookups_from_one_address_are_refused(
    client: Client, rma: TrackedRma, settings: Settings
) -> None:
    for n in range(settings.auth.tracking_max_failures_per_address):
        assert (await look_up(client, f"RMA-{n:06d}9", "x@example.com")).status_code == 404
    assert (await look_up(client, rma.number, rma.email)).status_code == 429


async def test_a_form_without_its_csrf_token_is_refused(client: Client, rma: TrackedRma) -> None:
    await csrf(client)
    answer = await client.post("/track", data={"number": rma.number, "contact": rma.email, "csrf_token": "forged"})
    assert answer.status_code == 403
    client.cookies.clear()
    answer = await client.post("/track", data={"number": rma.number, "contact": rma.email, "csrf_token": ""})
    assert answer.status_code == 403


async def test_tampered_expired_and_garbage_links_answer_like_an_unknown_one(
    client: Client, rma: TrackedRma, settings: Settings
) -> None:
    good = (await look_up(client, rma.number, rma.email)).headers["location"]
    token = good.removeprefix("/track/")
    expired = make_token(rma.rma_id, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1), settings.auth.secret_key)
    foreign = make_token(rma.rma_id, dt.datetime.now(dt.UTC) + dt.timedelta(days=1), "not-our-key")
    answers = [await client.get(f"/track/{t}") for t in [token[:-4] + "AAAA", expired, foreign, "nonsense"]]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1
    assert "not valid or has expired" in answers[0].text
    assert (await client.get(good)).status_code == 200


async def quote_page(client: Client, rma: TrackedRma) -> tuple[str, str]:
    link = (await look_up(client, rma.number, rma.email)).headers["location"]
    return link, await csrf(client, link)


async def quote_status(sessions: async_sessionmaker[AsyncSession], rma: TrackedRma) -> str | None:
    async with sessions() as s:
        return await s.scalar(select(RepairOrder.quote_status).where(RepairOrder.rma_id == rma.rma_id))


async def test_the_open_quote_is_shown_and_approving_it_starts_the_repair(
    client: Client, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as s:
        rma = await tracked_rma(s, with_quote=True, credit_limit="10000")
    link, token = await quote_page(client, rma)
    page = await client.get(link)
    assert "Fuser unit" in page.text and "€240.00" in page.text and 'id="approve"' in page.text
    decided = await client.post(
        f"{link}/quote", data={"decision": "approve", "csrf_token": token}, follow_redirects=False
    )
    assert decided.status_code == 303, decided.text
    assert decided.headers["location"] == link
    assert await quote_status(sessions, rma) == "approved"
    after = await client.get(link)
    assert "Quote approved" in after.text and 'id="approve"' not in after.text
    again = await client.post(f"{link}/quote", data={"decision": "decline", "csrf_token": token})
    assert again.status_code == 409 and "no longer open" in again.text


async def test_a_credit_hold_answers_a_clear_message_and_changes_nothing(
    client: Client, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as s:
        rma = await tracked_rma(s, with_quote=True, credit_limit="10000", on_credit_hold=True)
    link, token = await quote_page(client, rma)
    decided = await client.post(f"{link}/quote", data={"decision": "approve", "csrf_token": token})
    assert decided.status_code == 409
    assert "credit status of your account" in decided.text and "unpaid invoices" not in decided.text
    assert await quote_status(sessions, rma) == "sent"


async def test_declining_the_quote_is_recorded(client: Client, sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as s:
        rma = await tracked_rma(s, with_quote=True)
    link, token = await quote_page(client, rma)
    decided = await client.post(
        f"{link}/quote", data={"decision": "decline", "csrf_token": token}, follow_redirects=False
    )
    assert decided.status_code == 303, decided.text
    assert await quote_status(sessions, rma) == "declined"


async def test_a_quote_decision_needs_a_valid_link_and_form(client: Client, quoted: TrackedRma) -> None:
    link, token = await quote_page(client, quoted)
    bad_link = await client.post("/track/forged.token/quote", data={"decision": "approve", "csrf_token": token})
    assert bad_link.status_code == 404
    no_csrf = await client.post(f"{link}/quote", data={"decision": "approve", "csrf_token": "x"})
    assert no_csrf.status_code == 403
    odd = await client.post(f"{link}/quote", data={"decision": "maybe", "csrf_token": token})
    assert odd.status_code == 422


async def test_times_are_in_the_zone_of_the_units_site_and_written_as_the_language_writes_them(
    client: Client, rma: TrackedRma
) -> None:
    link = (await look_up(client, rma.number, rma.email)).headers["location"]

    english = (await client.get(link)).text
    # requested 09:00 UTC on 2 March; the unit's site is in Berlin (CET, UTC+1)
    assert "Mar 2, 2026, 10:00\u202fAM" in english and "9:00" not in english.replace("T09:00:00", "")
    assert "Central European" in english  # the zone is named
    assert 'datetime="2026-03-02T09:00:00+00:00"' in english  # machine-readable stays exact

    chinese = await client.get(link + "?lang=zh_CN")
    assert chinese.status_code == 200
    assert '<html lang="zh-CN">' in chinese.text
    assert "退货 RMA-000001" in chinese.text and "正在维修" in chinese.text  # "Being repaired"
    assert "2026年3月2日 10:00" in chinese.text
    assert "locale=zh_CN" in chinese.headers["set-cookie"]
    # the cookie keeps the choice for the next page
    assert "正在维修" in (await client.get(link)).text


async def test_an_empty_lookup_names_each_missing_field_beside_it(client: Client) -> None:
    answer = await client.post("/track", data={"number": " ", "contact": "", "csrf_token": await csrf(client)})

    assert answer.status_code == 422
    assert 'aria-describedby="field-number-hint field-number-error"' in answer.text
    assert 'id="field-contact-error"' in answer.text
    assert 'href="#field-number"' in answer.text  # the summary links to the field
