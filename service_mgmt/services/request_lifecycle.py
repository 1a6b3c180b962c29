"""A service request's life: status transitions, and waiting for the customer.

Statuses move strictly along `REQUEST_TRANSITIONS`; anything else is a 409 naming the current
status. Each move stamps what it means and writes an event:

- the first move to ``in_progress`` is the response (``responded_at``); resolving a request
  nobody moved to ``in_progress`` (solved on the phone) counts as the response too;
- ``resolved`` needs an active resolution code of the catalogue and sets ``resolved_at``;
  reopening (resolved → in_progress) clears the resolution, which stays in the events;
- ``closed`` sets ``closed_at``.

Waiting for the customer (parts approval, access to the site) is marked with
``waiting_for_customer_since``. The SLA clock stops meanwhile only when the request's service
level says so (``pause_on_customer_wait`` in the entitlement snapshot, as it was at logging);
``paused_seconds`` adds up the stopped time when the wait ends. `sla_paused_seconds` gives
the escalation job the total including a wait still running. A move to resolved, closed or
cancelled ends a running wait.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.editing import check_version
from core.errors import Conflict, IllegalTransition, Invalid
from core.fields import LongText, Version
from service_mgmt.choices import REQUEST_TRANSITIONS, KnowledgeKind, RequestStatus
from service_mgmt.errors import Code
from service_mgmt.models import ServiceRequest
from service_mgmt.services.knowledge_codes import validate_code
from service_mgmt.services.service_requests import (
    OPEN_STATUSES,
    KnowledgeCode,
    RequestEventKind,
    get_request,
    record_event,
)


class Transition(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: RequestStatus
    version: Version | None = None
    resolution_code: KnowledgeCode | None = None
    notes: LongText | None = None


class WaitChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version | None = None
    notes: LongText | None = None


def pauses_on_customer_wait(request: ServiceRequest) -> bool:
    level = (request.entitlement or {}).get("service_level")
    return bool(level and level.get("pause_on_customer_wait"))


def sla_paused_seconds(request: ServiceRequest, now: dt.datetime) -> int:
    """Seconds the SLA clock stood still so far, a wait still running included."""
    running = 0
    if request.waiting_for_customer_since is not None and pauses_on_customer_wait(request):
        running = _seconds(request.waiting_for_customer_since, now)
    return request.paused_seconds + running


async def transition(
    session: AsyncSession, actor: Principal, request_id: UUID, data: Transition, *, clock: Clock = SYSTEM_CLOCK
) -> ServiceRequest:
    request = await get_request(session, actor, request_id)
    if data.version is not None:
        check_version("service_request", request, data.version)
    current, target = RequestStatus(request.status), data.status
    if target not in REQUEST_TRANSITIONS[current]:
        raise IllegalTransition("service_request", current.value, target.value)
    _check_resolution_code(target, data.resolution_code)
    if data.resolution_code:
        code = await validate_code(session, KnowledgeKind.RESOLUTION, data.resolution_code, "resolution_code")
        data = msgspec.structs.replace(data, resolution_code=code)
    now = clock.now()
    before = audit.snapshot(request)
    detail: dict[str, Any] = {"notes": data.notes} if data.notes else {}
    if target not in OPEN_STATUSES and request.waiting_for_customer_since is not None:
        detail["wait_ended"] = _end_wait(request, now)
    _stamp(request, current, target, data, now)
    request.status = target.value
    await session.flush()
    if data.resolution_code:
        detail["resolution_code"] = data.resolution_code
    await record_event(
        session,
        actor,
        request,
        RequestEventKind.STATUS_CHANGED,
        at=now,
        from_status=current.value,
        to_status=target.value,
        detail=detail,
    )
    await _audit(session, actor, request, "transition", before, now)
    return request


def _check_resolution_code(target: RequestStatus, code: str | None) -> None:
    if target is RequestStatus.RESOLVED and not code:
        raise Invalid(
            Code.RESOLUTION_CODE_REQUIRED, "resolving a request needs a resolution_code", field="resolution_code"
        )
    if target is not RequestStatus.RESOLVED and code:
        raise Invalid(
            Code.RESOLUTION_CODE_NOT_ALLOWED,
            "a resolution_code goes with the move to resolved only",
            field="resolution_code",
        )


def _stamp(
    request: ServiceRequest, current: RequestStatus, target: RequestStatus, data: Transition, now: dt.datetime
) -> None:
    if target is RequestStatus.IN_PROGRESS:
        request.responded_at = request.responded_at or now
        if current is RequestStatus.RESOLVED:
            request.resolved_at = None
            request.resolution_code = None
            request.resolution_notes = None
    elif target is RequestStatus.RESOLVED:
        request.responded_at = request.responded_at or now
        request.resolved_at = now
        request.resolution_code = data.resolution_code
        request.resolution_notes = data.notes
    elif target is RequestStatus.CLOSED:
        request.closed_at = now


async def wait_for_customer(
    session: AsyncSession, actor: Principal, request_id: UUID, data: WaitChange, *, clock: Clock = SYSTEM_CLOCK
) -> ServiceRequest:
    request = await _open_request(session, actor, request_id, data)
    if request.waiting_for_customer_since is not None:
        raise Conflict(
            Code.ALREADY_WAITING_FOR_CUSTOMER,
            f"request {request.number} waits for the customer since {request.waiting_for_customer_since.isoformat()}",
        )
    now = clock.now()
    before = audit.snapshot(request)
    request.waiting_for_customer_since = now
    await session.flush()
    detail = {"clock_paused": pauses_on_customer_wait(request), "notes": data.notes}
    await record_event(session, actor, request, RequestEventKind.WAITING_FOR_CUSTOMER, at=now, detail=detail)
    await _audit(session, actor, request, "wait_for_customer", before, now)
    return request


async def resume(
    session: AsyncSession, actor: Principal, request_id: UUID, data: WaitChange, *, clock: Clock = SYSTEM_CLOCK
) -> ServiceRequest:
    request = await _open_request(session, actor, request_id, data)
    if request.waiting_for_customer_since is None:
        raise Conflict(Code.NOT_WAITING_FOR_CUSTOMER, f"request {request.number} is not waiting for the customer")
    now = clock.now()
    before = audit.snapshot(request)
    detail: dict[str, Any] = {**_end_wait(request, now), "notes": data.notes}
    await session.flush()
    await record_event(session, actor, request, RequestEventKind.RESUMED, at=now, detail=detail)
    await _audit(session, actor, request, "resume", before, now)
    return request


async def _open_request(session: AsyncSession, actor: Principal, request_id: UUID, data: WaitChange) -> ServiceRequest:
    request = await get_request(session, actor, request_id)
    if data.version is not None:
        check_version("service_request", request, data.version)
    if RequestStatus(request.status) not in OPEN_STATUSES:
        raise Conflict(
            Code.REQUEST_NOT_OPEN,
            f"request {request.number} is {request.status}; only open requests wait for the customer",
            extra={"current_status": request.status},
        )
    return request


def _end_wait(request: ServiceRequest, now: dt.datetime) -> dict[str, Any]:
    """Stop waiting; the stopped time counts for the SLA only where the service level pauses."""
    since = request.waiting_for_customer_since
    assert since is not None
    waited = _seconds(since, now)
    paused = waited if pauses_on_customer_wait(request) else 0
    request.paused_seconds += paused
    request.waiting_for_customer_since = None
    return {"waiting_since": since, "waited_seconds": waited, "clock_paused_seconds": paused}


def _seconds(since: dt.datetime, now: dt.datetime) -> int:
    return max(0, int((now - since).total_seconds()))


async def _audit(
    session: AsyncSession,
    actor: Principal,
    request: ServiceRequest,
    action: str,
    before: dict[str, Any],
    now: dt.datetime,
) -> None:
    old, new = audit.changed(before, audit.snapshot(request))
    await audit.record(session, actor, "service_request", request.id, action, before=old, after=new, at=now)
