"""Queue a work order's service report: rendered and e-mailed after commit by the outbox.

The recipient is decided now, from the request's contact (else the customer's primary
contact, else the customer's e-mail), so the audit trail shows who was meant to get it even
if the contact changes before delivery. With no address the report is still rendered.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import outbox
from masterdata.models import Contact, Customer
from service_mgmt.models import ServiceRequest, WorkOrder

KIND = "service_report"


def dedupe_key(work_order: WorkOrder) -> str:
    return f"{KIND}:{work_order.id}"


async def queue_service_report(session: AsyncSession, work_order: WorkOrder, now: dt.datetime) -> outbox.OutboxMessage:
    recipient = await _recipient(session, work_order)
    return await outbox.enqueue(
        session,
        kind=KIND,
        dedupe_key=dedupe_key(work_order),
        now=now,
        recipient=recipient,
        subject=f"Service report {work_order.number}",
        payload={"work_order_id": str(work_order.id)},
    )


async def _recipient(session: AsyncSession, work_order: WorkOrder) -> str | None:
    if work_order.request_id is not None:
        request = await session.get(ServiceRequest, work_order.request_id)
        if request is not None and request.contact_id is not None:
            contact = await session.get(Contact, request.contact_id)
            if contact is not None and contact.email:
                return contact.email
    primary = await session.scalar(
        select(Contact.email).where(
            Contact.customer_id == work_order.customer_id, Contact.is_primary.is_(True), Contact.email.is_not(None)
        )
    )
    if primary:
        return primary
    customer = await session.get(Customer, work_order.customer_id)
    return customer.email if customer is not None else None
