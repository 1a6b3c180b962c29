"""Knowledge codes (symptom and resolution codes): /api/v1/knowledge-codes."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.knowledge_codes import KnowledgeCodeOut, knowledge_code_out
from api.security import STAFF, allow
from core.auth import Principal, Role
from service_mgmt.choices import KnowledgeKind
from service_mgmt.services import knowledge_codes as service

# Everyone who logs calls, plans, works or watches picks from the catalogue (technicians
# report resolution codes); admins and service managers keep it.
READERS = STAFF | {Role.TECHNICIAN}
KEEPERS = {Role.ADMIN, Role.MANAGER}

Caller = Request[Principal, Any, Any]


class KnowledgeCodeController(Controller):
    path = "/api/v1/knowledge-codes"
    tags = ["knowledge codes"]

    @get("/", summary="List symptom and resolution codes", **allow(READERS))
    async def list_codes(
        self,
        db_session: DbSession,
        page: Paging,
        kind: Annotated[KnowledgeKind | None, QueryParameter()] = None,
        product_family: Annotated[
            str | None,
            QueryParameter(max_length=80, description="codes of this family and codes for any product"),
        ] = None,
        active: Annotated[bool | None, QueryParameter()] = None,
        q: Annotated[str | None, QueryParameter(max_length=100, description="code or description contains")] = None,
    ) -> PageOut[KnowledgeCodeOut]:
        filters = service.KnowledgeCodeFilter(kind=kind, product_family=product_family, active=active, q=q)
        return page_out(await service.list_codes(db_session, filters, page), knowledge_code_out)

    @post("/", summary="Add a symptom or resolution code (kept in upper case)", **allow(KEEPERS))
    async def create_code(
        self, db_session: DbSession, request: Caller, data: JSONBody[service.KnowledgeCodeCreate]
    ) -> KnowledgeCodeOut:
        return knowledge_code_out(await service.create_code(db_session, request.user, data))

    @get("/{code_id:uuid}", summary="One knowledge code", **allow(READERS))
    async def get_code(self, db_session: DbSession, code_id: FromPath[UUID]) -> KnowledgeCodeOut:
        return knowledge_code_out(await service.get_code(db_session, code_id))

    @patch(
        "/{code_id:uuid}",
        summary="Change a code's description, family or guidance, or deactivate it (active: false)",
        **allow(KEEPERS),
    )
    async def update_code(
        self,
        db_session: DbSession,
        request: Caller,
        code_id: FromPath[UUID],
        data: JSONBody[service.KnowledgeCodeUpdate],
    ) -> KnowledgeCodeOut:
        return knowledge_code_out(await service.update_code(db_session, request.user, code_id, data))
