"""The credit rule: may this customer take on this amount, and why (not)?

A pure function over plain facts (no database): `check_credit(account_facts, amount, now)`.
Every reason that applies is listed with its figures, so the agent sees the whole picture
rather than the first obstacle. The outcome is the most severe of them:

- ``hold``: the account is on credit hold. A hold is a person's decision and wins over the
  figures; it is lifted by releasing it (or covered by an override), not by paying in.
- ``fail``: over the limit (open receivables + amount > limit), overdue beyond the account's
  tolerance (an overdue amount older than ``tolerance_days``), an amount in a currency other
  than the account's (amounts in different currencies are never compared), or no credit
  account at all.
- ``pass``: nothing of the above; the reason ``within_limit`` carries the available credit.

Policies chosen here:

- A customer without a credit account fails with ``no_credit_account``: nobody has decided
  what credit the customer gets, so the safe answer is no credit. An amount of 0 passes,
  because work worth nothing needs no credit.
- An amount of 0 is a valid question ("is this customer's account in order right now?");
  it passes unless the account is on hold, already over its limit, overdue beyond
  tolerance, or kept in another currency. Negative amounts are a programming error.
- Being exactly at the limit is within it; only strictly more fails.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

ZERO = Decimal(0)


class CreditOutcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    HOLD = "hold"


class CreditReasonCode(StrEnum):
    WITHIN_LIMIT = "within_limit"
    ON_HOLD = "on_hold"
    OVER_LIMIT = "over_limit"
    OVERDUE_BEYOND_TOLERANCE = "overdue_beyond_tolerance"
    CURRENCY_MISMATCH = "currency_mismatch"
    NO_CREDIT_ACCOUNT = "no_credit_account"
    # Added by the service, never by the rule: an approved override let a refused check pass.
    OVERRIDE = "override"


@dataclass(frozen=True, slots=True)
class Amount:
    """A non-negative amount of money in an ISO 4217 currency."""

    value: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not self.value.is_finite() or self.value < ZERO:
            raise ValueError(f"an amount must be a finite, non-negative decimal, not {self.value}")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"{self.currency!r} is not an ISO 4217 currency code")


@dataclass(frozen=True, slots=True)
class Receivables:
    """What the customer owes, in the account's currency.

    ``overdue_days`` is the age of the oldest overdue item; 0 when nothing is overdue.
    """

    open_amount: Decimal = ZERO
    overdue_amount: Decimal = ZERO
    overdue_days: int = 0


@dataclass(frozen=True, slots=True)
class AccountFacts:
    customer_id: UUID
    credit_limit: Decimal
    currency: str
    tolerance_days: int
    receivables: Receivables
    on_hold: bool = False
    hold_reason: str | None = None
    hold_set_by: str | None = None
    hold_set_at: dt.datetime | None = None
    average_days_to_pay: Decimal | None = None

    @property
    def available_credit(self) -> Decimal:
        """What can still be taken on; negative when the account is already over its limit."""
        return self.credit_limit - self.receivables.open_amount


@dataclass(frozen=True, slots=True)
class CreditReason:
    """One finding, with the figures it rests on; figures that do not apply stay None."""

    code: CreditReasonCode
    detail: str
    amount: Decimal | None = None
    currency: str | None = None
    account_currency: str | None = None
    credit_limit: Decimal | None = None
    open_receivables: Decimal | None = None
    available_credit: Decimal | None = None
    exceeded_by: Decimal | None = None
    overdue_amount: Decimal | None = None
    overdue_days: int | None = None
    tolerance_days: int | None = None
    hold_reason: str | None = None
    hold_set_by: str | None = None
    hold_set_at: dt.datetime | None = None
    override_id: UUID | None = None
    override_amount: Decimal | None = None
    approved_by_id: UUID | None = None
    requested_by_id: UUID | None = None
    valid_until: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class CreditDecision:
    outcome: CreditOutcome
    reasons: tuple[CreditReason, ...]
    amount: Amount
    checked_at: dt.datetime
    account: AccountFacts | None
    override_id: UUID | None = None

    def codes(self) -> list[CreditReasonCode]:
        return [reason.code for reason in self.reasons]


def check_credit(account_facts: AccountFacts | None, amount: Amount, now: dt.datetime) -> CreditDecision:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if account_facts is None:
        return _without_account(amount, now)
    reasons = [
        reason
        for reason in (
            _on_hold(account_facts),
            _currency_mismatch(account_facts, amount) or _over_limit(account_facts, amount),
            _overdue(account_facts),
        )
        if reason is not None
    ]
    if account_facts.on_hold:
        outcome = CreditOutcome.HOLD
    elif reasons:
        outcome = CreditOutcome.FAIL
    else:
        outcome = CreditOutcome.PASS
        reasons = [_within_limit(account_facts, amount)]
    return CreditDecision(outcome, tuple(reasons), amount, now, account_facts)


def _without_account(amount: Amount, now: dt.datetime) -> CreditDecision:
    if amount.value == ZERO:
        outcome, detail = CreditOutcome.PASS, "the customer has no credit account, but an amount of 0 needs no credit"
    else:
        outcome, detail = CreditOutcome.FAIL, "the customer has no credit account, so no credit is granted"
    reason = CreditReason(CreditReasonCode.NO_CREDIT_ACCOUNT, detail, amount=amount.value, currency=amount.currency)
    return CreditDecision(outcome, (reason,), amount, now, None)


def _on_hold(account: AccountFacts) -> CreditReason | None:
    if not account.on_hold:
        return None
    who = f" by {account.hold_set_by}" if account.hold_set_by else ""
    return CreditReason(
        CreditReasonCode.ON_HOLD,
        f"the account is on credit hold{who}: {account.hold_reason or 'no reason recorded'}",
        hold_reason=account.hold_reason,
        hold_set_by=account.hold_set_by,
        hold_set_at=account.hold_set_at,
    )


def _currency_mismatch(account: AccountFacts, amount: Amount) -> CreditReason | None:
    if amount.currency == account.currency:
        return None
    return CreditReason(
        CreditReasonCode.CURRENCY_MISMATCH,
        f"the amount is in {amount.currency} but the credit account is kept in {account.currency}",
        amount=amount.value,
        currency=amount.currency,
        account_currency=account.currency,
    )


def _over_limit(account: AccountFacts, amount: Amount) -> CreditReason | None:
    open_amount = account.receivables.open_amount
    exceeded_by = open_amount + amount.value - account.credit_limit
    if exceeded_by <= ZERO:
        return None
    return CreditReason(
        CreditReasonCode.OVER_LIMIT,
        f"open receivables {open_amount} + amount {amount.value} exceed the limit "
        f"{account.credit_limit} {account.currency} by {exceeded_by}",
        amount=amount.value,
        currency=account.currency,
        credit_limit=account.credit_limit,
        open_receivables=open_amount,
        available_credit=account.available_credit,
        exceeded_by=exceeded_by,
    )


def _overdue(account: AccountFacts) -> CreditReason | None:
    receivables = account.receivables
    if receivables.overdue_amount <= ZERO or receivables.overdue_days <= account.tolerance_days:
        return None
    return CreditReason(
        CreditReasonCode.OVERDUE_BEYOND_TOLERANCE,
        f"{receivables.overdue_amount} {account.currency} is overdue by {receivables.overdue_days} days; "
        f"the tolerance is {account.tolerance_days} days",
        currency=account.currency,
        overdue_amount=receivables.overdue_amount,
        overdue_days=receivables.overdue_days,
        tolerance_days=account.tolerance_days,
    )


def _within_limit(account: AccountFacts, amount: Amount) -> CreditReason:
    return CreditReason(
        CreditReasonCode.WITHIN_LIMIT,
        f"open receivables {account.receivables.open_amount} + amount {amount.value} are within the limit "
        f"{account.credit_limit} {account.currency}",
        amount=amount.value,
        currency=account.currency,
        credit_limit=account.credit_limit,
        open_receivables=account.receivables.open_amount,
        available_credit=account.available_credit,
    )
