"""Signing in in a real browser: by keyboard alone, a wrong password, Chinese, a phone's width, and
axe-core on the sign-in, home and repair tracking pages. Screenshots at 1280 and 360 px wide go to
$SHOTS_DIR (default /tmp/shots) to be looked at; they are not committed."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth import SYSTEM, Role
from core.db import session_scope
from masterdata.services.users import UserCreate, create_user
from tests.e2e.axe import assert_accessible, axe_context
from tests.integration.tracking_fixtures import tracked_rma

SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots"))
PASSWORD = "correct-horse-42"
WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


async def screenshot(page: Page, name: str) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    await page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)  # makes the folder


@pytest.fixture
async def people(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as s:
        for username, role, name in (("pia", Role.PLANNER, "Pia Planner"), ("ada", Role.ADMIN, "Ada Admin")):
            await create_user(s, SYSTEM, UserCreate(username=username, password=PASSWORD, role=role, display_name=name))


async def tab_to(page: Page, element_id: str, limit: int = 15) -> None:
    """Presses Tab until the element has the focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        if await page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} is not reachable with Tab")


@pytest.mark.usefixtures("people")
async def test_a_planner_signs_in_with_the_keyboard_alone_and_lands_on_the_board(
    browser: Browser, live_server: str
) -> None:
    page = await browser.new_page(viewport=WIDE)
    await page.goto(f"{live_server}/planner/board")  # not signed in: to the sign-in page, coming back after
    await expect(page).to_have_url(re.compile(r"/sign-in\?next=/planner/board$"))

    await tab_to(page, "field-username")
    await page.keyboard.type("pia")
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Password")).to_be_focused()
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")

    await expect(page).to_have_url(f"{live_server}/planner/board")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Dispatch board")
    nav = page.get_by_role("navigation", name="Main")
    await expect(nav.get_by_role("link", name="Dispatch board")).to_have_attribute("aria-current", "page")
    await screenshot(page, "board-planner")

    # signed in, the sign-in page sends her back to her work
    await page.goto(f"{live_server}/sign-in")
    await expect(page).to_have_url(f"{live_server}/planner/board")


@pytest.mark.usefixtures("people")
async def test_a_wrong_password_is_explained_beside_the_field_which_takes_the_focus(
    browser: Browser, live_server: str
) -> None:
    context = await axe_context(browser, viewport=WIDE)
    page = await context.new_page()
    await page.goto(f"{live_server}/sign-in")
    await page.get_by_label("Username").fill("pia")
    await page.get_by_label("Password").fill("not-her-password")
    await page.get_by_role("button", name="Sign in").click()

    password = page.get_by_label("Password")
    await expect(password).to_be_focused()
    await expect(password).to_have_attribute("aria-invalid", "true")
    error = page.locator("#" + (await password.get_attribute("aria-describedby") or "missing"))
    await expect(error).to_contain_text("The username or password is not right")
    await expect(page.get_by_label("Username")).to_have_value("pia")  # the input is kept
    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("There is a problem")
    await screenshot(page, "sign-in-error")
    await assert_accessible(page, "the sign-in page with an error")

    # the summary's link leads to the field
    await page.get_by_label("Username").focus()
    await summary.get_by_role("link").click()
    await expect(password).to_be_focused()
    await context.close()


@pytest.mark.usefixtures("people")
async def test_the_pages_speak_chinese_when_asked(browser: Browser, live_server: str) -> None:
    page = await browser.new_page(viewport=WIDE)
    await page.goto(f"{live_server}/sign-in")
    await page.get_by_role("link", name="简体中文").click()

    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    await expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    await page.get_by_label("用户名").fill("ada")
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()

    await expect(page).to_have_url(f"{live_server}/home")  # the administrator's landing page
    await expect(page.get_by_role("heading", level=1)).to_have_text("欢迎，Ada Admin")
    await expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    await screenshot(page, "home-admin-zh")


@pytest.mark.usefixtures("people")
async def test_on_a_phone_the_navigation_folds_into_a_menu_button(browser: Browser, live_server: str) -> None:
    context = await axe_context(browser, viewport=PHONE, has_touch=True)
    page = await context.new_page()
    await page.goto(f"{live_server}/sign-in")
    await screenshot(page, "sign-in")
    await assert_accessible(page, "the sign-in page on a phone")
    await page.get_by_label("Username").fill("ada")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{live_server}/home")

    menu = page.get_by_role("button", name="Menu")
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Dispatch board")
    await expect(menu).to_be_visible()
    await expect(menu).to_have_attribute("aria-expanded", "false")
    sign_out = page.get_by_role("button", name="Sign out")
    await expect(nav_link).to_be_hidden()
    await expect(sign_out).to_be_hidden()  # the user's controls fold into the menu too
    await screenshot(page, "home-admin")

    await menu.click()
    await expect(menu).to_have_attribute("aria-expanded", "true")
    await expect(nav_link).to_be_visible()
    await expect(sign_out).to_be_visible()
    box = await nav_link.bounding_box()
    assert box is not None and box["height"] >= 44  # a touch target
    await screenshot(page, "home-admin-menu-open")
    await assert_accessible(page, "the home page with the menu open")
    # nothing is wider than the phone
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

    await nav_link.click()
    await expect(page).to_have_url(f"{live_server}/planner/board")
    await context.close()


@pytest.mark.usefixtures("people")
async def test_sign_in_and_home_pass_axe_at_full_width(browser: Browser, live_server: str) -> None:
    context = await axe_context(browser, viewport=WIDE)
    page = await context.new_page()
    await page.goto(f"{live_server}/sign-in")
    await screenshot(page, "sign-in")
    await assert_accessible(page, "the sign-in page")
    await page.get_by_label("Username").fill("ada")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{live_server}/home")
    await screenshot(page, "home-admin")
    await assert_accessible(page, "the administrator's home page")

    await page.goto(f"{live_server}/no/such/page")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    await screenshot(page, "error-404")
    await assert_accessible(page, "the 404 page")

    await page.goto(f"{live_server}/home")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(f"{live_server}/sign-in")
    await page.goto(f"{live_server}/home")
    await expect(page).to_have_url(re.compile(r"/sign-in\?next=/home$"))
    await context.close()


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280", "360"])
async def test_the_repair_tracking_pages_pass_axe(
    browser: Browser, live_server: str, sessions: async_sessionmaker[AsyncSession], viewport: dict[str, int]
) -> None:
    async with sessions() as s:
        rma = await tracked_rma(s, with_quote=True, credit_limit="10000")
    context = await axe_context(browser, viewport=viewport)
    page = await context.new_page()
    await page.goto(f"{live_server}/track")
    await screenshot(page, "track-form")
    await assert_accessible(page, "the tracking form")

    await page.get_by_role("button", name="Track").click()  # nothing entered: errors beside the fields
    await expect(page.get_by_label("RMA number")).to_be_focused()
    await screenshot(page, "track-form-errors")
    await assert_accessible(page, "the tracking form with errors")

    await page.get_by_label("RMA number").fill(rma.number)
    await page.get_by_label("E-mail or postal code").fill(rma.email)
    await page.get_by_role("button", name="Track").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Return {rma.number}")
    await expect(page.locator("#time-zone")).to_contain_text("Central European")
    await screenshot(page, "track-view")
    await assert_accessible(page, "the tracking page")

    await page.goto(page.url + "?lang=zh_CN")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"退货 {rma.number}")
    await screenshot(page, "track-view-zh")
    await assert_accessible(page, "the tracking page in Chinese")
    await context.close()
