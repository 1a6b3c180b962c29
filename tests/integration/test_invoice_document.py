"""The invoice PDF: what it prints, that it is stored once, and that issuing e-mails it."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.outbox_handlers import outbox_handlers
from contracts.models import Invoice
from contracts.services.credit_notes import CreditLineRequest, CreditNoteCreate, create_credit_note
from contracts.services.invoice_document import document_key, invoice_pdf_for, stored_invoice_document
from contracts.services.invoice_issue import issue_invoice
from contracts.services.invoice_totals import lines_of
from contracts.services.invoices import InvoiceIssue
from core.db import session_scope
from core.documents import Document
from core.outbox import OutboxMessage
from core.outbox_dispatch import dispatch_due
from masterdata.services.visibility import CustomerScope
from tests.integration.invoice_fixtures import (
    BILLING,
    CLARA,
    CLOCK,
    customer,
    exempt_profile,
    issued_invoice,
    manual_draft,
    run_like_draft,
)
from tests.smtp_inbox import SmtpServer

LINES = [("PM visit", "3", "ea", "33.33"), ("Labour", "1.5", "h", "98.00")]


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


async def test_the_pdf_shows_seller_bill_to_dates_lines_tax_summary_and_totals(session: AsyncSession) -> None:
    run = await run_like_draft(session)
    invoice = (
        await issue_invoice(
            session, CLARA, run.invoice.id, InvoiceIssue(version=run.invoice.version), BILLING, clock=CLOCK
        )
    ).invoice

    document = await stored_invoice_document(session, invoice, BILLING)

    reader = PdfReader(io.BytesIO(document.content))
    assert len(reader.pages) == 1
    text = text_of(document.content)
    for expected in (
        "Invoice INV-000001",
        "Acme Field Service GmbH",
        "Industriestr. 5, 10115 Berlin, Germany",
        "Tax id DE123456789",
        "IBAN DE89 3704 0044 0532 0130 00",
        "billing@acme-service.example",
        "ACME",  # the bill-to
        "Issue date 2026-12-01",
        "Due date 2026-12-31",
        "Payment reference INV-000001",
        "Billing period 2026-11",
        "SC-ACME",
        "Monthly fee",
        "2026-11-01 – 2026-11-30",
        "Pages above 1,000",
        "1500 pages 0.0125 18.75",
        "WO-000042",
        "2 h 98.00 196.00",
        "19.00 % 334.75 63.60",  # tax summary: one rate
        "Net total 334.75 EUR",
        "Tax 63.60 EUR",
        "Total due 398.35 EUR",
    ):
        assert expected in text, expected
    assert (document.key, document.filename, document.content_type) == (
        document_key(invoice.id),
        "INV-000001.pdf",
        "application/pdf",
    )
    assert invoice.document_key == document_key(invoice.id)


async def test_an_exemption_prints_its_reason_and_a_credit_note_names_the_invoice(session: AsyncSession) -> None:
    globex = await customer(session, "Globex", country="CH")
    await exempt_profile(session, globex.id, "Export of services: not taxable in Germany")
    invoice = await issued_invoice(session, globex.id, [("Depot repair flat rate", "1", "ea", "250.00")])
    text = text_of((await stored_invoice_document(session, invoice, BILLING)).content)
    assert "0.00 % – Export of services: not taxable in Germany 250.00 0.00" in text
    assert "Globex AG (Accounts payable)" in text and "Tax id CHE-123.456.789" in text
    assert "Bahnhofstrasse 1" in text and "8001 Zürich" in text

    [line] = await lines_of(session, invoice.id)
    draft = (
        await create_credit_note(
            session,
            CLARA,
            invoice.id,
            CreditNoteCreate(
                reason="Goodwill", lines=[CreditLineRequest(line_id=line.id, amount=invoice.net_amount / 5)]
            ),
        )
    ).invoice
    note = (
        await issue_invoice(session, CLARA, draft.id, InvoiceIssue(version=draft.version), BILLING, clock=CLOCK)
    ).invoice
    text = text_of((await stored_invoice_document(session, note, BILLING)).content)
    for expected in (
        "Credit note CN-000001",
        "Credit note for INV-000001",
        "-50.00",
        "Total credited -50.00 EUR",
        "Goodwill",
    ):
        assert expected in text, expected


async def test_a_draft_renders_as_a_preview_that_is_not_stored(session: AsyncSession) -> None:
    acme = await customer(session, "ACME")
    draft = await manual_draft(session, acme.id, LINES)
    pdf = await invoice_pdf_for(session, draft.id, BILLING, scope=CustomerScope.everyone())
    assert "Invoice DRAFT DRAFT" in text_of(pdf.content) and "Total due 293.92 EUR" in text_of(pdf.content)
    assert await session.scalar(select(func.count()).select_from(Document)) == 0


async def test_issuing_mails_the_pdf_to_the_bill_to_once_and_downloads_serve_the_same_bytes(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpServer
) -> None:
    async with session_scope(sessions) as s:
        acme = await customer(s, "ACME", email="accounts@acme.example")
        invoice = await issued_invoice(s, acme.id, LINES)

    await dispatch_due(sessions, outbox_handlers(), smtp.mailer, clock=CLOCK)
    await dispatch_due(sessions, outbox_handlers(), smtp.mailer, clock=CLOCK)

    assert len(smtp.inbox.received) == 1
    recipients, mail = smtp.inbox.received[0]
    assert recipients == ["accounts@acme.example"]
    assert mail["Subject"] == "Invoice INV-000001"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and "293.92 EUR, due on 2026-12-31" in body.get_content()
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "INV-000001.pdf"
    mailed = attachment.get_content()
    assert "Invoice INV-000001" in text_of(mailed) and "Total due 293.92 EUR" in text_of(mailed)

    async with session_scope(sessions) as s:
        message = await s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invoice_document"))
        assert message is not None and message.status == "sent"
        downloaded = await invoice_pdf_for(s, invoice.id, BILLING, scope=CustomerScope.only({acme.id}))
        assert downloaded.content == mailed
        stored = await s.get_one(Invoice, invoice.id)
        assert stored.version == invoice.version  # storing the PDF is not an edit


async def test_without_an_e_mail_address_the_pdf_is_stored_and_nothing_is_sent(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpServer
) -> None:
    async with session_scope(sessions) as s:
        acme = await customer(s, "ACME", email=None)
        invoice = await issued_invoice(s, acme.id, LINES)

    await dispatch_due(sessions, outbox_handlers(), smtp.mailer, clock=CLOCK)

    assert smtp.inbox.received == []
    async with session_scope(sessions) as s:
        message = await s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invoice_document"))
        assert message is not None and message.status == "sent" and message.recipient is None
        stored = await s.scalar(select(Document).where(Document.key == document_key(invoice.id)))
        assert stored is not None and stored.filename == "INV-000001.pdf"
