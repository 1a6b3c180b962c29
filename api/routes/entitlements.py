"""The entitlement check: /api/v1/entitlements/check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Request, post
from litestar.params import JSONBody

from api.deps import DbSession
from api.schemas.entitlements import DecisionOut, decision_out
from api.security import STAFF, allow
from core.auth import Principal, Role
from service_mgmt.services.entitlement_check import EntitlementQuery, run_entitlement_check


def allow_read_only(*roles: Any) -> dict[str, Any]:
    """Role guard plus a read-only session: the check changes nothing."""
    kwargs = allow(*roles)
    kwargs["opt"] = {**kwargs["opt"], "read_only": True}
    return kwargs


@post(
    "/api/v1/entitlements/check",
    tags=["entitlements"],
    summary="Which warranty or contract line covers this work, with SLA due times and every candidate's reason",
    status_code=200,
    **allow_read_only(STAFF, Role.CUSTOMER),
)
async def check_entitlement(
    db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[EntitlementQuery]
) -> DecisionOut:
    decision = await run_entitlement_check(db_session, request.user, data, datetime.now(UTC))
    return decision_out(decision)
