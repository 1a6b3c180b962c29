"""Credit management: /api/v1/credit (accounts, holds, the credit check, overrides)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.credit import (
    CreditAccountOut,
    CreditCheckOut,
    CreditOverrideOut,
    credit_account_out,
    credit_check_out,
    credit_override_out,
)
from api.security import STAFF, allow
from contracts.services import credit as service
from core.auth import Principal, Role
from masterdata.services.visibility import customer_scope

MANAGERS = {Role.ADMIN, Role.CONTRACT_ADMIN}
CHECKERS = {Role.ADMIN, Role.CONTRACT_ADMIN, Role.AGENT, Role.PLANNER}
# Approving an override is the second pair of eyes, which the domain gives to contract_admin only.
APPROVERS = {Role.CONTRACT_ADMIN}


class CreditController(Controller):
    path = "/api/v1/credit"
    tags = ["credit"]

    @get("/accounts", summary="List credit accounts", **allow(STAFF))
    async def list_accounts(
        self,
        db_session: DbSession,
        page: Paging,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
        on_hold: Annotated[bool | None, QueryParameter()] = None,
        currency: Annotated[str | None, QueryParameter(pattern=r"^[A-Z]{3}$")] = None,
    ) -> PageOut[CreditAccountOut]:
        filters = service.CreditAccountFilter(customer_id=customer_id, on_hold=on_hold, currency=currency)
        return page_out(await service.list_accounts(db_session, filters, page), credit_account_out)

    @post("/accounts", summary="Open the credit account of a customer (one per customer)", **allow(MANAGERS))
    async def create_account(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        data: JSONBody[service.CreditAccountCreate],
    ) -> CreditAccountOut:
        return credit_account_out(await service.create_account(db_session, request.user, data))

    @get(
        "/accounts/{customer_id:uuid}",
        summary="The credit account of a customer (customer users: their own only)",
        **allow(STAFF | {Role.CUSTOMER}),
    )
    async def get_account(
        self, db_session: DbSession, request: Request[Principal, Any, Any], customer_id: FromPath[UUID]
    ) -> CreditAccountOut:
        scope = await customer_scope(db_session, request.user)
        view = await service.get_account(db_session, customer_id, scope=scope)
        return credit_account_out(view, for_customer=request.user.is_customer)

    @patch(
        "/accounts/{customer_id:uuid}",
        summary="Change limit, currency, tolerance or opening figures (send the version you read)",
        **allow(MANAGERS),
    )
    async def update_account(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        customer_id: FromPath[UUID],
        data: JSONBody[service.CreditAccountUpdate],
    ) -> CreditAccountOut:
        return credit_account_out(await service.update_account(db_session, request.user, customer_id, data))

    @post(
        "/accounts/{customer_id:uuid}/hold",
        summary="Put the account on credit hold (needs a reason); applies to every later check",
        status_code=HTTP_200_OK,
        **allow(MANAGERS),
    )
    async def set_hold(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        customer_id: FromPath[UUID],
        data: JSONBody[service.HoldSet],
    ) -> CreditAccountOut:
        return credit_account_out(await service.set_hold(db_session, request.user, customer_id, data))

    @post(
        "/accounts/{customer_id:uuid}/release",
        summary="Release the credit hold",
        status_code=HTTP_200_OK,
        **allow(MANAGERS),
    )
    async def release_hold(
        self, db_session: DbSession, request: Request[Principal, Any, Any], customer_id: FromPath[UUID]
    ) -> CreditAccountOut:
        return credit_account_out(await service.release_hold(db_session, request.user, customer_id))

    @post(
        "/check",
        summary="Check an amount against a customer's credit: pass, fail or hold, with reasons",
        status_code=HTTP_200_OK,
        **allow(CHECKERS),
    )
    async def check(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        data: JSONBody[service.CreditCheckRequest],
    ) -> CreditCheckOut:
        decision = await service.run_credit_check(
            db_session, request.user, data.customer_id, data.amount, data.currency, data.reference
        )
        return credit_check_out(decision, data.customer_id, data.reference)

    @post(
        "/overrides",
        summary="Approve a credit override someone else requested (four eyes: never your own)",
        **allow(APPROVERS),
    )
    async def approve_override(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        data: JSONBody[service.OverrideCreate],
    ) -> CreditOverrideOut:
        return credit_override_out(await service.approve_override(db_session, request.user, data))

    @get("/overrides", summary="List credit overrides", **allow(MANAGERS))
    async def list_overrides(
        self,
        db_session: DbSession,
        page: Paging,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
        reference: Annotated[str | None, QueryParameter(max_length=64)] = None,
        used: Annotated[bool | None, QueryParameter()] = None,
    ) -> PageOut[CreditOverrideOut]:
        filters = service.OverrideFilter(customer_id=customer_id, reference=reference, used=used)
        return page_out(await service.list_overrides(db_session, filters, page), credit_override_out)
