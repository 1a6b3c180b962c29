"""Engineers: /api/v1/engineers, with absences and availability below each engineer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.engineers import (
    AbsenceOut,
    AvailabilityOut,
    EngineerOut,
    absence_out,
    availability_out,
    engineer_out,
)
from api.security import STAFF, allow
from core.auth import Principal, Role
from masterdata.services import absences
from masterdata.services import engineers as service

WRITERS = {Role.ADMIN, Role.PLANNER}
# A technician reads only its own engineer record (the service answers 404 for others).
READERS = STAFF | {Role.TECHNICIAN}


class EngineerController(Controller):
    path = "/api/v1/engineers"
    tags = ["engineers"]

    @get("/", summary="List engineers (a technician sees only itself)", **allow(READERS))
    async def list_engineers(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        q: Annotated[str | None, QueryParameter(max_length=100, description="name or number contains")] = None,
        territory: Annotated[str | None, QueryParameter(max_length=64)] = None,
        skill: Annotated[str | None, QueryParameter(max_length=64, description="has this skill")] = None,
        min_level: Annotated[int | None, QueryParameter(ge=1, le=5, description="with at least this level")] = None,
        active: Annotated[bool | None, QueryParameter()] = None,
    ) -> PageOut[EngineerOut]:
        filters = service.EngineerFilter(q=q, territory=territory, skill=skill, min_level=min_level, active=active)
        return page_out(await service.list_engineers(db_session, request.user, filters, page), engineer_out)

    @post("/", summary="Create an engineer with skills, certifications and working hours", **allow(WRITERS))
    async def create_engineer(
        self, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[service.EngineerCreate]
    ) -> EngineerOut:
        return engineer_out(await service.create_engineer(db_session, request.user, data))

    @get("/{engineer_id:uuid}", summary="One engineer with skills, certifications and pattern", **allow(READERS))
    async def get_engineer(
        self, db_session: DbSession, request: Request[Principal, Any, Any], engineer_id: FromPath[UUID]
    ) -> EngineerOut:
        return engineer_out(await service.get_engineer(db_session, request.user, engineer_id))

    @patch(
        "/{engineer_id:uuid}",
        summary="Change an engineer (send the version you read; nested lists sent replace the old ones)",
        **allow(WRITERS),
    )
    async def update_engineer(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        engineer_id: FromPath[UUID],
        data: JSONBody[service.EngineerUpdate],
    ) -> EngineerOut:
        return engineer_out(await service.update_engineer(db_session, request.user, engineer_id, data))

    @get("/{engineer_id:uuid}/absences", summary="Absences of an engineer", **allow(READERS))
    async def list_absences(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        engineer_id: FromPath[UUID],
        page: Paging,
        ends_after: Annotated[
            dt.datetime | None, QueryParameter(description="only absences ending after this instant")
        ] = None,
    ) -> PageOut[AbsenceOut]:
        found = await absences.list_absences(db_session, request.user, engineer_id, ends_after, page)
        return page_out(found, absence_out)

    @post("/{engineer_id:uuid}/absences", summary="Record an absence (UTC instants)", **allow(WRITERS))
    async def add_absence(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        engineer_id: FromPath[UUID],
        data: JSONBody[absences.AbsenceCreate],
    ) -> AbsenceOut:
        return absence_out(await absences.add_absence(db_session, request.user, engineer_id, data))

    @delete("/{engineer_id:uuid}/absences/{absence_id:uuid}", summary="Remove an absence", **allow(WRITERS))
    async def remove_absence(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        engineer_id: FromPath[UUID],
        absence_id: FromPath[UUID],
    ) -> None:
        await absences.remove_absence(db_session, request.user, engineer_id, absence_id)

    @get(
        "/{engineer_id:uuid}/availability",
        summary=f"Working intervals per local day, in UTC, minus absences (at most {absences.MAX_DAYS} days)",
        **allow(READERS),
    )
    async def availability(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        engineer_id: FromPath[UUID],
        first: Annotated[
            str | None, QueryParameter(name="from", description="first local day, YYYY-MM-DD (required)")
        ] = None,
        last: Annotated[
            str | None, QueryParameter(name="to", description="last local day, inclusive (required)")
        ] = None,
    ) -> AvailabilityOut:
        result = await absences.engineer_availability(db_session, request.user, engineer_id, first, last)
        return availability_out(result)
