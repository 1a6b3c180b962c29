"""The public tracking pages work under the Content-Security-Policy: styled, forms submit, no violation."""

from __future__ import annotations

from playwright.async_api import Browser, ConsoleMessage, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.integration.tracking_fixtures import tracked_rma


async def test_tracking_pages_are_styled_and_submit_under_the_csp(
    browser: Browser, live_server: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as s:
        rma = await tracked_rma(s, with_quote=True, credit_limit="10000")
    page = await browser.new_page()
    console_errors: list[str] = []

    def keep_error(message: ConsoleMessage) -> None:
        if message.type == "error":  # CSP violations are reported here ("Refused to ...")
            console_errors.append(message.text)

    page.on("console", keep_error)

    response = await page.goto(f"{live_server}/track")
    assert response is not None
    assert "style-src 'self'" in (await response.all_headers())["content-security-policy"]
    # the stylesheet applies (a blocked one would leave the top bar unstyled)
    await expect(page.locator(".topbar")).to_have_css("background-color", "rgb(27, 31, 36)")

    await page.get_by_label("RMA number").fill(rma.number)
    await page.get_by_label("E-mail or postal code").fill(rma.email)
    await page.get_by_role("button", name="Track").click()  # form-action 'self': the lookup posts and redirects
    await expect(page.locator("h1")).to_have_text(f"Return {rma.number}")
    await page.get_by_role("button", name="Approve quote").click()
    await expect(page.locator("#quote-status")).to_contain_text("Quote approved")

    assert console_errors == []
