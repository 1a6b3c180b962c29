"""Depot repair orders: covered repair with a part from depot stock, quoted repair approved and
billed, declined quote with an inspection fee, credit hold, QA failure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import BillableItem
from core.auth import SYSTEM, Principal, Role
from core.documents import Document
from core.errors import Conflict
from core.outbox import OutboxMessage
from returns import documents
from returns.models import Rma, RmaEvent, StockLevel, StockMove
from returns.services import quotes, rmas
from returns.services import repair_orders as ro
from tests.integration.repair_fixtures import LATER, RECEIVED_AT, credit_account, repair_scenario
from tests.integration.rma_fixtures import LINKS

DEPOT = Principal(user_id=SYSTEM.user_id, username="depot1", role=Role.DEPOT)
T = [RECEIVED_AT + dt.timedelta(hours=h) for h in range(1, 12)]


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


async def test_in_warranty_repair_issues_the_part_from_depot_stock(session: AsyncSession) -> None:
    it = await repair_scenario(session)
    view = await ro.start_diagnosis(session, DEPOT, it.rma_id, now=T[0])
    assert view.repair_order.number.startswith("DR-") and view.rma.status == "in_diagnosis"
    rid = view.repair_order.id
    await ro.record_diagnosis(
        session, DEPOT, rid, ro.DiagnosisInput(fault_codes=["psu-01"], diagnosis="PSU dead"), now=T[1]
    )
    view = await quotes.quote_repair(
        session, DEPOT, rid, quotes.QuoteInput(labour_hours=Decimal("1.5")), now=T[2], links=LINKS
    )
    assert view.rma.status == "in_repair" and view.repair_order.quote_amount == Decimal("0.00")
    await ro.add_labour(session, DEPOT, rid, ro.LabourInput(minutes=90, description="PSU replaced"), now=T[3])
    view = await ro.add_part(
        session, DEPOT, rid, ro.PartInput(product_id=it.depot.part_id, quantity=Decimal(1)), now=T[3]
    )
    await ro.record_test(session, DEPOT, rid, ro.TestInput(test="burn-in 1h", passed=True), now=T[4])
    await ro.finish_repair(session, DEPOT, rid, now=T[5])
    view = await ro.record_qa(session, DEPOT, rid, ro.QaInput(passed=True), now=T[6])

    assert view.repair_order.status == "done" and view.rma.status == "in_qa"
    move = await session.scalar(select(StockMove).where(StockMove.reference_id == rid))
    assert move is not None and move.kind == "issue" and move.reference_ref == view.repair_order.number
    assert view.parts[0].stock_move_id == move.id
    level = await session.scalar(select(StockLevel).where(StockLevel.product_id == it.depot.part_id))
    assert level is not None and level.on_hand == 4
    items = (await session.scalars(select(BillableItem).where(BillableItem.source_id == rid))).all()
    assert {i.line_key for i in items} == {"labour", f"part:{view.parts[0].id}"}
    assert all(i.amount == 0 and i.covered_amount > 0 for i in items)  # covered by warranty, recorded at 0
    report = await documents.repair_report_for(session, DEPOT, it.rma_id)
    text = pdf_text(report.content)
    assert "PSU dead" in text and "burn-in 1h" in text and "Part PART-FUSER" in text


async def test_out_of_warranty_quote_approved_after_credit_check_then_billed(session: AsyncSession) -> None:
    it = await repair_scenario(session, covered_by="none", labour_pct="0", parts_pct="0")
    await credit_account(session, it.installed.customer_id)
    rid = (await ro.start_diagnosis(session, DEPOT, it.rma_id, now=T[0])).repair_order.id
    estimate = quotes.QuoteInput(
        labour_hours=Decimal(2), parts=[quotes.EstimatedPart(product_id=it.depot.part_id, quantity=Decimal(1))]
    )
    view = await quotes.quote_repair(session, DEPOT, rid, estimate, now=T[1], links=LINKS)

    assert view.rma.status == "awaiting_approval" and view.repair_order.quote_status == "sent"
    assert view.repair_order.quote_amount == Decimal("316.00")  # 2 h × 98.00 + 120.00
    quote = await session.scalar(select(Document).where(Document.key == f"repair_quote:{rid}"))
    assert quote is not None and "316.00" in pdf_text(quote.content)
    mail = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"rma:{it.rma_number}:quote"))
    assert (
        mail is not None and mail.recipient == "buyer@example.com" and mail.payload["document_ids"] == [str(quote.id)]
    )

    customer = Principal(
        user_id=SYSTEM.user_id, username="cust", role=Role.CUSTOMER, customer_id=it.installed.customer_id
    )
    view = await quotes.approve_quote(session, customer, it.rma_id, T[2])
    assert view.rma.status == "in_repair" and view.repair_order.quote_status == "approved"
    assert view.repair_order.credit is not None and view.repair_order.credit["outcome"] == "pass"

    await ro.add_labour(session, DEPOT, rid, ro.LabourInput(minutes=150, description="board swap"), now=T[3])
    await ro.add_part(session, DEPOT, rid, ro.PartInput(product_id=it.depot.part_id, quantity=Decimal(1)), now=T[3])
    await ro.finish_repair(session, DEPOT, rid, now=T[4])
    await ro.record_qa(session, DEPOT, rid, ro.QaInput(passed=True), now=T[5])
    with pytest.raises(Conflict):
        await ro.record_qa(session, DEPOT, rid, ro.QaInput(passed=True), now=T[6])
    items = (
        await session.scalars(select(BillableItem).where(BillableItem.source_id == rid).order_by(BillableItem.kind))
    ).all()
    assert [(i.kind, i.amount) for i in items] == [("labour", Decimal("245.00")), ("parts", Decimal("120.00"))]
    assert all(i.source_kind == "repair_order" and i.currency == "EUR" for i in items)


async def test_declined_quote_records_the_inspection_fee(session: AsyncSession) -> None:
    it = await repair_scenario(session, covered_by="none", labour_pct="0", parts_pct="0")
    rid = (await ro.start_diagnosis(session, DEPOT, it.rma_id, now=T[0])).repair_order.id
    await ro.record_diagnosis(session, DEPOT, rid, ro.DiagnosisInput(inspection_fee=Decimal("45.00")), now=T[1])
    await quotes.quote_repair(session, DEPOT, rid, quotes.QuoteInput(labour_hours=Decimal(3)), now=T[2], links=LINKS)
    view = await quotes.decline_quote(session, SYSTEM, it.rma_id, T[3], quotes.QuoteDecision(comment="too dear"))

    assert view.repair_order.status == "declined" and view.rma.status == "awaiting_approval"  # ships it back
    fee = await session.scalar(select(BillableItem).where(BillableItem.source_kind == "inspection_fee"))
    assert fee is not None and fee.amount == Decimal("45.00") and fee.source_ref == view.repair_order.number
    event = await session.scalar(select(RmaEvent).where(RmaEvent.kind == "quote_declined"))
    assert event is not None and event.customer_visible and event.internal_note == "too dear"
    with pytest.raises(Conflict) as again:
        await quotes.decline_quote(session, SYSTEM, it.rma_id, T[4])
    assert again.value.code == "quote_not_open"


async def test_credit_hold_refuses_the_approval_and_changes_nothing(session: AsyncSession) -> None:
    it = await repair_scenario(session, covered_by="none", labour_pct="0", parts_pct="0")
    await credit_account(session, it.installed.customer_id, on_hold=True)
    rid = (await ro.start_diagnosis(session, DEPOT, it.rma_id, now=T[0])).repair_order.id
    await quotes.quote_repair(session, DEPOT, rid, quotes.QuoteInput(labour_hours=Decimal(1)), now=T[1], links=LINKS)
    with pytest.raises(Conflict) as refused:
        await quotes.approve_quote(session, SYSTEM, it.rma_id, T[2])
    assert refused.value.code == "credit_check_failed" and refused.value.extra["outcome"] == "hold"


async def test_failed_qa_goes_back_to_repair_unseen_by_the_customer(session: AsyncSession) -> None:
    it = await repair_scenario(session)
    rid = (await ro.start_diagnosis(session, DEPOT, it.rma_id, now=T[0])).repair_order.id
    await quotes.quote_repair(session, DEPOT, rid, quotes.QuoteInput(labour_hours=Decimal(0)), now=T[1], links=LINKS)
    await ro.finish_repair(session, DEPOT, rid, now=T[2])
    view = await ro.record_qa(session, DEPOT, rid, ro.QaInput(passed=False, note="still noisy"), now=T[3])
    assert view.repair_order.status == "in_repair" and view.rma.status == "in_repair"
    event = await session.scalar(select(RmaEvent).where(RmaEvent.internal_note == "still noisy"))
    assert event is not None and not event.customer_visible


async def test_a_unit_ships_only_after_qa_has_passed(session: AsyncSession) -> None:
    it = await repair_scenario(session)
    rid = (await ro.start_diagnosis(session, DEPOT, it.rma_id, now=T[0])).repair_order.id
    await quotes.quote_repair(session, DEPOT, rid, quotes.QuoteInput(labour_hours=Decimal(0)), now=T[1], links=LINKS)
    await ro.finish_repair(session, DEPOT, rid, now=T[2])
    shipment = rmas.RmaShipment(carrier_tracking="1Z999")

    with pytest.raises(Conflict) as too_early:
        await rmas.ship(session, DEPOT, it.rma_id, shipment, now=T[3], links=LINKS)
    await ro.record_qa(session, DEPOT, rid, ro.QaInput(passed=True), now=T[4])
    shipped = await rmas.ship(session, DEPOT, it.rma_id, shipment, now=T[5], links=LINKS)

    assert too_early.value.code == "not_ready_to_ship"
    assert shipped.status == "shipped" and shipped.carrier_tracking == "1Z999"


async def test_parts_only_during_repair_and_stock_never_negative(session: AsyncSession) -> None:
    it = await repair_scenario(session)
    rid = (await ro.start_diagnosis(session, DEPOT, it.rma_id, now=T[0])).repair_order.id
    with pytest.raises(Conflict) as early:
        await ro.add_part(session, DEPOT, rid, ro.PartInput(product_id=it.depot.part_id, quantity=Decimal(1)), now=T[1])
    assert early.value.code == "repair_order_not_editable"
    await quotes.quote_repair(session, DEPOT, rid, quotes.QuoteInput(labour_hours=Decimal(0)), now=T[1], links=LINKS)
    with pytest.raises(Conflict) as short:
        await ro.add_part(session, DEPOT, rid, ro.PartInput(product_id=it.depot.part_id, quantity=Decimal(9)), now=T[2])
    assert short.value.code == "insufficient_stock"


async def test_label_pdf_carries_the_rma_number(session: AsyncSession) -> None:
    it = await repair_scenario(session)
    rma = await session.get(Rma, it.rma_id)
    assert rma is not None
    label = await documents.label_for(session, SYSTEM, it.rma_id)
    text = pdf_text(label.content)
    assert it.rma_number in text and "Central repair depot" in text and "Hauptstr. 5" in text
    assert label.filename == f"{it.rma_number}-return-label.pdf"
    svg = documents.code128_svg(it.rma_number)
    assert svg.startswith(b"<?xml") and b"<rect" in svg
    assert LATER > RECEIVED_AT
