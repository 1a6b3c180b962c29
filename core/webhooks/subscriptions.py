"""Webhook subscriptions: an admin names a target URL and the event types it receives."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from uuid import UUID

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal
from core.editing import check_version
from core.errors import Invalid, NotFound
from core.listing import Page, PageRequest, paginate
from core.webhooks import signing, targets
from core.webhooks.models import WebhookSubscription

ENTITY = "webhook_subscription"


class SubscriptionCreate(msgspec.Struct, forbid_unknown_fields=True):
    url: str
    event_types: list[str]
    description: str | None = None
    active: bool = True


class SubscriptionUpdate(msgspec.Struct, forbid_unknown_fields=True):
    version: int
    url: str | msgspec.UnsetType = msgspec.UNSET
    event_types: list[str] | msgspec.UnsetType = msgspec.UNSET
    description: str | None | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


@dataclass(frozen=True, slots=True)
class Created:
    subscription: WebhookSubscription
    secret: str  # shown once


def _event_types(requested: list[str], known: Collection[str]) -> list[str]:
    if not requested:
        raise Invalid("event_types_required", "name at least one event type", field="event_types")
    for index, name in enumerate(requested):
        if name not in known:
            raise Invalid(
                "unknown_event_type",
                f"unknown event type {name!r}; known: {', '.join(sorted(known))}",
                field=f"event_types[{index}]",
            )
    return list(dict.fromkeys(requested))


def _description(text: str | None) -> str | None:
    if text is not None and len(text) > 300:
        raise Invalid("too_long", "a description has at most 300 characters", field="description")
    return text


async def _url(url: str, allow_private: bool) -> str:
    if len(url) > 2000:
        raise Invalid("too_long", "a URL has at most 2000 characters", field="url")
    await targets.check(url, allow_private=allow_private)
    return url


async def create(
    session: AsyncSession,
    actor: Principal,
    data: SubscriptionCreate,
    *,
    known: Collection[str],
    allow_private: bool,
) -> Created:
    subscription = WebhookSubscription(
        url=await _url(data.url, allow_private),
        event_types=_event_types(data.event_types, known),
        description=_description(data.description),
        secret=signing.new_secret(),
        active=data.active,
    )
    session.add(subscription)
    await session.flush()
    await audit.record(session, actor, ENTITY, subscription.id, "create", after=_logged(subscription))
    return Created(subscription, subscription.secret)


def _logged(subscription: WebhookSubscription) -> dict[str, object]:
    return audit.snapshot(subscription, exclude=frozenset({"secret", "created_at", "updated_at"}))


async def get(session: AsyncSession, subscription_id: UUID, *, lock: bool = False) -> WebhookSubscription:
    stmt = select(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
    if lock:
        stmt = stmt.with_for_update()
    subscription = await session.scalar(stmt)
    if subscription is None:
        raise NotFound(ENTITY, subscription_id)
    return subscription


async def list_subscriptions(
    session: AsyncSession, page: PageRequest, *, active: bool | None = None
) -> Page[WebhookSubscription]:
    stmt = select(WebhookSubscription)
    if active is not None:
        stmt = stmt.where(WebhookSubscription.active.is_(active))
    return await paginate(
        session,
        stmt,
        page,
        sortable={"created_at": WebhookSubscription.created_at, "url": WebhookSubscription.url},
        default_sort="created_at",
        tie_breaker=WebhookSubscription.id,
    )


async def update(
    session: AsyncSession,
    actor: Principal,
    subscription_id: UUID,
    data: SubscriptionUpdate,
    *,
    known: Collection[str],
    allow_private: bool,
) -> WebhookSubscription:
    subscription = await get(session, subscription_id, lock=True)
    check_version(ENTITY, subscription, data.version)
    before = _logged(subscription)
    if not isinstance(data.url, msgspec.UnsetType):
        subscription.url = await _url(data.url, allow_private)
    if not isinstance(data.event_types, msgspec.UnsetType):
        subscription.event_types = _event_types(data.event_types, known)
    if not isinstance(data.description, msgspec.UnsetType):
        subscription.description = _description(data.description)
    if not isinstance(data.active, msgspec.UnsetType):
        subscription.active = data.active
    await session.flush()
    old, new = audit.changed(before, _logged(subscription))
    await audit.record(session, actor, ENTITY, subscription.id, "update", before=old, after=new)
    return subscription


async def rotate_secret(session: AsyncSession, actor: Principal, subscription_id: UUID) -> Created:
    """A new secret; deliveries from now on (and retries of older ones) are signed with it."""
    subscription = await get(session, subscription_id, lock=True)
    subscription.secret = signing.new_secret()
    await session.flush()
    await audit.record(session, actor, ENTITY, subscription.id, "rotate_secret")
    return Created(subscription, subscription.secret)


async def delete(session: AsyncSession, actor: Principal, subscription_id: UUID) -> None:
    """Delete it with its delivery log (nothing pending is sent afterwards)."""
    subscription = await get(session, subscription_id, lock=True)
    before = _logged(subscription)
    await session.delete(subscription)
    await session.flush()
    await audit.record(session, actor, ENTITY, subscription_id, "delete", before=before)
