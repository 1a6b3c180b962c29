"""Job templates (incident types): /api/v1/job-templates."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.job_templates import JobTemplateOut, job_template_out
from api.security import STAFF, allow
from contracts.choices import ServiceType
from core.auth import Principal, Role
from service_mgmt.services import job_templates as service

WRITERS = {Role.ADMIN, Role.PLANNER}


class JobTemplateController(Controller):
    path = "/api/v1/job-templates"
    tags = ["job templates"]

    @get("/", summary="List job templates", **allow(STAFF))
    async def list_templates(
        self,
        db_session: DbSession,
        page: Paging,
        q: Annotated[str | None, QueryParameter(max_length=100, description="code or name contains")] = None,
        service_type: Annotated[ServiceType | None, QueryParameter()] = None,
        product_family: Annotated[str | None, QueryParameter(max_length=80)] = None,
        active: Annotated[bool | None, QueryParameter()] = None,
    ) -> PageOut[JobTemplateOut]:
        filters = service.JobTemplateFilter(
            q=q, service_type=service_type, product_family=product_family, active=active
        )
        return page_out(await service.list_templates(db_session, filters, page), job_template_out)

    @post("/", summary="Create a job template with its tasks", **allow(WRITERS))
    async def create_template(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        data: JSONBody[service.JobTemplateCreate],
    ) -> JobTemplateOut:
        return job_template_out(await service.create_template(db_session, request.user, data))

    @get("/{template_id:uuid}", summary="One job template with its tasks", **allow(STAFF))
    async def get_template(self, db_session: DbSession, template_id: FromPath[UUID]) -> JobTemplateOut:
        return job_template_out(await service.get_template(db_session, template_id))

    @patch(
        "/{template_id:uuid}",
        summary="Change a job template; sent tasks replace all of them (send the version you read)",
        **allow(WRITERS),
    )
    async def update_template(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        template_id: FromPath[UUID],
        data: JSONBody[service.JobTemplateUpdate],
    ) -> JobTemplateOut:
        return job_template_out(await service.update_template(db_session, request.user, template_id, data))

    @delete("/{template_id:uuid}", summary="Delete a job template no work order was made from", **allow(WRITERS))
    async def delete_template(
        self, db_session: DbSession, request: Request[Principal, Any, Any], template_id: FromPath[UUID]
    ) -> None:
        await service.delete_template(db_session, request.user, template_id)
