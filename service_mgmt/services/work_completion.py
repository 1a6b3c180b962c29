"""What follows when a work order is completed, in the completing transaction.

Each step is idempotent (keyed by the work order), so a replayed completion changes nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal
from service_mgmt.models import WorkOrder
from service_mgmt.services.billable_work import record_billable_items
from service_mgmt.services.service_report_queue import queue_service_report


async def after_completion(session: AsyncSession, actor: Principal, work_order: WorkOrder, now: dt.datetime) -> None:
    await record_billable_items(session, actor, work_order, now)
    await queue_service_report(session, work_order, now)
