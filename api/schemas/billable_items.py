"""Response shapes for billable items (what billing will invoice)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

import msgspec

from contracts.models import BillableItem
from service_mgmt.services.billable_work import WorkOrderBilling


class BillableItemOut(msgspec.Struct, kw_only=True):
    id: UUID
    source_kind: str
    source_id: UUID
    source_ref: str
    line_key: str
    customer_id: UUID
    kind: str
    product_id: UUID | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    currency: str
    coverage_pct: Decimal
    covered_amount: Decimal
    amount: Decimal  # what the customer pays, before tax; billing invoices only amount > 0
    service_date: dt.date
    status: str
    created_at: dt.datetime


class WorkOrderBillableItemsOut(msgspec.Struct, kw_only=True):
    work_order_id: UUID
    work_order_number: str
    currency: str | None
    covered_amount: Decimal
    amount: Decimal
    items: list[BillableItemOut]


def billable_item_out(item: BillableItem) -> BillableItemOut:
    return BillableItemOut(
        id=item.id,
        source_kind=item.source_kind,
        source_id=item.source_id,
        source_ref=item.source_ref,
        line_key=item.line_key,
        customer_id=item.customer_id,
        kind=item.kind,
        product_id=item.product_id,
        description=item.description,
        quantity=item.quantity,
        unit=item.unit,
        unit_price=item.unit_price,
        currency=item.currency,
        coverage_pct=item.coverage_pct,
        covered_amount=item.covered_amount,
        amount=item.amount,
        service_date=item.service_date,
        status=item.status,
        created_at=item.created_at,
    )


def work_order_billable_items_out(billing: WorkOrderBilling) -> WorkOrderBillableItemsOut:
    return WorkOrderBillableItemsOut(
        work_order_id=billing.work_order.id,
        work_order_number=billing.work_order.number,
        currency=billing.currency,
        covered_amount=billing.covered_amount,
        amount=billing.amount,
        items=[billable_item_out(item) for item in billing.items],
    )
