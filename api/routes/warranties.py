"""Warranty terms, product default terms and warranties.

/api/v1/warranty-terms, /api/v1/products/{id}/warranty-term, /api/v1/warranties and
/api/v1/equipment/{id}/warranties. Contract administrators (and admins) maintain terms and
sell or void warranties; staff read everything; a customer user reads the warranties of its
own customers only, and anything else answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.warranties import (
    ProductWarrantyTermOut,
    WarrantyOut,
    WarrantyTermOut,
    product_term_out,
    term_out,
    warranty_out,
)
from api.security import STAFF, allow
from contracts.choices import WarrantyKind
from contracts.services import warranties as service
from core.auth import Principal, Role
from masterdata.services.visibility import customer_scope

WRITERS = {Role.ADMIN, Role.CONTRACT_ADMIN}
TERM_READERS = STAFF
WARRANTY_READERS = STAFF | {Role.CUSTOMER}


class WarrantyTermController(Controller):
    path = "/api/v1/warranty-terms"
    tags = ["warranties"]

    @get("/", summary="List warranty terms", **allow(TERM_READERS))
    async def list_terms(
        self,
        db_session: DbSession,
        page: Paging,
        q: Annotated[str | None, QueryParameter(max_length=100, description="code or name contains")] = None,
    ) -> PageOut[WarrantyTermOut]:
        return page_out(await service.list_terms(db_session, q, page), term_out)

    @post("/", summary="Create a warranty term", **allow(WRITERS))
    async def create_term(
        self, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[service.WarrantyTermCreate]
    ) -> WarrantyTermOut:
        return term_out(await service.create_term(db_session, request.user, data))

    @get("/{term_id:uuid}", summary="One warranty term", **allow(TERM_READERS))
    async def get_term(self, db_session: DbSession, term_id: FromPath[UUID]) -> WarrantyTermOut:
        return term_out(await service.get_term(db_session, term_id))

    @patch("/{term_id:uuid}", summary="Change a warranty term (send the version you read)", **allow(WRITERS))
    async def update_term(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        term_id: FromPath[UUID],
        data: JSONBody[service.WarrantyTermUpdate],
    ) -> WarrantyTermOut:
        return term_out(await service.update_term(db_session, request.user, term_id, data))

    @delete("/{term_id:uuid}", summary="Delete a term no product or warranty uses", **allow(WRITERS))
    async def delete_term(
        self, db_session: DbSession, request: Request[Principal, Any, Any], term_id: FromPath[UUID]
    ) -> None:
        await service.delete_term(db_session, request.user, term_id)


class ProductWarrantyTermController(Controller):
    path = "/api/v1/products/{product_id:uuid}/warranty-term"
    tags = ["warranties"]

    @get("/", summary="The default warranty term of a product (term is null when it has none)", **allow(TERM_READERS))
    async def get_product_term(self, db_session: DbSession, product_id: FromPath[UUID]) -> ProductWarrantyTermOut:
        return product_term_out(product_id, await service.get_product_term(db_session, product_id))

    @put("/", summary="Set the default warranty term new units of the product get", **allow(WRITERS))
    async def set_product_term(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        product_id: FromPath[UUID],
        data: JSONBody[service.ProductTermChoice],
    ) -> ProductWarrantyTermOut:
        term = await service.set_product_term(db_session, request.user, product_id, data.term_id)
        return product_term_out(product_id, term)

    @delete("/", summary="Remove the product's default term (existing warranties stay)", **allow(WRITERS))
    async def clear_product_term(
        self, db_session: DbSession, request: Request[Principal, Any, Any], product_id: FromPath[UUID]
    ) -> None:
        await service.clear_product_term(db_session, request.user, product_id)


class WarrantyController(Controller):
    path = "/api/v1/warranties"
    tags = ["warranties"]

    @get("/", summary="List warranties you may see", **allow(WARRANTY_READERS))
    async def list_warranties(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        equipment_id: Annotated[UUID | None, QueryParameter()] = None,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
        active_on: Annotated[
            dt.date | None, QueryParameter(description="only warranties in force on this day (not void)")
        ] = None,
        kind: Annotated[WarrantyKind | None, QueryParameter()] = None,
    ) -> PageOut[WarrantyOut]:
        filters = service.WarrantyFilter(
            equipment_id=equipment_id, customer_id=customer_id, active_on=active_on, kind=kind
        )
        scope = await customer_scope(db_session, request.user)
        return page_out(await service.list_warranties(db_session, filters, page, scope), warranty_out)

    @post("/", summary="Sell an extended warranty for a unit", **allow(WRITERS))
    async def sell_extended_warranty(
        self, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[service.WarrantySale]
    ) -> WarrantyOut:
        return warranty_out(await service.sell_extended_warranty(db_session, request.user, data))

    @get("/{warranty_id:uuid}", summary="One warranty", **allow(WARRANTY_READERS))
    async def get_warranty(
        self, db_session: DbSession, request: Request[Principal, Any, Any], warranty_id: FromPath[UUID]
    ) -> WarrantyOut:
        scope = await customer_scope(db_session, request.user)
        return warranty_out(await service.get_warranty(db_session, warranty_id, scope))

    @post(
        "/{warranty_id:uuid}/void",
        summary="Void a warranty: it covers nothing from now on (send the version you read)",
        status_code=HTTP_200_OK,
        **allow(WRITERS),
    )
    async def void_warranty(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        warranty_id: FromPath[UUID],
        data: JSONBody[service.WarrantyVoid],
    ) -> WarrantyOut:
        return warranty_out(await service.void_warranty(db_session, request.user, warranty_id, data))


class EquipmentWarrantyController(Controller):
    path = "/api/v1/equipment/{equipment_id:uuid}/warranties"
    tags = ["warranties"]

    @get("/", summary="Every warranty of one unit, oldest first", **allow(WARRANTY_READERS))
    async def list_equipment_warranties(
        self, db_session: DbSession, request: Request[Principal, Any, Any], equipment_id: FromPath[UUID]
    ) -> list[WarrantyOut]:
        scope = await customer_scope(db_session, request.user)
        return [warranty_out(v) for v in await service.list_equipment_warranties(db_session, equipment_id, scope)]
