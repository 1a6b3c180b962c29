"""Response shapes for depot repair orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from returns.services.repair_orders import RepairOrderView


class RepairLabourOut(msgspec.Struct, kw_only=True):
    id: UUID
    performed_by: str
    performed_on: dt.date
    minutes: int
    description: str


class RepairPartOut(msgspec.Struct, kw_only=True):
    id: UUID
    product_id: UUID
    quantity: Decimal
    serial_number: str | None
    stock_move_id: UUID | None


class RepairOrderOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    rma_id: UUID
    rma_number: str
    rma_status: str
    equipment_id: UUID
    status: str
    fault_codes: list[str]
    diagnosis: str | None
    test_results: list[dict[str, Any]]
    quote_amount: Decimal | None
    quote_currency: str | None
    quote_lines: list[dict[str, Any]]
    quote_status: str | None
    quote_sent_at: dt.datetime | None
    quote_decided_at: dt.datetime | None
    quote_decided_by: str | None
    credit: dict[str, Any] | None
    inspection_fee: Decimal | None
    completed_at: dt.datetime | None
    labour: list[RepairLabourOut]
    parts: list[RepairPartOut]
    version: int


def repair_order_out(view: RepairOrderView) -> RepairOrderOut:
    ro = view.repair_order
    return RepairOrderOut(
        id=ro.id,
        number=ro.number,
        rma_id=ro.rma_id,
        rma_number=view.rma.number,
        rma_status=view.rma.status,
        equipment_id=ro.equipment_id,
        status=ro.status,
        fault_codes=list(ro.fault_codes),
        diagnosis=ro.diagnosis,
        test_results=list(ro.test_results),
        quote_amount=ro.quote_amount,
        quote_currency=ro.quote_currency,
        quote_lines=list(ro.quote_lines),
        quote_status=ro.quote_status,
        quote_sent_at=ro.quote_sent_at,
        quote_decided_at=ro.quote_decided_at,
        quote_decided_by=ro.quote_decided_by,
        credit=ro.credit,
        inspection_fee=ro.inspection_fee,
        completed_at=ro.completed_at,
        labour=[
            RepairLabourOut(
                id=e.id,
                performed_by=e.performed_by,
                performed_on=e.performed_on,
                minutes=e.minutes,
                description=e.description,
            )
            for e in view.labour
        ],
        parts=[
            RepairPartOut(
                id=p.id,
                product_id=p.product_id,
                quantity=p.quantity,
                serial_number=p.serial_number,
                stock_move_id=p.stock_move_id,
            )
            for p in view.parts
        ],
        version=ro.version,
    )


class CustomerQuoteOut(msgspec.Struct, kw_only=True):
    """What a customer sees of a repair order: the quote and its decision, no internal detail."""

    rma_id: UUID
    rma_number: str
    rma_status: str
    repair_order_number: str
    quote_status: str | None
    quote_amount: Decimal | None
    quote_currency: str | None
    quote_lines: list[dict[str, Any]]


def customer_quote_out(view: RepairOrderView) -> CustomerQuoteOut:
    ro = view.repair_order
    return CustomerQuoteOut(
        rma_id=view.rma.id,
        rma_number=view.rma.number,
        rma_status=view.rma.status,
        repair_order_number=ro.number,
        quote_status=ro.quote_status,
        quote_amount=ro.quote_amount,
        quote_currency=ro.quote_currency,
        quote_lines=list(ro.quote_lines),
    )
