"""Webhook subscriptions and their deliveries (the delivery log, and the outbox the worker sends from)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity, VersionedEntity, sql_in


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) try
    DELIVERED = "delivered"  # the target answered 2xx
    DEAD = "dead"  # dead-lettered: the last try failed, or the target can never be called


class WebhookSubscription(VersionedEntity):
    __tablename__ = "webhook_subscriptions"

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(300))
    # The event type names it receives, e.g. ["invoice.issued", "payment.received"].
    event_types: Mapped[list[str]] = mapped_column(JsonB, default=list)
    # The signing secret (whsec_ + base64). Needed in clear to sign, so stored; the API shows it
    # only in the answer that creates (or rotates) it.
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class WebhookDelivery(Entity):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(DeliveryStatus)}", name="status_valid"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_webhook_deliveries_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_subscription_created", "subscription_id", "created_at"),
    )

    subscription_id: Mapped[UUID] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(80))
    # The webhook-id header: the same for every try and for a replay, so receivers can deduplicate.
    message_id: Mapped[str] = mapped_column(String(64))
    # The JSON body as sent (signed byte for byte), kept so a replay sends the very same thing.
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime]
    last_attempt_at: Mapped[dt.datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(2000))
    delivered_at: Mapped[dt.datetime | None]
    replay_of_id: Mapped[UUID | None] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="SET NULL"))
