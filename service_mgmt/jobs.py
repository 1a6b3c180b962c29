"""Scheduled jobs of the service management domain: idempotent, the caller owns the transaction.

(The SLA monitor's job lives in `sla_jobs`.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.jobs import Cron, JobContext, JobSpec
from service_mgmt.services.pm_calls import generate_calls

GENERATE_PM_CALLS = "generate_pm_calls"
# A daily run that is late is still worth making the same day; every run catches up anyway.
DAILY_GRACE = dt.timedelta(hours=20)


async def generate_pm_calls(session: AsyncSession, context: JobContext) -> dict[str, Any]:
    """Maintenance calls (and their work orders) for every due date within each plan's horizon."""
    report = await generate_calls(session, context.today, clock=context.clock)
    return {
        "today": context.today.isoformat(),
        "created": len(report.created),
        "skipped": [
            {"plan": s.plan_number, "equipment_id": str(s.equipment_id), "due_on": s.due_on, "reason": s.reason}
            for s in report.skipped
        ],
    }


def pm_jobs() -> list[JobSpec]:
    return [
        JobSpec(
            GENERATE_PM_CALLS,
            generate_pm_calls,
            # After the contract expiry run (00:15), so a contract ended overnight makes no calls.
            Cron(hour=1, minute=0),
            DAILY_GRACE,
            "make preventive maintenance calls due within each plan's call horizon",
        )
    ]
