"""Customers: /api/v1/customers."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.customers import CustomerOut, customer_out
from api.security import EVERYONE, STAFF, allow
from core.auth import Principal, Role
from masterdata.choices import CustomerStatus
from masterdata.custom_fields.queries import custom_params
from masterdata.custom_fields.records import CustomView
from masterdata.models.custom_fields import CustomEntity
from masterdata.services import customers as service

WRITERS = {Role.ADMIN, Role.AGENT, Role.CONTRACT_ADMIN}
READERS = STAFF | {Role.CUSTOMER}


class CustomerController(Controller):
    path = "/api/v1/customers"
    tags = ["customers"]

    @get("/", summary="List customers you may see", **allow(READERS))
    async def list_customers(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        q: Annotated[str | None, QueryParameter(max_length=100, description="name or number contains")] = None,
        status: Annotated[CustomerStatus | None, QueryParameter()] = None,
        parent_id: Annotated[UUID | None, QueryParameter()] = None,
    ) -> PageOut[CustomerOut]:
        filters = service.CustomerFilter(
            q=q, status=status, parent_id=parent_id, custom=custom_params(dict(request.query_params))
        )
        return page_out(
            await service.list_customers(db_session, request.user, filters, page),
            partial(customer_out, view=await _view(db_session, request.user)),
        )

    @post("/", summary="Create a customer", **allow(WRITERS))
    async def create_customer(
        self, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[service.CustomerCreate]
    ) -> CustomerOut:
        return customer_out(
            await service.create_customer(db_session, request.user, data), await _view(db_session, request.user)
        )

    @get("/{customer_id:uuid}", summary="One customer", **allow(READERS))
    async def get_customer(
        self, db_session: DbSession, request: Request[Principal, Any, Any], customer_id: FromPath[UUID]
    ) -> CustomerOut:
        return customer_out(
            await service.get_customer(db_session, request.user, customer_id), await _view(db_session, request.user)
        )

    @patch("/{customer_id:uuid}", summary="Change a customer (send the version you read)", **allow(WRITERS))
    async def update_customer(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        customer_id: FromPath[UUID],
        data: JSONBody[service.CustomerUpdate],
    ) -> CustomerOut:
        return customer_out(
            await service.update_customer(db_session, request.user, customer_id, data),
            await _view(db_session, request.user),
        )

    @delete("/{customer_id:uuid}", summary="Delete a customer nothing refers to", **allow(Role.ADMIN))
    async def delete_customer(
        self, db_session: DbSession, request: Request[Principal, Any, Any], customer_id: FromPath[UUID]
    ) -> None:
        await service.delete_customer(db_session, request.user, customer_id)


async def _view(session: AsyncSession, principal: Principal) -> CustomView:
    return await CustomView.load(session, principal, CustomEntity.CUSTOMER)


__all__ = ["EVERYONE", "CustomerController"]
