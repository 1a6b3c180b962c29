"""A service request's SLA clocks: /api/v1/service-requests/{id}/sla."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import FromPath

from api.deps import DbSession
from api.schemas.sla import RequestSlaOut, request_sla_out
from api.security import STAFF, allow
from core.auth import Principal, Role
from core.clock import SYSTEM_CLOCK, Clock
from service_mgmt.services.sla_monitor import request_sla

READERS = STAFF | {Role.CUSTOMER}  # a customer sees its own requests only
CLOCK: Clock = SYSTEM_CLOCK


@get(
    "/api/v1/service-requests/{request_id:uuid}/sla",
    summary="Due times (moved by pauses), the share of each target used, and the alerts raised",
    tags=["service requests"],
    **allow(READERS),
)
async def get_request_sla(
    db_session: DbSession, state: State, request: Request[Principal, Any, Any], request_id: FromPath[UUID]
) -> RequestSlaOut:
    view = await request_sla(
        db_session, request.user, request_id, CLOCK.now(), warning_share=state.settings.sla_warning_share
    )
    return request_sla_out(view)
