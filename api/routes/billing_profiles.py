"""Billing profiles (/api/v1/billing-profiles) and a customer's resolved bill-to."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.billing_profiles import BillingProfileOut, BillToOut, bill_to_out, billing_profile_out
from api.security import allow
from contracts.services import billing_profiles as service
from core.auth import Principal, Role
from masterdata.services.visibility import customer_scope

EDITORS = {Role.CONTRACT_ADMIN}
# Invoicing details matter to whoever talks to the customer about money; customers see their own.
READERS = {Role.CONTRACT_ADMIN, Role.MANAGER, Role.AGENT, Role.CUSTOMER}


class BillingProfileController(Controller):
    path = "/api/v1/billing-profiles"
    tags = ["billing"]

    @get("/", summary="List billing profiles (customer users: their own only)", **allow(READERS))
    async def list_profiles(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
        bill_to_customer_id: Annotated[UUID | None, QueryParameter()] = None,
        country: Annotated[str | None, QueryParameter(pattern=r"^[A-Za-z]{2}$")] = None,
    ) -> PageOut[BillingProfileOut]:
        filters = service.BillingProfileFilter(
            customer_id=customer_id, bill_to_customer_id=bill_to_customer_id, country=country
        )
        scope = await customer_scope(db_session, request.user)
        found = await service.list_profiles(db_session, filters, page, scope=scope)
        return page_out(found, billing_profile_out)

    @post(
        "/",
        summary="Create the billing profile of a customer (one per customer; tax defaults from the country)",
        **allow(EDITORS),
    )
    async def create_profile(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        state: State,
        data: JSONBody[service.BillingProfileCreate],
    ) -> BillingProfileOut:
        profile = await service.create_profile(db_session, request.user, data, state.settings.billing)
        return billing_profile_out(profile)

    @get("/{profile_id:uuid}", summary="A billing profile (customer users: their own only)", **allow(READERS))
    async def get_profile(
        self, db_session: DbSession, request: Request[Principal, Any, Any], profile_id: FromPath[UUID]
    ) -> BillingProfileOut:
        scope = await customer_scope(db_session, request.user)
        return billing_profile_out(await service.get_profile(db_session, profile_id, scope=scope))

    @patch(
        "/{profile_id:uuid}",
        summary="Change a billing profile (send the version you read; tax_rate null derives the default)",
        **allow(EDITORS),
    )
    async def update_profile(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        state: State,
        profile_id: FromPath[UUID],
        data: JSONBody[service.BillingProfileUpdate],
    ) -> BillingProfileOut:
        profile = await service.update_profile(db_session, request.user, profile_id, data, state.settings.billing)
        return billing_profile_out(profile)


@get(
    "/api/v1/customers/{customer_id:uuid}/bill-to",
    summary="Who a customer's invoices go to, with tax rate and payment terms, as billing resolves it",
    tags=["billing"],
    **allow(READERS),
)
async def get_bill_to(
    db_session: DbSession, request: Request[Principal, Any, Any], state: State, customer_id: FromPath[UUID]
) -> BillToOut:
    scope = await customer_scope(db_session, request.user)
    resolved = await service.resolved_bill_to(db_session, customer_id, state.settings.billing, scope=scope)
    return bill_to_out(resolved)
