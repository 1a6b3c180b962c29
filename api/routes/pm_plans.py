"""Preventive maintenance plans, their calls and forecasts: /api/v1/pm-plans.

Customers read the plans of their own units and contracts (what maintenance they are owed);
other plans answer 404. Contract admins manage plans on contract lines only (the service says 403
for a plan on one unit).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.pm_plans import (
    ForecastOut,
    GenerationOut,
    PmCallOut,
    PmPlanOut,
    forecast_out,
    generation_out,
    pm_call_out,
    pm_plan_out,
)
from api.security import STAFF, allow
from core.auth import Principal, Role
from service_mgmt.services import pm_calls
from service_mgmt.services import pm_plans as service

READERS = STAFF | {Role.CUSTOMER}
MANAGERS = {Role.ADMIN, Role.PLANNER, Role.CONTRACT_ADMIN}
GENERATORS = {Role.ADMIN, Role.PLANNER}


class PmPlanController(Controller):
    path = "/api/v1/pm-plans"
    tags = ["maintenance plans"]

    @get("/", summary="List maintenance plans you may see", **allow(READERS))
    async def list_plans(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        equipment_id: Annotated[UUID | None, QueryParameter()] = None,
        contract_line_id: Annotated[UUID | None, QueryParameter()] = None,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
        active: Annotated[bool | None, QueryParameter()] = None,
    ) -> PageOut[PmPlanOut]:
        filters = service.PmPlanFilter(
            equipment_id=equipment_id, contract_line_id=contract_line_id, customer_id=customer_id, active=active
        )
        return page_out(await service.list_plans(db_session, request.user, filters, page), pm_plan_out)

    @post(
        "/",
        summary="Create a plan for one unit or every unit of a contract line (contract admins: lines only)",
        **allow(MANAGERS),
    )
    async def create_plan(
        self, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[service.PmPlanCreate]
    ) -> PmPlanOut:
        return pm_plan_out(await service.create_plan(db_session, request.user, data))

    @post(
        "/generate",
        summary="Make the calls due within each plan's horizon now, for today or a given day",
        status_code=HTTP_200_OK,
        **allow(GENERATORS),
    )
    async def generate(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        data: JSONBody[pm_calls.GenerationRequest],
    ) -> GenerationOut:
        return generation_out(await pm_calls.run_generation(db_session, request.user, data))

    @get("/{plan_id:uuid}", summary="One maintenance plan", **allow(READERS))
    async def get_plan(
        self, db_session: DbSession, request: Request[Principal, Any, Any], plan_id: FromPath[UUID]
    ) -> PmPlanOut:
        return pm_plan_out(await service.find_plan(db_session, request.user, plan_id))

    @patch(
        "/{plan_id:uuid}",
        summary="Change a plan (send the version you read); calls already made stay",
        **allow(MANAGERS),
    )
    async def update_plan(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        plan_id: FromPath[UUID],
        data: JSONBody[service.PmPlanUpdate],
    ) -> PmPlanOut:
        return pm_plan_out(await service.update_plan(db_session, request.user, plan_id, data))

    @post(
        "/{plan_id:uuid}/deactivate",
        summary="Stop a plan making calls (its calls and work orders stay)",
        status_code=HTTP_200_OK,
        **allow(MANAGERS),
    )
    async def deactivate_plan(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        plan_id: FromPath[UUID],
        data: JSONBody[service.PmPlanDeactivate],
    ) -> PmPlanOut:
        return pm_plan_out(await service.deactivate_plan(db_session, request.user, plan_id, data))

    @get("/{plan_id:uuid}/calls", summary="The calls a plan made, latest due date first", **allow(READERS))
    async def list_calls(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        plan_id: FromPath[UUID],
        equipment_id: Annotated[UUID | None, QueryParameter()] = None,
    ) -> PageOut[PmCallOut]:
        found = await pm_calls.list_calls(db_session, request.user, plan_id, page, equipment_id=equipment_id)
        return page_out(found, pm_call_out)

    @get(
        "/{plan_id:uuid}/forecast",
        summary="Upcoming due dates and counter thresholds, creating nothing",
        **allow(READERS),
    )
    async def forecast(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        plan_id: FromPath[UUID],
        until: Annotated[dt.date | None, QueryParameter(description="last day to look at (default: a year)")] = None,
    ) -> ForecastOut:
        return forecast_out(await pm_calls.forecast(db_session, request.user, plan_id, until))
