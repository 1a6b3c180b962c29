"""The PDFs of a return: return label / packing slip, repair quote, repair report.

Rendered with WeasyPrint from `returns/templates/` (`core.pdf`: autoescaped, `data:` URLs only)
and stored as `core.documents.Document` rows, one per key:

- `rma_label:<rma id>`: the RMA number as a Code 128 barcode (python-barcode's SVG, embedded
  as a `data:` image), the depot's address (the active depot stock location's), the customer's
  return address, what is in the parcel and how to pack it. Available once authorized.
- `repair_quote:<repair order id>`: written when the quote is sent (`quotes.quote_repair`).
- `repair_report:<repair order id>`: diagnosis, work, parts and tests; once the repair order is
  done or declined, rendered again on each request while it is not yet stored.

Who may download: staff, and the RMA's customer (anyone else gets the 404 of an unknown RMA).
"""

from __future__ import annotations

import hashlib
import io
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal
from core.documents import Document
from core.errors import Conflict
from core.pdf import data_url, render_pdf_async, render_template, template_source
from masterdata.models import Customer, Equipment, Product
from returns.choices import RepairOrderStatus, RmaStatus, StockLocationKind
from returns.errors import Code
from returns.models import RepairLabour, RepairOrder, RepairPart, Rma, StockLocation
from returns.services.rma_lifecycle import visible_rma

PACKAGE = "returns"
STYLESHEET = "returns.css"
CONTENT_TYPE = "application/pdf"
LABEL, QUOTE, REPORT = "rma_label", "repair_quote", "repair_report"
# A label makes sense once the return is authorized and until the unit has arrived or the return is over.
NO_LABEL = frozenset({RmaStatus.REQUESTED.value, RmaStatus.REJECTED.value, RmaStatus.CANCELLED.value})
REPORTABLE = frozenset({RepairOrderStatus.DONE.value, RepairOrderStatus.DECLINED.value})


def code128_svg(text: str) -> bytes:
    """The Code 128 barcode of `text` as SVG (no human-readable line: the page prints the number)."""
    from barcode import Code128  # imported on use: only documents need it
    from barcode.writer import SVGWriter

    buffer = io.BytesIO()
    Code128(text, writer=SVGWriter()).write(buffer, options={"write_text": False, "module_height": 12.0})
    return buffer.getvalue()


# --- rendering ---------------------------------------------------------------------------------


async def render_label(session: AsyncSession, rma: Rma) -> Document:
    customer, product = await _customer_and_product(session, rma)
    context = {
        "rma": rma,
        "barcode": data_url(code128_svg(rma.number), "image/svg+xml"),
        "depot_address": await _depot_address(session),
        "return_address": _address_lines(rma.ship_to) or [customer.name],
        "customer_name": customer.name,
        "product_name": product.name,
    }
    pdf = await _pdf("rma_label.html", context)
    return await _store(session, f"{LABEL}:{rma.id}", LABEL, f"{rma.number}-return-label.pdf", pdf)


async def render_quote(session: AsyncSession, rma: Rma, repair_order: RepairOrder, *, note: str | None) -> Document:
    customer, product = await _customer_and_product(session, rma)
    context = {
        "rma": rma,
        "ro": repair_order,
        "note": note,
        "sent_at": repair_order.quote_sent_at.strftime("%Y-%m-%d %H:%M UTC") if repair_order.quote_sent_at else "-",
        "customer_name": customer.name,
        "product_name": product.name,
    }
    pdf = await _pdf("repair_quote.html", context)
    return await _store(session, f"{QUOTE}:{repair_order.id}", QUOTE, f"{repair_order.number}-quote.pdf", pdf)


