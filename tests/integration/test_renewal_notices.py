"""Renewal notices as the customer receives them: one e-mail per contract and term end, over real SMTP.

The reminder job runs on 2026-12-01, 30 days before the contracts' terms end on 2026-12-31.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from email.message import EmailMessage
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.outbox_handlers import outbox_handlers
from contracts.jobs import raise_renewal_reminders
from contracts.models import ContractNotice
from contracts.services.billing_profiles import BillingProfileCreate, create_profile
from core.auth import SYSTEM
from core.clock import FixedClock
from core.db import session_scope
from core.outbox import OutboxMessage
from core.outbox_dispatch import dispatch_due
from core.settings import BillingSettings
from masterdata.models import Customer
from tests.integration.test_contract_jobs import contract
from tests.smtp_inbox import SmtpServer

Sessions = async_sessionmaker[AsyncSession]
SELLER = BillingSettings(seller_name="Nordlicht Service GmbH", seller_email="vertrag@nordlicht.example")
TODAY = dt.date(2026, 12, 1)
CLOCK = FixedClock(dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC))


async def customer(sessions: Sessions, number: str, email: str | None, parent_id: UUID | None = None) -> UUID:
    async with session_scope(sessions) as s:
        row = Customer(number=number, name=f"Druckerei {number}", email=email, country="DE", parent_id=parent_id)
        s.add(row)
        await s.flush()
        return row.id


async def run_job_and_send(sessions: Sessions, smtp: SmtpServer) -> list[tuple[list[str], EmailMessage]]:
    """One run of the reminder job, then the outbox; answers the mails that arrived in this round."""
    before = len(smtp.inbox.received)
    async with session_scope(sessions) as s:
        await raise_renewal_reminders(s, TODAY, clock=CLOCK, billing=SELLER)
    await dispatch_due(sessions, outbox_handlers(), smtp.mailer, clock=CLOCK)
    return smtp.inbox.received[before:]


async def outbox_rows(sessions: Sessions) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


async def test_an_auto_renewing_contract_is_announced_once_with_the_uplifted_fee(
    sessions: Sessions, smtp: SmtpServer
) -> None:
    acme = await customer(sessions, "C-000001", "info@acme.example")
    cid = await contract(
        sessions, acme, "2026-01-01", "2026-12-31", notice_days=30, auto_renew=True, renewal_uplift_pct=Decimal("2.5")
    )

    first = await run_job_and_send(sessions, smtp)
    second = await run_job_and_send(sessions, smtp)

    assert second == []  # however often the job runs: one mail per term
    [(to, mail)] = first
    assert to == ["info@acme.example"]
    assert mail["Subject"] == "Service contract SC-000001 ends on 2026-12-31"
    body = mail.get_content()
    assert "Dear Druckerei C-000001," in body
    assert "your service contract SC-000001 (Printer care) ends on 2026-12-31." in body
    assert "It renews automatically for a further term from 2027-01-01 to 2027-12-31." in body
    # 1,000.00 + 2.5 % = 1,025.00, the fee renewal gives the successor
    assert "The fee for the new term is EUR 1,025.00 per month (currently EUR 1,000.00, plus 2.5 % uplift)." in body
    assert "Nordlicht Service GmbH" in body
    async with sessions() as s:
        message = await s.scalar(select(OutboxMessage))
    assert message is not None and message.dedupe_key == f"renewal_notice:{cid}:2026-12-31"
    assert message.status == "sent"


async def test_a_contract_that_does_not_renew_says_so(sessions: Sessions, smtp: SmtpServer) -> None:
    acme = await customer(sessions, "C-000001", "info@acme.example")
    await contract(sessions, acme, "2026-01-01", "2026-12-31", notice_days=30)

    [(_, mail)] = await run_job_and_send(sessions, smtp)

    body = mail.get_content()
    assert "It does not renew automatically: the service ends with the term." in body
    assert "fee" not in body


async def test_the_notice_goes_to_the_invoice_address_of_whoever_pays(sessions: Sessions, smtp: SmtpServer) -> None:
    group = await customer(sessions, "C-000001", "info@group.example")
    plant = await customer(sessions, "C-000002", "plant@group.example", parent_id=group)
    async with session_scope(sessions) as s:
        await create_profile(
            s, SYSTEM, BillingProfileCreate(customer_id=group, invoice_email="ap@group.example"), SELLER
        )
        await create_profile(s, SYSTEM, BillingProfileCreate(customer_id=plant, bill_to_customer_id=group), SELLER)
    await contract(sessions, plant, "2026-01-01", "2026-12-31", notice_days=30, auto_renew=True)

    [(to, mail)] = await run_job_and_send(sessions, smtp)

    assert to == ["ap@group.example"]
    assert "Dear Druckerei C-000001," in mail.get_content()
    assert "EUR 1,000.00 per month (unchanged)" in mail.get_content()


async def test_without_an_address_the_notice_is_recorded_but_nothing_is_mailed(
    sessions: Sessions, smtp: SmtpServer
) -> None:
    silent = await customer(sessions, "C-000001", None)
    await contract(sessions, silent, "2026-01-01", "2026-12-31", notice_days=30)

    assert await run_job_and_send(sessions, smtp) == []
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ContractNotice)) == 1
    assert await outbox_rows(sessions) == 0


async def test_a_rolled_back_run_mails_nothing_and_the_next_run_mails_once(
    sessions: Sessions, smtp: SmtpServer
) -> None:
    acme = await customer(sessions, "C-000001", "info@acme.example")
    await contract(sessions, acme, "2026-01-01", "2026-12-31", notice_days=30)

    async with sessions() as s:
        assert await raise_renewal_reminders(s, TODAY, clock=CLOCK, billing=SELLER) == 1
        await s.rollback()  # the run failed after queueing: its mail goes with it
    assert await outbox_rows(sessions) == 0

    assert len(await run_job_and_send(sessions, smtp)) == 1


async def test_concurrent_runs_queue_one_mail_per_contract(sessions: Sessions, smtp: SmtpServer) -> None:
    acme = await customer(sessions, "C-000001", "info@acme.example")
    for _ in range(3):
        await contract(sessions, acme, "2026-01-01", "2026-12-31", notice_days=30)

    async def run() -> int:
        async with session_scope(sessions) as s:
            return await raise_renewal_reminders(s, TODAY, clock=CLOCK, billing=SELLER)

    counts = await asyncio.gather(*(run() for _ in range(4)))
    await dispatch_due(sessions, outbox_handlers(), smtp.mailer, clock=CLOCK)

    assert sum(counts) == 3 and await outbox_rows(sessions) == 3
    subjects = sorted(str(mail["Subject"]) for _, mail in smtp.inbox.received)
    assert subjects == [f"Service contract SC-00000{n} ends on 2026-12-31" for n in (1, 2, 3)]
