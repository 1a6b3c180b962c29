"""First-time fix: a repair resolved in one visit, with no return within 30 days.

Completion decides the first half (one visit: ``WorkOrder.first_time_fix`` is set when the
order completes). The second half can only be known later: when a new repair order is
created for a unit whose previous repair order completed less than `RETURN_WINDOW` ago as a
first-time fix, that fix did not hold; `record_return` turns it to false and audits why.

The rate (`first_time_fix_rate`) counts repair orders completed in a period whose
first-time-fix flag is known. Only orders completed at least `RETURN_WINDOW` before now are
final (a return can no longer undo them); younger ones are reported apart as provisional.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import ServiceType
from core import audit
from core.auth import Principal
from core.errors import Invalid
from service_mgmt.errors import Code
from service_mgmt.models import WorkOrder

RETURN_WINDOW = dt.timedelta(days=30)
# A KPI over more than a few years is a typing error rather than a question.
MAX_PERIOD = dt.timedelta(days=3 * 366)


async def record_return(
    session: AsyncSession, actor: Principal, new_order: WorkOrder, now: dt.datetime
) -> WorkOrder | None:
    """A new repair order for a unit is a return of its previous repair, if that completed within
    the window as a first-time fix: that one is no first-time fix any more. Answers it, or None."""
    if new_order.service_type != ServiceType.REPAIR.value or new_order.equipment_id is None:
        return None
    previous = await session.scalar(
        select(WorkOrder)
        .where(
            WorkOrder.equipment_id == new_order.equipment_id,
            WorkOrder.service_type == ServiceType.REPAIR.value,
            WorkOrder.id != new_order.id,
            WorkOrder.completed_at.is_not(None),
            WorkOrder.completed_at <= now,
        )
        .order_by(WorkOrder.completed_at.desc(), WorkOrder.id.desc())
        .limit(1)
    )
    if previous is None or previous.first_time_fix is not True or previous.completed_at is None:
        return None
    if previous.completed_at < now - RETURN_WINDOW:
        return None
    previous.first_time_fix = False
    await session.flush()
    await audit.record(
        session,
        actor,
        "work_order",
        previous.id,
        "first_time_fix_revoked",
        before={"first_time_fix": True},
        after={
            "first_time_fix": False,
            "reason": f"returned within {RETURN_WINDOW.days} days",
            "return_work_order_id": new_order.id,
            "return_work_order_number": new_order.number,
        },
        at=now,
    )
    return previous


def parse_day(value: str | None, field: str) -> dt.date:
    """A query's ``YYYY-MM-DD`` day, or 422 on `field` (its name on the wire, e.g. ``from``)."""
    if not value:
        raise Invalid(Code.FIELD_REQUIRED, f"give {field} as YYYY-MM-DD", field=field)
    try:
        # Python also reads "20261001" and week dates; the API promises one spelling only.
        day = dt.date.fromisoformat(value) if len(value) == len("2026-01-01") else None
    except ValueError:
        day = None
    if day is None:
        raise Invalid(Code.INVALID_PERIOD, f"{field} must be a day as YYYY-MM-DD, not {value[:40]!r}", field=field)
    return day


@dataclass(frozen=True, slots=True)
class FixCount:
    completed: int  # repair orders completed with a known first-time-fix flag
    first_time_fixes: int

    @property
    def rate(self) -> float | None:
        return round(self.first_time_fixes / self.completed, 4) if self.completed else None


@dataclass(frozen=True, slots=True)
class FirstTimeFixRate:
    period_from: dt.date
    period_to: dt.date  # inclusive
    as_of: dt.datetime
    final_before: dt.datetime  # completions before this are final
    final: FixCount
    provisional: FixCount  # completed within the return window: a return may still undo them


async def first_time_fix_rate(
    session: AsyncSession, period_from: dt.date, period_to: dt.date, now: dt.datetime
) -> FirstTimeFixRate:
    """Repair orders completed from `period_from` to `period_to` (inclusive, UTC days)."""
    if period_to < period_from:
        raise Invalid(Code.INVALID_PERIOD, "to lies before from", field="to")
    if period_to - period_from > MAX_PERIOD:
        raise Invalid(Code.INVALID_PERIOD, f"a period spans at most {MAX_PERIOD.days} days", field="to")
    start = dt.datetime.combine(period_from, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(period_to + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    final_before = now - RETURN_WINDOW
    is_final = WorkOrder.completed_at < final_before
    fixed = WorkOrder.first_time_fix.is_(True)
    row = (
        await session.execute(
            select(
                func.count().filter(is_final),
                func.count().filter(is_final, fixed),
                func.count().filter(~is_final),
                func.count().filter(~is_final, fixed),
            ).where(
                WorkOrder.service_type == ServiceType.REPAIR.value,
                WorkOrder.completed_at >= start,
                WorkOrder.completed_at < end,
                WorkOrder.first_time_fix.is_not(None),
            )
        )
    ).one()
    final, final_fixed, young, young_fixed = (int(value or 0) for value in row)
    return FirstTimeFixRate(
        period_from=period_from,
        period_to=period_to,
        as_of=now,
        final_before=final_before,
        final=FixCount(final, final_fixed),
        provisional=FixCount(young, young_fixed),
    )
