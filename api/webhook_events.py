"""Which business facts are webhook events: the catalogue, and the reaction that enqueues them.

Every use case writes its change to the audit log in its own transaction, and the log
publishes `ChangeRecorded` for each record (`core.audit`). An audit record whose entity and
action (and, for status changes, new status) match an entry here becomes a pending delivery
for each active subscription to that event type, in the same transaction: a rolled-back
change sends nothing, a committed one is sent by the worker after the commit. The api wires
this because only it sees every domain's vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import domain_events
from core.audit import ChangeRecorded
from core.webhooks import deliveries


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    description: str
    entity: str
    action: str
    status: str | None = None  # for a transition: only this new status


EVENT_TYPES: tuple[EventType, ...] = (
    EventType("service_request.logged", "a service request (call) was logged", "service_request", "create"),
    EventType("service_request.sla_breached", "a request's SLA target was breached", "service_request", "sla_breach"),
    EventType("work_order.created", "a work order was created", "work_order", "create"),
    EventType("work_order.scheduled", "a work order was scheduled", "work_order", "transition", "scheduled"),
    EventType("work_order.completed", "a work order was completed", "work_order", "transition", "completed"),
    EventType("work_order.status_changed", "a work order changed status (any step)", "work_order", "transition"),
    EventType("credit.hold", "a customer's credit account was put on hold", "credit_account", "hold"),
    EventType("credit.released", "a credit hold was released", "credit_account", "release"),
    EventType("rma.created", "a return (RMA) was opened", "rma", "create"),
    EventType("rma.step", "a return (RMA) moved to its next step", "rma", "transition"),
    EventType("invoice.issued", "an invoice was issued", "invoice", "issue"),
    EventType("invoice.voided", "an invoice was voided", "invoice", "void"),
    EventType("payment.received", "a payment was recorded", "payment", "create"),
)
EVENT_NAMES: frozenset[str] = frozenset(event.name for event in EVENT_TYPES)
_BY_CHANGE: dict[tuple[str, str], list[EventType]] = {}
for _event in EVENT_TYPES:
    _BY_CHANGE.setdefault((_event.entity, _event.action), []).append(_event)


def matching(change: ChangeRecorded) -> list[EventType]:
    status = (change.after or {}).get("status")
    return [
        event
        for event in _BY_CHANGE.get((change.entity, change.action), [])
        if event.status is None or event.status == status
    ]


def event_data(change: ChangeRecorded) -> dict[str, Any]:
    """The `data` of the envelope: what changed, as the audit log records it."""
    return {
        "entity": change.entity,
        "id": change.entity_id,
        "action": change.action,
        "at": change.at.isoformat(),
        "actor": {"name": change.actor.username, "role": change.actor.role.value},
        "before": change.before,
        "after": change.after,
    }


async def on_change(session: AsyncSession, change: ChangeRecorded) -> None:
    for event in matching(change):
        await deliveries.enqueue(session, event.name, event_data(change), change.at)


def register() -> None:
    """Subscribe to the audit log's changes (idempotent); every entry point calls it."""
    domain_events.subscribe(ChangeRecorded, on_change)
