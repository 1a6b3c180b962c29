"""A billing run killed in the middle (SIGKILL of the CLI process) and run again: no duplicates, no gaps."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.models import BillingRun
from contracts.services.billing_run import RunOptions, run_billing
from core.db import session_scope
from core.settings import Settings
from tests.integration.billing_fixtures import ACTOR, BILLING, NOV, contract, customer, key_counts

CLI = Path(sys.executable).with_name("service-mgmt")
CUSTOMERS = 6


async def _progress(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as s:
        done = await s.scalar(select(BillingRun.progress_done).where(BillingRun.status == "running"))
        return int(done or 0)


async def test_a_killed_run_leaves_whole_chunks_and_the_next_run_bills_exactly_the_rest(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with session_scope(sessions) as s:
        for n in range(CUSTOMERS):
            owner = await customer(s, f"C-{n:03d}")
            await contract(
                s, owner, f"SC-{n:03d}", fee="100.00", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31)
            )
    env = {**os.environ, "DATABASE_URL": settings.database.url, "SECRET_KEY": "k" * 48}
    process = await asyncio.create_subprocess_exec(
        str(CLI), "billing", "run", "--period", NOV, "--chunk-size", "1", "--pause", "1",
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(600):  # up to 60 s for the process to start and commit two chunks
            if await _progress(sessions) >= 2:
                break
            await asyncio.sleep(0.1)
        process.send_signal(signal.SIGKILL)
    finally:
        await asyncio.wait_for(process.wait(), timeout=30)

    billed_before = await key_counts(sessions)
    async with sessions() as s:
        killed = await s.scalar(select(BillingRun))
    assert killed is not None and killed.status == "running"  # nobody told the database it died
    assert 2 <= len(billed_before) < CUSTOMERS and set(billed_before.values()) == {1}

    rerun = await run_billing(sessions, ACTOR, NOV, BILLING, options=RunOptions(take_over_after=dt.timedelta(0)))

    billed_after = await key_counts(sessions)
    assert len(billed_after) == CUSTOMERS and set(billed_after.values()) == {1}
    assert rerun.status == "completed" and rerun.fee_lines == CUSTOMERS - len(billed_before)
    async with sessions() as s:
        statuses = dict((await s.execute(select(BillingRun.id, BillingRun.status))).tuples().all())
    assert statuses == {killed.id: "abandoned", rerun.id: "completed"}
