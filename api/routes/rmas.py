"""RMAs: /api/v1/rmas (staff and the customer portal).

Customers list, read and create their own RMAs (by id or by number); another customer's RMA
answers exactly like an unknown one. Staff steps: agents authorize and reject, the depot
receives, resolves holds, ships replacements and repaired units, and closes.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import DbSession, Paging
from api.idempotency import IdempotencyKey, idempotent
from api.paging import PageOut, page_out
from api.schemas.rmas import RmaEventOut, RmaOut, rma_event_out, rma_out
from api.security import STAFF, allow
from core.auth import Principal, Role
from core.clock import SYSTEM_CLOCK, Clock
from masterdata.custom_fields.queries import custom_params
from masterdata.custom_fields.records import CustomView
from masterdata.models.custom_fields import CustomEntity
from returns.choices import RmaStatus, RmaType
from returns.services import advance_exchange, rma_receipt, rmas
from returns.services.rma_notices import NoticeLinks

CLOCK: Clock = SYSTEM_CLOCK
READERS = STAFF | {Role.CUSTOMER}
CREATORS = {Role.ADMIN, Role.AGENT, Role.CUSTOMER}
AUTHORIZERS = {Role.ADMIN, Role.AGENT, Role.DEPOT}
DEPOT = {Role.ADMIN, Role.DEPOT}
RMA_PATH = "/{rma_id:uuid}"


def _links(state: State) -> NoticeLinks:
    return NoticeLinks.of(state.settings)


async def _custom(session: AsyncSession, request: Request[Principal, Any, Any]) -> CustomView:
    return await CustomView.load(session, request.user, CustomEntity.RMA)


async def _out(session: AsyncSession, request: Request[Principal, Any, Any], rma: Any) -> RmaOut:
    return rma_out(rma, staff=not request.user.is_customer, custom=await _custom(session, request))


class RmaController(Controller):
    path = "/api/v1/rmas"
    tags = ["returns"]

    @get("/", summary="List RMAs you may see", **allow(READERS))
    async def list_rmas(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
        status: Annotated[RmaStatus | None, QueryParameter()] = None,
        rma_type: Annotated[RmaType | None, QueryParameter()] = None,
        equipment_id: Annotated[UUID | None, QueryParameter()] = None,
        on_hold: Annotated[bool | None, QueryParameter()] = None,
        q: Annotated[str | None, QueryParameter(max_length=100, description="number or serial contains")] = None,
    ) -> PageOut[RmaOut]:
        filters = rmas.RmaFilter(
            customer_id=customer_id,
            status=status,
            rma_type=rma_type,
            equipment_id=equipment_id,
            on_hold=on_hold,
            q=q,
            custom=custom_params(dict(request.query_params)),
        )
        page_items = await rmas.list_rmas(db_session, request.user, filters, page)
        custom = await _custom(db_session, request)
        staff = not request.user.is_customer
        return page_out(page_items, lambda rma: rma_out(rma, staff=staff, custom=custom))

    @post(
        "/",
        summary="Request an RMA (customers: for their own units); the entitlement check runs",
        status_code=HTTP_201_CREATED,
        **allow(CREATORS),
    )
    async def create_rma(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        data: JSONBody[rmas.RmaCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        async def run() -> RmaOut:
            return await _out(
                db_session, request, await rmas.create_rma(db_session, request.user, data, now=CLOCK.now())
            )

        return await idempotent(request, db_session, idempotency_key, run, status_code=HTTP_201_CREATED)

    @get(RMA_PATH, summary="One RMA", **allow(READERS))
    async def get_rma(
        self, db_session: DbSession, request: Request[Principal, Any, Any], rma_id: FromPath[UUID]
    ) -> RmaOut:
        return await _out(db_session, request, await rmas.get_rma(db_session, request.user, rma_id))

    @get("/by-number/{number:str}", summary="One RMA by its number (RMA-000123)", **allow(READERS))
    async def get_rma_by_number(
        self, db_session: DbSession, request: Request[Principal, Any, Any], number: FromPath[str]
    ) -> RmaOut:
        return await _out(db_session, request, await rmas.get_rma_by_number(db_session, request.user, number))

    @get(
        RMA_PATH + "/events",
        summary="The RMA's history (customers: customer-visible steps, no internal notes)",
        **allow(READERS),
    )
    async def list_events(
        self, db_session: DbSession, request: Request[Principal, Any, Any], page: Paging, rma_id: FromPath[UUID]
    ) -> PageOut[RmaEventOut]:
        staff = not request.user.is_customer
        events = await rmas.list_events(db_session, request.user, rma_id, page)
        return page_out(events, lambda event: rma_event_out(event, staff=staff))

    @post(
        RMA_PATH + "/authorize",
        summary="Authorize: the customer is asked to send the unit",
        status_code=HTTP_200_OK,
        **allow(AUTHORIZERS),
    )
    async def authorize(
        self,
        db_session: DbSession,
        state: State,
        request: Request[Principal, Any, Any],
        rma_id: FromPath[UUID],
        data: JSONBody[rmas.RmaStep | None] = None,
    ) -> RmaOut:
        rma = await rmas.authorize(
            db_session, request.user, rma_id, data or rmas.RmaStep(), now=CLOCK.now(), links=_links(state)
        )
        return await _out(db_session, request, rma)

    @post(
        RMA_PATH + "/reject",
        summary="Reject with a reason the customer sees",
        status_code=HTTP_200_OK,
        **allow(AUTHORIZERS),
    )
    async def reject(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        rma_id: FromPath[UUID],
        data: JSONBody[rmas.RmaRejection],
    ) -> RmaOut:
        return await _out(
            db_session, request, await rmas.reject(db_session, request.user, rma_id, data, now=CLOCK.now())
        )

    @post(RMA_PATH + "/cancel", summary="Cancel (before receipt)", status_code=HTTP_200_OK, **allow(AUTHORIZERS))
    async def cancel(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        rma_id: FromPath[UUID],
        data: JSONBody[rmas.RmaStep | None] = None,
    ) -> RmaOut:
        return await _out(
            db_session,
            request,
            await rmas.cancel(db_session, request.user, rma_id, data or rmas.RmaStep(), now=CLOCK.now()),
        )

    @post(
        RMA_PATH + "/receive",
        summary="Receive the unit: scan its serial; a mismatch puts the RMA on hold",
        status_code=HTTP_200_OK,
        **allow(DEPOT),
    )
    async def receive(
        self,
        db_session: DbSession,
        state: State,
        request: Request[Principal, Any, Any],
        rma_id: FromPath[UUID],
        data: JSONBody[rma_receipt.RmaReceipt],
    ) -> RmaOut:
        rma = await rma_receipt.receive(db_session, request.user, rma_id, data, now=CLOCK.now(), links=_links(state))
        return await _out(db_session, request, rma)

    @post(
        RMA_PATH + "/resolve-hold",
        summary="Resolve a serial mismatch: accept the received unit or return it unprocessed",
        status_code=HTTP_200_OK,
        **allow(DEPOT),
    )
    async def resolve_hold(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        rma_id: FromPath[UUID],
        data: JSONBody[rma_receipt.HoldResolution],
    ) -> RmaOut:
        return await _out(
            db_session, request, await rma_receipt.resolve_hold(db_session, request.user, rma_id, data, now=CLOCK.now())
        )

    @post(
        RMA_PATH + "/ship",
        summary="Ship the unit back with a carrier tracking number",
        status_code=HTTP_200_OK,
        **allow(DEPOT),
    )
    async def ship(
        self,
        db_session: DbSession,
        state: State,
        request: Request[Principal, Any, Any],
        rma_id: FromPath[UUID],
        data: JSONBody[rmas.RmaShipment],
    ) -> RmaOut:
        rma = await rmas.ship(db_session, request.user, rma_id, data, now=CLOCK.now(), links=_links(state))
        return await _out(db_session, request, rma)

    @post(RMA_PATH + "/close", summary="Close", status_code=HTTP_200_OK, **allow(DEPOT))
    async def close(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        rma_id: FromPath[UUID],
        data: JSONBody[rmas.RmaStep | None] = None,
    ) -> RmaOut:
        return await _out(
            db_session,
            request,
            await rmas.close(db_session, request.user, rma_id, data or rmas.RmaStep(), now=CLOCK.now()),
        )

    @post(
        RMA_PATH + "/ship-replacement",
        summary="Advance exchange: ship the replacement first; the installed base follows the swap",
        status_code=HTTP_200_OK,
        **allow(DEPOT),
    )
    async def ship_replacement(
        self,
        db_session: DbSession,
        state: State,
        request: Request[Principal, Any, Any],
        rma_id: FromPath[UUID],
        data: JSONBody[advance_exchange.ReplacementShipment],
    ) -> RmaOut:
        rma = await advance_exchange.ship_replacement(
            db_session,
            request.user,
            rma_id,
            data,
            now=CLOCK.now(),
            return_days=state.settings.advance_exchange_return_days,
            links=_links(state),
        )
        return await _out(db_session, request, rma)
