"""Credit management: one credit account per customer, holds, the credit check, overrides.

Nothing here is cached. Every check reads the account afresh (``populate_existing``), so a
hold set by a contract administrator applies to the very next check, in any process.

The open receivables come from one seam, `open_receivables_by_customer`: the opening
balances carried over from the previous system plus what billing left open (issued, unpaid
invoices, less unsettled credit notes and unallocated payments; `contracts.services.receivables`),
and every caller (the check, the account views) sees them at once. Payment behaviour (average
days to pay) is computed from paid invoices; the stored figure is the opening one, shown until
the customer has paid an invoice here.

Overrides follow the four-eyes rule: someone (an agent, a planner, a contract administrator)
asks for one, and a contract administrator who is not that person approves it; the approval
creates the override. A check the rule refuses passes when a valid, unused override for the
customer (and the check's reference) covers the amount; that check uses the override up.
Every change, including using an override, is audited.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from sqlalchemy import case, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.credit_rule import (
    AccountFacts,
    Amount,
    CreditDecision,
    CreditOutcome,
    CreditReason,
    CreditReasonCode,
    Receivables,
    check_credit,
)
from contracts.errors import Code
from contracts.models import CreditAccount, CreditOverride
from contracts.services import receivables
from core import audit
from core.auth import Principal, Role
from core.clock import SYSTEM_CLOCK, Clock
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.fields import CurrencyCode, Version
from core.listing import Page, PageRequest, paginate
from masterdata.models import Customer, User
from masterdata.services.visibility import CustomerScope

ZERO = Decimal(0)
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)
MAX_DAYS_TO_PAY = Decimal("99999.9")  # Numeric(6, 1)
DEFAULT_OVERRIDE_VALIDITY = dt.timedelta(days=7)
MAX_OVERRIDE_VALIDITY = dt.timedelta(days=30)
_CURRENCY = re.compile(r"[A-Z]{3}")


Days = Annotated[int, msgspec.Meta(ge=0, le=3650)]
HoldReason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Reference = Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="e.g. a work order number or id")]


class CreditAccountCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    customer_id: UUID
    credit_limit: Decimal
    currency: CurrencyCode
    tolerance_days: Days = 0
    opening_balance: Decimal = ZERO
    opening_overdue: Decimal = ZERO
    opening_overdue_days: Days = 0
    average_days_to_pay: Decimal | None = None


class CreditAccountUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    credit_limit: Decimal | msgspec.UnsetType = msgspec.UNSET
    currency: CurrencyCode | msgspec.UnsetType = msgspec.UNSET
    tolerance_days: Days | msgspec.UnsetType = msgspec.UNSET
    opening_balance: Decimal | msgspec.UnsetType = msgspec.UNSET
    opening_overdue: Decimal | msgspec.UnsetType = msgspec.UNSET
    opening_overdue_days: Days | msgspec.UnsetType = msgspec.UNSET
    average_days_to_pay: Decimal | msgspec.UnsetType | None = msgspec.UNSET


class HoldSet(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: HoldReason


class CreditCheckRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    customer_id: UUID
    amount: Decimal
    currency: CurrencyCode
    reference: Reference | None = None


class OverrideCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    customer_id: UUID
    amount: Decimal
    currency: CurrencyCode
    reason: HoldReason
    requested_by_id: UUID
    reference: Reference | None = None
    valid_until: dt.datetime | None = None


class CreditAccountFilter(msgspec.Struct, kw_only=True):
    customer_id: UUID | None = None
    on_hold: bool | None = None
    currency: str | None = None


class OverrideFilter(msgspec.Struct, kw_only=True):
    customer_id: UUID | None = None
    reference: str | None = None
    used: bool | None = None


@dataclass(frozen=True, slots=True)
class CreditAccountView:
    """An account with what the customer owes right now."""

    account: CreditAccount
    receivables: Receivables
    computed_days_to_pay: Decimal | None = None  # from paid invoices; None until one is paid

    @property
    def available_credit(self) -> Decimal:
        return self.account.credit_limit - self.receivables.open_amount

    @property
    def average_days_to_pay(self) -> Decimal | None:
        """Computed from paid invoices; the account's opening figure until there is one."""
        return self.computed_days_to_pay if self.computed_days_to_pay is not None else self.account.average_days_to_pay


