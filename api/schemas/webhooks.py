"""Response shapes for webhooks. The signing secret appears only in `SubscriptionCreated`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from uuid import UUID

import msgspec

from core.webhooks.models import WebhookDelivery, WebhookSubscription


class EventTypeOut(msgspec.Struct, kw_only=True):
    name: str
    description: str


class SubscriptionOut(msgspec.Struct, kw_only=True):
    id: UUID
    url: str
    description: str | None
    event_types: list[str]
    active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class SubscriptionCreated(SubscriptionOut, kw_only=True):
    secret: str  # whsec_…: shown in this answer only


class SecretOut(msgspec.Struct, kw_only=True):
    id: UUID
    secret: str


class DeliveryOut(msgspec.Struct, kw_only=True):
    id: UUID
    subscription_id: UUID
    event_type: str
    message_id: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None  # when pending: its next try
    last_attempt_at: dt.datetime | None
    last_http_status: int | None  # the answer of the last try
    last_error: str | None
    delivered_at: dt.datetime | None
    replay_of_id: UUID | None
    created_at: dt.datetime
    payload: dict[str, Any]


def _fields(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "url": subscription.url,
        "description": subscription.description,
        "event_types": list(subscription.event_types),
        "active": subscription.active,
        "version": subscription.version,
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
    }


def subscription_out(subscription: WebhookSubscription) -> SubscriptionOut:
    return SubscriptionOut(**_fields(subscription))


def subscription_created(subscription: WebhookSubscription, secret: str) -> SubscriptionCreated:
    return SubscriptionCreated(**_fields(subscription), secret=secret)


def delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        subscription_id=delivery.subscription_id,
        event_type=delivery.event_type,
        message_id=delivery.message_id,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        last_attempt_at=delivery.last_attempt_at,
        last_http_status=delivery.last_status_code,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        replay_of_id=delivery.replay_of_id,
        created_at=delivery.created_at,
        payload=json.loads(delivery.body),
    )
