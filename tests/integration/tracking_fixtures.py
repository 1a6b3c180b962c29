"""An RMA with a history for tracking tests: plain ORM rows (no RMA services), committed in one go."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models.credit import CreditAccount
from masterdata.models import Contact, Customer, Site
from returns.choices import QuoteStatus, RepairOrderStatus, RmaStatus
from returns.models import RepairOrder, Rma, RmaEvent
from tests.integration.contract_fixtures import installed_printer

REQUESTED_AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
INTERNAL_NOTE = "Customer dropped it; do not tell them we know"
VISIBLE_MESSAGE = "We received your unit and will inspect it"


@dataclass
class TrackedRma:
    rma_id: UUID
    number: str
    email: str
    postal_code: str
    customer_id: UUID


async def tracked_rma(
    session: AsyncSession,
    *,
    name: str = "ACME",
    number: str = "RMA-000001",
    email: str = "Jane.Doe@Example.com",
    postal_code: str = "10115",
    with_quote: bool = False,
    credit_limit: str | None = None,
    on_credit_hold: bool = False,
) -> TrackedRma:
    it = await installed_printer(session, name)
    customer = await session.get(Customer, it.customer_id)
    site = await session.get(Site, it.site_id)
    assert customer is not None and site is not None
    customer.email = f"office@{name.lower()}.example"
    site.postal_code = "99999"
    contact = Contact(customer_id=customer.id, first_name="Jane", last_name="Doe", email=email)
    session.add(contact)
    await session.flush()
    status = RmaStatus.AWAITING_APPROVAL if with_quote else RmaStatus.IN_DIAGNOSIS
    rma = Rma(
        number=number,
        customer_id=customer.id,
        contact_id=contact.id,
        equipment_id=it.equipment_id,
        serial_number="SN-1",
        rma_type="repair_return",
        reason_code="defect",
        problem_description="paper jam",
        status=status.value,
        requested_at=REQUESTED_AT,
        entitlement={},
        covered_by="none",
        labour_pct=Decimal(0),
        parts_pct=Decimal(0),
        ship_to={"name": name, "street": "Main 1", "postal_code": postal_code, "city": "Berlin", "country": "DE"},
        expected_ship_on=dt.date(2026, 3, 20),
        created_by="agent1",
    )
    session.add(rma)
    await session.flush()
    steps = [
        (RmaStatus.REQUESTED, RmaStatus.AUTHORIZED, True, None, None),
        (RmaStatus.AUTHORIZED, RmaStatus.AWAITING_RECEIPT, True, None, None),
        (RmaStatus.AWAITING_RECEIPT, RmaStatus.RECEIVED, True, VISIBLE_MESSAGE, INTERNAL_NOTE),
        (RmaStatus.RECEIVED, RmaStatus.IN_DIAGNOSIS, False, "Bench test started", "Fuser smells burnt"),
    ]
    if with_quote:
        steps.append((RmaStatus.IN_DIAGNOSIS, RmaStatus.AWAITING_APPROVAL, True, "Please approve the quote", None))
    for hour, (src, dst, visible, message, note) in enumerate(steps, start=1):
        session.add(
            RmaEvent(
                rma_id=rma.id,
                at=REQUESTED_AT + dt.timedelta(hours=hour),
                kind="status_changed",
                from_status=src.value,
                to_status=dst.value,
                actor_name="depot1",
                customer_visible=visible,
                message=message,
                internal_note=note,
                detail={},
            )
        )
    if with_quote:
        session.add(
            RepairOrder(
                number="DR-000001",
                rma_id=rma.id,
                equipment_id=it.equipment_id,
                status=RepairOrderStatus.AWAITING_APPROVAL.value,
                quote_amount=Decimal("240.00"),
                quote_currency="EUR",
                quote_lines=[
                    {"description": "Labour", "quantity": "2", "amount": "180.00"},
                    {"description": "Fuser unit", "quantity": "1", "amount": "60.00"},
                ],
                quote_status=QuoteStatus.SENT.value,
                quote_sent_at=REQUESTED_AT + dt.timedelta(hours=5),
            )
        )
    if credit_limit is not None:
        session.add(
            CreditAccount(
                customer_id=customer.id,
                credit_limit=Decimal(credit_limit),
                currency="EUR",
                on_hold=on_credit_hold,
                hold_reason="unpaid invoices" if on_credit_hold else None,
            )
        )
    await session.commit()
    return TrackedRma(rma.id, number, email, postal_code, customer.id)
