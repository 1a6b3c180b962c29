"""In-process domain events: a package announces a fact, another package reacts, same transaction.

A lower package cannot import a higher one, yet some of its facts set off work above it: parts
used on a work order must leave the technician's van (`service_mgmt` → `returns`), a registered
unit gets its warranty (`masterdata` → `contracts`). So the lower package publishes an event and
the higher one subscribes a handler in its `reactions` module. Every entry point (the app, the
worker, the CLI, tests, benchmarks) calls `returns.reactions.register_handlers()`, which wires the
top package and, through it, every package below; registering the same handler twice is harmless.
Handlers run in the publisher's session and transaction, in registration order: a handler that
raises fails the whole use case, and nothing is half-written. Side effects outside the database
still go through the outbox.
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


class UnhandledEvent(RuntimeError):
    """An event that must be handled was published with no handler: the entry point forgot its wiring."""


async def publish(session: AsyncSession, event: object) -> None:
    """Run the handlers of `type(event)` now, in this session.

    With none registered nothing happens, unless the event type says `must_be_handled` (a class
    attribute): then a missing handler would silently skip a business rule, so it raises instead.
    """
    handlers = list(_handlers.get(type(event), []))
    if not handlers and getattr(type(event), "must_be_handled", False):
        raise UnhandledEvent(f"no handler registered for {type(event).__name__}")
    for handler in handlers:
        await handler(session, event)
