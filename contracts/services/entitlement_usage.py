"""The entitlement usage ledger: what each work order consumed of a line's quotas.

Consumption is idempotent per (line, work order): a replay answers the first grant. It runs
under row locks taken in the documented order contract → line, so that concurrent requests
for the last unit of a quota see each other: exactly the quota is granted, never more.
On SQLite the write transaction (BEGIN IMMEDIATE) serializes the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import QuotaPeriod
from contracts.models import ContractLine, EntitlementUsage, ServiceContract
from contracts.quota_periods import period_start
from core import audit
from core.auth import Principal
from core.errors import Invalid, NotFound

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Grant:
    """What the line covers of a work order's request; the rest is billable."""

    line_id: UUID
    work_order_ref: str
    period_start: dt.date
    visits: int
    hours: Decimal
    parts_value: Decimal
    replayed: bool  # True when this work order had consumed before: nothing new was taken

    @property
    def anything(self) -> bool:
        return bool(self.visits or self.hours or self.parts_value)


async def consume(
    session: AsyncSession,
    actor: Principal,
    line_id: UUID,
    work_order_ref: str,
    *,
    visits: int = 0,
    hours: Decimal = ZERO,
    parts_value: Decimal = ZERO,
    moment: dt.datetime,
) -> Grant:
    if visits < 0 or hours < 0 or parts_value < 0:
        raise Invalid("negative_consumption", "consumption cannot be negative")
    contract, line = await _lock(session, line_id)
    start = period_start(QuotaPeriod(line.quota_period), contract.starts_on, moment.astimezone(dt.UTC).date())

    existing = await session.scalar(
        select(EntitlementUsage).where(
            EntitlementUsage.line_id == line_id, EntitlementUsage.work_order_ref == work_order_ref
        )
    )
    if existing is not None:
        return _grant(existing, replayed=True)

    used_visits, used_hours, used_parts = await _used(session, line_id, start)
    usage = EntitlementUsage(
        line_id=line_id,
        work_order_ref=work_order_ref,
        period_start=start,
        visits=_granted_int(visits, line.quota_visits, used_visits),
        hours=_granted(hours, line.quota_hours, used_hours),
        parts_value=_granted(parts_value, line.quota_parts_value, used_parts),
        consumed_at=moment,
    )
    session.add(usage)
    await session.flush()
    await audit.record(session, actor, "entitlement_usage", usage.id, "consume", after=audit.snapshot(usage))
    return _grant(usage, replayed=False)


async def _lock(session: AsyncSession, line_id: UUID) -> tuple[ServiceContract, ContractLine]:
    contract_id = await session.scalar(select(ContractLine.contract_id).where(ContractLine.id == line_id))
    if contract_id is None:
        raise NotFound("contract_line", line_id)
    contract = await session.scalar(select(ServiceContract).where(ServiceContract.id == contract_id).with_for_update())
    line = await session.scalar(select(ContractLine).where(ContractLine.id == line_id).with_for_update())
    assert contract is not None and line is not None
    return contract, line


async def _used(session: AsyncSession, line_id: UUID, start: dt.date) -> tuple[int, Decimal, Decimal]:
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(EntitlementUsage.visits), 0),
                func.coalesce(func.sum(EntitlementUsage.hours), 0),
                func.coalesce(func.sum(EntitlementUsage.parts_value), 0),
            ).where(EntitlementUsage.line_id == line_id, EntitlementUsage.period_start == start)
        )
    ).one()
    return int(row[0]), Decimal(str(row[1])), Decimal(str(row[2]))


def _granted(requested: Decimal, quota: Decimal | None, used: Decimal) -> Decimal:
    if quota is None:
        return requested
    return max(ZERO, min(requested, quota - used))


def _granted_int(requested: int, quota: int | None, used: int) -> int:
    if quota is None:
        return requested
    return max(0, min(requested, quota - used))


def _grant(usage: EntitlementUsage, *, replayed: bool) -> Grant:
    return Grant(
        line_id=usage.line_id,
        work_order_ref=usage.work_order_ref,
        period_start=usage.period_start,
        visits=usage.visits,
        hours=Decimal(usage.hours),
        parts_value=Decimal(usage.parts_value),
        replayed=replayed,
    )
