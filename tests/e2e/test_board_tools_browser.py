"""The planner's tools on the dispatch board in a real browser: optimize with live progress, cancel,
publish; a what-if compared and never published; find a slot and assign it; the day's map; the
manager's read-only board; axe-core on the open dialogs; screenshots at 1280 and 360 px.

Runs that should finish are bound by work (``solves_bound_by_work``); the one that is cancelled has
two minutes, which only a hang reaches. No assertion times anything."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth import Role
from core.db import session_scope
from masterdata.models import User
from service_mgmt.models import DispatchRun, Task, TaskAssignment, WorkOrder
from tests.e2e.board_helpers import SHOTS, make_user, open_board, serious_axe_violations, signed_in
from tests.integration.dispatch_fixtures import (  # noqa: F401  (fixture)
    engineer,
    job,
    next_day,
    site,
    solves_bound_by_work,
    window,
)

Sessions = async_sessionmaker[AsyncSession]
BERLIN = ZoneInfo("Europe/Berlin")


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BERLIN)


async def world(sessions: Sessions, tasks: int = 3) -> dict[str, Any]:
    """Anna (printers 3) and Ben (printers 1) in Berlin, every day 08-17; printer jobs tomorrow."""
    day = next_day()
    async with session_scope(sessions) as session:
        anna = await engineer(session, "Anna Schmidt", {"printers": 3})
        ben = await engineer(session, "Ben Weber", {"printers": 1}, home=(52.45, 13.30))
        ids = []
        for i in range(tasks):
            place = await site(session, f"Kunde {i}", (52.40 + 0.01 * (i % 7), 13.25 + 0.02 * (i % 5)))
            task = await job(
                session,
                place,
                minutes=30,
                skills={"printers": 1 + (i % 2)},
                windows=[window(at(day, 8), at(day, 17))],
                name=f"Printer repair {i}",
            )
            ids.append(task.id)
    return {"day": day, "anna": anna.id, "ben": ben.id, "tasks": ids}


async def sign_in(browser: Browser, base: str, sessions: Sessions, role: Role, width: int = 1280) -> Page:
    """A fresh user of the role, signed in; the page collects console errors (there must be none)."""
    page = await signed_in(browser, base, await make_user(sessions, f"{role.value}-tools", role), width=width)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    return page


async def show_board(page: Page, base: str, day: dt.date) -> None:
    await open_board(page, base, f"?start={day.isoformat()}&days=1")
    await expect(page.locator("#board-map-summary")).to_contain_text("planned visits")


async def shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Kept as test artifacts, not committed; a modal dialog is shot as the viewport shows it."""
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


async def start_optimizing(page: Page, time_limit: int) -> None:
    await page.get_by_role("button", name="Optimize…").click()
    dialog = page.get_by_role("dialog", name="Optimize the plan")
    await expect(dialog).to_be_visible()
    await dialog.get_by_label("Policy").select_option("balanced")
    await dialog.get_by_label("Time limit (seconds)").fill(str(time_limit))
    await dialog.get_by_role("button", name="Start optimizing").click()