async def render_repair_report(session: AsyncSession, rma: Rma, repair_order: RepairOrder) -> Document:
    customer, product = await _customer_and_product(session, rma)
    labour = (
        await session.scalars(
            select(RepairLabour)
            .where(RepairLabour.repair_order_id == repair_order.id)
            .order_by(RepairLabour.performed_on, RepairLabour.created_at)
        )
    ).all()
    parts = (
        await session.execute(
            select(RepairPart, Product.name)
            .join(Product, Product.id == RepairPart.product_id)
            .where(RepairPart.repair_order_id == repair_order.id)
            .order_by(RepairPart.created_at)
        )
    ).all()
    context = {
        "rma": rma,
        "ro": repair_order,
        "labour": labour,
        "parts": [
            {"name": name, "quantity": part.quantity, "serial_number": part.serial_number} for part, name in parts
        ],
        "completed_at": repair_order.completed_at.strftime("%Y-%m-%d") if repair_order.completed_at else None,
        "customer_name": customer.name,
        "product_name": product.name,
    }
    pdf = await _pdf("repair_report.html", context)
    key = f"{REPORT}:{repair_order.id}"
    return await _store(session, key, REPORT, f"{repair_order.number}-repair-report.pdf", pdf)


# --- downloads ---------------------------------------------------------------------------------


async def label_for(session: AsyncSession, principal: Principal, rma_id: UUID) -> Document:
    rma = await visible_rma(session, principal, rma_id)
    if rma.status in NO_LABEL:
        raise _not_available(f"RMA {rma.number} is {rma.status}; a return label exists once it is authorized")
    stored = await _stored(session, f"{LABEL}:{rma.id}")
    return stored if stored is not None else await render_label(session, rma)


async def quote_for(session: AsyncSession, principal: Principal, rma_id: UUID) -> Document:
    rma = await visible_rma(session, principal, rma_id)
    repair_order = await session.scalar(select(RepairOrder).where(RepairOrder.rma_id == rma.id))
    stored = await _stored(session, f"{QUOTE}:{repair_order.id}") if repair_order else None
    if stored is None:
        raise _not_available(f"RMA {rma.number} has no repair quote")
    return stored


async def repair_report_for(session: AsyncSession, principal: Principal, rma_id: UUID) -> Document:
    rma = await visible_rma(session, principal, rma_id)
    repair_order = await session.scalar(select(RepairOrder).where(RepairOrder.rma_id == rma.id))
    if repair_order is None or repair_order.status not in REPORTABLE:
        raise _not_available(f"RMA {rma.number} has no finished repair order yet")
    stored = await _stored(session, f"{REPORT}:{repair_order.id}")
    return stored if stored is not None else await render_repair_report(session, rma, repair_order)


# --- helpers -------------------------------------------------------------------------------------


def _not_available(detail: str) -> Conflict:
    return Conflict(Code.DOCUMENT_NOT_AVAILABLE, detail)


async def _pdf(template: str, context: dict[str, Any]) -> bytes:
    html = render_template(PACKAGE, template, context)
    return await render_pdf_async(html, stylesheets=[template_source(PACKAGE, STYLESHEET)])


async def _customer_and_product(session: AsyncSession, rma: Rma) -> tuple[Customer, Product]:
    customer = await session.get(Customer, rma.customer_id)
    equipment = await session.get(Equipment, rma.equipment_id)
    product = await session.get(Product, equipment.product_id) if equipment else None
    assert customer is not None and product is not None  # foreign keys
    return customer, product


async def _depot_address(session: AsyncSession) -> list[str]:
    depot = await session.scalar(
        select(StockLocation)
        .where(StockLocation.kind == StockLocationKind.DEPOT.value, StockLocation.active.is_(True))
        .order_by(StockLocation.code)
        .limit(1)
    )
    if depot is None:
        return ["Repair depot"]
    return [depot.name, *[line.strip() for line in (depot.address or "").split(",") if line.strip()]]


def _address_lines(address: dict[str, Any]) -> list[str]:
    city = " ".join(str(address[k]) for k in ("postal_code", "city") if address.get(k))
    lines = [address.get("name"), address.get("street"), city, address.get("country")]
    return [str(line) for line in lines if line]


async def _stored(session: AsyncSession, key: str) -> Document | None:
    document: Document | None = await session.scalar(select(Document).where(Document.key == key))
    return document


async def _store(session: AsyncSession, key: str, kind: str, filename: str, pdf: bytes) -> Document:
    document = await session.scalar(select(Document).where(Document.key == key).with_for_update())
    if document is None:
        document = Document(key=key, kind=kind)
        session.add(document)
    document.filename = filename
    document.content_type = CONTENT_TYPE
    document.content = pdf
    document.size_bytes = len(pdf)
    document.sha256 = hashlib.sha256(pdf).hexdigest()
    await session.flush()
    return document
