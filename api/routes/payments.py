"""Payments, receivables and the accounting export.

/api/v1/payments (record, list, read, allocate), /api/v1/receivables (aging, open items) and
/api/v1/exports (invoices.csv, payments.csv). Contract administrators record and allocate;
managers and agents read; customer users read their own payments and receivables only
(another customer's answer like unknown ones); exports are for contract administrators and
managers. Depot, planner and technician users get 403 everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import DbSession, Paging
from api.idempotency import IdempotencyKey, idempotent
from api.paging import PageOut, page_out
from api.schemas.payments import AgingOut, OpenItemOut, PaymentOut, aging_out, open_item_out, payment_out
from api.security import allow
from contracts.services import accounting_export, payments, receivables
from core.auth import Principal, Role
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import NotFound
from masterdata.services.visibility import CustomerScope, customer_scope

CLOCK: Clock = SYSTEM_CLOCK
WRITERS = {Role.CONTRACT_ADMIN}
READERS = {Role.CONTRACT_ADMIN, Role.MANAGER, Role.AGENT, Role.CUSTOMER}
EXPORTERS = {Role.CONTRACT_ADMIN, Role.MANAGER}
Currency = Annotated[str | None, QueryParameter(pattern=r"^[A-Z]{3}$")]


class PaymentController(Controller):
    path = "/api/v1/payments"
    tags = ["payments"]

    @post(
        "/",
        summary="Record a payment; allocated as given, or to the oldest open invoices first; the rest is credit",
        status_code=HTTP_201_CREATED,
        **allow(WRITERS),
    )
    async def record_payment(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        data: JSONBody[payments.PaymentCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        # A bank import or a double click that sends the payment again with the same key records it once.
        async def run() -> PaymentOut:
            return payment_out(await payments.record_payment(db_session, request.user, data, clock=CLOCK))

        return await idempotent(request, db_session, idempotency_key, run, status_code=HTTP_201_CREATED)

    @get("/", summary="List payments (customers: their own)", **allow(READERS))
    async def list_payments(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
        currency: Currency = None,
        received_from: Annotated[dt.date | None, QueryParameter()] = None,
        received_to: Annotated[dt.date | None, QueryParameter()] = None,
        unallocated: Annotated[bool | None, QueryParameter(description="only payments with a rest")] = None,
    ) -> PageOut[PaymentOut]:
        filters = payments.PaymentFilter(
            customer_id=customer_id,
            currency=currency,
            received_from=received_from,
            received_to=received_to,
            unallocated=unallocated,
        )
        scope = await customer_scope(db_session, request.user)
        found = await payments.list_payments(db_session, filters, page, scope=scope)
        return page_out(found, payment_out)

    @get("/{payment_id:uuid}", summary="One payment with its allocations", **allow(READERS))
    async def get_payment(
        self, db_session: DbSession, request: Request[Principal, Any, Any], payment_id: FromPath[UUID]
    ) -> PaymentOut:
        scope = await customer_scope(db_session, request.user)
        return payment_out(await payments.get_payment(db_session, payment_id, scope=scope))

    @post(
        "/{payment_id:uuid}/allocations",
        summary="Allocate a payment's unallocated rest to invoices (or to the oldest open ones first)",
        status_code=HTTP_200_OK,
        **allow(WRITERS),
    )
    async def allocate(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        payment_id: FromPath[UUID],
        data: JSONBody[payments.AllocationsCreate],
    ) -> PaymentOut:
        return payment_out(await payments.allocate_payment(db_session, request.user, payment_id, data))


async def _scope(session: AsyncSession, principal: Principal, customer_id: UUID | None) -> CustomerScope:
    """The customers to report on: the one asked for (if visible), else all the caller may see."""
    scope = await customer_scope(session, principal)
    if customer_id is None:
        return scope
    if not scope.allows(customer_id):
        raise NotFound("customer", customer_id, field="customer_id")
    return CustomerScope.only({customer_id})


class ReceivablesController(Controller):
    path = "/api/v1/receivables"
    tags = ["payments"]

    @get("/aging", summary="Aging of open items per customer and currency at a date (current … 90+)", **allow(READERS))
    async def aging(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        on: Annotated[dt.date | None, QueryParameter(description="the date to age at; today if left out")] = None,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
    ) -> AgingOut:
        scope = await _scope(db_session, request.user, customer_id)
        report = await receivables.aging_report(db_session, on or CLOCK.now().date(), scope)
        return aging_out(report)

    @get(
        "/open-items",
        summary="Open items at a date: invoices, unsettled credit notes, unallocated payments",
        **allow(READERS),
    )
    async def open_items(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        on: Annotated[dt.date | None, QueryParameter(description="today if left out")] = None,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
    ) -> list[OpenItemOut]:
        scope = await _scope(db_session, request.user, customer_id)
        items = await receivables.open_items(db_session, on or CLOCK.now().date(), scope)
        return [open_item_out(item) for item in items]


def _csv(
    state: State,
    name: str,
    header: tuple[str, ...],
    rows: Callable[[AsyncSession, dt.date, dt.date], AsyncIterator[list[str]]],
    date_from: dt.date,
    date_to: dt.date,
) -> Stream:
    accounting_export.check_range(date_from, date_to)

    async def content() -> AsyncIterator[str]:
        # A session of its own: the rows are read while the response is sent, after the handler returned.
        async with state.read_sessions() as session:
            async for chunk in accounting_export.csv_text(header, rows(session, date_from, date_to)):
                yield chunk

    filename = f"{name}_{date_from.isoformat()}_{date_to.isoformat()}.csv"
    return Stream(
        content=content(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"},
    )


DateFrom = Annotated[dt.date, QueryParameter(name="from", description="first day, inclusive")]
DateTo = Annotated[dt.date, QueryParameter(name="to", description="last day, inclusive")]


class ExportController(Controller):
    path = "/api/v1/exports"
    tags = ["payments"]

    @get(
        "/invoices.csv",
        summary="Invoices and credit notes issued in a date range, as CSV",
        media_type="text/csv",
        **allow(EXPORTERS),
    )
    async def invoices_csv(self, state: State, date_from: DateFrom, date_to: DateTo) -> Stream:
        header = accounting_export.INVOICE_COLUMNS
        return _csv(state, "invoices", header, accounting_export.invoice_rows, date_from, date_to)

    @get(
        "/payments.csv",
        summary="Payments received in a date range, with allocations, as CSV",
        media_type="text/csv",
        **allow(EXPORTERS),
    )
    async def payments_csv(self, state: State, date_from: DateFrom, date_to: DateTo) -> Stream:
        header = accounting_export.PAYMENT_COLUMNS
        return _csv(state, "payments", header, accounting_export.payment_rows, date_from, date_to)
