"""Deliveries: written in the business transaction (the outbox), listed per subscription, replayed.

`enqueue` runs inside the transaction of the change it announces: a rolled-back change leaves
no delivery, a committed one leaves a pending row the dispatcher sends after the commit.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal
from core.errors import Conflict, NotFound
from core.listing import Page, PageRequest, paginate
from core.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from core.webhooks.subscriptions import get as get_subscription


def body_of(event_type: str, at: dt.datetime, data: dict[str, Any]) -> str:
    """The JSON body, in the Standard Webhooks envelope (`type`, `timestamp`, `data`)."""
    envelope = {"type": event_type, "timestamp": at.astimezone(dt.UTC).isoformat(), "data": data}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, default=str)


async def subscribers(session: AsyncSession, event_type: str) -> list[WebhookSubscription]:
    # A company has a handful of subscriptions: filtering their (JSON) event lists here is
    # simpler than a JSON containment query that differs between SQLite and PostgreSQL.
    # No autoflush: this runs inside another use case's audit record, whose half-built objects
    # are that use case's to flush.
    with session.no_autoflush:
        stmt = select(WebhookSubscription).where(WebhookSubscription.active.is_(True))
        active = (await session.scalars(stmt)).all()
    return [s for s in active if event_type in s.event_types]


async def enqueue(session: AsyncSession, event_type: str, data: dict[str, Any], now: dt.datetime) -> int:
    """A pending delivery for every active subscription to `event_type`; answers how many."""
    targets = await subscribers(session, event_type)
    if not targets:
        return 0
    body = body_of(event_type, now, data)
    for subscription in targets:
        session.add(
            WebhookDelivery(
                subscription_id=subscription.id,
                event_type=event_type,
                message_id=f"msg_{uuid.uuid4().hex}",
                body=body,
                next_attempt_at=now,
            )
        )
    await session.flush()
    return len(targets)


async def list_deliveries(
    session: AsyncSession, subscription_id: UUID, page: PageRequest, *, status: DeliveryStatus | None = None
) -> Page[WebhookDelivery]:
    await get_subscription(session, subscription_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status.value)
    return await paginate(
        session,
        stmt,
        page,
        sortable={"created_at": WebhookDelivery.created_at, "status": WebhookDelivery.status},
        default_sort="-created_at",
        tie_breaker=WebhookDelivery.id,
    )


async def get_delivery(session: AsyncSession, subscription_id: UUID, delivery_id: UUID) -> WebhookDelivery:
    delivery = await session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.subscription_id == subscription_id
        )
    )
    if delivery is None:
        raise NotFound("webhook_delivery", delivery_id)
    return delivery


async def replay(
    session: AsyncSession, actor: Principal, subscription_id: UUID, delivery_id: UUID, now: dt.datetime
) -> WebhookDelivery:
    """Send a delivery again (delivered or dead-lettered alike) as a new pending delivery.

    The body and `webhook-id` stay the same, so a receiver that already handled it can tell;
    the new row keeps its own tries and outcome in the log, pointing at the original.
    """
    original = await get_delivery(session, subscription_id, delivery_id)
    if original.status == DeliveryStatus.PENDING.value:
        # It is going out anyway; a second copy would only race it.
        raise Conflict("webhook_delivery_pending", "this delivery is still pending: it goes out without a replay")
    copy = WebhookDelivery(
        subscription_id=original.subscription_id,
        event_type=original.event_type,
        message_id=original.message_id,
        body=original.body,
        status=DeliveryStatus.PENDING.value,
        next_attempt_at=now,
        replay_of_id=original.id,
    )
    session.add(copy)
    await session.flush()
    await audit.record(
        session, actor, "webhook_delivery", copy.id, "replay", after={"replay_of_id": str(original.id)}, at=now
    )
    return copy