@pytest.mark.usefixtures("solves_bound_by_work")
async def test_optimize_shows_progress_compares_and_publishes_to_the_board(
    browser: Browser, live_server: str, sessions: Sessions
) -> None:
    scenario = await world(sessions)
    page = await sign_in(browser, live_server, sessions, Role.PLANNER)
    await show_board(page, live_server, scenario["day"])
    gantt = page.locator("#gantt")
    await expect(gantt).not_to_contain_text("Printer repair 0")

    await start_optimizing(page, time_limit=2)
    dialog = page.get_by_role("dialog", name="Optimize the plan")
    await expect(dialog.locator("#optimize-run")).to_be_visible()
    # the result: the run's measures next to the published plan's, then publish
    compare = dialog.get_by_role("table", name="Result compared with the published plan")
    await expect(compare).to_be_visible()
    await expect(compare.get_by_role("row", name=re.compile("Tasks planned"))).to_contain_text("3")
    await expect(dialog.locator("#optimize-run-status")).to_contain_text("Finished.")
    assert await dialog.locator(".run-chart__line").count() == 1  # the best objective over time
    assert "not available" not in await dialog.locator("#optimize-result-note").inner_text()
    await shoot(page, "tools-optimize-result-1280")
    assert await serious_axe_violations(page) == []

    await dialog.get_by_role("button", name="Publish this plan").click()
    await expect(dialog).to_be_hidden()
    await expect(page.locator("#board-status")).to_contain_text("Plan published: 3 tasks scheduled.")
    for i in range(3):  # the board reloaded with the published plan
        await expect(gantt).to_contain_text(f"Printer repair {i}")
    async with sessions() as session:
        rows = (await session.scalars(select(Task).where(Task.id.in_(scenario["tasks"])))).all()
        assert {t.status for t in rows} == {"scheduled"}
        run = await session.scalar(select(DispatchRun))
        assert run is not None and run.kind == "full" and run.published_at is not None
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.usefixtures("solves_bound_by_work")
async def test_publishing_a_stale_plan_says_what_changed_and_writes_nothing(
    browser: Browser, live_server: str, sessions: Sessions
) -> None:
    scenario = await world(sessions, tasks=2)
    page = await sign_in(browser, live_server, sessions, Role.PLANNER)
    await show_board(page, live_server, scenario["day"])
    await start_optimizing(page, time_limit=2)
    dialog = page.get_by_role("dialog", name="Optimize the plan")
    await expect(dialog.get_by_role("button", name="Publish this plan")).to_be_visible()
    # someone edits a task while the planner looks at the result
    async with session_scope(sessions) as session:
        await session.execute(
            update(Task).where(Task.id == scenario["tasks"][0]).values(duration_minutes=45, version=Task.version + 1)
        )
    async with sessions() as session:
        number = await session.scalar(select(WorkOrder.number).join(Task).where(Task.id == scenario["tasks"][0]))

    await dialog.get_by_role("button", name="Publish this plan").click()
    summary = dialog.get_by_role("alert")
    await expect(summary).to_contain_text("changed since the run started")
    await expect(summary).to_contain_text(f"{number} Printer repair 0 (Kunde 0) was changed")
    await expect(summary).to_be_focused()
    await expect(dialog.get_by_role("button", name="Publish this plan")).to_be_hidden()
    await shoot(page, "tools-publish-stale-1280")
    async with sessions() as session:
        assert await session.scalar(select(TaskAssignment.id)) is None
        run = await session.scalar(select(DispatchRun))
        assert run is not None and run.published_at is None


async def test_a_running_optimization_can_be_cancelled(browser: Browser, live_server: str, sessions: Sessions) -> None:
    scenario = await world(sessions, tasks=30)
    page = await sign_in(browser, live_server, sessions, Role.PLANNER)
    await show_board(page, live_server, scenario["day"])

    await start_optimizing(page, time_limit=120)
    dialog = page.get_by_role("dialog", name="Optimize the plan")
    status = dialog.locator("#optimize-run-status")
    await expect(status).to_contain_text("Searching for a better plan")
    await dialog.get_by_role("button", name="Cancel the run").click()
    # only the cancel ends it this side of two minutes
    await expect(status).to_contain_text("Cancelled")
    await expect(dialog.get_by_role("button", name="Publish this plan")).to_be_hidden()
    await expect(dialog.get_by_role("button", name="Discard")).to_be_visible()
    await dialog.get_by_role("button", name="Discard").click()
    await expect(dialog).to_be_hidden()
    # the focus went back to the button that opened the dialog
    await expect(page.get_by_role("button", name="Optimize…")).to_be_focused()
    async with sessions() as session:
        run = await session.scalar(select(DispatchRun))
        assert run is not None and run.status == "cancelled" and run.published_at is None
        assert await session.scalar(select(TaskAssignment.id)) is None


async def test_a_refused_run_puts_the_error_beside_the_field(
    browser: Browser, live_server: str, sessions: Sessions
) -> None:
    scenario = await world(sessions, tasks=1)
    page = await sign_in(browser, live_server, sessions, Role.PLANNER)
    await show_board(page, live_server, scenario["day"])
    await page.get_by_role("button", name="Optimize…").click()
    dialog = page.get_by_role("dialog", name="Optimize the plan")
    await dialog.get_by_label("Time limit (seconds)").fill("0")
    await dialog.get_by_role("button", name="Start optimizing").click()

    summary = dialog.get_by_role("alert")
    await expect(summary).to_contain_text("There is a problem")
    await expect(summary).to_be_focused()
    field = dialog.get_by_label("Time limit (seconds)")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(dialog.locator("#optimize-time-limit-error")).to_contain_text(">= 0.1")
    await summary.get_by_role("link").first.click()
    await expect(field).to_be_focused()
    async with sessions() as session:
        assert await session.scalar(select(DispatchRun.id)) is None


