"""SLA monitoring with a controlled clock: warning at 75%, breach and escalation, pauses, idempotency.

The scenario: a P1 call on an 8×5 (Berlin) contract with a 4-hour response and a 16-hour
resolution target, logged Friday 16:30. The response is due Monday 11:30: half of its time is
used Monday 09:30, three quarters Monday 10:30.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.choices import Priority, ServiceType
from core.auth import Principal, Role
from core.clock import FixedClock
from core.db import session_scope
from core.job_runs import RunOrigin
from core.jobs import Outcome, Runner
from core.outbox import OutboxMessage
from masterdata.models import User
from service_mgmt.choices import Channel, RequestStatus
from service_mgmt.models import ServiceRequest, ServiceRequestEvent, SlaAlert
from service_mgmt.services.request_lifecycle import Transition, WaitChange, resume, transition, wait_for_customer
from service_mgmt.services.service_requests import RequestCreate, log_request
from service_mgmt.services.sla_monitor import SlaRun, evaluate_slas, request_sla
from service_mgmt.sla_jobs import EVALUATE_SLAS, sla_jobs
from tests.integration.contract_fixtures import Installed, contract_for, installed_printer

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_1630 = dt.datetime(2026, 11, 20, 16, 30, tzinfo=BERLIN)
AGENT = Principal(user_id=uuid.uuid4(), username="agent", role=Role.AGENT)


def monday(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 23, hour, minute, tzinfo=BERLIN)


def people() -> list[User]:
    """Two planners and a manager who get mail; an inactive planner and one without an address do not."""

    def user(name: str, role: Role, email: str | None, active: bool = True) -> User:
        return User(username=name, password_hash="x", role=role.value, email=email, active=active)

    return [
        user("plan1", Role.PLANNER, "plan1@example.com"),
        user("plan2", Role.PLANNER, "plan2@example.com"),
        user("plan_gone", Role.PLANNER, "gone@example.com", active=False),
        user("plan_nomail", Role.PLANNER, None),
        user("boss", Role.MANAGER, "boss@example.com"),
        user("agent1", Role.AGENT, "agent1@example.com"),
    ]


async def covered_call(session: AsyncSession, name: str = "ACME") -> tuple[Installed, ServiceRequest]:
    it = await installed_printer(session, name)
    await contract_for(session, it, number=f"SC-{name[:6]}")
    data = RequestCreate(
        customer_id=it.customer_id,
        equipment_id=it.equipment_id,
        symptom="paper jam in tray 2",
        priority=Priority.P1,
        service_type=ServiceType.REPAIR,
        channel=Channel.PHONE,
        reported_at=FRIDAY_1630,
    )
    request = await log_request(session, AGENT, data, clock=FixedClock(FRIDAY_1630 + dt.timedelta(minutes=2)))
    return it, request


async def scenario(sessions: async_sessionmaker[AsyncSession]) -> UUID:
    async with session_scope(sessions) as session:
        session.add_all(people())
        _, request = await covered_call(session)
    return request.id


async def run_at(sessions: async_sessionmaker[AsyncSession], moment: dt.datetime) -> SlaRun:
    async with session_scope(sessions) as session:
        return await evaluate_slas(session, moment.astimezone(dt.UTC))


async def alerts(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(select(SlaAlert.target, SlaAlert.stage).order_by(SlaAlert.raised_at, SlaAlert.stage))
    return [(target, stage) for target, stage in rows.tuples()]


async def mail(session: AsyncSession) -> list[tuple[str | None, str | None]]:
    rows = await session.execute(
        select(OutboxMessage.recipient, OutboxMessage.subject).order_by(
            OutboxMessage.created_at, OutboxMessage.recipient
        )
    )
    return [(recipient, subject) for recipient, subject in rows.tuples()]


async def event_kinds(session: AsyncSession, request_id: UUID) -> list[str]:
    rows = await session.scalars(
        select(ServiceRequestEvent.kind)
        .where(ServiceRequestEvent.request_id == request_id)
        .order_by(ServiceRequestEvent.at, ServiceRequestEvent.created_at)
    )
    return list(rows)


async def test_nothing_at_half_time_a_warning_to_each_planner_at_75_percent_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    request_id = await scenario(sessions)

    at_half = await run_at(sessions, monday(9, 30))
    just_before = await run_at(sessions, monday(10, 29))
    warned = await run_at(sessions, monday(10, 30))
    again = await run_at(sessions, monday(10, 35))

    assert (at_half.warnings, at_half.breaches, at_half.evaluated) == (0, 0, 1)
    assert just_before.warnings == 0
    assert (warned.warnings, warned.breaches) == (1, 0)
    assert (again.warnings, again.breaches) == (0, 0)
    async with sessions() as session:
        assert await alerts(session) == [("response", "warning")]
        sent = await mail(session)
        assert [recipient for recipient, _ in sent] == ["plan1@example.com", "plan2@example.com"]
        assert sent[0][1] == "SLA warning: SR-000001 response due 2026-11-23 11:30 (Europe/Berlin)"
        keys = set(await session.scalars(select(OutboxMessage.dedupe_key)))
        planner_ids = set(await session.scalars(select(User.id).where(User.username.in_(["plan1", "plan2"]))))
        assert keys == {f"sla:{request_id}:response:warning:{user_id}" for user_id in planner_ids}
        assert await event_kinds(session, request_id) == ["logged", "sla_warning"]
        request = await session.get(ServiceRequest, request_id)
        assert request is not None and request.escalation_level == 0 and request.version == 1


async def test_a_breach_escalates_once_records_an_event_and_mails_the_manager(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    request_id = await scenario(sessions)
    await run_at(sessions, monday(10, 30))

    breached = await run_at(sessions, monday(11, 30))
    again = await run_at(sessions, monday(11, 40))

    assert (breached.warnings, breached.breaches) == (0, 1)
    assert (again.warnings, again.breaches) == (0, 0)
    async with sessions() as session:
        request = await session.get(ServiceRequest, request_id)
        assert request is not None
        # The job is no edit: the level rises, the version an agent holds stays valid.
        assert request.escalation_level == 1 and request.version == 1
        assert await alerts(session) == [("response", "warning"), ("response", "breach")]
        assert await event_kinds(session, request_id) == ["logged", "sla_warning", "sla_breach"]
        breach_event = await session.scalar(select(ServiceRequestEvent).where(ServiceRequestEvent.kind == "sla_breach"))
        assert breach_event is not None and breach_event.actor_name == "system"
        assert breach_event.detail["target"] == "response" and breach_event.detail["escalation_level"] == 1
        manager_mail = [(r, s) for r, s in await mail(session) if r == "boss@example.com"]
        assert manager_mail == [
            ("boss@example.com", "SLA breach: SR-000001 response was due 2026-11-23 11:30 (Europe/Berlin)")
        ]


async def test_the_resolution_target_escalates_on_its_own(sessions: async_sessionmaker[AsyncSession]) -> None:
    request_id = await scenario(sessions)
    # 16 business hours from Friday 16:30: Tuesday 14:30 Berlin; nobody ran the job before.
    late = await run_at(sessions, dt.datetime(2026, 11, 24, 14, 30, tzinfo=BERLIN))

    assert (late.warnings, late.breaches) == (0, 2)  # a breach found late raises no warning any more
    async with sessions() as session:
        request = await session.get(ServiceRequest, request_id)
        assert request is not None and request.escalation_level == 2
        assert sorted(await alerts(session)) == [("resolution", "breach"), ("response", "breach")]
        assert [r for r, _ in await mail(session)] == ["boss@example.com", "boss@example.com"]


async def test_a_request_waiting_for_the_customer_does_not_warn_until_its_time_beyond_the_pause(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    request_id = await scenario(sessions)
    async with session_scope(sessions) as session:
        await wait_for_customer(session, AGENT, request_id, WaitChange(), clock=FixedClock(monday(8, 0)))

    while_waiting = await run_at(sessions, monday(12, 0))  # past the original due time
    async with session_scope(sessions) as session:
        await resume(session, AGENT, request_id, WaitChange(), clock=FixedClock(monday(12, 0)))
    # The clock stood still for 4 coverage hours (08:00-12:00): 30 minutes were used on Friday,
    # so 75% (180 minutes) is reached at 14:30 and the response is due 15:30.
    before = await run_at(sessions, monday(14, 29))
    warned = await run_at(sessions, monday(14, 30))

    assert (while_waiting.warnings, while_waiting.breaches) == (0, 0)
    assert before.warnings == 0 and warned.warnings == 1
    async with sessions() as session:
        alert = await session.scalar(select(SlaAlert))
        assert alert is not None and alert.due_at == monday(15, 30)
        view = await request_sla(session, AGENT, request_id, monday(14, 30).astimezone(dt.UTC))
        response = view.clocks.targets[0]
        assert response.paused == dt.timedelta(hours=4) and response.effective_due == monday(15, 30)
        assert view.paused_seconds == 4 * 3600 and [a.stage for a in view.alerts] == ["warning"]


async def test_a_responded_request_stops_the_response_clock(sessions: async_sessionmaker[AsyncSession]) -> None:
    request_id = await scenario(sessions)
    async with session_scope(sessions) as session:
        move = Transition(status=RequestStatus.IN_PROGRESS)
        await transition(session, AGENT, request_id, move, clock=FixedClock(monday(9, 0)))

    later = await run_at(sessions, monday(16, 0))

    assert (later.warnings, later.breaches) == (0, 0)  # resolution: 30 + 480 of 960 minutes
    async with sessions() as session:
        assert await alerts(session) == []
        view = await request_sla(session, AGENT, request_id, monday(16, 0).astimezone(dt.UTC))
        response, resolution = view.clocks.targets
        assert response.share == 0.375 and not response.running  # 30 + 60 of 240 minutes
        assert not response.breached
        assert resolution.running and round(resolution.share, 4) == round(510 / 960, 4)


async def test_overlapping_runs_raise_each_alert_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    await scenario(sessions)

    runs = await asyncio.gather(*(run_at(sessions, monday(11, 45)) for _ in range(3)))

    assert sum(run.breaches for run in runs) == 1
    async with sessions() as session:
        assert await alerts(session) == [("response", "breach")]
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


async def test_the_job_runs_every_five_minutes_on_the_clock_it_is_given(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await scenario(sessions)
    [spec] = sla_jobs(0.5)
    runner = Runner(sessions, clock=FixedClock(monday(9, 30)))

    report = await runner.run(spec, monday(9, 30), origin=RunOrigin.MANUAL)

    assert spec.id == EVALUATE_SLAS and spec.trigger.interval == dt.timedelta(minutes=5)  # type: ignore[union-attr]
    assert report.outcome is Outcome.SUCCEEDED
    assert report.result == {"evaluated": 1, "warnings": 1, "breaches": 0}  # 50% is the warning share here
