"""KPIs for service managers: /api/v1/kpis."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import QueryParameter

from api.deps import DbSession
from api.schemas.kpis import FirstTimeFixOut, first_time_fix_out
from api.security import allow
from core.auth import Role
from core.clock import SYSTEM_CLOCK, Clock
from service_mgmt.services.first_time_fix import first_time_fix_rate, parse_day

WATCHERS = {Role.ADMIN, Role.MANAGER}
CLOCK: Clock = SYSTEM_CLOCK


@get(
    "/api/v1/kpis/first-time-fix",
    summary="First-time-fix rate of repair work orders completed in a period (final and provisional)",
    tags=["kpis"],
    **allow(WATCHERS),
)
async def first_time_fix(
    db_session: DbSession,
    # Taken as text and parsed by the service, so a malformed day is reported on "from" / "to",
    # the names the client sent.
    period_from: Annotated[
        str | None, QueryParameter(name="from", description="first day (UTC), e.g. 2026-01-01")
    ] = None,
    period_to: Annotated[str | None, QueryParameter(name="to", description="last day (UTC), inclusive")] = None,
) -> FirstTimeFixOut:
    first, last = parse_day(period_from, "from"), parse_day(period_to, "to")
    return first_time_fix_out(await first_time_fix_rate(db_session, first, last, CLOCK.now()))
