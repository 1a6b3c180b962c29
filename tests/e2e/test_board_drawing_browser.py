"""The board's drawing in a real browser, on a board answer of the contract's shape (routed, so the
test is about the Gantt and the queue, not about how the plan was computed): a hundred engineers
with a thousand tasks render with only the visible rows in the DOM; the queue filters; phones stack."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from playwright.async_api import Browser, Page, Route, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth import Role
from tests.e2e.board_fixture import board_answer
from tests.e2e.board_helpers import make_user, open_board, screenshot, script_errors, serious_axe_violations, signed_in

DAY = dt.date(2026, 12, 8)


async def serve_board(page: Page, answer: dict[str, Any]) -> list[str]:
    asked: list[str] = []

    async def fulfil(route: Route) -> None:
        asked.append(route.request.url)
        await route.fulfill(status=200, content_type="application/json", body=json.dumps(answer))

    await page.route("**/api/v1/dispatch/board?*", fulfil)
    return asked


async def test_a_hundred_engineers_render_virtualised(
    browser: Browser, live_server: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await make_user(sessions, "plan1", Role.PLANNER)
    page = await signed_in(browser, live_server, "plan1")
    answer = board_answer(day=DAY, engineers=100, tasks=1000)
    asked = await serve_board(page, answer)
    await open_board(page, live_server, f"?start={DAY}&days=1&territory=North&sort=utilisation")

    # the filters reached the API call (an earlier one may come from the landing page after sign-in)
    assert "start=2026-12-08" in asked[-1] and "territory=North" in asked[-1] and "sort=utilisation" in asked[-1]
    assert await page.evaluate("performance.getEntriesByName('board-rendered').length") == 1
    rows = page.locator(".gantt__row")
    await expect(rows.first).to_contain_text("Anna Schmidt 1")
    rendered = await rows.count()
    assert 5 < rendered < 40, rendered  # only the rows in view (and a margin), not all 100
    assert await page.locator(".gantt__block").count() < 400
    # travel is drawn before each visit: it ends where the visit starts
    first = page.locator(".gantt__row").first
    travel = await first.locator(".gantt__travel").first.bounding_box()
    visit = await first.locator(".gantt__block").first.bounding_box()
    assert travel and visit and travel["width"] > 5 and abs(travel["x"] + travel["width"] - visit["x"]) < 2

    # scrolling to the end brings the last engineer in and drops the first
    await page.locator(".gantt__scroll").evaluate("(el) => { el.scrollTop = el.scrollHeight; }")
    await expect(page.locator("#gantt").get_by_text("Jule Lang 100")).to_be_visible()
    await expect(page.get_by_text("Anna Schmidt 1", exact=True)).to_have_count(0)
    assert await rows.count() < 40

    # the queue: counts by priority, filter by priority and text
    queue = page.locator("#queue-list .queue__item")
    await expect(queue).to_have_count(40)
    await expect(page.locator("#queue-counts")).to_contain_text("P1 10")
    await page.get_by_label("Priority", exact=True).select_option("P2")
    await expect(queue).to_have_count(10)
    await page.get_by_label("Search").fill("Waiting customer 13")
    await expect(queue).to_have_count(1)
    await expect(queue.first).to_contain_text("nobody free has electrical level 3")

    # "later" works as a link without JavaScript; with it, the board refetches and the URL follows
    later = page.get_by_role("link", name="Later")
    await expect(later).to_have_attribute("href", "?start=2026-12-09&days=1&territory=North&sort=utilisation")
    async with page.expect_request(lambda r: "/dispatch/board?start=2026-12-09" in r.url) as moved:
        await later.click()
    assert "territory=North" in (await moved.value).url
    await expect(page).to_have_url(re.compile(r"start=2026-12-09&days=1&sort=utilisation&territory=North$"))
    async with page.expect_request(lambda r: "/dispatch/board?" in r.url and "days=7" in r.url):
        await page.get_by_label("Days").select_option("7")
    await expect(page).to_have_url(re.compile(r"days=7"))
    assert script_errors(page) == []


async def test_blocks_are_selected_and_walked_by_keyboard(
    browser: Browser, live_server: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await make_user(sessions, "plan2", Role.PLANNER)
    page = await signed_in(browser, live_server, "plan2")
    answer = board_answer(day=DAY, engineers=12, tasks=60)
    await serve_board(page, answer)
    await open_board(page, live_server, f"?start={DAY}")
    first = answer["assignments"][0]
    block = page.locator(f".gantt__block[data-task-id='{first['task_id']}']")
    await block.focus()
    await page.keyboard.press("Enter")
    await expect(block).to_have_attribute("aria-pressed", "true")
    selection = page.locator("#board-selection")
    await expect(selection).to_contain_text(first["work_order_number"])
    await expect(selection.get_by_role("button", name="Pin")).to_be_visible()
    # arrow keys walk the plan: right to the next visit, down to the next engineer's
    await page.keyboard.press("ArrowRight")
    focused = await page.evaluate("document.activeElement.dataset.taskId")
    assert focused == answer["assignments"][1]["task_id"]
    await page.keyboard.press("ArrowDown")
    engineer = await page.evaluate("document.activeElement.dataset.engineerId")
    assert engineer == answer["engineers"][1]["id"]


async def test_board_on_a_phone_stacks_the_queue_above_the_gantt(
    browser: Browser, live_server: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await make_user(sessions, "plan3", Role.PLANNER)
    wide = await signed_in(browser, live_server, "plan3")
    answer = board_answer(day=DAY, engineers=30, tasks=240, unassigned=6)
    await serve_board(wide, answer)
    await open_board(wide, live_server, f"?start={DAY}")
    await wide.get_by_text("Legend", exact=True).click()
    await expect(wide.locator(".legend__list")).to_contain_text("Pinned (the optimizer keeps it)")
    await screenshot(wide, "board-fixture-1280")
    assert await serious_axe_violations(wide) == []

    phone = await signed_in(browser, live_server, "plan3", width=360, height=780)
    await serve_board(phone, answer)
    await open_board(phone, live_server, f"?start={DAY}")
    queue_box = await phone.locator("#queue").bounding_box()
    gantt_box = await phone.locator("#gantt").bounding_box()
    assert queue_box and gantt_box and queue_box["y"] < gantt_box["y"]
    # the page itself does not scroll sideways; the Gantt does
    assert await phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert await phone.locator(".gantt__scroll").evaluate("(el) => el.scrollWidth > el.clientWidth")
    await screenshot(phone, "board-fixture-360")
    assert await serious_axe_violations(phone) == []

    # the assign dialog fits the phone
    await phone.get_by_role("button", name=f"Assign {answer['unassigned'][0]['work_order_number']}").click()
    dialog = phone.get_by_role("dialog", name="Assign a task")
    await expect(dialog).to_be_visible()
    box = await dialog.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360
    await phone.screenshot(path="/tmp/shots/board-assign-360.png")
    assert await serious_axe_violations(phone) == []


async def test_the_board_speaks_chinese_and_formats_money_by_locale(
    browser: Browser, live_server: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await make_user(sessions, "plan4", Role.PLANNER)
    page = await signed_in(browser, live_server, "plan4", locale="zh-CN")
    answer = board_answer(day=DAY, engineers=5, tasks=20, unassigned=3)
    await serve_board(page, answer)
    first = answer["assignments"][0]
    explanation = {
        "task_id": first["task_id"],
        "engineer_names": first["engineer_names"],
        "why": "Anna: 12 min away, has hvac level 2",
        "alternative": {
            "engineer_id": answer["engineers"][1]["id"],
            "engineer_name": answer["engineers"][1]["name"],
            "extra_minutes": 34,
            "extra_cost": {"amount": "1234.50", "currency": "EUR"},
        },
        "factors": [{"label": "Travel", "value": "12 min"}],
    }

    async def explain(route: Route) -> None:
        await route.fulfill(status=200, content_type="application/json", body=json.dumps(explanation))

    await page.route(f"**/api/v1/dispatch/tasks/{first['task_id']}/explanation", explain)
    await open_board(page, live_server, f"?start={DAY}")
    await expect(page.locator("#queue-title")).to_contain_text("未分配")
    await expect(page.locator("#queue-total")).to_have_text("任务：3")
    await page.locator(f".gantt__block[data-task-id='{first['task_id']}']").click()
    await page.get_by_role("button", name="为什么选这位工程师？").click()
    popover = page.get_by_role("dialog")
    await expect(popover).to_contain_text("34 分钟")
    # the money in the viewer's locale (Intl.NumberFormat with <html lang>), not the raw amount
    await expect(popover).to_contain_text("€1,234.50")
    await screenshot(page, "board-zh-1280")
    assert script_errors(page) == []

    # on a phone the popover stays inside the screen
    phone = await signed_in(browser, live_server, "plan4", width=360, height=780, locale="zh-CN")
    await serve_board(phone, answer)
    await phone.route(f"**/api/v1/dispatch/tasks/{first['task_id']}/explanation", explain)
    await open_board(phone, live_server, f"?start={DAY}")
    await phone.locator(f".gantt__block[data-task-id='{first['task_id']}']").click()
    await phone.get_by_role("button", name="为什么选这位工程师？").click()
    popover = phone.get_by_role("dialog")
    await expect(popover).to_contain_text("€1,234.50")
    box = await popover.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360
    await phone.screenshot(path="/tmp/shots/board-zh-explanation-360.png")
    assert await serious_axe_violations(phone) == []
