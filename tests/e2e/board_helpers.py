"""Signing in to the board in a real browser, and the board's readiness."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth import SYSTEM, Role
from core.db import session_scope
from masterdata.services.users import UserCreate, create_user

PASSWORD = "secret-pw-board"
_ERRORS: dict[Page, list[str]] = {}
SHOTS = Path("/tmp/shots")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_SOURCE = AXE.read_text() if AXE.exists() else "throw new Error('axe-core is not installed (npm ci)')"


async def make_user(sessions: async_sessionmaker[AsyncSession], username: str, role: Role) -> str:
    async with session_scope(sessions) as s:
        await create_user(s, SYSTEM, UserCreate(username=username, password=PASSWORD, role=role))
    return username


async def signed_in(
    browser: Browser, base: str, username: str, *, width: int = 1280, height: int = 900, locale: str = "en-GB"
) -> Page:
    context = await browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = await context.new_page()
    errors: list[str] = []
    _ERRORS[page] = errors
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    # a refused request (422, 409) is the browser's own note, not a script error
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    await page.goto(f"{base}/sign-in")
    await page.locator("input[name=username]").fill(username)
    await page.locator("input[name=password]").fill(PASSWORD)
    await page.locator("form[action='/sign-in'] button[type=submit]").click()
    await page.wait_for_url(lambda url: "/sign-in" not in url)
    return page


def script_errors(page: Page) -> list[str]:
    """Uncaught exceptions and console errors the page's scripts produced so far."""
    return list(_ERRORS.get(page, []))


async def open_board(page: Page, base: str, query: str = "") -> None:
    await page.goto(f"{base}/planner/board{query}")
    await expect(page.locator("#board")).to_have_attribute("data-state", "ready")


async def serious_axe_violations(page: Page) -> list[str]:
    # the page's CSP (script-src 'self') refuses an injected <script>; evaluate runs outside it
    await page.evaluate(AXE_SOURCE)
    found = await page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
              .filter((v) => v.impact === "serious" || v.impact === "critical")
              .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
        }"""
    )
    return list(found)


async def screenshot(page: Page, name: str) -> None:
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
