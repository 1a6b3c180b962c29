"""The published plan's KPIs, measured like a run's (``plan_json.kpis_of``: same keys, same way), so
the board can show a run's KPIs beside what is published now."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from service_mgmt.dispatch.plan_json import kpis_of
from service_mgmt.dispatch.problem_builder import HorizonSpec
from service_mgmt.dispatch.published import PublishedCache, load_published
from service_mgmt.dispatch.runs import policy_of


async def published_kpis(
    session: AsyncSession,
    _actor: Principal,
    *,
    first_day: dt.date | None = None,
    days: int = 1,
    policy: str = "balanced",
    territories: tuple[str, ...] = (),
    cache: PublishedCache | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> dict[str, Any]:
    now = clock.now()
    chosen = policy_of(policy)
    horizon = HorizonSpec(first_day=first_day or now.date(), days=days, territories=territories)
    published = await load_published(session, horizon, chosen, now, cache)
    return kpis_of(published.built, published.plan)
