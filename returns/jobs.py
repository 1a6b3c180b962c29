"""Scheduled jobs of the returns domain: idempotent; the runner owns the transaction."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.jobs import Cron, JobContext, JobSpec
from returns.services.advance_exchange import follow_up
from returns.services.rma_notices import NoticeLinks

ADVANCE_EXCHANGE_FOLLOW_UP = "advance_exchange_follow_up"
# A daily run that is late is still worth making the same day; every run catches up anyway.
DAILY_GRACE = dt.timedelta(hours=20)


async def advance_exchange_follow_up(
    session: AsyncSession, context: JobContext, *, links: NoticeLinks
) -> dict[str, Any]:
    """Remind customers whose defective unit is due soon; charge those past the due date (once)."""
    report = await follow_up(session, context.today, context.clock.now(), links=links)
    return {"today": context.today.isoformat(), "reminded": report.reminded, "charged": report.charged}


def returns_jobs(links: NoticeLinks) -> list[JobSpec]:
    """`links`: the reminder e-mail's tracking link (the worker passes the loaded settings)."""
    return [
        JobSpec(
            ADVANCE_EXCHANGE_FOLLOW_UP,
            partial(advance_exchange_follow_up, links=links),
            Cron(hour=7, minute=30),  # before the customer's working day, after the nightly runs
            DAILY_GRACE,
            "remind and charge advance exchanges whose defective unit is not back",
        )
    ]
