"""SLA escalation as people receive it: the planners' warning at 75% and the manager's
escalation e-mail at breach, delivered over real SMTP, with a controlled clock.

The call (P1, 8×5 Berlin, 4-hour response) is logged Friday 16:30; its response is due
Monday 11:30, three quarters of the time are used Monday 10:30.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.outbox_handlers import outbox_handlers
from core.clock import FixedClock
from core.db import session_scope
from core.outbox_dispatch import dispatch_due
from service_mgmt.models import ServiceRequest
from service_mgmt.services.sla_monitor import evaluate_slas
from tests.integration.test_sla_monitor import monday, scenario
from tests.smtp_inbox import SmtpServer

Sessions = async_sessionmaker[AsyncSession]


async def watch(sessions: Sessions, smtp: SmtpServer, at: dt.datetime) -> list[tuple[list[str], str]]:
    """One run of the SLA job at `at`, then the outbox; answers the mails that arrived in this round."""
    before = len(smtp.inbox.received)
    async with session_scope(sessions) as session:
        await evaluate_slas(session, at.astimezone(dt.UTC))
    await dispatch_due(sessions, outbox_handlers(), smtp.mailer, clock=FixedClock(at))
    return [(to, str(mail["Subject"])) for to, mail in smtp.inbox.received[before:]]


async def test_planners_are_warned_at_three_quarters_and_the_manager_is_mailed_at_breach(
    sessions: Sessions, smtp: SmtpServer
) -> None:
    request_id = await scenario(sessions)

    at_half = await watch(sessions, smtp, monday(9, 30))
    at_three_quarters = await watch(sessions, smtp, monday(10, 30))
    again = await watch(sessions, smtp, monday(10, 45))
    at_breach = await watch(sessions, smtp, monday(11, 31))
    async with sessions() as session:
        request = await session.get(ServiceRequest, request_id)

    assert at_half == []
    assert sorted(to for to, _ in at_three_quarters) == [["plan1@example.com"], ["plan2@example.com"]]
    assert all("response" in subject.lower() for _, subject in at_three_quarters)
    assert again == []  # each warning once, however often the job runs
    assert [to for to, _ in at_breach] == [["boss@example.com"]]
    assert request is not None and request.escalation_level == 1
    assert request.number in at_breach[0][1]
