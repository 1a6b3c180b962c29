"""In-process domain events: a package announces a fact, another package reacts, same transaction.

`service_mgmt` cannot import `returns` (import direction), yet parts used on a work order must
leave the technician's van. So `service_mgmt` publishes a `PartsConsumed` event and `returns`
subscribes a handler. The wiring layer (`api.app.create_app`, the worker, the CLI) registers the
handlers; registering the same handler twice is harmless. Handlers run in the publisher's session
and transaction, in registration order: a handler that raises fails the whole use case, and
nothing is half-written. Side effects outside the database still go through the outbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

E = TypeVar("E")
Handler = Callable[[AsyncSession, Any], Awaitable[None]]

_handlers: dict[type, list[Handler]] = {}


def subscribe(event_type: type[E], handler: Callable[[AsyncSession, E], Awaitable[None]]) -> None:
    """Run `handler` for every published event of `event_type` (idempotent)."""
    handlers = _handlers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def unsubscribe(event_type: type, handler: Handler) -> None:
    handlers = _handlers.get(event_type, [])
    if handler in handlers:
        handlers.remove(handler)


def handlers_of(event_type: type) -> list[Handler]:
    return list(_handlers.get(event_type, []))


async def publish(session: AsyncSession, event: object) -> None:
    """Run the handlers of `type(event)` now, in this session; with none registered, nothing happens."""
    for handler in list(_handlers.get(type(event), [])):
        await handler(session, event)
