"""SLA monitoring and escalation: how much of each target's time is used, and who is told.

The clock. A request's due times were computed at logging on the coverage calendar of its
service level (business time: an 8×5 SLA counts only Monday to Friday 08:00–17:00 in the
site's zone). The time used is therefore business time too: coverage time from
``reported_at`` to now, less the coverage time during which the clock stood still. The
response target stops at ``responded_at``, the resolution target at ``resolved_at``.

Pauses count in coverage hours, not wall time. While a request waits for the customer (and
its service level says the clock stops), the coverage time of the wait is added to the due
time: a wait from Friday 16:35 to Monday 08:30 on an 8×5 calendar moves the due time by 55
minutes (25 on Friday, 30 on Monday), not by 64 hours. Adding wall time would hand the
request a free weekend; adding nothing would charge the customer's silence to the engineer.
So ``effective due = calendar.add(due, coverage time paused)``, and a wait still running
moves it further as coverage time passes. The waits are read back from the request's events
(each ended wait says since when it waited and whether the clock stopped), plus the wait
still running. The calendar is the one in the entitlement snapshot's service level, with
the site's zone when the calendar has none of its own, as at logging; its current content is
used (a calendar edited since then reshapes the pauses, not the stored due times). Without
the calendar (deleted) the pauses count in wall time.

The job (`evaluate_slas`, every five minutes) reads the open requests (new, triaged,
in progress) that have a due time and still lack a breach alert for it, in one query, and:

- at `warning_share` (setting ``SLA_WARNING_SHARE``, default 0.75) of a target whose clock is
  running (not stopped, not paused) raises a ``warning`` alert, records an ``sla_warning``
  event and e-mails every active planner with an e-mail address;
- once the time is used up raises a ``breach`` alert, raises the request's
  ``escalation_level`` by one (once per target), records an ``sla_breach`` event and e-mails
  every active manager with an address. A stopped clock that ran over (responded late, while
  the request is still open) is a breach too; a request resolved late between two runs is no
  longer open and is not escalated: there is nothing left to escalate. A breach found
  without an earlier warning (the job did not run in between) raises no warning any more.

Each alert is inserted with ON CONFLICT DO NOTHING on (request, target, stage); only the
transaction that inserted it records the event, raises the level and enqueues the e-mails
(dedupe key ``sla:<request>:<target>:<stage>:<user>``), so re-runs and overlapping runs raise
each alert once. The level is raised with a plain UPDATE that leaves the request's
``version`` alone: the job is not an edit, and an agent's edit in flight must not be refused
because the job ran. E-mails go through the outbox; the dispatcher sends them after commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from contracts.models import CoverageCalendarRecord
from contracts.services.calendars import to_calendar
from core import audit
from core.auth import SYSTEM, Principal, Role
from core.calendars import CoverageCalendar
from core.db import upsert_insert
from core.outbox import enqueue
from masterdata.models import Site, User
from service_mgmt.choices import SlaStage, SlaTarget
from service_mgmt.models import ServiceRequest, ServiceRequestEvent, SlaAlert
from service_mgmt.services.request_lifecycle import pauses_on_customer_wait, sla_paused_seconds
from service_mgmt.services.service_requests import OPEN_STATUSES, RequestEventKind, get_request, record_event

DEFAULT_WARNING_SHARE = 0.75
OPEN = [status.value for status in OPEN_STATUSES]
# The stage a target's alert tells, and who hears of it.
AUDIENCE = {SlaStage.WARNING: Role.PLANNER, SlaStage.BREACH: Role.MANAGER}
EVENT_KIND = {SlaStage.WARNING: RequestEventKind.SLA_WARNING, SlaStage.BREACH: RequestEventKind.SLA_BREACH}

Interval = tuple[dt.datetime, dt.datetime]


# --- the clock (pure) ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetClock:
    """One target of one request, as of a moment."""

    target: SlaTarget
    due: dt.datetime  # as computed at logging
    effective_due: dt.datetime  # moved by the coverage time paused so far
    allowed: dt.timedelta  # coverage time from the call to the due time
    used: dt.timedelta  # coverage time used, pauses excluded
    paused: dt.timedelta  # coverage time the clock stood still
    share: float  # used / allowed
    stopped_at: dt.datetime | None  # responded_at or resolved_at
    waiting: bool  # stands still now: the request waits for the customer

    @property
    def running(self) -> bool:
        return self.stopped_at is None and not self.waiting

    @property
    def breached(self) -> bool:
        return self.used >= self.allowed


def target_clock(
    target: SlaTarget,
    *,
    reported_at: dt.datetime,
    due: dt.datetime,
    stopped_at: dt.datetime | None,
    pauses: Sequence[Interval],
    calendar: CoverageCalendar,
    now: dt.datetime,
    waiting: bool = False,
) -> TargetClock:
    """Business time used against a target; `pauses` are wall-time intervals (a running one ends at now).

    `waiting`: the request waits for the customer now, with the clock stopped.
    """
    until = max(reported_at, min(now, stopped_at) if stopped_at else now)
    paused = dt.timedelta(0)
    for start, end in pauses:
        start, end = max(start, reported_at), min(end, until)
        if end > start:
            paused += calendar.elapsed(start, end)
    allowed = calendar.elapsed(reported_at, due)
    used = max(dt.timedelta(0), calendar.elapsed(reported_at, until) - paused)
    # A due time at the very moment of the call is used up at once.
    share = used / allowed if allowed > dt.timedelta(0) else float(until >= due)
    return TargetClock(
        target=target,
        due=due,
        effective_due=calendar.add(due, paused),
        allowed=allowed,
        used=used,
        paused=paused,
        share=share,
        stopped_at=stopped_at,
        waiting=waiting and stopped_at is None,
    )


def due_stage(clock: TargetClock, warning_share: float) -> SlaStage | None:
    """The alert a target calls for now: breach when used up, warning while it runs past the share."""
    if clock.breached:
        return SlaStage.BREACH
    if clock.running and clock.share >= warning_share:
        return SlaStage.WARNING
    return None


# --- what one request looks like --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestClocks:
    request: ServiceRequest
    time_zone: str  # the site's, for people reading due times
    paused_now: bool
    targets: list[TargetClock]


def request_clocks(
    request: ServiceRequest,
    time_zone: str,
    calendar: CoverageCalendar,
    events: Iterable[ServiceRequestEvent],
    now: dt.datetime,
) -> RequestClocks:
    pauses = pause_intervals(request, events, now)
    paused_now = request.waiting_for_customer_since is not None and pauses_on_customer_wait(request)
    targets = []
    for target, due, stopped in (
        (SlaTarget.RESPONSE, request.response_due, request.responded_at),
        (SlaTarget.RESOLUTION, request.resolution_due, request.resolved_at),
    ):
        if due is not None:
            targets.append(
                target_clock(
                    target,
                    reported_at=request.reported_at,
                    due=due,
                    stopped_at=stopped,
                    pauses=pauses,
                    calendar=calendar,
                    now=now,
                    waiting=paused_now,
                )
            )
    return RequestClocks(request, time_zone, paused_now, targets)


def pause_intervals(request: ServiceRequest, events: Iterable[ServiceRequestEvent], now: dt.datetime) -> list[Interval]:
    """The waits that stopped the clock: ended ones from the events, and the one still running."""
    found: list[Interval] = []
    for event in events:
        if event.kind == RequestEventKind.RESUMED:
            ended = event.detail
        elif event.kind == RequestEventKind.STATUS_CHANGED:  # resolved or cancelled while waiting
            ended = event.detail.get("wait_ended") or {}
        else:
            continue
        if ended.get("clock_paused_seconds") and ended.get("waiting_since"):
            found.append((dt.datetime.fromisoformat(ended["waiting_since"]), event.at))
    since = request.waiting_for_customer_since
    if since is not None and pauses_on_customer_wait(request):
        found.append((since, now))
    return found


# --- the job ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlaRun:
    evaluated: int
    warnings: int
    breaches: int


async def evaluate_slas(
    session: AsyncSession, now: dt.datetime, *, warning_share: float = DEFAULT_WARNING_SHARE
) -> SlaRun:
    """Raise the warnings and breaches due as of `now`, each once; answers what this run raised."""
    candidates = (
        select(ServiceRequest.id)
        .where(ServiceRequest.status.in_(OPEN), or_(_unbreached(SlaTarget.RESPONSE), _unbreached(SlaTarget.RESOLUTION)))
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(ServiceRequest, Site.time_zone)
            .outerjoin(Site, Site.id == ServiceRequest.site_id)
            .where(ServiceRequest.id.in_(candidates))
            .order_by(ServiceRequest.reported_at, ServiceRequest.id)
        )
    ).all()
    raised = await _raised(session, candidates)
    events = await _wait_events(session, candidates)
    calendars = await _calendars(session, [request for request, _ in rows])
    notifier = _Notifier(session, now)
    counts = {SlaStage.WARNING: 0, SlaStage.BREACH: 0}
    for request, zone in rows:
        time_zone = zone or "UTC"
        calendar = _calendar_of(request, calendars, time_zone)
        clocks = request_clocks(request, time_zone, calendar, events.get(request.id, []), now)
        for clock in clocks.targets:
            stage = due_stage(clock, warning_share)
            if stage is None or (request.id, clock.target.value, stage.value) in raised:
                continue
            if await _insert_alert(session, request.id, clock, stage, now):
                counts[stage] += 1
                await _announce(session, notifier, clocks, clock, stage, now)
    return SlaRun(evaluated=len(rows), warnings=counts[SlaStage.WARNING], breaches=counts[SlaStage.BREACH])


def _unbreached(target: SlaTarget) -> ColumnElement[bool]:
    """A target that may still call for an alert: due, not escalated yet, and not met in time.

    Pauses only move a due time later, so a target met before its stored due time is met for good.
    """
    if target is SlaTarget.RESPONSE:
        due, met_at = ServiceRequest.response_due, ServiceRequest.responded_at
    else:
        due, met_at = ServiceRequest.resolution_due, ServiceRequest.resolved_at
    breached = exists().where(
        SlaAlert.request_id == ServiceRequest.id,
        SlaAlert.target == target.value,
        SlaAlert.stage == SlaStage.BREACH.value,
    )
    return and_(due.is_not(None), ~breached, or_(met_at.is_(None), met_at > due))


async def _raised(session: AsyncSession, request_ids: Any) -> set[tuple[UUID, str, str]]:
    rows = await session.execute(
        select(SlaAlert.request_id, SlaAlert.target, SlaAlert.stage).where(SlaAlert.request_id.in_(request_ids))
    )
    return {(request_id, target, stage) for request_id, target, stage in rows.tuples()}


async def _wait_events(session: AsyncSession, request_ids: Any) -> dict[UUID, list[ServiceRequestEvent]]:
    """The events that end a wait, for the requests whose clock ever stood still."""
    paused_before = select(ServiceRequest.id).where(
        ServiceRequest.id.in_(request_ids), ServiceRequest.paused_seconds > 0
    )
    rows = await session.scalars(
        select(ServiceRequestEvent).where(
            ServiceRequestEvent.request_id.in_(paused_before),
            ServiceRequestEvent.kind.in_([RequestEventKind.RESUMED.value, RequestEventKind.STATUS_CHANGED.value]),
        )
    )
    found: dict[UUID, list[ServiceRequestEvent]] = defaultdict(list)
    for event in rows:
        found[event.request_id].append(event)
    return found


def _calendar_id(request: ServiceRequest) -> UUID | None:
    level = (request.entitlement or {}).get("service_level") or {}
    value = level.get("calendar_id")
    return UUID(str(value)) if value else None


async def _calendars(session: AsyncSession, requests: Iterable[ServiceRequest]) -> dict[UUID, CoverageCalendarRecord]:
    ids = {calendar_id for request in requests if (calendar_id := _calendar_id(request)) is not None}
    if not ids:
        return {}
    rows = await session.scalars(select(CoverageCalendarRecord).where(CoverageCalendarRecord.id.in_(ids)))
    return {record.id: record for record in rows}


def _calendar_of(
    request: ServiceRequest, calendars: dict[UUID, CoverageCalendarRecord], time_zone: str
) -> CoverageCalendar:
    calendar_id = _calendar_id(request)
    record = calendars.get(calendar_id) if calendar_id else None
    return to_calendar(record, time_zone) if record is not None else CoverageCalendar.always(time_zone)


async def _insert_alert(
    session: AsyncSession, request_id: UUID, clock: TargetClock, stage: SlaStage, now: dt.datetime
) -> bool:
    """Insert the alert unless it exists; a concurrent run loses quietly on the unique constraint."""
    insert = upsert_insert(session)
    result = await session.execute(
        insert(SlaAlert)
        .values(
            request_id=request_id,
            target=clock.target.value,
            stage=stage.value,
            raised_at=now,
            due_at=clock.effective_due,
        )
        .on_conflict_do_nothing(index_elements=["request_id", "target", "stage"])
        .returning(SlaAlert.id)
    )
    return result.scalar_one_or_none() is not None


async def _announce(
    session: AsyncSession,
    notifier: _Notifier,
    clocks: RequestClocks,
    clock: TargetClock,
    stage: SlaStage,
    now: dt.datetime,
) -> None:
    request = clocks.request
    level: int | None = None
    detail: dict[str, Any] = {
        "target": clock.target.value,
        "share_used": round(clock.share, 4),
        "due": clock.due,
        "effective_due": clock.effective_due,
        "paused_seconds": int(clock.paused.total_seconds()),
    }
    if stage is SlaStage.BREACH:
        level = await session.scalar(
            update(ServiceRequest)
            .where(ServiceRequest.id == request.id)
            .values(escalation_level=ServiceRequest.escalation_level + 1)
            .returning(ServiceRequest.escalation_level)
            .execution_options(synchronize_session=False)
        )
        detail["escalation_level"] = level
        await audit.record(
            session, SYSTEM, "service_request", request.id, "sla_breach", after={"escalation_level": level}, at=now
        )
    await record_event(session, SYSTEM, request, EVENT_KIND[stage], at=now, detail=detail)
    await notifier.tell(AUDIENCE[stage], clocks, clock, stage, level)


class _Notifier:
    """E-mails per role, the recipients read once per run."""

    def __init__(self, session: AsyncSession, now: dt.datetime) -> None:
        self.session = session
        self.now = now
        self._recipients: dict[Role, list[tuple[UUID, str]]] = {}

    async def recipients(self, role: Role) -> list[tuple[UUID, str]]:
        if role not in self._recipients:
            rows = await self.session.execute(
                select(User.id, User.email)
                .where(User.role == role.value, User.active.is_(True), User.email.is_not(None), User.email != "")
                .order_by(User.username)
            )
            self._recipients[role] = [(user_id, str(email)) for user_id, email in rows.tuples()]
        return self._recipients[role]

    async def tell(
        self, role: Role, clocks: RequestClocks, clock: TargetClock, stage: SlaStage, level: int | None
    ) -> None:
        request = clocks.request
        subject, body = _message(clocks, clock, stage, level)
        for user_id, email in await self.recipients(role):
            await enqueue(
                self.session,
                kind="email",
                dedupe_key=f"sla:{request.id}:{clock.target.value}:{stage.value}:{user_id}",
                now=self.now,
                recipient=email,
                subject=subject,
                body=body,
                payload={
                    "request_id": str(request.id),
                    "request_number": request.number,
                    "target": clock.target.value,
                    "stage": stage.value,
                },
            )


def _message(clocks: RequestClocks, clock: TargetClock, stage: SlaStage, level: int | None) -> tuple[str, str]:
    request = clocks.request
    zone = ZoneInfo(clocks.time_zone)
    due = clock.effective_due.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    where = f"{due} ({clocks.time_zone})"
    if stage is SlaStage.WARNING:
        subject = f"SLA warning: {request.number} {clock.target.value} due {where}"
        lead = f"{clock.share:.0%} of the {clock.target.value} time of {request.number} is used; it is due {where}."
        action = "Plan an engineer (or respond) before the due time."
    else:
        subject = f"SLA breach: {request.number} {clock.target.value} was due {where}"
        lead = f"The {clock.target.value} target of {request.number} was due {where} and is breached."
        action = f"The request is escalated to level {level}; please follow up with the planner and the customer."
    body = "\n".join(
        [
            lead,
            "",
            f"Request: {request.number} ({request.priority}, {request.service_type}, status {request.status})",
            f"Symptom: {request.symptom}",
            f"Time paused while waiting for the customer: {int(clock.paused.total_seconds() // 60)} min",
            "",
            action,
        ]
    )
    return subject, body


# --- reading one request's SLA -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlaView:
    clocks: RequestClocks
    warning_share: float
    paused_seconds: int  # wall time the clock stood still, a running wait included
    alerts: list[SlaAlert]


async def request_sla(
    session: AsyncSession,
    principal: Principal,
    request_id: UUID,
    now: dt.datetime,
    *,
    warning_share: float = DEFAULT_WARNING_SHARE,
) -> SlaView:
    """Due times (pauses included), the share used and the alerts raised, for one visible request."""
    request = await get_request(session, principal, request_id)
    zone = None
    if request.site_id is not None:
        zone = await session.scalar(select(Site.time_zone).where(Site.id == request.site_id))
    time_zone = zone or "UTC"
    ids = select(ServiceRequest.id).where(ServiceRequest.id == request.id).scalar_subquery()
    events = (await _wait_events(session, ids)).get(request.id, [])
    calendar = _calendar_of(request, await _calendars(session, [request]), time_zone)
    alerts = await session.scalars(
        select(SlaAlert).where(SlaAlert.request_id == request.id).order_by(SlaAlert.raised_at, SlaAlert.id)
    )
    return SlaView(
        clocks=request_clocks(request, time_zone, calendar, events, now),
        warning_share=warning_share,
        paused_seconds=sla_paused_seconds(request, now),
        alerts=list(alerts),
    )
