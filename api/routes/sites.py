"""Sites: /api/v1/sites."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.sites import SiteOut, site_out
from api.security import STAFF, allow
from core.auth import Principal, Role
from masterdata.custom_fields.queries import custom_params
from masterdata.custom_fields.records import CustomView
from masterdata.models.custom_fields import CustomEntity
from masterdata.services import sites as service

WRITERS = {Role.ADMIN, Role.AGENT}
READERS = STAFF | {Role.CUSTOMER}


class SiteController(Controller):
    path = "/api/v1/sites"
    tags = ["sites"]

    @get("/", summary="List sites you may see", **allow(READERS))
    async def list_sites(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
        country: Annotated[str | None, QueryParameter(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")] = None,
        q: Annotated[str | None, QueryParameter(max_length=100, description="name or city contains")] = None,
        territory: Annotated[
            str | None, QueryParameter(min_length=1, max_length=64, description="dispatch territory, exactly")
        ] = None,
    ) -> PageOut[SiteOut]:
        filters = service.SiteFilter(
            customer_id=customer_id,
            country=country,
            q=q,
            territory=territory,
            custom=custom_params(dict(request.query_params)),
        )
        return page_out(
            await service.list_sites(db_session, request.user, filters, page),
            partial(site_out, view=await _view(db_session, request.user)),
        )

    @post("/", summary="Create a site for a customer", **allow(WRITERS))
    async def create_site(
        self, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[service.SiteCreate]
    ) -> SiteOut:
        return site_out(
            await service.create_site(db_session, request.user, data), await _view(db_session, request.user)
        )

    @get("/{site_id:uuid}", summary="One site", **allow(READERS))
    async def get_site(
        self, db_session: DbSession, request: Request[Principal, Any, Any], site_id: FromPath[UUID]
    ) -> SiteOut:
        return site_out(
            await service.get_site(db_session, request.user, site_id), await _view(db_session, request.user)
        )

    @patch("/{site_id:uuid}", summary="Change a site (send the version you read)", **allow(WRITERS))
    async def update_site(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        site_id: FromPath[UUID],
        data: JSONBody[service.SiteUpdate],
    ) -> SiteOut:
        return site_out(
            await service.update_site(db_session, request.user, site_id, data), await _view(db_session, request.user)
        )

    @delete("/{site_id:uuid}", summary="Delete a site nothing refers to", **allow(WRITERS))
    async def delete_site(
        self, db_session: DbSession, request: Request[Principal, Any, Any], site_id: FromPath[UUID]
    ) -> None:
        await service.delete_site(db_session, request.user, site_id)


async def _view(session: AsyncSession, principal: Principal) -> CustomView:
    return await CustomView.load(session, principal, CustomEntity.SITE)
