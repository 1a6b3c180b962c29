"""Moving an RMA along its transition table, with an event per step.

Every step goes through `move`: the table in `returns.choices` decides what is legal, the RMA
row is locked first (lock order: RMA → repair order → stock), and the step is recorded as an
`RmaEvent` saying whether the customer may see it. Services of the depot, the portal and the
jobs call this; none of them sets `Rma.status` directly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal
from core.errors import Conflict, IllegalTransition, NotFound
from masterdata.services.visibility import customer_scope
from returns.choices import RMA_TRANSITIONS, RmaStatus
from returns.errors import Code
from returns.models import Rma, RmaEvent

# Steps the customer sees in tracking unless a caller says otherwise; internal steps (diagnosis,
# QA) are shown as "in repair" by the tracking page, not as their own lines.
CUSTOMER_VISIBLE: frozenset[RmaStatus] = frozenset(
    {
        RmaStatus.REQUESTED,
        RmaStatus.AUTHORIZED,
        RmaStatus.REJECTED,
        RmaStatus.AWAITING_RECEIPT,
        RmaStatus.RECEIVED,
        RmaStatus.AWAITING_APPROVAL,
        RmaStatus.IN_REPAIR,
        RmaStatus.SHIPPED,
        RmaStatus.CLOSED,
        RmaStatus.CANCELLED,
    }
)


async def visible_rma(session: AsyncSession, principal: Principal, rma_id: UUID) -> Rma:
    """The RMA if the principal may see it; another customer's answers exactly like an unknown one."""
    rma = await session.get(Rma, rma_id)
    scope = await customer_scope(session, principal)
    if rma is None or not scope.allows(rma.customer_id):
        raise NotFound("rma", rma_id)
    return rma


async def locked_rma(session: AsyncSession, rma_id: UUID) -> Rma:
    # populate_existing: a caller that read the RMA before locking it must see the locked row's state
    rma = await session.scalar(
        select(Rma).where(Rma.id == rma_id).with_for_update().execution_options(populate_existing=True)
    )
    if rma is None:
        raise NotFound("rma", rma_id)
    return rma


async def move(
    session: AsyncSession,
    actor: Principal,
    rma: Rma,
    target: RmaStatus,
    *,
    now: dt.datetime,
    message: str | None = None,
    internal_note: str | None = None,
    customer_visible: bool | None = None,
    detail: dict[str, Any] | None = None,
) -> RmaEvent:
    """Move `rma` (locked by the caller via `locked_rma`) to `target` and record the step."""
    current = RmaStatus(rma.status)
    if target not in RMA_TRANSITIONS[current]:
        raise IllegalTransition("rma", current.value, target.value)
    if rma.on_hold and target not in {RmaStatus.CANCELLED}:
        raise Conflict(Code.RMA_ON_HOLD, f"RMA {rma.number} is on hold: {rma.hold_reason}", field="status")
    before = audit.snapshot(rma)
    rma.status = target.value
    if target in {RmaStatus.CLOSED, RmaStatus.CANCELLED}:
        rma.closed_at = now
    await session.flush()
    visible = target in CUSTOMER_VISIBLE if customer_visible is None else customer_visible
    event = await record_event(
        session,
        actor,
        rma,
        kind="status_changed",
        now=now,
        from_status=current.value,
        to_status=target.value,
        customer_visible=visible,
        message=message,
        internal_note=internal_note,
        detail=detail,
    )
    await audit.record(session, actor, "rma", rma.id, "transition", before=before, after=audit.snapshot(rma), at=now)
    return event


async def record_event(
    session: AsyncSession,
    actor: Principal,
    rma: Rma,
    *,
    kind: str,
    now: dt.datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    customer_visible: bool = False,
    message: str | None = None,
    internal_note: str | None = None,
    detail: dict[str, Any] | None = None,
) -> RmaEvent:
    event = RmaEvent(
        rma_id=rma.id,
        at=now,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor_name=actor.username,
        customer_visible=customer_visible,
        message=message,
        internal_note=internal_note,
        detail=detail or {},
    )
    session.add(event)
    await session.flush()
    return event