ACCOUNT_SORTABLE = {
    "created_at": CreditAccount.created_at,
    "updated_at": CreditAccount.updated_at,
    "credit_limit": CreditAccount.credit_limit,
}
OVERRIDE_SORTABLE = {
    "created_at": CreditOverride.created_at,
    "valid_until": CreditOverride.valid_until,
    "amount": CreditOverride.amount,
}


# --- the receivables seam -------------------------------------------------------------------


async def open_receivables_by_customer(
    session: AsyncSession, customer_ids: Iterable[UUID], *, now: dt.datetime
) -> dict[UUID, Receivables]:
    """What each customer owes, in its account's currency: the one place receivables come from.

    The account's opening figures plus the open items at ``now``'s date (UTC) in the account's
    currency (amounts in other currencies are never added): open invoices, less unsettled
    credit notes and unallocated payments, to ``open_amount``; the open amounts of invoices past
    their due date to ``overdue_amount``; ``overdue_days`` = the larger of the opening figure and
    the days since the oldest overdue invoice fell due. Set-based: the same few queries for one
    customer or a page of them. Customers without an account owe nothing here (no account, no
    credit: the rule refuses them anyway).
    """
    ids = set(customer_ids)
    found = {customer_id: Receivables() for customer_id in ids}
    if not ids:
        return found
    today = now.astimezone(dt.UTC).date()
    accounts = list(await session.scalars(select(CreditAccount).where(CreditAccount.customer_id.in_(ids))))
    owed = await receivables.balances(session, [account.customer_id for account in accounts], today)
    for account in accounts:
        balance = owed.get((account.customer_id, account.currency), receivables.Balance())
        overdue_days = account.opening_overdue_days
        if balance.oldest_overdue_due_on is not None:
            overdue_days = max(overdue_days, (today - balance.oldest_overdue_due_on).days)
        found[account.customer_id] = Receivables(
            open_amount=account.opening_balance + balance.open_amount,
            overdue_amount=account.opening_overdue + balance.overdue_amount,
            overdue_days=overdue_days,
        )
    return found


async def open_receivables(session: AsyncSession, customer_id: UUID, *, now: dt.datetime) -> Receivables:
    return (await open_receivables_by_customer(session, [customer_id], now=now))[customer_id]


# --- accounts -------------------------------------------------------------------------------


async def get_account(
    session: AsyncSession,
    customer_id: UUID,
    *,
    scope: CustomerScope,
    clock: Clock = SYSTEM_CLOCK,
) -> CreditAccountView:
    """The account of a customer; customers outside the scope answer 404."""
    if not scope.allows(customer_id):
        raise NotFound("credit_account", customer_id)
    account = await _account(session, customer_id)
    return (await _views(session, [account], clock.now()))[0]


async def list_accounts(
    session: AsyncSession, filters: CreditAccountFilter, page: PageRequest, *, clock: Clock = SYSTEM_CLOCK
) -> Page[CreditAccountView]:
    stmt = select(CreditAccount)
    if filters.customer_id is not None:
        stmt = stmt.where(CreditAccount.customer_id == filters.customer_id)
    if filters.on_hold is not None:
        stmt = stmt.where(CreditAccount.on_hold.is_(filters.on_hold))
    if filters.currency:
        stmt = stmt.where(CreditAccount.currency == filters.currency)
    found = await paginate(
        session, stmt, page, sortable=ACCOUNT_SORTABLE, default_sort="created_at", tie_breaker=CreditAccount.id
    )
    views = await _views(session, list(found.items), clock.now())
    return Page(items=views, total=found.total, limit=found.limit, offset=found.offset)


async def create_account(
    session: AsyncSession, actor: Principal, data: CreditAccountCreate, *, clock: Clock = SYSTEM_CLOCK
) -> CreditAccountView:
    await _require_customer(session, data.customer_id)
    existing = await session.scalar(select(CreditAccount.id).where(CreditAccount.customer_id == data.customer_id))
    if existing is not None:
        raise Conflict(
            Code.CREDIT_ACCOUNT_EXISTS,
            f"customer {data.customer_id} already has a credit account; change that one instead",
            field="customer_id",
            extra={"credit_account_id": str(existing)},
        )
    account = CreditAccount(
        customer_id=data.customer_id,
        credit_limit=_money(data.credit_limit, "credit_limit"),
        currency=data.currency,
        tolerance_days=data.tolerance_days,
        on_hold=False,
        opening_balance=_money(data.opening_balance, "opening_balance"),
        opening_overdue=_money(data.opening_overdue, "opening_overdue"),
        opening_overdue_days=data.opening_overdue_days,
        average_days_to_pay=_days_to_pay(data.average_days_to_pay),
    )
    _check_overdue_within_open(account)
    session.add(account)
    await session.flush()
    await audit.record(session, actor, "credit_account", account.id, "create", after=audit.snapshot(account))
    return (await _views(session, [account], clock.now()))[0]


