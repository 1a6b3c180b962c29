"""Contacts: /api/v1/contacts."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.contacts import ContactOut, contact_out
from api.security import STAFF, allow
from core.auth import Principal, Role
from masterdata.services import contacts as service

# Customer users keep their own people up to date; the service limits them to their customers.
WRITERS = {Role.ADMIN, Role.AGENT, Role.CONTRACT_ADMIN, Role.CUSTOMER}
READERS = STAFF | {Role.CUSTOMER}


class ContactController(Controller):
    path = "/api/v1/contacts"
    tags = ["contacts"]

    @get("/", summary="List contacts you may see", **allow(READERS))
    async def list_contacts(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
        q: Annotated[str | None, QueryParameter(max_length=100, description="name or email contains")] = None,
    ) -> PageOut[ContactOut]:
        filters = service.ContactFilter(customer_id=customer_id, q=q)
        return page_out(await service.list_contacts(db_session, request.user, filters, page), contact_out)

    @post("/", summary="Create a contact at a customer", **allow(WRITERS))
    async def create_contact(
        self, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[service.ContactCreate]
    ) -> ContactOut:
        return contact_out(await service.create_contact(db_session, request.user, data))

    @get("/{contact_id:uuid}", summary="One contact", **allow(READERS))
    async def get_contact(
        self, db_session: DbSession, request: Request[Principal, Any, Any], contact_id: FromPath[UUID]
    ) -> ContactOut:
        return contact_out(await service.get_contact(db_session, request.user, contact_id))

    @patch("/{contact_id:uuid}", summary="Change a contact (send the version you read)", **allow(WRITERS))
    async def update_contact(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        contact_id: FromPath[UUID],
        data: JSONBody[service.ContactUpdate],
    ) -> ContactOut:
        return contact_out(await service.update_contact(db_session, request.user, contact_id, data))

    @delete("/{contact_id:uuid}", summary="Delete a contact", **allow(WRITERS))
    async def delete_contact(
        self, db_session: DbSession, request: Request[Principal, Any, Any], contact_id: FromPath[UUID]
    ) -> None:
        await service.delete_contact(db_session, request.user, contact_id)
