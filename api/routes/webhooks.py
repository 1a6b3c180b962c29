"""Webhooks: /api/v1/webhooks (admins only): subscriptions, their delivery log, replays."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.webhooks import (
    DeliveryOut,
    EventTypeOut,
    SecretOut,
    SubscriptionCreated,
    SubscriptionOut,
    delivery_out,
    subscription_created,
    subscription_out,
)
from api.security import allow
from api.webhook_events import EVENT_NAMES, EVENT_TYPES
from core.auth import Principal, Role
from core.clock import SYSTEM_CLOCK, Clock
from core.settings import Settings
from core.webhooks import deliveries, subscriptions
from core.webhooks.models import DeliveryStatus

CLOCK: Clock = SYSTEM_CLOCK


def _allow_private(state: State) -> bool:
    settings: Settings = state.settings
    return settings.webhooks.allow_private_targets


class WebhookController(Controller):
    path = "/api/v1/webhooks"
    tags = ["webhooks"]

    @get("/event-types", summary="The event types a subscription may name", **allow(Role.ADMIN))
    async def list_event_types(self) -> list[EventTypeOut]:
        return [EventTypeOut(name=event.name, description=event.description) for event in EVENT_TYPES]

    @get("/", summary="List webhook subscriptions", **allow(Role.ADMIN))
    async def list_subscriptions(
        self,
        db_session: DbSession,
        page: Paging,
        active: Annotated[bool | None, QueryParameter()] = None,
    ) -> PageOut[SubscriptionOut]:
        return page_out(await subscriptions.list_subscriptions(db_session, page, active=active), subscription_out)

    @post(
        "/",
        summary="Subscribe a target URL to event types; the answer shows the signing secret, once",
        status_code=HTTP_201_CREATED,
        **allow(Role.ADMIN),
    )
    async def create_subscription(
        self,
        state: State,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        data: JSONBody[subscriptions.SubscriptionCreate],
    ) -> SubscriptionCreated:
        created = await subscriptions.create(
            db_session, request.user, data, known=EVENT_NAMES, allow_private=_allow_private(state)
        )
        return subscription_created(created.subscription, created.secret)

    @get("/{subscription_id:uuid}", summary="One webhook subscription (without its secret)", **allow(Role.ADMIN))
    async def get_subscription(self, db_session: DbSession, subscription_id: FromPath[UUID]) -> SubscriptionOut:
        return subscription_out(await subscriptions.get(db_session, subscription_id))

    @patch(
        "/{subscription_id:uuid}",
        summary="Change a subscription: URL, event types, description, active (send the version)",
        **allow(Role.ADMIN),
    )
    async def update_subscription(
        self,
        state: State,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        subscription_id: FromPath[UUID],
        data: JSONBody[subscriptions.SubscriptionUpdate],
    ) -> SubscriptionOut:
        subscription = await subscriptions.update(
            db_session, request.user, subscription_id, data, known=EVENT_NAMES, allow_private=_allow_private(state)
        )
        return subscription_out(subscription)

    @post(
        "/{subscription_id:uuid}/rotate-secret",
        summary="Replace the signing secret; the answer shows the new one, once",
        status_code=HTTP_201_CREATED,
        **allow(Role.ADMIN),
    )
    async def rotate_secret(
        self, db_session: DbSession, request: Request[Principal, Any, Any], subscription_id: FromPath[UUID]
    ) -> SecretOut:
        created = await subscriptions.rotate_secret(db_session, request.user, subscription_id)
        return SecretOut(id=created.subscription.id, secret=created.secret)

    @delete(
        "/{subscription_id:uuid}",
        summary="Delete a subscription and its delivery log",
        status_code=HTTP_204_NO_CONTENT,
        **allow(Role.ADMIN),
    )
    async def delete_subscription(
        self, db_session: DbSession, request: Request[Principal, Any, Any], subscription_id: FromPath[UUID]
    ) -> None:
        await subscriptions.delete(db_session, request.user, subscription_id)

    @get(
        "/{subscription_id:uuid}/deliveries",
        summary="The delivery log of a subscription, newest first",
        **allow(Role.ADMIN),
    )
    async def list_deliveries(
        self,
        db_session: DbSession,
        page: Paging,
        subscription_id: FromPath[UUID],
        status: Annotated[DeliveryStatus | None, QueryParameter()] = None,
    ) -> PageOut[DeliveryOut]:
        found = await deliveries.list_deliveries(db_session, subscription_id, page, status=status)
        return page_out(found, delivery_out)

    @post(
        "/{subscription_id:uuid}/deliveries/{delivery_id:uuid}/replay",
        summary="Send a delivery again (same body and webhook-id) as a new delivery",
        status_code=HTTP_202_ACCEPTED,
        **allow(Role.ADMIN),
    )
    async def replay_delivery(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        subscription_id: FromPath[UUID],
        delivery_id: FromPath[UUID],
    ) -> DeliveryOut:
        replayed = await deliveries.replay(db_session, request.user, subscription_id, delivery_id, CLOCK.now())
        return delivery_out(replayed)
