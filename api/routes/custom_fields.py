"""Custom field definitions: /api/v1/custom-fields (admins define; staff read to render forms)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from api.deps import DbSession
from api.schemas.custom_fields import CustomFieldOut, ViolationsOut, custom_field_out, violations_out
from api.security import STAFF, allow
from core.auth import Principal, Role
from masterdata.custom_fields import definitions as service
from masterdata.custom_fields.violations import violations
from masterdata.models.custom_fields import CustomEntity


class CustomFieldController(Controller):
    path = "/api/v1/custom-fields"
    tags = ["custom fields"]

    @get("/", summary="List custom field definitions", **allow(STAFF))
    async def list_custom_fields(
        self,
        db_session: DbSession,
        entity: Annotated[CustomEntity | None, QueryParameter()] = None,
        archived: Annotated[bool | None, QueryParameter(description="false (default): live ones only")] = False,
    ) -> list[CustomFieldOut]:
        filters = service.DefinitionFilter(entity=entity, archived=archived)
        return [custom_field_out(d) for d in await service.list_definitions(db_session, filters)]

    @post("/", summary="Define a custom field", **allow(Role.ADMIN))
    async def create_custom_field(
        self, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[service.DefinitionCreate]
    ) -> CustomFieldOut:
        return custom_field_out(await service.create_definition(db_session, request.user, data))

    @get("/{field_id:uuid}", summary="One custom field definition", **allow(STAFF))
    async def get_custom_field(self, db_session: DbSession, field_id: FromPath[UUID]) -> CustomFieldOut:
        return custom_field_out(await service.get_definition(db_session, field_id))

    @patch(
        "/{field_id:uuid}",
        summary="Change a custom field (a new name keeps the values; archived: false restores it)",
        **allow(Role.ADMIN),
    )
    async def update_custom_field(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        field_id: FromPath[UUID],
        data: JSONBody[service.DefinitionUpdate],
    ) -> CustomFieldOut:
        return custom_field_out(await service.update_definition(db_session, request.user, field_id, data))

    @get(
        "/{field_id:uuid}/violations",
        summary="Records whose stored value no longer passes the field's current rules (first 500)",
        **allow(Role.ADMIN),
    )
    async def custom_field_violations(self, db_session: DbSession, field_id: FromPath[UUID]) -> ViolationsOut:
        return violations_out(await violations(db_session, field_id))

    @delete("/{field_id:uuid}", summary="Archive a custom field (its values are kept)", **allow(Role.ADMIN))
    async def archive_custom_field(
        self, db_session: DbSession, request: Request[Principal, Any, Any], field_id: FromPath[UUID]
    ) -> None:
        await service.archive_definition(db_session, request.user, field_id)
