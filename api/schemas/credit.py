"""Response shapes for credit accounts, credit checks and overrides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from contracts.credit_rule import AccountFacts, CreditDecision, CreditReason


class CreditAccountOut(msgspec.Struct, kw_only=True):
    id: UUID
    customer_id: UUID
    credit_limit: Decimal
    currency: str
    tolerance_days: int
    on_hold: bool
    hold_reason: str | None
    hold_set_by: str | None
    hold_set_at: dt.datetime | None
    opening_balance: Decimal
    opening_overdue: Decimal
    opening_overdue_days: int
    average_days_to_pay: Decimal | None
    open_receivables: Decimal
    overdue_amount: Decimal
    overdue_days: int
    available_credit: Decimal
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def credit_account_out(view: Any, *, for_customer: bool = False) -> CreditAccountOut:
    """The account; a customer user is not told which staff member set a hold."""
    account = view.account
    return CreditAccountOut(
        id=account.id,
        customer_id=account.customer_id,
        credit_limit=account.credit_limit,
        currency=account.currency,
        tolerance_days=account.tolerance_days,
        on_hold=account.on_hold,
        hold_reason=account.hold_reason,
        hold_set_by=None if for_customer else account.hold_set_by,
        hold_set_at=account.hold_set_at,
        opening_balance=account.opening_balance,
        opening_overdue=account.opening_overdue,
        opening_overdue_days=account.opening_overdue_days,
        average_days_to_pay=view.average_days_to_pay,  # computed from paid invoices, else the opening figure
        open_receivables=view.receivables.open_amount,
        overdue_amount=view.receivables.overdue_amount,
        overdue_days=view.receivables.overdue_days,
        available_credit=view.available_credit,
        version=account.version,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


class CreditReasonOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One reason; only the figures that belong to its code are present."""

    code: str
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


class CreditSummaryOut(msgspec.Struct, kw_only=True):
    credit_limit: Decimal
    currency: str
    open_receivables: Decimal
    available_credit: Decimal
    overdue_amount: Decimal
    overdue_days: int
    tolerance_days: int
    on_hold: bool
    hold_reason: str | None
    average_days_to_pay: Decimal | None


class CreditCheckOut(msgspec.Struct, kw_only=True):
    outcome: str
    reasons: list[CreditReasonOut]
    customer_id: UUID
    amount: Decimal
    currency: str
    reference: str | None
    checked_at: dt.datetime
    override_id: UUID | None
    account: CreditSummaryOut | None


def _reason_out(reason: CreditReason) -> CreditReasonOut:
    figures = {name: getattr(reason, name) for name in CreditReasonOut.__struct_fields__ if name != "code"}
    return CreditReasonOut(**{**figures, "code": reason.code.value})


def _summary_out(facts: AccountFacts) -> CreditSummaryOut:
    return CreditSummaryOut(
        credit_limit=facts.credit_limit,
        currency=facts.currency,
        open_receivables=facts.receivables.open_amount,
        available_credit=facts.available_credit,
        overdue_amount=facts.receivables.overdue_amount,
        overdue_days=facts.receivables.overdue_days,
        tolerance_days=facts.tolerance_days,
        on_hold=facts.on_hold,
        hold_reason=facts.hold_reason,
        average_days_to_pay=facts.average_days_to_pay,
    )


def credit_check_out(decision: CreditDecision, customer_id: UUID, reference: str | None) -> CreditCheckOut:
    return CreditCheckOut(
        outcome=decision.outcome.value,
        reasons=[_reason_out(reason) for reason in decision.reasons],
        customer_id=customer_id,
        amount=decision.amount.value,
        currency=decision.amount.currency,
        reference=reference,
        checked_at=decision.checked_at,
        override_id=decision.override_id,
        account=None if decision.account is None else _summary_out(decision.account),
    )


class CreditOverrideOut(msgspec.Struct, kw_only=True):
    id: UUID
    customer_id: UUID
    amount: Decimal
    currency: str
    reference: str | None
    reason: str
    requested_by_id: UUID
    approved_by_id: UUID
    valid_until: dt.datetime
    used: bool
    created_at: dt.datetime
    updated_at: dt.datetime


def credit_override_out(override: Any) -> CreditOverrideOut:
    return CreditOverrideOut(
        id=override.id,
        customer_id=override.customer_id,
        amount=override.amount,
        currency=override.currency,
        reference=override.reference,
        reason=override.reason,
        requested_by_id=override.requested_by_id,
        approved_by_id=override.approved_by_id,
        valid_until=override.valid_until,
        used=override.used,
        created_at=override.created_at,
        updated_at=override.updated_at,
    )
