"""The webhook catalogue: which audited changes become which event types."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from api.webhook_events import EVENT_NAMES, EVENT_TYPES, event_data, matching
from core.audit import ChangeRecorded
from core.auth import Principal, Role

AT = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
ACTOR = Principal(user_id=uuid.uuid4(), username="pat", role=Role.PLANNER)


def change(entity: str, action: str, after: dict[str, object] | None = None) -> ChangeRecorded:
    return ChangeRecorded(ACTOR, entity, "42", action, None, after, AT)


@pytest.mark.parametrize(
    ("entity", "action", "after", "expected"),
    [
        ("service_request", "create", {"number": "SR-1"}, {"service_request.logged"}),
        ("work_order", "transition", {"status": "scheduled"}, {"work_order.scheduled", "work_order.status_changed"}),
        ("work_order", "transition", {"status": "completed"}, {"work_order.completed", "work_order.status_changed"}),
        ("work_order", "transition", {"status": "on_hold"}, {"work_order.status_changed"}),
        ("credit_account", "hold", {"on_hold": True}, {"credit.hold"}),
        ("rma", "transition", {"status": "received"}, {"rma.step"}),
        ("invoice", "issue", {"status": "issued"}, {"invoice.issued"}),
        ("payment", "create", {"amount": "10.00"}, {"payment.received"}),
        ("customer", "create", {"name": "ACME"}, set()),
        ("invoice", "create", {"status": "draft"}, set()),
    ],
)
def test_an_audited_change_maps_to_its_event_types(
    entity: str, action: str, after: dict[str, object], expected: set[str]
) -> None:
    assert {event.name for event in matching(change(entity, action, after))} == expected


def test_event_names_are_unique_and_the_data_names_the_change() -> None:
    assert len(EVENT_NAMES) == len(EVENT_TYPES)
    data = event_data(change("invoice", "issue", {"status": "issued"}))
    assert data == {
        "entity": "invoice",
        "id": "42",
        "action": "issue",
        "at": AT.isoformat(),
        "actor": {"name": "pat", "role": "planner"},
        "before": None,
        "after": {"status": "issued"},
    }
