"""Depot repair orders (/api/v1/repair-orders), and per RMA: its repair order, the quote
decision of the customer, and the return's PDFs (/api/v1/rmas/{id}/...)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.deps import DbSession
from api.idempotency import IdempotencyKey, idempotent
from api.schemas.repair_orders import CustomerQuoteOut, RepairOrderOut, customer_quote_out, repair_order_out
from api.security import STAFF, allow
from core.auth import Principal, Role
from core.clock import SYSTEM_CLOCK, Clock
from core.documents import Document
from returns import documents
from returns.services import quotes
from returns.services import repair_orders as service
from returns.services.rma_notices import NoticeLinks

CLOCK: Clock = SYSTEM_CLOCK
DEPOT_ACTORS = {Role.DEPOT, Role.ADMIN}
# The customer decides on their own quote; an agent (or admin) may record the decision the
# customer gave on the phone. The depot does not: who repairs does not approve the bill.
QUOTE_DECIDERS = {Role.CUSTOMER, Role.AGENT, Role.ADMIN}
DOCUMENT_READERS = STAFF | {Role.CUSTOMER}
PDF = {200: ResponseSpec(data_container=bytes, media_type="application/pdf", description="the PDF")}
RO_PATH = "/{repair_order_id:uuid}"


class RepairOrderController(Controller):
    path = "/api/v1/repair-orders"
    tags = ["depot repair"]

    @get(RO_PATH, summary="One repair order with its labour and parts", **allow(STAFF))
    async def get_repair_order(
        self, db_session: DbSession, request: Request[Principal, Any, Any], repair_order_id: FromPath[UUID]
    ) -> RepairOrderOut:
        return repair_order_out(await service.get_repair_order(db_session, request.user, repair_order_id))

    @post(
        RO_PATH + "/diagnosis",
        summary="Record fault codes, diagnosis and the inspection fee",
        status_code=HTTP_200_OK,
        **allow(DEPOT_ACTORS),
    )
    async def record_diagnosis(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        repair_order_id: FromPath[UUID],
        data: JSONBody[service.DiagnosisInput],
    ) -> RepairOrderOut:
        view = await service.record_diagnosis(db_session, request.user, repair_order_id, data, now=CLOCK.now())
        return repair_order_out(view)

    @post(RO_PATH + "/labour", summary="Record labour", status_code=HTTP_201_CREATED, **allow(DEPOT_ACTORS))
    async def add_labour(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        repair_order_id: FromPath[UUID],
        data: JSONBody[service.LabourInput],
    ) -> RepairOrderOut:
        return repair_order_out(
            await service.add_labour(db_session, request.user, repair_order_id, data, now=CLOCK.now())
        )

    @post(
        RO_PATH + "/parts",
        summary="Consume a part from depot stock (an issue on the stock ledger); send an Idempotency-Key",
        status_code=HTTP_201_CREATED,
        responses={HTTP_201_CREATED: ResponseSpec(data_container=RepairOrderOut, description="the part is issued")},
        **allow(DEPOT_ACTORS),
    )
    async def add_part(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        repair_order_id: FromPath[UUID],
        data: JSONBody[service.PartInput],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        async def run() -> RepairOrderOut:
            view = await service.add_part(db_session, request.user, repair_order_id, data, now=CLOCK.now())
            return repair_order_out(view)

        return await idempotent(request, db_session, idempotency_key, run, status_code=HTTP_201_CREATED)

    @post(RO_PATH + "/tests", summary="Record a test result", status_code=HTTP_201_CREATED, **allow(DEPOT_ACTORS))
    async def record_test(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        repair_order_id: FromPath[UUID],
        data: JSONBody[service.TestInput],
    ) -> RepairOrderOut:
        return repair_order_out(
            await service.record_test(db_session, request.user, repair_order_id, data, now=CLOCK.now())
        )

    @post(
        RO_PATH + "/quote",
        summary="End the diagnosis with an estimate: covered work starts, the rest is quoted to the customer",
        status_code=HTTP_200_OK,
        **allow(DEPOT_ACTORS),
    )
    async def quote_repair(
        self,
        db_session: DbSession,
        state: State,
        request: Request[Principal, Any, Any],
        repair_order_id: FromPath[UUID],
        data: JSONBody[quotes.QuoteInput],
    ) -> RepairOrderOut:
        links = NoticeLinks.of(state.settings)
        return repair_order_out(
            await quotes.quote_repair(db_session, request.user, repair_order_id, data, now=CLOCK.now(), links=links)
        )

    @post(RO_PATH + "/finish", summary="The repair is done: to QA", status_code=HTTP_200_OK, **allow(DEPOT_ACTORS))
    async def finish_repair(
        self, db_session: DbSession, request: Request[Principal, Any, Any], repair_order_id: FromPath[UUID]
    ) -> RepairOrderOut:
        return repair_order_out(await service.finish_repair(db_session, request.user, repair_order_id, now=CLOCK.now()))

    @post(
        RO_PATH + "/qa",
        summary="QA result: pass makes it ready to ship and bills non-covered work; fail goes back to repair",
        status_code=HTTP_200_OK,
        **allow(DEPOT_ACTORS),
    )
    async def record_qa(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        repair_order_id: FromPath[UUID],
        data: JSONBody[service.QaInput],
    ) -> RepairOrderOut:
        return repair_order_out(
            await service.record_qa(db_session, request.user, repair_order_id, data, now=CLOCK.now())
        )


class RmaRepairController(Controller):
    path = "/api/v1/rmas/{rma_id:uuid}"
    tags = ["depot repair"]

    @post(
        "/repair-order",
        summary="Start the diagnosis of a received unit: opens its repair order (DR-…)",
        status_code=HTTP_201_CREATED,
        **allow(DEPOT_ACTORS),
    )
    async def start_diagnosis(
        self, db_session: DbSession, request: Request[Principal, Any, Any], rma_id: FromPath[UUID]
    ) -> RepairOrderOut:
        return repair_order_out(await service.start_diagnosis(db_session, request.user, rma_id, now=CLOCK.now()))

    @get("/repair-order", summary="The repair order of an RMA", **allow(STAFF))
    async def repair_order_of_rma(
        self, db_session: DbSession, request: Request[Principal, Any, Any], rma_id: FromPath[UUID]
    ) -> RepairOrderOut:
        return repair_order_out(await service.get_repair_order_of_rma(db_session, request.user, rma_id))

    @get("/quote", summary="The repair quote of an RMA (customers: their own)", **allow(DOCUMENT_READERS))
    async def get_quote(
        self, db_session: DbSession, request: Request[Principal, Any, Any], rma_id: FromPath[UUID]
    ) -> CustomerQuoteOut:
        return customer_quote_out(await service.get_repair_order_of_rma(db_session, request.user, rma_id))

    @post(
        "/quote/approve",
        summary="Approve the quote: the credit check runs, then the repair starts (409 with reasons if refused)",
        status_code=HTTP_200_OK,
        **allow(QUOTE_DECIDERS),
    )
    async def approve_quote(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        rma_id: FromPath[UUID],
        data: JSONBody[quotes.QuoteDecision | None] = None,
    ) -> CustomerQuoteOut:
        view = await quotes.approve_quote(db_session, request.user, rma_id, CLOCK.now(), data)
        return customer_quote_out(view)

    @post(
        "/quote/decline",
        summary="Decline the quote: the unit is returned unrepaired (an inspection fee may be charged)",
        status_code=HTTP_200_OK,
        **allow(QUOTE_DECIDERS),
    )
    async def decline_quote(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        rma_id: FromPath[UUID],
        data: JSONBody[quotes.QuoteDecision | None] = None,
    ) -> CustomerQuoteOut:
        view = await quotes.decline_quote(db_session, request.user, rma_id, CLOCK.now(), data)
        return customer_quote_out(view)

    @get(
        "/documents/label",
        summary="Return label and packing slip PDF (Code 128 barcode of the RMA number)",
        media_type="application/pdf",
        responses=PDF,
        **allow(DOCUMENT_READERS),
    )
    async def label(
        self, db_session: DbSession, request: Request[Principal, Any, Any], rma_id: FromPath[UUID]
    ) -> Response[bytes]:
        return _pdf(await documents.label_for(db_session, request.user, rma_id))

    @get(
        "/documents/quote",
        summary="Repair quote PDF",
        media_type="application/pdf",
        responses=PDF,
        **allow(DOCUMENT_READERS),
    )
    async def quote_pdf(
        self, db_session: DbSession, request: Request[Principal, Any, Any], rma_id: FromPath[UUID]
    ) -> Response[bytes]:
        return _pdf(await documents.quote_for(db_session, request.user, rma_id))

    @get(
        "/documents/repair-report",
        summary="Repair report PDF (once the repair order is done or declined)",
        media_type="application/pdf",
        responses=PDF,
        **allow(DOCUMENT_READERS),
    )
    async def repair_report(
        self, db_session: DbSession, request: Request[Principal, Any, Any], rma_id: FromPath[UUID]
    ) -> Response[bytes]:
        return _pdf(await documents.repair_report_for(db_session, request.user, rma_id))


def _pdf(document: Document) -> Response[bytes]:
    return Response(
        content=document.content,
        media_type=document.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{document.filename}"',
            "Cache-Control": "private, no-store",
        },
    )
