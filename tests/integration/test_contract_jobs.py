"""The contract jobs on a controlled clock: renewal reminders once per term, expiry and auto-renewal.

Also renewal itself at the service level, where `today` is explicit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.choices import ContractStatus
from contracts.jobs import ExpiryRun, expire_contracts, raise_renewal_reminders
from contracts.models import ContractNotice, ServiceContract
from contracts.services.contract_lines import LineCreate, add_line
from contracts.services.service_contracts import (
    ContractCreate,
    ContractTransition,
    create_contract,
    renew,
    successor_term,
    transition_contract,
    uplifted,
)
from core.auth import SYSTEM
from core.clock import FixedClock
from core.db import session_scope
from core.errors import Conflict, DomainError
from masterdata.models import Customer

Sessions = async_sessionmaker[AsyncSession]


async def customer(sessions: Sessions) -> UUID:
    async with session_scope(sessions) as s:
        acme = Customer(number="C-000001", name="ACME Printing")
        s.add(acme)
        await s.flush()
        return acme.id


async def contract(
    sessions: Sessions,
    customer_id: UUID,
    starts_on: str,
    ends_on: str,
    status: ContractStatus = ContractStatus.ACTIVE,
    **terms: Any,
) -> UUID:
    """A contract with one line (covering a product family), moved to `status`."""
    async with session_scope(sessions) as s:
        created = await create_contract(
            s,
            SYSTEM,
            ContractCreate(
                customer_id=customer_id,
                name="Printer care",
                starts_on=dt.date.fromisoformat(starts_on),
                ends_on=dt.date.fromisoformat(ends_on),
                currency="EUR",
                fee_amount=Decimal("1000.00"),
                **terms,
            ),
        )
        contract_id = created.contract.id
        await add_line(
            s,
            SYSTEM,
            contract_id,
            LineCreate(
                description="Printers",
                product_family="printers",
                labour_pct=Decimal(100),
                parts_pct=Decimal(100),
                travel_pct=Decimal(0),
                quota_visits=10,
            ),
        )
        path = {
            ContractStatus.DRAFT: [],
            ContractStatus.ACTIVE: [ContractStatus.ACTIVE],
            ContractStatus.SUSPENDED: [ContractStatus.ACTIVE, ContractStatus.SUSPENDED],
            ContractStatus.TERMINATED: [ContractStatus.TERMINATED],
        }[status]
        for step in path:
            await transition_contract(s, SYSTEM, contract_id, ContractTransition(status=step, reason="test"))
        return contract_id


async def reminders(sessions: Sessions, today: str) -> int:
    async with session_scope(sessions) as s:
        return await raise_renewal_reminders(s, dt.date.fromisoformat(today))


async def expire(sessions: Sessions, today: str) -> ExpiryRun:
    async with session_scope(sessions) as s:
        return await expire_contracts(s, dt.date.fromisoformat(today))


async def load(sessions: Sessions, contract_id: UUID) -> ServiceContract:
    async with sessions() as s:
        found = await s.get(ServiceContract, contract_id)
        assert found is not None
        return found


async def successors(sessions: Sessions, contract_id: UUID) -> list[ServiceContract]:
    """The chain of contracts renewing `contract_id`, oldest first."""
    chain: list[ServiceContract] = []
    async with sessions() as s:
        current = contract_id
        while nxt := await s.scalar(select(ServiceContract).where(ServiceContract.predecessor_id == current)):
            chain.append(nxt)
            current = nxt.id
    return chain


# --- renewal reminders -----------------------------------------------------------------------


async def test_a_reminder_is_raised_once_when_the_notice_period_begins(sessions: Sessions) -> None:
    acme = await customer(sessions)
    cid = await contract(sessions, acme, "2026-01-01", "2026-12-31", notice_days=30)

    raised = [
        await reminders(sessions, day) for day in ("2026-11-30", "2026-12-01", "2026-12-01", "2026-12-02", "2026-12-31")
    ]
    async with sessions() as s:
        notices = (await s.scalars(select(ContractNotice))).all()

    assert raised == [0, 1, 0, 0, 0]  # 31 days before: not yet; 30 days before: once; never again
    [notice] = notices
    assert (notice.contract_id, notice.kind, notice.term_ends_on) == (cid, "renewal_reminder", dt.date(2026, 12, 31))
    assert "SC-000001" in notice.message and "2026-12-31" in notice.message


async def test_a_reminder_missed_on_its_first_day_is_raised_on_a_later_run(sessions: Sessions) -> None:
    acme = await customer(sessions)
    await contract(sessions, acme, "2026-01-01", "2026-12-31", notice_days=60)

    assert await reminders(sessions, "2026-12-20") == 1
    assert await reminders(sessions, "2026-12-21") == 0


async def test_only_active_contracts_inside_their_notice_period_are_reminded(sessions: Sessions) -> None:
    acme = await customer(sessions)
    await contract(sessions, acme, "2026-01-01", "2026-12-31", ContractStatus.DRAFT, notice_days=60)
    await contract(sessions, acme, "2026-01-01", "2026-12-31", ContractStatus.SUSPENDED, notice_days=60)
    await contract(sessions, acme, "2026-01-01", "2026-12-31", ContractStatus.TERMINATED, notice_days=60)
    await contract(sessions, acme, "2026-01-01", "2027-06-30", notice_days=60)  # not yet
    await contract(sessions, acme, "2026-01-01", "2026-12-15", notice_days=60)  # already over
    await contract(sessions, acme, "2026-01-01", "2026-12-31", notice_days=0)  # no notice period
    due = await contract(sessions, acme, "2026-01-01", "2026-12-31", notice_days=60)

    assert await reminders(sessions, "2026-12-20") == 1
    async with sessions() as s:
        assert await s.scalar(select(ContractNotice.contract_id)) == due


async def test_the_renewed_term_gets_its_own_reminder(sessions: Sessions) -> None:
    acme = await customer(sessions)
    cid = await contract(sessions, acme, "2026-01-01", "2026-12-31", notice_days=30, auto_renew=True)
    assert await reminders(sessions, "2026-12-10") == 1
    assert await expire(sessions, "2027-01-01") == ExpiryRun(expired=0, renewed=1)

    assert await reminders(sessions, "2027-12-10") == 1
    [successor] = await successors(sessions, cid)
    async with sessions() as s:
        terms = (await s.execute(select(ContractNotice.contract_id, ContractNotice.term_ends_on))).all()
    assert sorted(terms, key=lambda t: t[1]) == [(cid, dt.date(2026, 12, 31)), (successor.id, dt.date(2027, 12, 31))]


async def test_concurrent_reminder_runs_raise_each_reminder_once(sessions: Sessions) -> None:
    acme = await customer(sessions)
    for _ in range(3):
        await contract(sessions, acme, "2026-01-01", "2026-12-31", notice_days=30)

    counts = await asyncio.gather(*(reminders(sessions, "2026-12-15") for _ in range(4)))

    assert sum(counts) == 3
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ContractNotice)) == 3


async def test_the_database_refuses_a_second_reminder_for_the_same_term(sessions: Sessions) -> None:
    acme = await customer(sessions)
    cid = await contract(sessions, acme, "2026-01-01", "2026-12-31")
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

    with pytest.raises(IntegrityError, match=r"(?i)uq_contract_notices_once|unique"):
        async with session_scope(sessions) as s:
            for _ in range(2):
                s.add(
                    ContractNotice(
                        contract_id=cid,
                        kind="renewal_reminder",
                        term_ends_on=dt.date(2026, 12, 31),
                        raised_at=at,
                        message="x",
                    )
                )
                await s.flush()


async def test_the_reminder_time_comes_from_the_clock(sessions: Sessions) -> None:
    acme = await customer(sessions)
    await contract(sessions, acme, "2026-01-01", "2026-12-31", notice_days=30)
    clock = FixedClock(dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.UTC))

    async with session_scope(sessions) as s:
        assert await raise_renewal_reminders(s, dt.date(2026, 12, 5), clock=clock) == 1
    async with sessions() as s:
        assert await s.scalar(select(ContractNotice.raised_at)) == clock.now()


# --- expiry and auto-renewal -----------------------------------------------------------------


async def test_terms_past_their_end_expire_or_renew(sessions: Sessions) -> None:
    acme = await customer(sessions)
    plain = await contract(sessions, acme, "2026-01-01", "2026-06-30")
    renewing = await contract(
        sessions, acme, "2026-01-01", "2026-06-30", auto_renew=True, renewal_uplift_pct=Decimal(2)
    )
    suspended = await contract(sessions, acme, "2026-01-01", "2026-06-30", ContractStatus.SUSPENDED, auto_renew=True)
    ends_today = await contract(sessions, acme, "2026-01-01", "2026-07-01")
    draft = await contract(sessions, acme, "2026-01-01", "2026-06-30", ContractStatus.DRAFT)

    first = await expire(sessions, "2026-07-01")
    second = await expire(sessions, "2026-07-01")

    assert first == ExpiryRun(expired=2, renewed=1) and second == ExpiryRun(expired=0, renewed=0)
    assert (await load(sessions, plain)).status == "expired"
    assert (await load(sessions, plain)).status_reason == "the term ended on 2026-06-30"
    assert (await load(sessions, suspended)).status == "expired"
    assert (await load(sessions, ends_today)).status == "active"
    assert (await load(sessions, draft)).status == "draft"
    assert (await load(sessions, renewing)).status == "renewed"
    [successor] = await successors(sessions, renewing)
    assert (successor.status, successor.starts_on, successor.ends_on) == (
        "active",
        dt.date(2026, 7, 1),
        dt.date(2026, 12, 31),
    )
    assert successor.fee_amount == Decimal("1020.00") and successor.auto_renew


async def test_a_job_that_did_not_run_for_years_renews_term_after_term(sessions: Sessions) -> None:
    acme = await customer(sessions)
    cid = await contract(sessions, acme, "2023-01-01", "2023-12-31", auto_renew=True)

    run = await expire(sessions, "2026-03-01")

    chain = await successors(sessions, cid)
    assert run == ExpiryRun(expired=0, renewed=3)
    assert [(c.starts_on.year, c.status) for c in chain] == [(2024, "renewed"), (2025, "renewed"), (2026, "active")]
    assert [c.number for c in chain] == ["SC-000002", "SC-000003", "SC-000004"]


# --- renewal ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "next_start", "next_end"),
    [
        ("2025-01-01", "2025-12-31", "2026-01-01", "2026-12-31"),
        ("2023-03-01", "2024-02-29", "2024-03-01", "2025-02-28"),  # a year of months, across a leap day
        ("2026-01-01", "2026-03-31", "2026-04-01", "2026-06-30"),  # a quarter
        ("2026-01-15", "2026-02-14", "2026-02-15", "2026-03-14"),  # a month, mid-month
        ("2026-01-01", "2026-01-10", "2026-01-11", "2026-01-20"),  # ten days stay ten days
    ],
)
def test_the_next_term_is_as_long_as_the_last(starts_on: str, ends_on: str, next_start: str, next_end: str) -> None:
    term = successor_term(dt.date.fromisoformat(starts_on), dt.date.fromisoformat(ends_on))

    assert term == (dt.date.fromisoformat(next_start), dt.date.fromisoformat(next_end))


@pytest.mark.parametrize(
    ("fee", "pct", "expected"),
    [("10.10", "5", "10.61"), ("1000.00", "2.5", "1025.00"), ("99.99", "3.5", "103.49"), ("0.00", "10", "0.00")],
)
def test_the_fee_is_uplifted_and_rounded_half_up_to_cents(fee: str, pct: str, expected: str) -> None:
    assert uplifted(Decimal(fee), Decimal(pct)) == Decimal(expected)


async def test_an_expired_contract_whose_next_term_is_over_is_not_renewed(sessions: Sessions) -> None:
    acme = await customer(sessions)
    cid = await contract(sessions, acme, "2024-01-01", "2024-12-31")
    await expire(sessions, "2025-01-01")

    with pytest.raises(DomainError) as refused:
        async with session_scope(sessions) as s:
            await renew(s, SYSTEM, cid, dt.date(2026, 1, 1))
    async with session_scope(sessions) as s:
        renewed = await renew(s, SYSTEM, cid, dt.date(2025, 12, 31))

    assert refused.value.code == "renewal_term_over"
    assert renewed.contract.status == "draft" and renewed.contract.ends_on == dt.date(2025, 12, 31)
    assert (await load(sessions, cid)).status == "renewed"


async def test_concurrent_renewals_create_one_successor(sessions: Sessions) -> None:
    acme = await customer(sessions)
    cid = await contract(sessions, acme, "2026-01-01", "2026-12-31")

    async def attempt() -> str:
        try:
            async with session_scope(sessions) as s:
                await renew(s, SYSTEM, cid, dt.date(2026, 11, 1))
        except (Conflict, IntegrityError) as exc:
            return getattr(exc, "code", "constraint")
        return "renewed"

    outcomes = await asyncio.gather(*(attempt() for _ in range(5)))

    assert sorted(outcomes) == ["contract_already_renewed"] * 4 + ["renewed"]
    assert len(await successors(sessions, cid)) == 1


async def test_the_database_refuses_a_second_successor(sessions: Sessions) -> None:
    acme = await customer(sessions)
    cid = await contract(sessions, acme, "2026-01-01", "2026-12-31")
    async with session_scope(sessions) as s:
        await renew(s, SYSTEM, cid, dt.date(2026, 11, 1))

    with pytest.raises(IntegrityError, match=r"(?i)uq_service_contracts_predecessor|unique"):
        async with session_scope(sessions) as s:
            s.add(
                ServiceContract(
                    number="SC-999999",
                    customer_id=acme,
                    name="copy",
                    starts_on=dt.date(2027, 1, 1),
                    ends_on=dt.date(2027, 12, 31),
                    currency="EUR",
                    predecessor_id=cid,
                )
            )
            await s.flush()
