"""Repair quotes: what the entitlement does not cover, and the customer's decision.

The depot ends the diagnosis with an estimate (labour hours, parts). `quote_repair` prices it
by the rule of `repair_billing` (SVC-LABOUR per hour, parts at list price, minus the RMA's
coverage):

- nothing to pay (warranty, full contract cover, or an empty estimate): straight to repair;
- otherwise the RMA waits for the customer (`awaiting_approval`), the quote is `sent`, its PDF
  is stored (document `repair_quote:<repair order id>`) and the customer is notified.

`approve_quote` (the customer on their own RMA, or an agent/admin on their behalf) runs the
credit check for the quote amount (reference: the DR number) and stores it on the repair order.
`fail` / `hold` answer 409 `credit_check_failed` with the reasons and change nothing; an
override approved by a contract administrator (for the customer, and the DR number or no
reference) lets the next check pass, and is used up. A pass starts the repair.

`decline_quote` records the decision; the unit goes back unrepaired (the RMA services ship it
from `awaiting_approval`), and the repair order's inspection fee, if any, becomes a billable
item. The fee is entered at diagnosis; left empty, it defaults to the list price of the
service product `SVC-INSPECTION` (no such product: no fee).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.credit_rule import CreditOutcome
from contracts.services.credit import run_credit_check
from core import audit
from core.auth import Principal
from core.clock import FixedClock
from core.errors import Conflict, NotFound
from returns import documents
from returns.choices import QuoteStatus, RepairOrderStatus, RmaStatus
from returns.errors import Code
from returns.models import RepairOrder, Rma
from returns.services import rma_lifecycle, rma_notices
from returns.services.repair_billing import (
    INSPECTION_SKU,
    PartLine,
    cover_of,
    labour_price,
    line_json,
    products_by_id,
    record_inspection_fee,
    repair_lines,
    service_price,
    total,
)
from returns.services.repair_orders import RepairOrderView, checked, locked, repair_order_of, view_of
from returns.services.rma_lifecycle import visible_rma
from returns.services.rma_notices import NoticeLinks
from service_mgmt.services.credit_gate import reason_json


class EstimatedPart(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    product_id: UUID
    quantity: Decimal


class QuoteInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The estimate that ends the diagnosis."""

    labour_hours: Decimal
    parts: list[EstimatedPart] = msgspec.field(default_factory=list)
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None  # shown on the quote


