"""The service report: what the PDF says, where it is stored, and when it may exist."""

from __future__ import annotations

import io
from email.message import EmailMessage

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.documents import Document
from core.errors import Conflict
from core.outbox import OutboxMessage
from core.outbox_dispatch import PermanentFailure
from service_mgmt.models import Confirmation, WorkOrder
from service_mgmt.services.service_report import (
    deliver_service_report,
    document_key,
    render_service_report,
)
from service_mgmt.services.service_report_queue import queue_service_report
from tests.integration.service_report_fixtures import DONE_AT, SERIAL_IN, SERIAL_OUT, completed_work_order


def text_of(pdf: bytes) -> str:
    """The PDF's text with every run of whitespace (table cells wrap lines) as one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


async def test_the_report_shows_the_job_from_call_to_signature_on_one_a4_page(session: AsyncSession) -> None:
    done = await completed_work_order(session, name="Globex")

    document = await render_service_report(session, done.work_order_id)

    reader = PdfReader(io.BytesIO(document.content))
    assert document.content.startswith(b"%PDF-")
    assert len(reader.pages) == 1
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = text_of(document.content)
    for expected in (
        "WO-000001",
        "Globex",
        "Printer 4000",
        done.serial_number,
        "SR-Globex",
        "Streaks on every page",
        "Replace drum",
        "Drum worn",
        "Imaging drum replaced",
        "Test print",
        SERIAL_IN,
        SERIAL_OUT,
        "125400",
        "travel",
        "0.50",  # half an hour of travel
        "2.00",  # two hours of work
        "SC-000001 line 1",
        "Labour 100 %",
        "parts 50 %",
        "toner quote",
        "Signed by Pat Doe at 2026-03-03 12:30 CET",  # the site is in Berlin
    ):
        assert expected in text, expected
    assert len(reader.pages[0].images) == 1  # the signature, embedded from its data: URL


async def test_a_report_is_stored_once_per_work_order_and_a_new_render_replaces_its_content(
    session: AsyncSession,
) -> None:
    done = await completed_work_order(session)
    first = await render_service_report(session, done.work_order_id)
    first_hash = first.sha256

    confirmation = await session.scalar(select(Confirmation).where(Confirmation.task_id == done.task_id))
    assert confirmation is not None
    confirmation.notes = "Second visit not needed"
    again = await render_service_report(session, done.work_order_id)

    count = await session.scalar(select(func.count()).select_from(Document))
    assert count == 1 and again.id == first.id
    assert again.key == document_key(done.work_order_id) == f"service_report:{done.work_order_id}"
    assert again.sha256 != first_hash and again.size_bytes == len(again.content)
    assert (again.filename, again.content_type) == ("WO-000001-service-report.pdf", "application/pdf")
    assert "Second visit not needed" in text_of(again.content)


async def test_an_unsigned_confirmation_prints_not_signed(session: AsyncSession) -> None:
    done = await completed_work_order(session, signed=False, notes=None)

    text = text_of((await render_service_report(session, done.work_order_id)).content)

    assert "Not signed" in text and "Signed by" not in text


async def test_markup_in_a_field_is_printed_as_text(session: AsyncSession) -> None:
    done = await completed_work_order(session, findings='<img src="file:///etc/passwd"><b>bold</b>')

    text = text_of((await render_service_report(session, done.work_order_id)).content)

    # The cell wraps the text anywhere, so compare without spaces.
    assert '<imgsrc="file:///etc/passwd"><b>bold</b>' in text.replace(" ", "")


async def test_there_is_no_report_before_completion(session: AsyncSession) -> None:
    done = await completed_work_order(session, status="on_site")

    with pytest.raises(Conflict) as refused:
        await render_service_report(session, done.work_order_id)

    assert refused.value.code == "work_order_not_completed"
    assert await session.scalar(select(func.count()).select_from(Document)) == 0


async def test_the_outbox_handler_renders_stores_and_attaches_the_report(session: AsyncSession) -> None:
    done = await completed_work_order(session)
    work_order = await session.get(WorkOrder, done.work_order_id)
    assert work_order is not None
    message = await queue_service_report(session, work_order, DONE_AT)
    assert message.recipient == "pat@acme.example"

    delivery = await deliver_service_report(session, message)

    assert isinstance(delivery.email, EmailMessage)
    assert delivery.email["To"] == "pat@acme.example"
    assert delivery.email["Subject"] == "Service report WO-000001"
    (attachment,) = delivery.email.iter_attachments()
    assert attachment.get_filename() == "WO-000001-service-report.pdf"
    assert attachment.get_content().startswith(b"%PDF-")
    stored = await session.scalar(select(Document).where(Document.key == document_key(done.work_order_id)))
    assert stored is not None and stored.content == attachment.get_content()


async def test_with_no_recipient_the_report_is_rendered_only(session: AsyncSession) -> None:
    done = await completed_work_order(session, contact_email=None)
    message = OutboxMessage(
        kind="service_report",
        dedupe_key="x",
        payload={"work_order_id": str(done.work_order_id)},
        next_attempt_at=DONE_AT,
    )

    delivery = await deliver_service_report(session, message)

    assert delivery.email is None and delivery.note is not None and "no recipient" in delivery.note
    assert await session.scalar(select(func.count()).select_from(Document)) == 1


async def test_a_message_about_no_work_order_fails_for_good(session: AsyncSession) -> None:
    message = OutboxMessage(kind="service_report", dedupe_key="x", payload={}, next_attempt_at=DONE_AT)

    with pytest.raises(PermanentFailure):
        await deliver_service_report(session, message)
