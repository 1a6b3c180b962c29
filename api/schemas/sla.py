"""Response shape for a request's SLA clocks: due times with pauses, share used, alerts."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import msgspec

from service_mgmt.services.sla_monitor import SlaView, TargetClock


class SlaTargetOut(msgspec.Struct, kw_only=True):
    target: str  # response / resolution
    due: dt.datetime  # as computed when the call was logged
    # The due time moved by the coverage time the clock stood still (waiting for the customer).
    effective_due: dt.datetime
    allowed_minutes: float  # coverage time from the call to the due time
    used_minutes: float  # coverage time used so far (until responded / resolved), pauses excluded
    paused_minutes: float  # coverage time the clock stood still
    share_used: float  # used / allowed; 1.0 or more is a breach
    stopped_at: dt.datetime | None  # responded_at / resolved_at: the clock no longer runs
    running: bool
    breached: bool


class SlaAlertOut(msgspec.Struct, kw_only=True):
    id: UUID
    target: str
    stage: str  # warning / breach
    raised_at: dt.datetime
    due_at: dt.datetime


class RequestSlaOut(msgspec.Struct, kw_only=True):
    request_id: UUID
    number: str
    status: str
    time_zone: str  # the site's zone, in which the coverage calendar runs
    warning_share: float
    escalation_level: int
    waiting_for_customer_since: dt.datetime | None
    clock_paused: bool  # waiting for the customer, and the service level stops the clock
    paused_seconds: int  # wall time the clock stood still, a running wait included
    targets: list[SlaTargetOut]
    alerts: list[SlaAlertOut]


def _minutes(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 60, 2)


def _target_out(clock: TargetClock) -> SlaTargetOut:
    return SlaTargetOut(
        target=clock.target.value,
        due=clock.due,
        effective_due=clock.effective_due,
        allowed_minutes=_minutes(clock.allowed),
        used_minutes=_minutes(clock.used),
        paused_minutes=_minutes(clock.paused),
        share_used=round(clock.share, 4),
        stopped_at=clock.stopped_at,
        running=clock.running,
        breached=clock.breached,
    )


def request_sla_out(view: SlaView) -> RequestSlaOut:
    request = view.clocks.request
    return RequestSlaOut(
        request_id=request.id,
        number=request.number,
        status=request.status,
        time_zone=view.clocks.time_zone,
        warning_share=view.warning_share,
        escalation_level=request.escalation_level,
        waiting_for_customer_since=request.waiting_for_customer_since,
        clock_paused=view.clocks.paused_now,
        paused_seconds=view.paused_seconds,
        targets=[_target_out(clock) for clock in view.clocks.targets],
        alerts=[
            SlaAlertOut(id=a.id, target=a.target, stage=a.stage, raised_at=a.raised_at, due_at=a.due_at)
            for a in view.alerts
        ],
    )
