"""Products: /api/v1/products (the catalogue; everyone reads it)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.products import ProductOut, product_out
from api.security import EVERYONE, allow
from core.auth import Principal, Role
from masterdata.choices import ProductKind
from masterdata.services import products as service

WRITERS = {Role.ADMIN, Role.CONTRACT_ADMIN}


class ProductController(Controller):
    path = "/api/v1/products"
    tags = ["products"]

    @get("/", summary="List products", **allow(EVERYONE))
    async def list_products(
        self,
        db_session: DbSession,
        page: Paging,
        q: Annotated[str | None, QueryParameter(max_length=100, description="sku or name contains")] = None,
        kind: Annotated[ProductKind | None, QueryParameter()] = None,
        family: Annotated[str | None, QueryParameter(max_length=80)] = None,
        serialized: Annotated[bool | None, QueryParameter()] = None,
        active: Annotated[bool | None, QueryParameter()] = None,
    ) -> PageOut[ProductOut]:
        filters = service.ProductFilter(q=q, kind=kind, family=family, serialized=serialized, active=active)
        return page_out(await service.list_products(db_session, filters, page), product_out)

    @post("/", summary="Create a product", **allow(WRITERS))
    async def create_product(
        self, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[service.ProductCreate]
    ) -> ProductOut:
        return product_out(await service.create_product(db_session, request.user, data))

    @get("/{product_id:uuid}", summary="One product", **allow(EVERYONE))
    async def get_product(self, db_session: DbSession, product_id: FromPath[UUID]) -> ProductOut:
        return product_out(await service.get_product(db_session, product_id))

    @patch("/{product_id:uuid}", summary="Change a product (send the version you read)", **allow(WRITERS))
    async def update_product(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        product_id: FromPath[UUID],
        data: JSONBody[service.ProductUpdate],
    ) -> ProductOut:
        return product_out(await service.update_product(db_session, request.user, product_id, data))

    @delete("/{product_id:uuid}", summary="Delete a product nothing refers to", **allow(WRITERS))
    async def delete_product(
        self, db_session: DbSession, request: Request[Principal, Any, Any], product_id: FromPath[UUID]
    ) -> None:
        await service.delete_product(db_session, request.user, product_id)
