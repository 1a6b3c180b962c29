"""Live updates in the browser: two planners have the board open; what one changes, and what a
technician reports from the field, shows on the other's board without a reload (the event stream
/api/v1/live/dispatch; in-process here, across two app processes on PostgreSQL in
tests/api/test_live_two_processes.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth import SYSTEM, Role
from core.db import session_scope
from core.settings import Settings
from masterdata.services.users import UserCreate, create_user
from tests.e2e.board_helpers import PASSWORD, make_user, open_board, script_errors, signed_in
from tests.e2e.test_board_browser import _local, api_client, drop_at, remember_window, scene
from tests.integration.dispatch_fixtures import engineer, job, site

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # the suite's streams end after half a second (for the tests that read whole responses); a board
    # would reconnect and refetch, which would hide whether the event itself arrived
    return dataclasses.replace(settings, live_stream_max_seconds=300.0)


async def test_a_second_board_sees_a_move_live(
    browser: Browser, live_server: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    s = await scene(sessions)
    await make_user(sessions, "live-mover", Role.PLANNER)
    await make_user(sessions, "live-watcher", Role.PLANNER)
    mover = await signed_in(browser, live_server, "live-mover")
    watcher = await signed_in(browser, live_server, "live-watcher")
    for page in (mover, watcher):
        await open_board(page, live_server, f"?start={s.day}&days=1")
        await expect(page.locator("#board")).to_have_attribute("data-live", "on")
    boiler_on_anna = f".gantt__row[data-engineer-id='{s.anna}'] .gantt__block[data-task-id='{s.boiler}']"
    await expect(watcher.locator(boiler_on_anna)).to_have_count(0)

    await remember_window(mover)
    await drop_at(mover, f".queue__item[data-task-id='{s.boiler}'] .queue__head", s.anna, _local(s.day, 13))
    await expect(mover.locator("#board-status")).to_contain_text("Saved")

    # the watcher did nothing: the stream told its board, which refetched
    await expect(watcher.locator(boiler_on_anna)).to_be_visible()
    await expect(watcher.locator(f".queue__item[data-task-id='{s.boiler}']")).to_have_count(0)
    await expect(watcher.locator("#board-live")).to_contain_text("live-mover moved a task")
    assert script_errors(watcher) == []
    for page in (mover, watcher):
        await page.context.close()  # ends the open streams before the server stops


async def test_a_technicians_step_shows_on_the_board(
    browser: Browser, live_server: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    planned = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)).replace(second=0, microsecond=0)
    day = planned.astimezone(BERLIN).date()
    async with session_scope(sessions) as s:
        anna = await engineer(s, "Anna Berger", {"hvac": 3}, hours=("00:00", "23:59"))
        plant = await site(s, "Brauhaus Nord", (52.55, 13.38))
        chiller = await job(
            s, plant, skills={"hvac": 2}, status="dispatched", order_status="dispatched",
            planned=planned, crew=[anna.id], name="Chiller service",
        )  # fmt: skip
        await create_user(
            s, SYSTEM, UserCreate(username="tech-anna", password=PASSWORD, role=Role.TECHNICIAN, engineer_id=anna.id)
        )
    await make_user(sessions, "live-planner", Role.PLANNER)
    page = await signed_in(browser, live_server, "live-planner")
    await open_board(page, live_server, f"?start={day}&days=1")
    await expect(page.locator("#board")).to_have_attribute("data-live", "on")
    block = page.locator(f".gantt__block[data-task-id='{chiller.id}']")
    await expect(block).to_have_class(_has("gantt__block--dispatched"))

    phone = await api_client(live_server, "tech-anna")
    answer = await phone.post(
        f"/api/v1/technician/tasks/{chiller.id}/status",
        json={"status": "en_route", "at": dt.datetime.now(dt.UTC).isoformat()},
    )
    assert answer.status_code == 200, answer.text
    await phone.aclose()

    await expect(block).to_have_class(_has("gantt__block--en_route"))
    await expect(page.locator("#board-live")).to_contain_text("reported progress")
    assert script_errors(page) == []
    await page.context.close()


def _has(name: str) -> re.Pattern[str]:
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")