async def update_account(
    session: AsyncSession,
    actor: Principal,
    customer_id: UUID,
    data: CreditAccountUpdate,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> CreditAccountView:
    account = await _account(session, customer_id)
    check_version("credit_account", account, data.version)
    before = audit.snapshot(account)
    changes = sent_fields(data)
    for name in ("credit_limit", "opening_balance", "opening_overdue"):
        if name in changes:
            changes[name] = _money(changes[name], name)
    if "average_days_to_pay" in changes:
        changes["average_days_to_pay"] = _days_to_pay(changes["average_days_to_pay"])
    apply(account, changes)
    _check_overdue_within_open(account)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(account))
    await audit.record(session, actor, "credit_account", account.id, "update", before=old, after=new)
    return (await _views(session, [account], clock.now()))[0]


# --- holds ----------------------------------------------------------------------------------


async def set_hold(
    session: AsyncSession, actor: Principal, customer_id: UUID, data: HoldSet, *, clock: Clock = SYSTEM_CLOCK
) -> CreditAccountView:
    """Put the account on credit hold; every check from now on answers ``hold``."""
    account = await _account(session, customer_id)
    reason = data.reason.strip()
    if not reason:
        raise Invalid(Code.HOLD_REASON_REQUIRED, "a credit hold needs a reason", field="reason")
    if account.on_hold:
        raise Conflict(
            Code.ALREADY_ON_HOLD,
            f"the account is already on hold since {account.hold_set_at} by {account.hold_set_by}: "
            f"{account.hold_reason}; release it first to change the reason",
            extra={"hold_reason": account.hold_reason, "hold_set_by": account.hold_set_by},
        )
    now = clock.now()
    before = audit.snapshot(account)
    apply(account, {"on_hold": True, "hold_reason": reason, "hold_set_by": actor.username, "hold_set_at": now})
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(account))
    await audit.record(session, actor, "credit_account", account.id, "hold", before=old, after=new, at=now)
    return (await _views(session, [account], now))[0]


async def release_hold(
    session: AsyncSession, actor: Principal, customer_id: UUID, *, clock: Clock = SYSTEM_CLOCK
) -> CreditAccountView:
    """Lift the hold; who set it and why stays in the audit log."""
    account = await _account(session, customer_id)
    if not account.on_hold:
        raise Conflict(Code.NOT_ON_HOLD, "the account is not on credit hold")
    now = clock.now()
    before = audit.snapshot(account)
    apply(account, {"on_hold": False, "hold_reason": None, "hold_set_by": None, "hold_set_at": None})
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(account))
    await audit.record(session, actor, "credit_account", account.id, "release", before=old, after=new, at=now)
    return (await _views(session, [account], now))[0]


# --- the credit check -----------------------------------------------------------------------


async def run_credit_check(
    session: AsyncSession,
    actor: Principal,
    customer_id: UUID,
    amount: Decimal,
    currency: str,
    reference: str | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
    use_overrides: bool = True,
) -> CreditDecision:
    """Check an amount against the customer's credit; a refused check may pass by an override.

    The actor is recorded when the check uses an override up (that is a change, and audited).
    `use_overrides=False` only informs (e.g. when a call is logged): overrides are kept for the
    step that commits the work, such as scheduling it.
    """
    value = _money(amount, "amount")
    if not _CURRENCY.fullmatch(currency):
        raise Invalid(Code.INVALID_CURRENCY, f"{currency!r} is not an ISO 4217 code", field="currency")
    await _require_customer(session, customer_id)
    now = clock.now()
    account = await _find_account(session, customer_id)
    facts = None
    if account is not None:
        view = (await _views(session, [account], now))[0]
        facts = _facts(account, view.receivables, view.average_days_to_pay)
    decision = check_credit(facts, Amount(value, currency), now)
    if decision.outcome is CreditOutcome.PASS or not use_overrides:
        return decision
    override = await _use_override(session, actor, customer_id, decision.amount, reference, now)
    if override is None:
        return decision
    # The refusal reasons stay listed after the override, so the answer says what was overridden.
    return replace(
        decision,
        outcome=CreditOutcome.PASS,
        reasons=(_override_reason(override), *decision.reasons),
        override_id=override.id,
    )


