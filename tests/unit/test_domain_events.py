"""The in-process domain event hook: handlers per event type, registered once, run in order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core import domain_events


@dataclass(frozen=True)
class Happened:
    what: str


async def test_handlers_run_once_each_in_registration_order_and_only_for_their_type() -> None:
    seen: list[str] = []

    async def first(session: Any, event: Happened) -> None:
        seen.append(f"first {event.what}")

    async def second(session: Any, event: Happened) -> None:
        seen.append(f"second {event.what}")

    try:
        domain_events.subscribe(Happened, first)
        domain_events.subscribe(Happened, second)
        domain_events.subscribe(Happened, first)  # the wiring may run twice; still once
        await domain_events.publish(None, Happened("x"))  # type: ignore[arg-type]
        await domain_events.publish(None, object())  # type: ignore[arg-type]  # nobody listens: nothing happens
    finally:
        domain_events.unsubscribe(Happened, first)
        domain_events.unsubscribe(Happened, second)

    assert seen == ["first x", "second x"]
    assert domain_events.handlers_of(Happened) == []
