"""The messages on the live channel: what the stream sends as `plan` and `run` events.

One channel carries both kinds as `{"event": "plan" | "run", "data": {...}}`; `data` is what the
board contract (`plan`: revision, kind, task_ids, by, text; `run`: run_id, status, best_objective,
at) names, sent as the SSE event's data unchanged.
"""

from __future__ import annotations

import json
from typing import Any

import uuid_utils

from service_mgmt.events import PlanChanged, RunProgressed

CHANNEL = "dispatch_live"
PLAN, RUN = "plan", "run"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes and more; a publish of thousands of tasks sends
# the first ids and the count (the board refetches everything anyway).
MAX_PAYLOAD_BYTES = 7_500
MAX_TASK_IDS = 100


def new_revision() -> str:
    """A fresh revision: a UUIDv7, unique across processes and ordered by time, so a board can tell a
    newer revision from one it already fetched."""
    return str(uuid_utils.uuid7())


def plan_message(event: PlanChanged, revision: str | None = None) -> dict[str, Any]:
    task_ids = [str(i) for i in event.task_ids]
    return {
        "event": PLAN,
        "data": {
            "revision": revision or new_revision(),
            "kind": event.kind,
            "task_ids": task_ids[:MAX_TASK_IDS],
            "task_count": len(task_ids),
            "by": event.by,
            "text": event.text,
            "at": event.at.isoformat(),
        },
    }


def run_message(event: RunProgressed) -> dict[str, Any]:
    return {
        "event": RUN,
        "data": {
            "run_id": str(event.run_id),
            "status": event.status,
            "best_objective": event.best_objective,
            "at": event.at.isoformat(),
        },
    }


def encode(message: dict[str, Any]) -> str:
    text = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
    if len(text.encode()) <= MAX_PAYLOAD_BYTES:
        return text
    data = dict(message["data"])
    data["task_ids"] = []
    data["text"] = data.get("text", "")[:1000]
    return json.dumps({**message, "data": data}, separators=(",", ":"), ensure_ascii=False)


def decode(payload: bytes | str) -> tuple[str, dict[str, Any]] | None:
    """(event, data), or None for a payload that is not ours (someone else's NOTIFY on the channel)."""
    try:
        message = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("event") not in {PLAN, RUN}:
        return None
    data = message.get("data")
    return (message["event"], data) if isinstance(data, dict) else None
