"""Coverage calendars and service levels: /api/v1/coverage-calendars, /api/v1/service-levels.

Contract administrators (and admins) maintain them; all staff may read them, since agents and
planners quote SLA due times from them.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.service_levels import CoverageCalendarOut, ServiceLevelOut, calendar_out, service_level_out
from api.security import STAFF, allow
from contracts.services import calendars, service_levels
from core.auth import Principal, Role

WRITERS = {Role.ADMIN, Role.CONTRACT_ADMIN}
READERS = STAFF


class CoverageCalendarController(Controller):
    path = "/api/v1/coverage-calendars"
    tags = ["service levels"]

    @get("/", summary="List coverage calendars", **allow(READERS))
    async def list_calendars(
        self,
        db_session: DbSession,
        page: Paging,
        q: Annotated[str | None, QueryParameter(max_length=100, description="code or name contains")] = None,
    ) -> PageOut[CoverageCalendarOut]:
        return page_out(await calendars.list_calendars(db_session, q, page), calendar_out)

    @post("/", summary="Create a coverage calendar", **allow(WRITERS))
    async def create_calendar(
        self, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[calendars.CalendarCreate]
    ) -> CoverageCalendarOut:
        return calendar_out(await calendars.create_calendar(db_session, request.user, data))

    @get("/{calendar_id:uuid}", summary="One coverage calendar", **allow(READERS))
    async def get_calendar(self, db_session: DbSession, calendar_id: FromPath[UUID]) -> CoverageCalendarOut:
        return calendar_out(await calendars.get_calendar(db_session, calendar_id))

    @patch("/{calendar_id:uuid}", summary="Change a coverage calendar (send the version you read)", **allow(WRITERS))
    async def update_calendar(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        calendar_id: FromPath[UUID],
        data: JSONBody[calendars.CalendarUpdate],
    ) -> CoverageCalendarOut:
        return calendar_out(await calendars.update_calendar(db_session, request.user, calendar_id, data))

    @delete("/{calendar_id:uuid}", summary="Delete a calendar no service level uses", **allow(WRITERS))
    async def delete_calendar(
        self, db_session: DbSession, request: Request[Principal, Any, Any], calendar_id: FromPath[UUID]
    ) -> None:
        await calendars.delete_calendar(db_session, request.user, calendar_id)


class ServiceLevelController(Controller):
    path = "/api/v1/service-levels"
    tags = ["service levels"]

    @get("/", summary="List service levels with their targets", **allow(READERS))
    async def list_service_levels(
        self,
        db_session: DbSession,
        page: Paging,
        q: Annotated[str | None, QueryParameter(max_length=100, description="code or name contains")] = None,
        calendar_id: Annotated[UUID | None, QueryParameter()] = None,
    ) -> PageOut[ServiceLevelOut]:
        found = await service_levels.list_service_levels(db_session, q, calendar_id, page)
        return page_out(found, service_level_out)

    @post("/", summary="Create a service level with targets for P1–P4", **allow(WRITERS))
    async def create_service_level(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        data: JSONBody[service_levels.ServiceLevelCreate],
    ) -> ServiceLevelOut:
        return service_level_out(await service_levels.create_service_level(db_session, request.user, data))

    @get("/{level_id:uuid}", summary="One service level", **allow(READERS))
    async def get_service_level(self, db_session: DbSession, level_id: FromPath[UUID]) -> ServiceLevelOut:
        return service_level_out(await service_levels.get_service_level(db_session, level_id))

    @patch(
        "/{level_id:uuid}",
        summary="Change a service level; targets, when sent, replace all four (send the version you read)",
        **allow(WRITERS),
    )
    async def update_service_level(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        level_id: FromPath[UUID],
        data: JSONBody[service_levels.ServiceLevelUpdate],
    ) -> ServiceLevelOut:
        return service_level_out(await service_levels.update_service_level(db_session, request.user, level_id, data))

    @delete("/{level_id:uuid}", summary="Delete a service level no term or contract line uses", **allow(WRITERS))
    async def delete_service_level(
        self, db_session: DbSession, request: Request[Principal, Any, Any], level_id: FromPath[UUID]
    ) -> None:
        await service_levels.delete_service_level(db_session, request.user, level_id)