@pytest.mark.usefixtures("solves_bound_by_work")
async def test_what_if_shows_a_comparison_and_publishes_nothing(
    browser: Browser, live_server: str, sessions: Sessions
) -> None:
    scenario = await world(sessions)
    page = await sign_in(browser, live_server, sessions, Role.PLANNER)
    await show_board(page, live_server, scenario["day"])

    await page.get_by_role("button", name="What-if…").click()
    dialog = page.get_by_role("dialog", name="What if…")
    await dialog.get_by_label("Who is off sick").select_option(label="Anna Schmidt")
    await dialog.get_by_label("Add a contractor").check()
    await dialog.get_by_label("Contractor's skill").select_option("printers")
    await dialog.get_by_label("Starts from the home base of").select_option(label="Ben Weber")
    await dialog.get_by_label("Time limit (seconds)").fill("2")
    await shoot(page, "tools-whatif-form-1280")
    assert await serious_axe_violations(page) == []
    await dialog.get_by_role("button", name="Run the what-if").click()

    compare = dialog.get_by_role("table", name="Result compared with the published plan")
    await expect(compare).to_be_visible()
    # nothing is published yet: the baseline plans nothing, the what-if (contractor instead of Anna) all 3
    planned = compare.get_by_role("row", name=re.compile("Tasks planned"))
    await expect(planned.locator("td").nth(0)).to_have_text("0")
    await expect(planned.locator("td").nth(1)).to_have_text("3")
    await expect(dialog).to_contain_text("Nothing was published")
    await expect(dialog.get_by_role("button", name=re.compile("Publish"))).to_have_count(0)
    await shoot(page, "tools-whatif-result-1280")
    await page.set_viewport_size({"width": 360, "height": 800})
    await shoot(page, "tools-whatif-result-360")
    async with sessions() as session:
        run = await session.scalar(select(DispatchRun))
        assert run is not None and run.kind == "what_if" and run.published_at is None
        changes = run.parameters["changes"]
        assert changes["sick"][0]["engineer_id"] == str(scenario["anna"])
        assert changes["extra_engineers"][0]["skills"] == [{"skill": "printers", "level": 3}]
        assert await session.scalar(select(TaskAssignment.id)) is None
    await dialog.get_by_role("button", name="Close").click()
    await expect(page.get_by_role("button", name="What-if…")).to_be_focused()


async def select_in_queue(page: Page, name: str) -> None:
    """Select a task in the unassigned queue the way a planner does: click it."""
    await page.locator("#queue .queue__select", has_text=name).click()


async def test_find_a_slot_and_assign_it_in_one_click(browser: Browser, live_server: str, sessions: Sessions) -> None:
    scenario = await world(sessions, tasks=1)
    page = await sign_in(browser, live_server, sessions, Role.PLANNER)
    await show_board(page, live_server, scenario["day"])
    finder = page.get_by_role("button", name="Find a slot")
    await expect(finder).to_be_disabled()

    await select_in_queue(page, "Printer repair 0")
    await expect(finder).to_be_enabled()
    # the map rings the selected task's site
    ring = page.locator("#board-map-svg circle.map-ring")
    await expect(ring).to_have_count(1)
    await expect(page.locator("#board-map-svg circle.map-site--selected")).to_have_attribute(
        "data-task-id", str(scenario["tasks"][0])
    )
    await finder.click()
    dialog = page.get_by_role("dialog", name="Find a slot")
    options = dialog.get_by_role("table", name="Find a slot")
    await expect(options).to_be_visible()
    first = options.locator("tbody tr").first
    engineer_name = await first.locator("th").inner_text()
    assert engineer_name in {"Anna Schmidt", "Ben Weber"}
    await expect(first.locator("td").nth(3)).to_contain_text(re.compile(r"€|EUR|\d"))
    await shoot(page, "tools-slot-1280")
    assert await serious_axe_violations(page) == []
    await page.set_viewport_size({"width": 360, "height": 800})
    await shoot(page, "tools-slot-360")
    assert await page.evaluate("() => document.getElementById('slot-dialog').scrollWidth") <= 360

    await first.get_by_role("button", name=re.compile("^Assign")).click()
    await expect(dialog).to_be_hidden()
    await expect(page.locator("#board-status")).to_contain_text(f"assigned to {engineer_name}")
    await expect(page.locator("#gantt")).to_contain_text("Printer repair 0")
    async with sessions() as session:
        task = await session.get(Task, scenario["tasks"][0])
        assert task is not None and task.status == "scheduled" and task.planned_start is not None


