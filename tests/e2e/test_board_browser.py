"""The dispatch board against the real API in a real browser: a planner sees the plan with the
engineers' names, drags work (a refused drag saves nothing, a feasible one saves), assigns by
keyboard alone; a manager reads without edit controls; axe finds nothing serious; screenshots at
1280 and 360 px go to /tmp/shots."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth import Role
from core.db import session_scope
from tests.e2e.board_helpers import (
    PASSWORD,
    make_user,
    open_board,
    screenshot,
    script_errors,
    serious_axe_violations,
    signed_in,
)
from tests.integration.dispatch_fixtures import engineer, job, next_day, site

BERLIN = ZoneInfo("Europe/Berlin")
PX_PER_HOUR_ONE_DAY = 64  # js/board/gantt.js: a one-day board draws an hour 64 px wide


@dataclass(frozen=True)
class Scene:
    day: dt.date
    anna: str
    ben: str
    planned: str  # Anna's visit at 09:00
    planned_number: str
    planned_order: str
    boiler: str  # open, needs hvac 3: only Anna has it
    boiler_order: str
    boiler_number: str


async def scene(sessions: async_sessionmaker[AsyncSession]) -> Scene:
    day = next_day()
    async with session_scope(sessions) as s:
        anna = await engineer(s, "Anna Berger", {"hvac": 3}, territory="North")
        ben = await engineer(s, "Ben Cole", {"electrical": 2}, territory="North")
        plant = await site(s, "Brauhaus Nord", (52.55, 13.38))
        office = await site(s, "Kanzlei Mitte", (52.52, 13.41))
        at_nine = dt.datetime.combine(day, dt.time(9), BERLIN)
        planned = await job(
            s, plant, skills={"hvac": 2}, priority="P2", status="scheduled", order_status="scheduled",
            planned=at_nine, crew=[anna.id], name="Chiller service",
        )  # fmt: skip
        boiler = await job(s, office, skills={"hvac": 3}, priority="P1", minutes=60, name="Boiler repair")
        await s.flush()
        numbers = {o.id: o.number for o in await _orders(s, [planned.work_order_id, boiler.work_order_id])}
    return Scene(
        day,
        str(anna.id),
        str(ben.id),
        str(planned.id),
        numbers[planned.work_order_id],
        str(planned.work_order_id),
        str(boiler.id),
        str(boiler.work_order_id),
        numbers[boiler.work_order_id],
    )


async def _orders(s: AsyncSession, ids: list[Any]) -> list[Any]:
    from sqlalchemy import select

    from service_mgmt.models import WorkOrder

    return list((await s.scalars(select(WorkOrder).where(WorkOrder.id.in_(ids)))).all())


async def api_client(base: str, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=120)
    token = (await client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})).json()
    client.headers["Authorization"] = f"Bearer {token['access_token']}"
    return client


async def task_state(client: httpx.AsyncClient, order_id: str, task_id: str) -> dict[str, Any]:
    order = (await client.get(f"/api/v1/work-orders/{order_id}")).json()
    task: dict[str, Any] = next(t for t in order["tasks"] if t["id"] == task_id)
    return task


async def drop_at(page: Page, source: str, engineer_id: str, start: dt.datetime) -> None:
    """Drag `source` onto the engineer's lane with its left edge at `start` (real mouse events)."""
    scroller = page.locator(".gantt__scroll")
    lane = page.locator(f".gantt__lane[data-engineer-id='{engineer_id}']")
    window_start = dt.datetime.fromisoformat(await page.evaluate("window.__boardStart"))
    x = (start - window_start).total_seconds() / 3600 * PX_PER_HOUR_ONE_DAY
    # scroll so that both the dragged block (when it is one) and the target time are in view
    await scroller.evaluate(
        """(el, [x, source]) => {
            const block = document.querySelector(source).closest(".gantt__block");
            const from = block ? block.offsetLeft : x;
            el.scrollLeft = Math.max(0, Math.min(x, from) - 30);
        }""",
        [x, source],
    )
    box = await lane.bounding_box()
    assert box is not None
    handle = await page.locator(source).bounding_box()
    assert handle is not None
    await page.mouse.move(handle["x"] + 4, handle["y"] + handle["height"] / 2)
    await page.mouse.down()
    await page.mouse.move(box["x"] + x + 1, box["y"] + box["height"] / 2, steps=8)
    await page.mouse.move(box["x"] + x + 2, box["y"] + box["height"] / 2, steps=2)
    await page.mouse.up()


