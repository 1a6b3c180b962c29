"""Status and kind choice sets of the service management domain."""

from __future__ import annotations

from enum import StrEnum


class RequestStatus(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


# A call solved on first contact goes from new straight to resolved, as service desks (SAP's
# service notifications, Salesforce cases) allow: first-contact resolution is a call centre's
# headline figure, and making the agent triage first would only add a step to the record.
REQUEST_TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.NEW: frozenset(
        {RequestStatus.TRIAGED, RequestStatus.IN_PROGRESS, RequestStatus.RESOLVED, RequestStatus.CANCELLED}
    ),
    RequestStatus.TRIAGED: frozenset({RequestStatus.IN_PROGRESS, RequestStatus.RESOLVED, RequestStatus.CANCELLED}),
    RequestStatus.IN_PROGRESS: frozenset({RequestStatus.RESOLVED, RequestStatus.CANCELLED}),
    RequestStatus.RESOLVED: frozenset({RequestStatus.CLOSED, RequestStatus.IN_PROGRESS}),  # reopened
    RequestStatus.CLOSED: frozenset(),
    RequestStatus.CANCELLED: frozenset(),
}


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    PORTAL = "portal"
    DEVICE_ALERT = "device_alert"


class WorkOrderStatus(StrEnum):
    OPEN = "open"
    SCHEDULED = "scheduled"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    CLOSED = "closed"
    BILLED = "billed"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"


_BEFORE_COMPLETION = (
    WorkOrderStatus.OPEN,
    WorkOrderStatus.SCHEDULED,
    WorkOrderStatus.DISPATCHED,
    WorkOrderStatus.EN_ROUTE,
    WorkOrderStatus.ON_SITE,
)

WORK_ORDER_TRANSITIONS: dict[WorkOrderStatus, frozenset[WorkOrderStatus]] = {
    WorkOrderStatus.OPEN: frozenset({WorkOrderStatus.SCHEDULED}),
    WorkOrderStatus.SCHEDULED: frozenset({WorkOrderStatus.DISPATCHED, WorkOrderStatus.OPEN}),
    WorkOrderStatus.DISPATCHED: frozenset({WorkOrderStatus.EN_ROUTE, WorkOrderStatus.SCHEDULED}),
    WorkOrderStatus.EN_ROUTE: frozenset({WorkOrderStatus.ON_SITE}),
    WorkOrderStatus.ON_SITE: frozenset({WorkOrderStatus.COMPLETED}),
    WorkOrderStatus.COMPLETED: frozenset({WorkOrderStatus.CLOSED}),
    WorkOrderStatus.CLOSED: frozenset({WorkOrderStatus.BILLED}),
    WorkOrderStatus.BILLED: frozenset(),
    WorkOrderStatus.ON_HOLD: frozenset({WorkOrderStatus.OPEN, WorkOrderStatus.CANCELLED}),
    WorkOrderStatus.CANCELLED: frozenset(),
}
# On hold and cancelled are reachable from every state before completion.
for _state in _BEFORE_COMPLETION:
    WORK_ORDER_TRANSITIONS[_state] = WORK_ORDER_TRANSITIONS[_state] | {
        WorkOrderStatus.ON_HOLD,
        WorkOrderStatus.CANCELLED,
    }


class TaskStatus(StrEnum):
    OPEN = "open"
    SCHEDULED = "scheduled"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TechnicianStep(StrEnum):
    """The status steps a technician's phone reports on a task (the confirmation completes it)."""

    EN_ROUTE = "en_route"
    ON_SITE = "on_site"


# what a technician may do with an assigned task. The planner moves tasks with their work
# order (scheduled, dispatched); from there the field takes over. Leaving a site again (on_site
# -> en_route: fetching a part, coming back another day) makes a second visit.
TECHNICIAN_TASK_STEPS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.SCHEDULED: frozenset({TaskStatus.EN_ROUTE}),
    TaskStatus.DISPATCHED: frozenset({TaskStatus.EN_ROUTE}),
    TaskStatus.EN_ROUTE: frozenset({TaskStatus.ON_SITE}),
    TaskStatus.ON_SITE: frozenset({TaskStatus.EN_ROUTE, TaskStatus.COMPLETED}),
}


class TimeEntryKind(StrEnum):
    TRAVEL = "travel"
    WORK = "work"


class KnowledgeKind(StrEnum):
    SYMPTOM = "symptom"
    RESOLUTION = "resolution"


class PmTrigger(StrEnum):
    TIME = "time"
    COUNTER = "counter"


class SlaTarget(StrEnum):
    RESPONSE = "response"
    RESOLUTION = "resolution"


class SlaStage(StrEnum):
    WARNING = "warning"
    BREACH = "breach"


# dispatch runs
class DispatchRunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


DISPATCH_RUN_FINISHED = frozenset({DispatchRunStatus.SUCCEEDED, DispatchRunStatus.FAILED, DispatchRunStatus.CANCELLED})


class DispatchRunKind(StrEnum):
    FULL = "full"
    REOPTIMIZE = "reoptimize"
    WHAT_IF = "what_if"