@pytest.mark.usefixtures("solves_bound_by_work")
async def test_the_map_draws_the_published_routes_with_a_legend(
    browser: Browser, live_server: str, sessions: Sessions
) -> None:
    scenario = await world(sessions)
    page = await sign_in(browser, live_server, sessions, Role.PLANNER)
    await show_board(page, live_server, scenario["day"])
    await start_optimizing(page, time_limit=2)
    dialog = page.get_by_role("dialog", name="Optimize the plan")
    await dialog.get_by_role("button", name="Publish this plan").click()
    await expect(page.locator("#board-status")).to_contain_text("Plan published")

    svg = page.get_by_role("img", name=re.compile("Map of the day"))
    await expect(svg.locator("polyline.map-route").first).to_be_attached()
    await expect(svg.locator("circle.map-site")).to_have_count(3)
    legend = page.get_by_role("list", name="Map legend")
    await expect(legend).to_contain_text("Home base")
    await expect(legend).to_contain_text(re.compile(r"(Anna Schmidt|Ben Weber): \d stops"))
    await expect(page.locator("#board-map-summary")).to_contain_text("planned visits 3")
    for width in (1280, 360):
        await page.set_viewport_size({"width": width, "height": 900})
        await shoot(page, f"tools-board-map-{width}", full_page=True)


async def test_the_manager_reads_the_board_without_the_planning_tools(
    browser: Browser, live_server: str, sessions: Sessions
) -> None:
    scenario = await world(sessions, tasks=2)
    page = await sign_in(browser, live_server, sessions, Role.MANAGER, width=360)
    await show_board(page, live_server, scenario["day"])
    assert await page.locator("#board").get_attribute("data-can-edit") == "false"
    for name in ("Optimize…", "What-if…", "Find a slot"):
        await expect(page.get_by_role("button", name=name)).to_have_count(0)
    assert await page.locator("dialog").count() == 0
    await expect(page.get_by_role("img", name=re.compile("Map of the day"))).to_be_visible()
    await shoot(page, "tools-board-manager-360", full_page=True)
    assert await serious_axe_violations(page) == []


@pytest.mark.usefixtures("solves_bound_by_work")
async def test_the_dialogs_at_360_px_in_chinese(browser: Browser, live_server: str, sessions: Sessions) -> None:
    scenario = await world(sessions)
    username = await make_user(sessions, "planner-zh", Role.PLANNER)
    async with session_scope(sessions) as session:
        row = await session.scalar(select(User).where(User.username == username))
        assert row is not None
        row.locale = "zh_CN"
    page = await signed_in(browser, live_server, username, width=360)
    await open_board(page, live_server, f"?start={scenario['day'].isoformat()}&days=1")
    await page.get_by_role("button", name="优化…").click()
    dialog = page.get_by_role("dialog", name="优化计划")
    await expect(dialog).to_be_visible()
    await dialog.get_by_label("时间限制（秒）").fill("2")
    await dialog.get_by_role("button", name="开始优化").click()
    await expect(dialog.get_by_role("table", name="结果与已发布计划的对比")).to_be_visible()
    await expect(dialog.locator("#optimize-run-status")).to_contain_text("已完成")
    # the dialog fits the phone: nothing in it is wider than the viewport
    assert await page.evaluate("() => document.getElementById('optimize-dialog').scrollWidth") <= 360
    await shoot(page, "tools-optimize-result-zh-360")
    assert await serious_axe_violations(page) == []
