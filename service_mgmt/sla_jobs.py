"""The SLA monitoring job: warn the planners, escalate breaches (`services.sla_monitor`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from core.jobs import Every, JobContext, JobSpec
from service_mgmt.services.sla_monitor import DEFAULT_WARNING_SHARE, SlaRun, evaluate_slas

EVALUATE_SLAS = "evaluate_slas"
INTERVAL = dt.timedelta(minutes=5)


def sla_jobs(warning_share: float = DEFAULT_WARNING_SHARE) -> list[JobSpec]:
    async def evaluate(session: AsyncSession, context: JobContext) -> SlaRun:
        # The moment of evaluation, not the slot: a late run judges the clocks as they are now.
        return await evaluate_slas(session, context.clock.now(), warning_share=warning_share)

    return [
        JobSpec(
            EVALUATE_SLAS,
            evaluate,
            Every(INTERVAL),
            # A late run is still worth it until the next slot comes; each run catches up anyway.
            INTERVAL,
            f"warn planners at {warning_share:.0%} of an SLA target, escalate breaches to managers",
        )
    ]