async def remember_window(page: Page) -> None:
    # the board's window start, as the page drew it (from GET /board)
    await page.evaluate(
        """async () => {
            const params = new URLSearchParams(location.search);
            const r = await fetch(`/api/v1/dispatch/board?${params}`);
            window.__boardStart = (await r.json()).start;
        }"""
    )


async def test_planner_sees_the_plan_drags_and_assigns(
    browser: Browser, live_server: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    s = await scene(sessions)
    await make_user(sessions, "planner1", Role.PLANNER)
    page = await signed_in(browser, live_server, "planner1")
    await open_board(page, live_server, f"?start={s.day}&days=1")
    await remember_window(page)

    # the plan shows with the engineers' names; the open task waits in the queue
    await expect(page.locator(".gantt__name", has_text="Anna Berger")).to_be_visible()
    await expect(page.locator(".gantt__name", has_text="Ben Cole")).to_be_visible()
    await expect(page.locator(f".gantt__block[data-task-id='{s.planned}']")).to_contain_text(s.planned_number)
    item = page.locator(f".queue__item[data-task-id='{s.boiler}']")
    await expect(item).to_contain_text("hvac level 3")
    await screenshot(page, "board-1280")
    assert await serious_axe_violations(page) == []

    # Ben lacks hvac 3: the drop is refused with the violation shown, and nothing is saved
    api = await api_client(live_server, "planner1")
    await drop_at(page, f".queue__item[data-task-id='{s.boiler}'] .queue__head", s.ben, _local(s.day, 13))
    status = page.locator("#board-status")
    await expect(status).to_contain_text("Not saved")
    await expect(status.locator("li").first).to_be_visible()
    await expect(item).to_have_class("queue__item queue__item--p1 is-refused")
    await screenshot(page, "board-refused-1280")
    unchanged = await task_state(api, s.boiler_order, s.boiler)
    assert unchanged["planned_start"] is None and unchanged["assignments"] == []

    # a feasible slot: Anna has hvac 3, and her afternoon is free (she works 08:00-17:00, one visit
    # at 09:00); the insertion ranking agrees that she is the one who can take it
    ranked = (await api.post("/api/v1/dispatch/insertions", json={"task_id": s.boiler, "days": 2})).json()
    assert {o["engineer_id"] for o in ranked["options"]} == {s.anna}
    start = _local(s.day, 13)
    await drop_at(page, f".queue__item[data-task-id='{s.boiler}'] .queue__head", s.anna, start)
    await expect(status).to_contain_text("Saved")
    block = page.locator(f".gantt__row[data-engineer-id='{s.anna}'] .gantt__block[data-task-id='{s.boiler}']")
    await expect(block).to_be_visible()
    saved = await task_state(api, s.boiler_order, s.boiler)
    assert dt.datetime.fromisoformat(saved["planned_start"]) == start
    assert [a["engineer_id"] for a in saved["assignments"]] == [s.anna]
    assert script_errors(page) == []
    await api.aclose()


async def test_keyboard_only_assignment(
    browser: Browser, live_server: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    s = await scene(sessions)
    await make_user(sessions, "planner2", Role.PLANNER)
    page = await signed_in(browser, live_server, "planner2")
    await open_board(page, live_server, f"?start={s.day}&days=1")

    # Tab to the queue item, Enter selects it, Tab to its "Assign…" button, Enter opens the dialog
    await page.locator("#queue-text").focus()
    await page.keyboard.type(s.boiler_number)
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.textContent")
    assert s.boiler_number in focused
    await page.keyboard.press("Enter")
    await expect(page.locator("#board-selection")).to_contain_text(s.boiler_number)
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Assign a task")
    await expect(dialog).to_be_visible()
    await expect(page.get_by_label("Engineer", exact=True)).to_be_focused()
    await page.keyboard.type("Anna")
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Day", exact=True)).to_be_focused()
    await expect(page.get_by_label("Day", exact=True)).to_have_value(s.day.isoformat())  # the board's day
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Start", exact=True)).to_be_focused()
    await page.keyboard.type("14:00")
    await expect(page.get_by_label("Start", exact=True)).to_have_value("14:00")
    await page.keyboard.press("Tab")  # "Suggest feasible slots"
    await page.keyboard.press("Tab")
    await expect(dialog.get_by_role("button", name="Assign", exact=True)).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(dialog).to_be_hidden()
    await expect(page.locator("#board-status")).to_contain_text("Saved")

    api = await api_client(live_server, "planner2")
    saved = await task_state(api, s.boiler_order, s.boiler)
    assert dt.datetime.fromisoformat(saved["planned_start"]) == _local(s.day, 14)
    assert [a["engineer_id"] for a in saved["assignments"]] == [s.anna]

    # the new block: select it by keyboard, pin it, then read why Anna
    block = page.locator(f".gantt__block[data-task-id='{s.boiler}']")
    await block.focus()
    await page.keyboard.press("Enter")
    pin = page.locator("#board-selection").get_by_role("button", name=f"Pin {s.boiler_number}")
    await pin.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#board-status")).to_contain_text("pinned")
    assert (await task_state(api, s.boiler_order, s.boiler))["pinned"] is True
    await expect(page.locator(f".gantt__block[data-task-id='{s.boiler}']")).to_have_class(
        "gantt__block gantt__block--p1 gantt__block--scheduled is-pinned"
    )
    await page.locator("#board-selection").get_by_role("button", name="Why this engineer?").focus()
    await page.keyboard.press("Enter")
    explanation = page.get_by_role("dialog", name="Why Anna Berger")
    await expect(explanation).to_be_visible()
    await expect(explanation).not_to_contain_text("Loading")
    await screenshot(page, "board-explanation-1280")
    await page.keyboard.press("Escape")
    await expect(explanation).to_be_hidden()
    await expect(page.locator("#board-selection").get_by_role("button", name="Why this engineer?")).to_be_focused()
    assert script_errors(page) == []
    await api.aclose()


async def test_manager_reads_the_board_without_edit_controls(
    browser: Browser, live_server: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    s = await scene(sessions)
    await make_user(sessions, "manager1", Role.MANAGER)
    page = await signed_in(browser, live_server, "manager1")
    await open_board(page, live_server, f"?start={s.day}&days=1")
    await expect(page.locator(".gantt__name", has_text="Anna Berger")).to_be_visible()
    await expect(page.locator(f".queue__item[data-task-id='{s.boiler}']")).to_be_visible()
    assert await page.locator("[draggable='true']").count() == 0
    await expect(page.get_by_role("button", name=re.compile(r"^(Assign|Move|Pin|Unpin)\b"))).to_have_count(0)
    await expect(page.locator("#assign-dialog")).to_have_count(0)
    await page.locator(f".gantt__block[data-task-id='{s.planned}']").click()
    selection = page.locator("#board-selection")
    await expect(selection).to_contain_text(s.planned_number)
    await expect(selection.get_by_role("button", name="Why this engineer?")).to_be_visible()
    await expect(selection.get_by_role("button", name="Pin")).to_have_count(0)
    await expect(selection.get_by_role("button", name="Move…")).to_have_count(0)
    assert await serious_axe_violations(page) == []

    phone = await signed_in(browser, live_server, "manager1", width=360, height=780)
    await open_board(phone, live_server, f"?start={s.day}&days=1")
    await expect(phone.locator(".gantt__name", has_text="Anna Berger")).to_be_visible()
    await screenshot(phone, "board-360")
    assert await serious_axe_violations(phone) == []
    assert script_errors(page) == [] and script_errors(phone) == []


def _local(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), BERLIN)


def _quarter_up(moment: dt.datetime) -> dt.datetime:
    minutes = (-moment.minute) % 15
    return (moment + dt.timedelta(minutes=minutes)).replace(second=0, microsecond=0)


async def test_a_stale_drag_says_who_changed_what_and_reloads(
    browser: Browser, live_server: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    s = await scene(sessions)
    await make_user(sessions, "planner3", Role.PLANNER)
    await make_user(sessions, "planner4", Role.PLANNER)
    page = await signed_in(browser, live_server, "planner3")
    await open_board(page, live_server, f"?start={s.day}&days=1")
    await remember_window(page)
    block = page.locator(f".gantt__block[data-task-id='{s.planned}']")
    await expect(block).to_be_visible()

    # another planner pins the visit after this page loaded it
    other = await api_client(live_server, "planner4")
    task = await task_state(other, s.planned_order, s.planned)
    pinned = await other.post(f"/api/v1/dispatch/tasks/{s.planned}/pin", json={"version": task["version"]})
    assert pinned.status_code == 200, pinned.text

    await drop_at(page, f".gantt__block[data-task-id='{s.planned}']", s.anna, _local(s.day, 14))
    status = page.locator("#board-status")
    await expect(status).to_contain_text("the plan changed meanwhile")
    await expect(status).to_contain_text("planner4")
    # reloaded: the block now shows the other planner's pin, and the visit did not move
    await expect(block).to_have_class(re.compile(r"\bis-pinned\b"))
    after = await task_state(other, s.planned_order, s.planned)
    assert dt.datetime.fromisoformat(after["planned_start"]) == _local(s.day, 9)

    # in the dialog a stale edit keeps the planner's input: the next "Assign" uses the new version
    await block.click()
    await page.locator("#board-selection").get_by_role("button", name="Move…").click()
    dialog = page.get_by_role("dialog", name="Assign a task")
    await page.get_by_label("Start", exact=True).select_option("15:00")
    unpinned = await other.post(f"/api/v1/dispatch/tasks/{s.planned}/unpin", json={"version": after["version"]})
    assert unpinned.status_code == 200, unpinned.text
    await dialog.get_by_role("button", name="Assign", exact=True).click()
    await expect(dialog.get_by_role("alert")).to_contain_text("the plan changed meanwhile")
    await expect(dialog.get_by_role("alert")).to_contain_text("planner4")
    await expect(page.get_by_label("Start", exact=True)).to_have_value("15:00")
    await dialog.get_by_role("button", name="Assign", exact=True).click()
    await expect(dialog).to_be_hidden()
    await expect(page.locator("#board-status")).to_contain_text("Saved")
    moved = await task_state(other, s.planned_order, s.planned)
    assert dt.datetime.fromisoformat(moved["planned_start"]) == _local(s.day, 15)
    assert script_errors(page) == []
    await other.aclose()


async def test_a_hundred_engineers_with_a_thousand_tasks_from_the_api(
    browser: Browser, live_server: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The benchmark's volume through the real read model: the board renders, only the rows in
    view are in the DOM, and the names, reasons and counts come through."""
    from bench.board_data import BoardVolume, generate

    data = await generate(sessions, BoardVolume(engineers=100, tasks=1000))
    await make_user(sessions, "planner5", Role.PLANNER)
    page = await signed_in(browser, live_server, "planner5")
    await open_board(page, live_server, f"?start={data.first_day}&days=1")
    rows = page.locator(".gantt__row")
    assert 5 < await rows.count() < 40
    await expect(page.locator(".gantt__block").first).to_be_visible()
    assert await page.locator("#queue-list .queue__item").count() > 0
    total = await page.evaluate("document.querySelectorAll('#queue-counts .queue__count').length")
    assert total == 4
    await page.locator(".gantt__scroll").evaluate("(el) => { el.scrollTop = el.scrollHeight; }")
    await expect(rows.last).to_be_visible()
    assert await rows.count() < 40
    await screenshot(page, "board-100x1000-1280")
    # three days: the same engineers over a wider window, the day labels in the axis
    await page.get_by_label("Days").select_option("3")
    await expect(page.locator(".gantt__day")).to_have_count(3)
    await expect(page.locator("#board")).to_have_attribute("data-state", "ready")
    await screenshot(page, "board-3days-1280")
    assert script_errors(page) == []
