"""Service requests (calls): /api/v1/service-requests."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.service_requests import (
    ServiceRequestEventOut,
    ServiceRequestOut,
    service_request_event_out,
    service_request_out,
)
from api.security import STAFF, allow
from contracts.choices import Priority
from core.auth import Principal, Role
from core.clock import SYSTEM_CLOCK, Clock
from masterdata.custom_fields.queries import custom_params
from masterdata.custom_fields.records import CustomView
from masterdata.models.custom_fields import CustomEntity
from service_mgmt.choices import RequestStatus
from service_mgmt.services import request_lifecycle as lifecycle
from service_mgmt.services import service_requests as service

# Agents log and triage calls; customers log their own through the portal; the rest of the
# staff read (planners plan from them, managers and contract admins watch).
LOGGERS = {Role.ADMIN, Role.AGENT, Role.CUSTOMER}
TRIAGERS = {Role.ADMIN, Role.AGENT}
READERS = STAFF | {Role.CUSTOMER}
CLOCK: Clock = SYSTEM_CLOCK

Caller = Request[Principal, Any, Any]


async def _view(session: AsyncSession, request: Caller) -> CustomView:
    return await CustomView.load(session, request.user, CustomEntity.SERVICE_REQUEST)


async def _out(session: AsyncSession, request: Caller, row: Any) -> ServiceRequestOut:
    return service_request_out(row, for_customer=request.user.is_customer, view=await _view(session, request))


class ServiceRequestController(Controller):
    path = "/api/v1/service-requests"
    tags = ["service requests"]

    @get("/", summary="List service requests you may see", **allow(READERS))
    async def list_requests(
        self,
        db_session: DbSession,
        request: Caller,
        page: Paging,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
        status: Annotated[RequestStatus | None, QueryParameter()] = None,
        priority: Annotated[Priority | None, QueryParameter()] = None,
        equipment_id: Annotated[UUID | None, QueryParameter()] = None,
        overdue: Annotated[
            bool | None, QueryParameter(description="past a response or resolution due time not yet met")
        ] = None,
        q: Annotated[str | None, QueryParameter(max_length=100, description="number or symptom contains")] = None,
    ) -> PageOut[ServiceRequestOut]:
        filters = service.RequestFilter(
            customer_id=customer_id,
            status=status,
            priority=priority,
            equipment_id=equipment_id,
            overdue=overdue,
            q=q,
            custom=custom_params(dict(request.query_params)),
        )
        found = await service.list_requests(db_session, request.user, filters, page, now=CLOCK.now())
        view = await _view(db_session, request)
        return page_out(found, lambda row: service_request_out(row, for_customer=request.user.is_customer, view=view))

    @post(
        "/",
        summary="Log a call: runs the entitlement check (and the credit check for billable work) and keeps both",
        **allow(LOGGERS),
    )
    async def log_request(
        self, db_session: DbSession, request: Caller, data: JSONBody[service.RequestCreate]
    ) -> ServiceRequestOut:
        return await _out(db_session, request, await service.log_request(db_session, request.user, data, clock=CLOCK))

    @get("/{request_id:uuid}", summary="One service request with its entitlement snapshot", **allow(READERS))
    async def get_request(
        self, db_session: DbSession, request: Caller, request_id: FromPath[UUID]
    ) -> ServiceRequestOut:
        return await _out(db_session, request, await service.get_request(db_session, request.user, request_id))

    @patch(
        "/{request_id:uuid}",
        summary="Change symptom, contact or priority (a new priority re-runs the entitlement check)",
        **allow(TRIAGERS),
    )
    async def update_request(
        self,
        db_session: DbSession,
        request: Caller,
        request_id: FromPath[UUID],
        data: JSONBody[service.RequestUpdate],
    ) -> ServiceRequestOut:
        return await _out(
            db_session, request, await service.update_request(db_session, request.user, request_id, data, clock=CLOCK)
        )

    @get("/{request_id:uuid}/events", summary="What happened to a request, oldest first", **allow(READERS))
    async def list_events(
        self, db_session: DbSession, request: Caller, request_id: FromPath[UUID], page: Paging
    ) -> PageOut[ServiceRequestEventOut]:
        found = await service.list_events(db_session, request.user, request_id, page)
        return page_out(found, service_request_event_out)

    @post(
        "/{request_id:uuid}/transitions",
        summary="Move a request to another status (resolved needs a resolution_code)",
        status_code=HTTP_200_OK,
        **allow(TRIAGERS),
    )
    async def transition(
        self,
        db_session: DbSession,
        request: Caller,
        request_id: FromPath[UUID],
        data: JSONBody[lifecycle.Transition],
    ) -> ServiceRequestOut:
        return await _out(
            db_session, request, await lifecycle.transition(db_session, request.user, request_id, data, clock=CLOCK)
        )

    @post(
        "/{request_id:uuid}/wait-for-customer",
        summary="The request waits for the customer (stops the SLA clock where the service level says so)",
        status_code=HTTP_200_OK,
        **allow(TRIAGERS),
    )
    async def wait_for_customer(
        self,
        db_session: DbSession,
        request: Caller,
        request_id: FromPath[UUID],
        data: JSONBody[lifecycle.WaitChange | None] = None,
    ) -> ServiceRequestOut:
        changed = await lifecycle.wait_for_customer(
            db_session, request.user, request_id, data or lifecycle.WaitChange(), clock=CLOCK
        )
        return await _out(db_session, request, changed)

    @post(
        "/{request_id:uuid}/resume",
        summary="The customer answered: the wait ends and the SLA clock runs again",
        status_code=HTTP_200_OK,
        **allow(TRIAGERS),
    )
    async def resume(
        self,
        db_session: DbSession,
        request: Caller,
        request_id: FromPath[UUID],
        data: JSONBody[lifecycle.WaitChange | None] = None,
    ) -> ServiceRequestOut:
        changed = await lifecycle.resume(
            db_session, request.user, request_id, data or lifecycle.WaitChange(), clock=CLOCK
        )
        return await _out(db_session, request, changed)
