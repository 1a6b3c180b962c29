"""A customer tracks a repair in a real browser: lookup, visible steps only, no enumeration, quote approval."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.integration.tracking_fixtures import INTERNAL_NOTE, VISIBLE_MESSAGE, TrackedRma, tracked_rma


async def look_up(page: Page, base: str, number: str, contact: str) -> None:
    await page.goto(f"{base}/track")
    await page.get_by_label("RMA number").fill(number)
    await page.get_by_label("E-mail or postal code").fill(contact)
    await page.get_by_role("button", name="Track").click()


async def test_customer_tracks_a_repair_and_approves_the_quote(
    browser: Browser, live_server: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as s:
        rma: TrackedRma = await tracked_rma(s, with_quote=True, credit_limit="10000")
    page = await browser.new_page()

    await look_up(page, live_server, rma.number.lower(), rma.email.upper())
    await expect(page.locator("h1")).to_have_text(f"Return {rma.number}")
    steps = page.locator("#steps")
    await expect(steps).to_contain_text("Return authorized")
    await expect(steps).to_contain_text(VISIBLE_MESSAGE)
    body = await page.content()
    assert INTERNAL_NOTE not in body and "Fuser smells burnt" not in body
    await expect(page.locator("#quote-total")).to_have_text("€240.00")

    signed_link = page.url
    assert "/track/" in signed_link

    await page.get_by_role("button", name="Approve quote").click()
    await expect(page.locator("#quote-status")).to_contain_text("Quote approved")
    await expect(page.locator("#approve")).to_have_count(0)

    # the signed link alone opens the page in a fresh browser context (as from the e-mail)
    context = await browser.new_context()
    fresh = await context.new_page()
    await fresh.goto(signed_link)
    await expect(fresh.locator("h1")).to_have_text(f"Return {rma.number}")
    await context.close()


async def test_wrong_email_reads_exactly_like_an_unknown_number(
    browser: Browser, live_server: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as s:
        rma = await tracked_rma(s)
    page = await browser.new_page()

    await look_up(page, live_server, rma.number, "not-me@example.com")
    wrong_email = await page.locator("#lookup-message").inner_text()
    await look_up(page, live_server, "RMA-424242", rma.email)
    unknown = await page.locator("#lookup-message").inner_text()
    assert wrong_email == unknown
    assert "could not find a return" in unknown

    await page.goto(f"{live_server}/track/tampered.link")
    await expect(page.locator("#lookup-message")).to_contain_text("not valid or has expired")
