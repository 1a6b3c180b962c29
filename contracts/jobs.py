"""Scheduled jobs of the contracts domain: plain async functions taking (session, today).

Each is idempotent, so a re-run (after a crash, or twice by mistake) changes nothing more;
the caller owns the transaction (one `session_scope()` per run).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import ContractStatus
from contracts.models import ContractNotice, ServiceContract
from contracts.services.renewal_notices import queue_renewal_notices
from contracts.services.service_contracts import ContractTransition, renew, transition_contract
from core import audit
from core.auth import SYSTEM
from core.clock import SYSTEM_CLOCK, Clock
from core.settings import BillingSettings

RENEWAL_REMINDER = "renewal_reminder"


@dataclass(frozen=True, slots=True)
class ExpiryRun:
    expired: int
    renewed: int


async def raise_renewal_reminders(
    session: AsyncSession,
    today: dt.date,
    *,
    clock: Clock = SYSTEM_CLOCK,
    billing: BillingSettings | None = None,
) -> int:
    """One renewal reminder per active contract and term end, once its notice period has begun.

    A contract is due when ends_on − notice_days <= today < ends_on. Each reminder this run
    inserts also queues the customer's notice e-mail in the outbox, in this transaction
    (`contracts.services.renewal_notices`; the worker passes the loaded `billing` settings).
    Answers how many reminders were raised by this run.
    """
    raised = 0
    inserted: list[UUID] = []
    for contract_id, number, ends_on, notice_days in await _reminders_due(session, today):
        message = (
            f"contract {number} ends on {ends_on.isoformat()}; the {notice_days}-day notice period has begun:"
            " renew it, or let it end"
        )
        if await _insert_notice(session, contract_id, ends_on, message, clock.now()):
            raised += 1
            inserted.append(contract_id)
            await audit.record(
                session,
                SYSTEM,
                "contract",
                contract_id,
                RENEWAL_REMINDER,
                after={"term_ends_on": ends_on, "message": message},
            )
    # Only the run that inserted a notice mails it (a concurrent run lost on the unique key).
    await queue_renewal_notices(session, inserted, billing or BillingSettings(), clock.now())
    return raised


async def _reminders_due(session: AsyncSession, today: dt.date) -> list[tuple[UUID, str, dt.date, int]]:
    # Date minus a per-row number of days is spelt differently by each database; the notice
    # period is therefore applied here, to the active contracts not reminded for this term yet.
    reminded = exists().where(
        ContractNotice.contract_id == ServiceContract.id,
        ContractNotice.kind == RENEWAL_REMINDER,
        ContractNotice.term_ends_on == ServiceContract.ends_on,
    )
    rows = await session.execute(
        select(ServiceContract.id, ServiceContract.number, ServiceContract.ends_on, ServiceContract.notice_days)
        .where(ServiceContract.status == ContractStatus.ACTIVE.value, ServiceContract.ends_on > today, ~reminded)
        .order_by(ServiceContract.ends_on, ServiceContract.id)
    )
    return [
        (contract_id, number, ends_on, notice_days)
        for contract_id, number, ends_on, notice_days in rows.tuples()
        if ends_on - dt.timedelta(days=notice_days) <= today
    ]


async def _insert_notice(
    session: AsyncSession, contract_id: UUID, term_ends_on: dt.date, message: str, at: dt.datetime
) -> bool:
    """Insert the notice unless it exists; a concurrent run loses quietly on uq_contract_notices_once."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.execute(
        insert(ContractNotice)
        .values(
            contract_id=contract_id, kind=RENEWAL_REMINDER, term_ends_on=term_ends_on, raised_at=at, message=message
        )
        .on_conflict_do_nothing(index_elements=["contract_id", "kind", "term_ends_on"])
        .returning(ContractNotice.id)
    )
    return result.scalar_one_or_none() is not None


async def expire_contracts(session: AsyncSession, today: dt.date) -> ExpiryRun:
    """Close the terms that ended before today: renew active contracts set to auto-renew, expire the rest.

    A suspended contract expires even with auto_renew (it cannot be renewed while suspended).
    The loop runs until nothing is past its end, so a job that did not run for a while renews
    term after term up to today.
    """
    expired = renewed = 0
    while due := await _past_their_end(session, today):
        for contract in due:
            if contract.auto_renew and contract.status == ContractStatus.ACTIVE:
                await renew(session, SYSTEM, contract.id, today)
                renewed += 1
            else:
                reason = f"the term ended on {contract.ends_on.isoformat()}"
                await transition_contract(
                    session, SYSTEM, contract.id, ContractTransition(status=ContractStatus.EXPIRED, reason=reason)
                )
                expired += 1
    return ExpiryRun(expired=expired, renewed=renewed)


async def _past_their_end(session: AsyncSession, today: dt.date) -> list[ServiceContract]:
    live = [ContractStatus.ACTIVE.value, ContractStatus.SUSPENDED.value]
    stmt = (
        select(ServiceContract)
        .where(ServiceContract.status.in_(live), ServiceContract.ends_on < today)
        .order_by(ServiceContract.ends_on, ServiceContract.id)
    )
    return list((await session.scalars(stmt)).all())
