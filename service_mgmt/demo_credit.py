"""Demo credit accounts: every demo customer gets one, so billable work and repair quotes pass.

The credit check (`contracts.services.credit`) refuses any amount to a customer without an
account ("nobody has decided what credit the customer gets"), so without these the demo's
billable work orders could not be scheduled nor its repair quotes approved.

Each account is in the demo's currency and in good standing. Its limit leaves headroom above
what the customer owes when the demo is loaded (last month's invoices, partly paid): the
headroom grows with the installed base (`HEADROOM_PER_UNIT` a unit, between `MIN_HEADROOM` and
`MAX_HEADROOM`), and the limit is rounded up to `LIMIT_STEP`. So a one-printer office gets
10,000, a large customer with a year's fees open far more. The tolerance of
`TOLERANCE_DAYS` lets those invoices (issued on the first of the month, some on 14 days'
terms) run a little late without stopping the customer's work. Load it after the demo billing.

Accounts go through `contracts.services.credit.create_account`, so the demo obeys the rules a
contract administrator does (and the audit log shows them). Deterministic; the caller commits.
Never on a real installation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import CreditAccount
from contracts.services import receivables
from contracts.services.credit import CreditAccountCreate, create_account
from core.auth import SYSTEM
from masterdata.models import Customer, Equipment
from service_mgmt.demo_data import CURRENCY

HEADROOM_PER_UNIT = Decimal(1500)
MIN_HEADROOM = Decimal(10_000)
MAX_HEADROOM = Decimal(250_000)
LIMIT_STEP = Decimal(5000)
TOLERANCE_DAYS = 30
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class DemoCreditSummary:
    accounts: int
    currency: str
    total_limit: Decimal


def credit_limit(units: int, owed: Decimal) -> Decimal:
    """The limit of a customer owning `units` pieces of equipment and owing `owed` now."""
    headroom = min(max(HEADROOM_PER_UNIT * units, MIN_HEADROOM), MAX_HEADROOM)
    steps = ((max(owed, ZERO) + headroom) / LIMIT_STEP).to_integral_value(rounding=ROUND_CEILING)
    return steps * LIMIT_STEP


async def load_demo_credit(session: AsyncSession, *, today: dt.date) -> DemoCreditSummary:
    """A credit account for every customer; refuses a database that already holds one."""
    if await session.scalar(select(CreditAccount.id).limit(1)) is not None:
        raise ValueError("the database already holds credit accounts")
    customer_ids = list((await session.scalars(select(Customer.id).order_by(Customer.number))).all())
    per_customer = select(Equipment.customer_id, func.count()).group_by(Equipment.customer_id)
    units = dict((await session.execute(per_customer)).tuples().all())
    owed = await receivables.balances(session, customer_ids, today)
    total = ZERO
    for customer_id in customer_ids:
        balance = owed.get((customer_id, CURRENCY), receivables.Balance())
        limit = credit_limit(units.get(customer_id, 0), balance.open_amount)
        data = CreditAccountCreate(
            customer_id=customer_id, credit_limit=limit, currency=CURRENCY, tolerance_days=TOLERANCE_DAYS
        )
        await create_account(session, SYSTEM, data)
        total += limit
    return DemoCreditSummary(accounts=len(customer_ids), currency=CURRENCY, total_limit=total)