class QuoteDecision(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    comment: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


async def quote_repair(
    session: AsyncSession,
    actor: Principal,
    repair_order_id: UUID,
    data: QuoteInput,
    *,
    now: dt.datetime,
    links: NoticeLinks,
) -> RepairOrderView:
    """End the diagnosis: price the estimate; covered work starts, the rest is quoted.

    The customer's e-mail links to the RMA's tracking page, where the quote is approved or declined.
    """
    rma, repair_order = await locked(session, repair_order_id)
    if repair_order.status != RepairOrderStatus.DIAGNOSIS.value:
        raise Conflict(
            Code.REPAIR_ORDER_NOT_EDITABLE,
            f"repair order {repair_order.number} is {repair_order.status}; it is quoted at the end of diagnosis",
            field="status",
            extra={"current_status": repair_order.status},
        )
    hours = checked(data.labour_hours, "labour_hours", 2, zero_ok=True, most=Decimal(1000))
    for n, part in enumerate(data.parts):
        checked(part.quantity, f"parts[{n}].quantity", 3)
    products = await products_by_id(session, (p.product_id for p in data.parts))
    labour = await labour_price(session)
    estimate = [PartLine(f"part:{n}", products[p.product_id], p.quantity) for n, p in enumerate(data.parts, start=1)]
    lines = repair_lines(labour, hours, estimate, cover_of(rma))
    amount = total(lines)
    repair_order.quote_lines = [line_json(line) for line in lines]
    repair_order.quote_amount = amount
    repair_order.quote_currency = labour.currency
    if repair_order.inspection_fee is None:
        fee = await service_price(session, INSPECTION_SKU)
        repair_order.inspection_fee = fee.unit_price if fee is not None else None
    if amount == 0:
        await rma_lifecycle.move(
            session, actor, rma, RmaStatus.IN_REPAIR, now=now, message="Covered repair started", internal_note=data.note
        )
        repair_order.status = RepairOrderStatus.IN_REPAIR.value
        await session.flush()
        return await view_of(session, rma, repair_order)
    await rma_lifecycle.move(
        session,
        actor,
        rma,
        RmaStatus.AWAITING_APPROVAL,
        now=now,
        message=f"Quote for the repair: {amount} {labour.currency}; please approve or decline",
        internal_note=data.note,
        detail={"quote_amount": str(amount), "currency": labour.currency},
    )
    repair_order.status = RepairOrderStatus.AWAITING_APPROVAL.value
    repair_order.quote_status = QuoteStatus.SENT.value
    repair_order.quote_sent_at = now
    await session.flush()
    await audit.record(
        session, actor, "repair_order", repair_order.id, "quote_sent", after=audit.snapshot(repair_order), at=now
    )
    document = await documents.render_quote(session, rma, repair_order, note=data.note)
    message = await rma_notices.notify(session, rma, "quote", now, links=links)
    if message is not None:  # the quote PDF goes with the e-mail (the email handler attaches documents)
        message.payload = {**message.payload, "document_ids": [str(document.id)]}
        await session.flush()
    return await view_of(session, rma, repair_order)


async def approve_quote(
    session: AsyncSession,
    actor: Principal,
    rma_id: UUID,
    now: dt.datetime,
    data: QuoteDecision | None = None,
) -> RepairOrderView:
    """The customer (or staff on their behalf) accepts the quote: credit check, then repair."""
    rma, repair_order = await _open_quote(session, actor, rma_id)
    amount = repair_order.quote_amount or Decimal("0.00")
    decision = await run_credit_check(
        session,
        actor,
        rma.customer_id,
        amount,
        repair_order.quote_currency or "EUR",
        repair_order.number,
        clock=FixedClock(now),
    )
    reasons = [reason_json(reason) for reason in decision.reasons]
    if decision.outcome is not CreditOutcome.PASS:
        raise Conflict(
            Code.CREDIT_CHECK_FAILED,
            f"the quote of {repair_order.number} ({amount} {repair_order.quote_currency}) cannot be approved: "
            f"the credit check answered {decision.outcome.value}: "
            + "; ".join(reason.detail for reason in decision.reasons)
            + ". A contract administrator can approve an override for it.",
            field="status",
            extra={
                "outcome": decision.outcome.value,
                "reasons": reasons,
                "amount": str(decision.amount.value),
                "currency": decision.amount.currency,
            },
        )
    repair_order.credit = {
        "outcome": decision.outcome.value,
        "checked_at": now.isoformat(),
        "amount": str(amount),
        "currency": repair_order.quote_currency,
        "override_id": str(decision.override_id) if decision.override_id else None,
        "reasons": reasons,
    }
    _decide(repair_order, actor, QuoteStatus.APPROVED, now)
    repair_order.status = RepairOrderStatus.IN_REPAIR.value
    await rma_lifecycle.move(
        session,
        actor,
        rma,
        RmaStatus.IN_REPAIR,
        now=now,
        message="Quote approved; the repair has started",
        internal_note=data.comment if data else None,
    )
    await session.flush()
    await audit.record(
        session, actor, "repair_order", repair_order.id, "quote_approved", after=repair_order.credit, at=now
    )
    return await view_of(session, rma, repair_order)


async def decline_quote(
    session: AsyncSession,
    actor: Principal,
    rma_id: UUID,
    now: dt.datetime,
    data: QuoteDecision | None = None,
) -> RepairOrderView:
    """The customer declines: the unit goes back unrepaired; the inspection fee (if any) is billed."""
    rma, repair_order = await _open_quote(session, actor, rma_id)
    _decide(repair_order, actor, QuoteStatus.DECLINED, now)
    repair_order.status = RepairOrderStatus.DECLINED.value
    await session.flush()
    await rma_lifecycle.record_event(
        session,
        actor,
        rma,
        kind="quote_declined",
        now=now,
        customer_visible=True,
        message="Quote declined; the unit will be returned unrepaired",
        internal_note=data.comment if data else None,
    )
    await record_inspection_fee(session, actor, rma, repair_order, now)
    await audit.record(session, actor, "repair_order", repair_order.id, "quote_declined", at=now)
    return await view_of(session, rma, repair_order)


async def _open_quote(session: AsyncSession, actor: Principal, rma_id: UUID) -> tuple[Rma, RepairOrder]:
    """The RMA (visible to the actor) and its repair order with a quote waiting, both locked."""
    await visible_rma(session, actor, rma_id)
    repair_order = await repair_order_of(session, rma_id)
    if repair_order is None:
        raise NotFound("repair_order", f"of RMA {rma_id}")
    rma, repair_order = await locked(session, repair_order.id)
    if repair_order.quote_status != QuoteStatus.SENT.value or rma.status != RmaStatus.AWAITING_APPROVAL.value:
        raise Conflict(
            Code.QUOTE_NOT_OPEN,
            f"RMA {rma.number} has no quote waiting for a decision (quote {repair_order.quote_status or 'none'})",
            field="status",
            extra={"quote_status": repair_order.quote_status, "rma_status": rma.status},
        )
    return rma, repair_order


def _decide(repair_order: RepairOrder, actor: Principal, status: QuoteStatus, now: dt.datetime) -> None:
    repair_order.quote_status = status.value
    repair_order.quote_decided_at = now
    repair_order.quote_decided_by = actor.username