async def _use_override(
    session: AsyncSession,
    actor: Principal,
    customer_id: UUID,
    amount: Amount,
    reference: str | None,
    now: dt.datetime,
) -> CreditOverride | None:
    """Use up the best matching override: one for this reference before a blanket one.

    The conditional UPDATE (``used`` still false) makes two concurrent checks unable to use
    one override twice: the loser updates no row and tries the next candidate.
    """
    matching_reference = (
        CreditOverride.reference.is_(None)
        if reference is None
        else (CreditOverride.reference == reference) | CreditOverride.reference.is_(None)
    )
    candidates = await session.scalars(
        select(CreditOverride)
        .where(
            CreditOverride.customer_id == customer_id,
            CreditOverride.used.is_(False),
            CreditOverride.valid_until > now,
            CreditOverride.currency == amount.currency,
            CreditOverride.amount >= amount.value,
            matching_reference,
        )
        .order_by(
            case((CreditOverride.reference.is_(None), 1), else_=0),
            CreditOverride.amount,
            CreditOverride.valid_until,
            CreditOverride.id,
        )
    )
    for candidate in list(candidates):
        result = await session.execute(
            update(CreditOverride)
            .where(CreditOverride.id == candidate.id, CreditOverride.used.is_(False))
            .values(used=True)
            .execution_options(synchronize_session="fetch")
        )
        if isinstance(result, CursorResult) and result.rowcount == 1:
            await audit.record(
                session,
                actor,
                "credit_override",
                candidate.id,
                "use",
                before={"used": False},
                after={"used": True, "checked_amount": amount.value, "reference": reference},
                at=now,
            )
            return candidate
    return None


def _override_reason(override: CreditOverride) -> CreditReason:
    return CreditReason(
        CreditReasonCode.OVERRIDE,
        f"an override approved for up to {override.amount} {override.currency} lets this check pass: {override.reason}",
        currency=override.currency,
        override_id=override.id,
        override_amount=override.amount,
        approved_by_id=override.approved_by_id,
        requested_by_id=override.requested_by_id,
        valid_until=override.valid_until,
    )


# --- overrides ------------------------------------------------------------------------------


async def approve_override(
    session: AsyncSession, actor: Principal, data: OverrideCreate, *, clock: Clock = SYSTEM_CLOCK
) -> CreditOverride:
    """A contract administrator approves an override someone else asked for.

    Nobody approves their own override; the check constraint ``ck_credit_overrides_four_eyes``
    holds the same line in the database.
    """
    _check_four_eyes(actor, data.requested_by_id)
    await _check_requester(session, data.requested_by_id)
    await _require_customer(session, data.customer_id)
    value = _money(data.amount, "amount")
    if value == ZERO:
        raise Invalid(Code.INVALID_AMOUNT, "an override is for an amount above 0", field="amount")
    reason = data.reason.strip()
    if not reason:
        raise Invalid(Code.REASON_REQUIRED, "an override needs a reason", field="reason")
    now = clock.now()
    override = CreditOverride(
        customer_id=data.customer_id,
        amount=value,
        currency=data.currency,
        reference=data.reference,
        reason=reason,
        requested_by_id=data.requested_by_id,
        approved_by_id=actor.user_id,
        valid_until=_valid_until(data.valid_until, now),
        used=False,
    )
    session.add(override)
    await session.flush()
    await audit.record(
        session, actor, "credit_override", override.id, "approve", after=audit.snapshot(override), at=now
    )
    return override


async def list_overrides(session: AsyncSession, filters: OverrideFilter, page: PageRequest) -> Page[CreditOverride]:
    stmt = select(CreditOverride)
    if filters.customer_id is not None:
        stmt = stmt.where(CreditOverride.customer_id == filters.customer_id)
    if filters.reference is not None:
        stmt = stmt.where(CreditOverride.reference == filters.reference)
    if filters.used is not None:
        stmt = stmt.where(CreditOverride.used.is_(filters.used))
    return await paginate(
        session, stmt, page, sortable=OVERRIDE_SORTABLE, default_sort="-created_at", tie_breaker=CreditOverride.id
    )


