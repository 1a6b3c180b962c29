"""Demo credit accounts: after `demo-data` every customer has credit, so the demo's billable work
passes the credit gate and the demo customer user can approve a repair quote."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from uuid import UUID

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.cli import main
from contracts.choices import Priority, ServiceType
from contracts.credit_rule import CreditOutcome
from contracts.demo_billing import load_demo_billing
from contracts.models import CreditAccount
from contracts.services.credit import run_credit_check
from core.auth import SYSTEM, Principal, Role
from core.clock import FixedClock
from core.db import session_scope
from core.settings import BillingSettings
from masterdata.models import Customer, Equipment, Site, User
from masterdata.services.visibility import customer_scope
from returns.demo_activity import load_demo_activity
from returns.demo_stock import load_demo_stock
from returns.models import Rma
from returns.services import quotes, repair_orders, rma_receipt, rmas
from service_mgmt.demo_billing_profiles import load_demo_billing_profiles
from service_mgmt.demo_contracts import load_demo_contracts
from service_mgmt.demo_credit import credit_limit, load_demo_credit
from service_mgmt.demo_data import DemoSize, load_demo_data
from service_mgmt.services import work_orders
from service_mgmt.services.credit_gate import pass_credit_gate
from tests.integration.rma_fixtures import LINKS

SEED = 11
TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
CLOCK = FixedClock(NOW)


async def load_the_demo(sessions: async_sessionmaker[AsyncSession]) -> None:
    """What `service-mgmt demo-data` does, in its order, at a small size."""
    async with session_scope(sessions) as session:
        await load_demo_data(session, DemoSize(customers=12, equipment=80, engineers=4, seed=SEED))
        await load_demo_contracts(session, seed=SEED)
        await load_demo_billing_profiles(session, seed=SEED, settings=BillingSettings())
        await load_demo_stock(session, seed=SEED, now=NOW - dt.timedelta(days=7))
        await load_demo_activity(session, seed=SEED, today=TODAY, links=LINKS)
    await load_demo_billing(sessions, seed=SEED, today=TODAY, settings=BillingSettings())
    async with session_scope(sessions) as session:
        await load_demo_credit(session, today=TODAY)


async def demo_user(session: AsyncSession, username: str) -> Principal:
    user = await session.scalar(select(User).where(User.username == username))
    assert user is not None
    return Principal(user_id=user.id, username=username, role=Role(user.role), customer_id=user.customer_id)


def test_the_limit_leaves_headroom_above_what_is_owed_in_steps_of_5000() -> None:
    assert credit_limit(units=0, owed=Decimal(0)) == Decimal(10_000)
    assert credit_limit(units=9, owed=Decimal("1234.56")) == Decimal(15_000)  # 13,500 headroom + owed
    assert credit_limit(units=40, owed=Decimal(-50)) == Decimal(60_000)  # a credit balance owes nothing
    assert credit_limit(units=1000, owed=Decimal(0)) == Decimal(250_000)  # the headroom has a ceiling


async def test_every_demo_customer_has_credit_in_good_standing(sessions: async_sessionmaker[AsyncSession]) -> None:
    await load_the_demo(sessions)

    async with sessions() as session:
        customers = (await session.scalars(select(Customer.id))).all()
        accounts = {a.customer_id: a for a in (await session.scalars(select(CreditAccount))).all()}
        assert set(accounts) == set(customers)
        assert {a.currency for a in accounts.values()} == {"EUR"}
        for customer_id in customers:  # "is this customer's account in order right now?"
            check = await run_credit_check(session, SYSTEM, customer_id, Decimal(0), "EUR", clock=CLOCK)
            assert check.outcome is CreditOutcome.PASS, check.reasons
    with pytest.raises(ValueError, match="already holds credit accounts"):
        async with session_scope(sessions) as session:
            await load_demo_credit(session, today=TODAY)


async def test_a_billable_demo_job_passes_the_credit_gate(sessions: async_sessionmaker[AsyncSession]) -> None:
    await load_the_demo(sessions)

    async with session_scope(sessions) as session:
        planner = await demo_user(session, "planner")
        customer = await demo_user(session, "customer")
        site = await session.scalar(select(Site).where(Site.customer_id == customer.customer_id).limit(1))
        assert site is not None
        # Installation is excluded from every demo contract: the customer pays for it.
        order = await work_orders.create_work_order(
            session,
            planner,
            work_orders.WorkOrderCreate(
                customer_id=site.customer_id,
                site_id=site.id,
                service_type=ServiceType.INSTALLATION,
                priority=Priority.P3,
                estimated_amount=Decimal("850.00"),
            ),
            clock=CLOCK,
        )
        assert order.work_order.billable

        gate = await pass_credit_gate(session, planner, order.work_order, clock=CLOCK)

    assert gate.checked and gate.outcome == "pass"
    assert [reason["code"] for reason in gate.reasons] == ["within_limit"]


async def uncovered_unit(session: AsyncSession, customer: Principal) -> UUID:
    """The first unit the demo customer user may return that neither a warranty nor a contract covers."""
    scope = await customer_scope(session, customer)
    assert scope.customer_ids
    units = await session.execute(
        scope.restrict(select(Equipment.id, Equipment.customer_id), Equipment.customer_id).order_by(
            Equipment.serial_number
        )
    )
    for unit_id, owner_id in units.tuples().all():
        async with session.begin_nested() as trial:  # the RMA is kept only for the unit chosen
            data = rmas.RmaCreate(
                customer_id=owner_id, equipment_id=unit_id, reason_code="no_power", problem_description="dead"
            )
            rma = await rmas.create_rma(session, customer, data, now=NOW)
            if rma.covered_by == "none":
                return rma.id
            await trial.rollback()
    raise AssertionError("every unit of the demo customer is covered")


async def test_the_demo_customer_user_approves_a_repair_quote(sessions: async_sessionmaker[AsyncSession]) -> None:
    await load_the_demo(sessions)

    async with session_scope(sessions) as session:
        customer = await demo_user(session, "customer")
        agent, depot = await demo_user(session, "agent"), await demo_user(session, "depot")
        rma_id = await uncovered_unit(session, customer)
        rma = await session.get(Rma, rma_id)
        assert rma is not None
        await rmas.authorize(session, agent, rma_id, rmas.RmaStep(), now=NOW, links=LINKS)
        receipt = rma_receipt.RmaReceipt(serial_number=rma.serial_number)
        await rma_receipt.receive(session, depot, rma_id, receipt, now=NOW, links=LINKS)
        diagnosis = await repair_orders.start_diagnosis(session, depot, rma_id, now=NOW)
        estimate = quotes.QuoteInput(labour_hours=Decimal(2), note="Control board replaced")
        quoted = await quotes.quote_repair(session, depot, diagnosis.repair_order.id, estimate, now=NOW, links=LINKS)
        assert quoted.rma.status == "awaiting_approval" and quoted.repair_order.quote_amount == Decimal("196.00")

        approved = await quotes.approve_quote(session, customer, rma_id, NOW)

    assert approved.repair_order.quote_status == "approved" and approved.rma.status == "in_repair"
    assert approved.repair_order.credit is not None and approved.repair_order.credit["outcome"] == "pass"


async def test_the_demo_data_command_loads_the_accounts(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    def demo_data() -> Result:
        # In a thread: the command runs its own event loop, as it does from a shell.
        env = {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret-" + "x" * 40}
        arguments = ["demo-data", "--customers", "8", "--equipment", "40", "--engineers", "3"]
        return CliRunner().invoke(main, arguments, env=env, catch_exceptions=False)

    loaded = await asyncio.to_thread(demo_data)

    assert loaded.exit_code == 0, loaded.output
    assert "demo credit accounts loaded" in loaded.output
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(CreditAccount)) == 8
