"""Invoices and credit notes: /api/v1/invoices.

The contract administrator drafts, issues, voids and credits; managers, agents (and admins)
read; customers read and download their own issued invoices only (another customer's, or a
draft, answers 404); depot, planners and technicians are refused (403).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.invoices import (
    CreditNoteApplicationOut,
    DraftsIssue,
    DraftsIssuedOut,
    InvoiceDetailOut,
    InvoiceOut,
    credit_note_application_out,
    drafts_issued_out,
    invoice_detail_out,
    invoice_out,
)
from api.security import allow
from contracts.choices import InvoiceKind, InvoiceStatus
from contracts.services import (
    credit_note_applications,
    credit_notes,
    invoice_bulk_issue,
    invoice_document,
    invoice_issue,
    invoice_queries,
    invoice_void,
    invoices,
)
from core.auth import Principal, Role
from core.clock import SYSTEM_CLOCK, Clock
from core.settings import BillingSettings
from masterdata.services.visibility import customer_scope

CLOCK: Clock = SYSTEM_CLOCK
READERS = {Role.ADMIN, Role.CONTRACT_ADMIN, Role.MANAGER, Role.AGENT, Role.CUSTOMER}
# "Nobody else issues or voids": the contract administrator alone changes invoices.
WRITERS = {Role.CONTRACT_ADMIN}
INVOICE_PATH = "/{invoice_id:uuid}"
# An issued invoice's PDF not rendered yet is rendered and stored on first download: a writing session.
WRITING_GET = allow(READERS)
WRITING_GET["opt"]["read_only"] = False


def _billing(state: State) -> BillingSettings:
    billing: BillingSettings = state.settings.billing
    return billing


class InvoiceController(Controller):
    path = "/api/v1/invoices"
    tags = ["invoices"]

    @get("/", summary="List invoices and credit notes (customers: their own, issued ones)", **allow(READERS))
    async def list_invoices(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
        status: Annotated[InvoiceStatus | None, QueryParameter()] = None,
        kind: Annotated[InvoiceKind | None, QueryParameter()] = None,
        billing_period: Annotated[str | None, QueryParameter(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
        issued_from: Annotated[dt.date | None, QueryParameter()] = None,
        issued_to: Annotated[dt.date | None, QueryParameter(description="inclusive")] = None,
    ) -> PageOut[InvoiceOut]:
        filters = invoice_queries.InvoiceFilter(
            customer_id=customer_id,
            status=status,
            kind=kind,
            billing_period=billing_period,
            issued_from=issued_from,
            issued_to=issued_to,
        )
        scope = await customer_scope(db_session, request.user)
        found = await invoice_queries.list_invoices(db_session, filters, page, scope=scope)
        staff = not request.user.is_customer
        return page_out(found, lambda invoice: invoice_out(invoice, staff=staff))

    @get(INVOICE_PATH, summary="One invoice or credit note with its lines", **allow(READERS))
    async def get_invoice(
        self, db_session: DbSession, request: Request[Principal, Any, Any], invoice_id: FromPath[UUID]
    ) -> InvoiceDetailOut:
        scope = await customer_scope(db_session, request.user)
        view = await invoice_queries.get_invoice(db_session, invoice_id, scope=scope)
        return invoice_detail_out(view, staff=not request.user.is_customer)

    @get(
        INVOICE_PATH + "/pdf",
        summary="The invoice PDF (stored once issued; a draft is a preview marked DRAFT)",
        media_type="application/pdf",
        responses={200: ResponseSpec(data_container=bytes, media_type="application/pdf", description="the PDF")},
        **WRITING_GET,
    )
    async def download_pdf(
        self,
        db_session: DbSession,
        state: State,
        request: Request[Principal, Any, Any],
        invoice_id: FromPath[UUID],
    ) -> Response[bytes]:
        scope = await customer_scope(db_session, request.user)
        pdf = await invoice_document.invoice_pdf_for(db_session, invoice_id, _billing(state), scope=scope)
        return Response(
            content=pdf.content,
            media_type=pdf.content_type,
            headers={
                "Content-Disposition": f'attachment; filename="{pdf.filename}"',
                "Cache-Control": "private, no-store",
            },
        )

    @post(
        "/",
        summary="Create a manual draft invoice for a customer's bill-to",
        status_code=HTTP_201_CREATED,
        **allow(WRITERS),
    )
    async def create_draft(
        self,
        db_session: DbSession,
        state: State,
        request: Request[Principal, Any, Any],
        data: JSONBody[invoices.InvoiceCreate],
    ) -> InvoiceDetailOut:
        return invoice_detail_out(await invoices.create_draft(db_session, request.user, data, _billing(state)))

    @post(
        INVOICE_PATH + "/lines",
        summary="Add a manual line to a draft (taxed at the bill-to's rate)",
        status_code=HTTP_201_CREATED,
        **allow(WRITERS),
    )
    async def add_line(
        self,
        db_session: DbSession,
        state: State,
        request: Request[Principal, Any, Any],
        invoice_id: FromPath[UUID],
        data: JSONBody[invoices.InvoiceLineCreate],
    ) -> InvoiceDetailOut:
        view = await invoices.add_line(db_session, request.user, invoice_id, data, _billing(state))
        return invoice_detail_out(view)

    @delete(
        INVOICE_PATH,
        summary="Delete a draft; the items and usage it billed go back to billing",
        status_code=HTTP_204_NO_CONTENT,
        **allow(WRITERS),
    )
    async def delete_draft(
        self, db_session: DbSession, request: Request[Principal, Any, Any], invoice_id: FromPath[UUID]
    ) -> None:
        await invoices.delete_draft(db_session, request.user, invoice_id)

    @post(
        INVOICE_PATH + "/issue",
        summary="Issue a draft: number, dates, bill-to frozen, PDF e-mailed (send the version you read)",
        status_code=HTTP_200_OK,
        **allow(WRITERS),
    )
    async def issue(
        self,
        db_session: DbSession,
        state: State,
        request: Request[Principal, Any, Any],
        invoice_id: FromPath[UUID],
        data: JSONBody[invoices.InvoiceIssue],
    ) -> InvoiceDetailOut:
        view = await invoice_issue.issue_invoice(
            db_session, request.user, invoice_id, data, _billing(state), clock=CLOCK
        )
        return invoice_detail_out(view)

    @post(
        "/issue-drafts",
        summary="Issue every draft invoice of a month (after review), numbered in customer order",
        description="Chunked, one transaction per chunk; safe to repeat (issued ones are skipped). "
        "Answers counts and totals per currency.",
        status_code=HTTP_200_OK,
        **allow(WRITERS),
    )
    async def issue_drafts(
        self, state: State, request: Request[Principal, Any, Any], data: JSONBody[DraftsIssue]
    ) -> DraftsIssuedOut:
        # Its own transactions (one per chunk) through the session factory, not the request's session.
        result = await invoice_bulk_issue.issue_drafts(
            state.sessions, request.user, data.period, _billing(state), clock=CLOCK
        )
        return drafts_issued_out(result)

    @post(
        INVOICE_PATH + "/void",
        summary="Void an issued invoice nothing has settled (its sources are billed again)",
        status_code=HTTP_200_OK,
        **allow(WRITERS),
    )
    async def void(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        invoice_id: FromPath[UUID],
        data: JSONBody[invoices.InvoiceVoid],
    ) -> InvoiceDetailOut:
        view = await invoice_void.void_invoice(db_session, request.user, invoice_id, data, clock=CLOCK)
        return invoice_detail_out(view)

    @post(
        INVOICE_PATH + "/credit-notes",
        summary="Draft a credit note for an issued invoice: whole, or chosen lines and amounts",
        status_code=HTTP_201_CREATED,
        **allow(WRITERS),
    )
    async def create_credit_note(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        invoice_id: FromPath[UUID],
        data: JSONBody[credit_notes.CreditNoteCreate],
    ) -> InvoiceDetailOut:
        return invoice_detail_out(await credit_notes.create_credit_note(db_session, request.user, invoice_id, data))

    @post(
        INVOICE_PATH + "/applications",
        summary="Apply an issued credit note's unsettled rest to another open invoice of the customer",
        status_code=HTTP_201_CREATED,
        **allow(WRITERS),
    )
    async def apply_credit_note(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        invoice_id: FromPath[UUID],  # the credit note
        data: JSONBody[credit_note_applications.CreditNoteApplication],
    ) -> CreditNoteApplicationOut:
        applied = await credit_note_applications.apply_credit_note(
            db_session, request.user, invoice_id, data, clock=CLOCK
        )
        return credit_note_application_out(applied)