def _check_four_eyes(actor: Principal, requested_by_id: UUID) -> None:
    if actor.role is not Role.CONTRACT_ADMIN:
        raise Forbidden(
            Code.FOUR_EYES_REQUIRED,
            "a credit override is approved by a second person with the contract_admin role",
        )
    if requested_by_id == actor.user_id:
        raise Forbidden(
            Code.FOUR_EYES_REQUIRED,
            "nobody approves their own credit override; another contract_admin must approve it",
            field="requested_by_id",
        )


async def _check_requester(session: AsyncSession, user_id: UUID) -> None:
    row = (await session.execute(select(User.role, User.active).where(User.id == user_id))).first()
    if row is None:
        raise NotFound("user", user_id, field="requested_by_id")
    if not row.active or row.role == Role.CUSTOMER.value:
        raise Invalid(
            Code.INVALID_REQUESTER,
            "an override is requested by an active staff user, not by a deactivated or customer user",
            field="requested_by_id",
        )


def _valid_until(requested: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if requested is None:
        return now + DEFAULT_OVERRIDE_VALIDITY
    if requested.tzinfo is None:
        raise Invalid(Code.INVALID_VALID_UNTIL, "valid_until needs a time zone offset", field="valid_until")
    if not now < requested <= now + MAX_OVERRIDE_VALIDITY:
        raise Invalid(
            Code.INVALID_VALID_UNTIL,
            f"valid_until must lie in the future, at most {MAX_OVERRIDE_VALIDITY.days} days ahead",
            field="valid_until",
        )
    return requested.astimezone(dt.UTC)


# --- helpers --------------------------------------------------------------------------------


async def _require_customer(session: AsyncSession, customer_id: UUID) -> None:
    if await session.scalar(select(Customer.id).where(Customer.id == customer_id)) is None:
        raise NotFound("customer", customer_id, field="customer_id")


async def _find_account(session: AsyncSession, customer_id: UUID) -> CreditAccount | None:
    # populate_existing: a long-lived session (a job) must not answer from its identity map
    # after a hold was set elsewhere.
    account: CreditAccount | None = await session.scalar(
        select(CreditAccount).where(CreditAccount.customer_id == customer_id).execution_options(populate_existing=True)
    )
    return account


async def _account(session: AsyncSession, customer_id: UUID) -> CreditAccount:
    account = await _find_account(session, customer_id)
    if account is None:
        raise NotFound("credit_account", customer_id)
    return account


async def _views(session: AsyncSession, accounts: list[CreditAccount], now: dt.datetime) -> list[CreditAccountView]:
    ids = [a.customer_id for a in accounts]
    owed = await open_receivables_by_customer(session, ids, now=now)
    days_to_pay = await receivables.average_days_to_pay(session, ids)
    return [
        CreditAccountView(account, owed[account.customer_id], days_to_pay.get(account.customer_id))
        for account in accounts
    ]


def _facts(account: CreditAccount, owed: Receivables, average_days_to_pay: Decimal | None) -> AccountFacts:
    return AccountFacts(
        customer_id=account.customer_id,
        credit_limit=account.credit_limit,
        currency=account.currency,
        tolerance_days=account.tolerance_days,
        receivables=owed,
        on_hold=account.on_hold,
        hold_reason=account.hold_reason,
        hold_set_by=account.hold_set_by,
        hold_set_at=account.hold_set_at,
        average_days_to_pay=average_days_to_pay,
    )


def _money(value: Decimal, field: str) -> Decimal:
    if not value.is_finite() or value < ZERO or value > MAX_AMOUNT or value != value.quantize(CENT):
        raise Invalid(
            Code.INVALID_AMOUNT,
            f"{field} must be an amount from 0 to {MAX_AMOUNT} with at most 2 decimals",
            field=field,
        )
    return value


def _days_to_pay(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    tenth = Decimal("0.1")
    if not value.is_finite() or value < ZERO or value > MAX_DAYS_TO_PAY or value != value.quantize(tenth):
        raise Invalid(
            Code.INVALID_AMOUNT,
            f"average_days_to_pay must be from 0 to {MAX_DAYS_TO_PAY} days with at most 1 decimal",
            field="average_days_to_pay",
        )
    return value


def _check_overdue_within_open(account: CreditAccount) -> None:
    # Overdue receivables are part of the open ones, so they cannot be larger.
    if account.opening_overdue > account.opening_balance:
        raise Invalid(
            Code.OVERDUE_EXCEEDS_OPEN,
            f"opening_overdue {account.opening_overdue} cannot exceed opening_balance {account.opening_balance}",
            field="opening_overdue",
        )
