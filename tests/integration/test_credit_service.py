"""Credit services without HTTP: holds seen at once, overrides used once, four eyes in the database."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.credit_rule import CreditDecision, CreditOutcome, CreditReasonCode, Receivables
from contracts.models import CreditAccount, CreditOverride
from contracts.services import credit
from core.audit import audit_log
from core.auth import SYSTEM, Principal, Role
from core.clock import FixedClock
from core.db import session_scope
from core.errors import Conflict, Forbidden, Invalid, NotFound
from masterdata.models import Customer
from masterdata.services.users import UserCreate, create_user

NOW = dt.datetime(2025, 9, 1, 9, 0, tzinfo=dt.UTC)


async def customer(session: AsyncSession, number: str = "C-000001") -> UUID:
    row = Customer(number=number, name=f"Customer {number}", status="active")
    session.add(row)
    await session.flush()
    return row.id


async def staff(session: AsyncSession, username: str, role: Role = Role.CONTRACT_ADMIN) -> Principal:
    user = await create_user(session, SYSTEM, UserCreate(username=username, password="secret-pw", role=role))
    return Principal(user_id=user.id, username=user.username, role=role)


async def open_account(session: AsyncSession, actor: Principal, customer_id: UUID, **figures: Any) -> None:
    data = {"credit_limit": Decimal("5000.00"), "currency": "EUR", "tolerance_days": 30, **figures}
    await credit.create_account(session, actor, credit.CreditAccountCreate(customer_id=customer_id, **data))


async def check(
    session: AsyncSession, actor: Principal, customer_id: UUID, amount: str, reference: str | None = None, **kw: Any
) -> CreditDecision:
    return await credit.run_credit_check(session, actor, customer_id, Decimal(amount), "EUR", reference, **kw)


def override_for(
    customer_id: UUID, requester: Principal, amount: str = "1000.00", **extra: Any
) -> credit.OverrideCreate:
    return credit.OverrideCreate(
        customer_id=customer_id,
        amount=Decimal(amount),
        currency="EUR",
        reason="long-standing customer, payment promised by Friday",
        requested_by_id=requester.user_id,
        **extra,
    )


async def test_a_hold_applies_to_the_next_check_even_in_a_session_that_read_the_account_before(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(sessions) as s:
        customer_id = await customer(s)
        carla = await staff(s, "carla")
        await open_account(s, carla, customer_id)
    async with sessions() as agent_session:
        before = await check(agent_session, SYSTEM, customer_id, "100.00")
        await agent_session.commit()
        async with session_scope(sessions) as admin_session:
            await credit.set_hold(admin_session, carla, customer_id, credit.HoldSet(reason="cheque bounced"))

        after = await check(agent_session, SYSTEM, customer_id, "100.00")

    assert before.outcome is CreditOutcome.PASS
    assert after.outcome is CreditOutcome.HOLD
    assert after.reasons[0].code is CreditReasonCode.ON_HOLD
    assert (after.reasons[0].hold_reason, after.reasons[0].hold_set_by) == ("cheque bounced", "carla")


async def test_hold_and_release_record_who_and_are_audited(session: AsyncSession) -> None:
    customer_id = await customer(session)
    carla = await staff(session, "carla")
    await open_account(session, carla, customer_id)

    held = await credit.set_hold(
        session, carla, customer_id, credit.HoldSet(reason="  disputed  "), clock=FixedClock(NOW)
    )
    assert (held.account.on_hold, held.account.hold_reason, held.account.hold_set_by) == (True, "disputed", "carla")
    assert held.account.hold_set_at == NOW
    with pytest.raises(Conflict) as again:
        await credit.set_hold(session, carla, customer_id, credit.HoldSet(reason="another"))
    released = await credit.release_hold(session, carla, customer_id)
    with pytest.raises(Conflict) as twice:
        await credit.release_hold(session, carla, customer_id)

    assert again.value.code == "already_on_hold" and twice.value.code == "not_on_hold"
    assert (released.account.on_hold, released.account.hold_reason, released.account.hold_set_by) == (False, None, None)
    actions = (
        await session.execute(
            select(audit_log.c.action, audit_log.c.actor_name, audit_log.c.after)
            .where(audit_log.c.entity == "credit_account")
            .order_by(audit_log.c.id)
        )
    ).all()
    assert [(a.action, a.actor_name) for a in actions] == [("create", "carla"), ("hold", "carla"), ("release", "carla")]
    assert actions[1].after["hold_reason"] == "disputed"


async def test_a_blank_hold_reason_is_refused(session: AsyncSession) -> None:
    customer_id = await customer(session)
    carla = await staff(session, "carla")
    await open_account(session, carla, customer_id)

    with pytest.raises(Invalid) as refused:
        await credit.set_hold(session, carla, customer_id, credit.HoldSet(reason="   "))

    assert (refused.value.code, refused.value.field) == ("hold_reason_required", "reason")


async def test_one_account_per_customer_in_the_service_and_in_the_database(session: AsyncSession) -> None:
    customer_id = await customer(session)
    carla = await staff(session, "carla")
    await open_account(session, carla, customer_id)

    with pytest.raises(Conflict) as duplicate:
        await open_account(session, carla, customer_id)
    assert duplicate.value.code == "credit_account_exists"

    session.add(CreditAccount(customer_id=customer_id, credit_limit=Decimal(1), currency="EUR"))
    with pytest.raises(IntegrityError, match=r"uq_credit_accounts_customer|UNIQUE"):
        await session.flush()


async def test_account_figures_are_validated(session: AsyncSession) -> None:
    customer_id = await customer(session)
    carla = await staff(session, "carla")

    with pytest.raises(Invalid) as cents:
        await open_account(session, carla, customer_id, credit_limit=Decimal("10.005"))
    with pytest.raises(Invalid) as overdue:
        await open_account(session, carla, customer_id, opening_balance=Decimal(100), opening_overdue=Decimal(200))
    with pytest.raises(NotFound) as nobody:
        await open_account(session, carla, UUID(int=7))

    assert (cents.value.code, cents.value.field) == ("invalid_amount", "credit_limit")
    assert (overdue.value.code, overdue.value.field) == ("overdue_exceeds_open", "opening_overdue")
    assert (nobody.value.code, nobody.value.field) == ("customer_not_found", "customer_id")


async def test_receivables_come_from_the_opening_figures_until_billing_exists(session: AsyncSession) -> None:
    with_account = await customer(session, "C-1")
    without = await customer(session, "C-2")
    carla = await staff(session, "carla")
    await open_account(
        session, carla, with_account,
        opening_balance=Decimal("1500.00"), opening_overdue=Decimal("400.00"), opening_overdue_days=12,
    )  # fmt: skip

    owed = await credit.open_receivables_by_customer(session, [with_account, without], now=NOW)

    assert owed[with_account] == Receivables(Decimal("1500.00"), Decimal("400.00"), 12)
    assert owed[without] == Receivables()
    decision = await check(session, SYSTEM, with_account, "3600.00")
    assert decision.outcome is CreditOutcome.FAIL and decision.reasons[0].exceeded_by == Decimal("100.00")


async def test_a_refused_check_passes_once_by_an_override_and_the_use_is_audited(session: AsyncSession) -> None:
    customer_id = await customer(session)
    carla, dieter = await staff(session, "carla"), await staff(session, "dieter")
    agent = await staff(session, "anna", Role.AGENT)
    await open_account(session, carla, customer_id, opening_balance=Decimal("4800.00"))
    override = await credit.approve_override(session, dieter, override_for(customer_id, agent), clock=FixedClock(NOW))

    first = await check(session, agent, customer_id, "900.00", clock=FixedClock(NOW))
    second = await check(session, agent, customer_id, "900.00", clock=FixedClock(NOW))

    assert override.valid_until == NOW + dt.timedelta(days=7)
    assert (override.requested_by_id, override.approved_by_id) == (agent.user_id, dieter.user_id)
    assert first.outcome is CreditOutcome.PASS and first.override_id == override.id
    assert first.codes() == [CreditReasonCode.OVERRIDE, CreditReasonCode.OVER_LIMIT]
    assert first.reasons[0].approved_by_id == dieter.user_id
    assert second.outcome is CreditOutcome.FAIL and second.override_id is None
    stored = await session.scalar(select(CreditOverride.used).where(CreditOverride.id == override.id))
    assert stored is True
    trail = (
        await session.execute(
            select(audit_log.c.action, audit_log.c.actor_name)
            .where(audit_log.c.entity == "credit_override")
            .order_by(audit_log.c.id)
        )
    ).all()
    assert [tuple(row) for row in trail] == [("approve", "dieter"), ("use", "anna")]


async def test_an_override_covers_a_hold_too(session: AsyncSession) -> None:
    customer_id = await customer(session)
    carla, dieter = await staff(session, "carla"), await staff(session, "dieter")
    await open_account(session, carla, customer_id)
    await credit.set_hold(session, carla, customer_id, credit.HoldSet(reason="audit pending"))
    await credit.approve_override(session, dieter, override_for(customer_id, carla))

    decision = await check(session, carla, customer_id, "50.00")

    assert decision.outcome is CreditOutcome.PASS
    assert decision.codes() == [CreditReasonCode.OVERRIDE, CreditReasonCode.ON_HOLD]


async def test_an_override_only_covers_its_reference_amount_currency_and_time(session: AsyncSession) -> None:
    customer_id = await customer(session)
    carla, dieter = await staff(session, "carla"), await staff(session, "dieter")
    await open_account(session, carla, customer_id, credit_limit=Decimal(0))
    await credit.approve_override(
        session, dieter, override_for(customer_id, carla, "500.00", reference="WO-000001"), clock=FixedClock(NOW)
    )
    clock = FixedClock(NOW)

    other_reference = await check(session, carla, customer_id, "100.00", "WO-000002", clock=clock)
    no_reference = await check(session, carla, customer_id, "100.00", clock=clock)
    too_much = await check(session, carla, customer_id, "500.01", "WO-000001", clock=clock)
    other_currency = await credit.run_credit_check(
        session, carla, customer_id, Decimal("100.00"), "USD", "WO-000001", clock=clock
    )
    clock.advance(dt.timedelta(days=7))
    expired = await check(session, carla, customer_id, "100.00", "WO-000001", clock=clock)

    for refused in (other_reference, no_reference, too_much, other_currency, expired):
        assert refused.outcome is CreditOutcome.FAIL and refused.override_id is None


async def test_an_override_for_the_reference_is_used_before_a_blanket_one(session: AsyncSession) -> None:
    customer_id = await customer(session)
    carla, dieter = await staff(session, "carla"), await staff(session, "dieter")
    await open_account(session, carla, customer_id, credit_limit=Decimal(0))
    blanket = await credit.approve_override(session, dieter, override_for(customer_id, carla, "100.00"))
    specific = await credit.approve_override(
        session, dieter, override_for(customer_id, carla, "900.00", reference="WO-000009")
    )

    first = await check(session, carla, customer_id, "80.00", "WO-000009")
    second = await check(session, carla, customer_id, "80.00", "WO-000009")
    third = await check(session, carla, customer_id, "80.00", "WO-000009")

    assert (first.override_id, second.override_id, third.override_id) == (specific.id, blanket.id, None)


async def test_nobody_approves_their_own_override_nor_without_the_contract_admin_role(session: AsyncSession) -> None:
    customer_id = await customer(session)
    carla = await staff(session, "carla")
    admin = await staff(session, "root", Role.ADMIN)
    agent = await staff(session, "anna", Role.AGENT)

    with pytest.raises(Forbidden) as own:
        await credit.approve_override(session, carla, override_for(customer_id, carla))
    with pytest.raises(Forbidden) as not_contract_admin:
        await credit.approve_override(session, admin, override_for(customer_id, agent))

    assert (own.value.code, own.value.field) == ("four_eyes_required", "requested_by_id")
    assert not_contract_admin.value.code == "four_eyes_required"


async def test_the_database_refuses_a_self_approved_override(session: AsyncSession) -> None:
    customer_id = await customer(session)
    carla = await staff(session, "carla")
    session.add(
        CreditOverride(
            customer_id=customer_id, amount=Decimal(10), currency="EUR", reason="mine",
            requested_by_id=carla.user_id, approved_by_id=carla.user_id, valid_until=NOW,
        )
    )  # fmt: skip

    with pytest.raises(IntegrityError, match=r"four_eyes|CHECK"):
        await session.flush()


async def test_the_requester_must_be_an_active_staff_user(session: AsyncSession) -> None:
    customer_id = await customer(session)
    dieter = await staff(session, "dieter")
    portal = await create_user(
        session,
        SYSTEM,
        UserCreate(username="portal", password="secret-pw", role=Role.CUSTOMER, customer_id=customer_id),
    )
    portal_principal = Principal(user_id=portal.id, username="portal", role=Role.CUSTOMER, customer_id=customer_id)

    with pytest.raises(NotFound) as unknown:
        await credit.approve_override(session, dieter, override_for(customer_id, SYSTEM))
    with pytest.raises(Invalid) as customer_user:
        await credit.approve_override(session, dieter, override_for(customer_id, portal_principal))

    assert (unknown.value.code, unknown.value.field) == ("user_not_found", "requested_by_id")
    assert (customer_user.value.code, customer_user.value.field) == ("invalid_requester", "requested_by_id")


async def test_override_amount_and_validity_are_checked(session: AsyncSession) -> None:
    customer_id = await customer(session)
    carla, dieter = await staff(session, "carla"), await staff(session, "dieter")
    clock = FixedClock(NOW)

    with pytest.raises(Invalid) as zero:
        await credit.approve_override(session, dieter, override_for(customer_id, carla, "0"), clock=clock)
    with pytest.raises(Invalid) as past:
        await credit.approve_override(
            session, dieter, override_for(customer_id, carla, valid_until=NOW - dt.timedelta(minutes=1)), clock=clock
        )
    with pytest.raises(Invalid) as too_long:
        await credit.approve_override(
            session, dieter, override_for(customer_id, carla, valid_until=NOW + dt.timedelta(days=31)), clock=clock
        )
    chosen = await credit.approve_override(
        session, dieter, override_for(customer_id, carla, valid_until=NOW + dt.timedelta(days=2)), clock=clock
    )

    assert (zero.value.code, zero.value.field) == ("invalid_amount", "amount")
    assert past.value.code == too_long.value.code == "invalid_valid_until"
    assert chosen.valid_until == NOW + dt.timedelta(days=2)


async def test_a_check_refuses_bad_amounts_currencies_and_unknown_customers(session: AsyncSession) -> None:
    customer_id = await customer(session)

    with pytest.raises(Invalid) as negative:
        await check(session, SYSTEM, customer_id, "-1")
    with pytest.raises(Invalid) as currency:
        await credit.run_credit_check(session, SYSTEM, customer_id, Decimal(1), "euro")
    with pytest.raises(NotFound) as unknown:
        await check(session, SYSTEM, UUID(int=9), "1")

    assert negative.value.field == "amount" and currency.value.field == "currency"
    assert unknown.value.code == "customer_not_found"


async def test_concurrent_checks_use_one_override_exactly_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as s:
        customer_id = await customer(s)
        carla, dieter = await staff(s, "carla"), await staff(s, "dieter")
        await open_account(s, carla, customer_id, credit_limit=Decimal(0))
        await credit.approve_override(s, dieter, override_for(customer_id, carla, reference="WO-000001"))

    async def one_check() -> CreditOutcome:
        async with session_scope(sessions) as s:
            return (await check(s, carla, customer_id, "100.00", "WO-000001")).outcome

    outcomes = await asyncio.gather(*(one_check() for _ in range(8)))

    assert sorted(outcomes) == sorted([CreditOutcome.PASS] + [CreditOutcome.FAIL] * 7)
