"""The credit rule without a database: one test per branch, with the figures it reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import uuid4

import pytest

from contracts.credit_rule import (
    AccountFacts,
    Amount,
    CreditOutcome,
    CreditReasonCode,
    Receivables,
    check_credit,
)

NOW = dt.datetime(2025, 3, 14, 10, 0, tzinfo=dt.UTC)


def account(
    *,
    limit: str = "5000.00",
    currency: str = "EUR",
    tolerance_days: int = 30,
    open_amount: str = "0",
    overdue_amount: str = "0",
    overdue_days: int = 0,
    on_hold: bool = False,
) -> AccountFacts:
    return AccountFacts(
        customer_id=uuid4(),
        credit_limit=Decimal(limit),
        currency=currency,
        tolerance_days=tolerance_days,
        receivables=Receivables(Decimal(open_amount), Decimal(overdue_amount), overdue_days),
        on_hold=on_hold,
        hold_reason="disputed invoices" if on_hold else None,
        hold_set_by="carla" if on_hold else None,
        hold_set_at=NOW - dt.timedelta(days=1) if on_hold else None,
    )


def eur(value: str) -> Amount:
    return Amount(Decimal(value), "EUR")


def test_an_amount_within_the_limit_passes_and_says_how_much_is_left() -> None:
    decision = check_credit(account(open_amount="1200.00"), eur("300.00"), NOW)

    assert decision.outcome is CreditOutcome.PASS
    (reason,) = decision.reasons
    assert reason.code is CreditReasonCode.WITHIN_LIMIT
    assert (reason.open_receivables, reason.available_credit) == (Decimal("1200.00"), Decimal("3800.00"))
    assert decision.checked_at == NOW


def test_exactly_reaching_the_limit_still_passes() -> None:
    decision = check_credit(account(open_amount="4000.00"), eur("1000.00"), NOW)

    assert decision.outcome is CreditOutcome.PASS


def test_going_over_the_limit_fails_by_how_much() -> None:
    decision = check_credit(account(open_amount="4500.00"), eur("750.00"), NOW)

    assert decision.outcome is CreditOutcome.FAIL
    (reason,) = decision.reasons
    assert reason.code is CreditReasonCode.OVER_LIMIT
    assert reason.exceeded_by == Decimal("250.00")
    assert (reason.credit_limit, reason.open_receivables, reason.amount) == (
        Decimal("5000.00"),
        Decimal("4500.00"),
        Decimal("750.00"),
    )
    assert "by 250.00" in reason.detail


def test_overdue_beyond_tolerance_fails_with_amount_and_days() -> None:
    decision = check_credit(
        account(open_amount="800.00", overdue_amount="800.00", overdue_days=45, tolerance_days=30), eur("10.00"), NOW
    )

    assert decision.outcome is CreditOutcome.FAIL
    (reason,) = decision.reasons
    assert reason.code is CreditReasonCode.OVERDUE_BEYOND_TOLERANCE
    assert (reason.overdue_amount, reason.overdue_days, reason.tolerance_days) == (Decimal("800.00"), 45, 30)


def test_overdue_within_tolerance_passes() -> None:
    facts = account(open_amount="800.00", overdue_amount="800.00", overdue_days=30, tolerance_days=30)

    assert check_credit(facts, eur("10.00"), NOW).outcome is CreditOutcome.PASS


def test_old_overdue_days_without_an_overdue_amount_do_not_fail() -> None:
    facts = account(overdue_amount="0", overdue_days=90, tolerance_days=0)

    assert check_credit(facts, eur("10.00"), NOW).outcome is CreditOutcome.PASS


def test_a_hold_wins_and_names_its_reason_and_who_set_it() -> None:
    decision = check_credit(account(on_hold=True), eur("1.00"), NOW)

    assert decision.outcome is CreditOutcome.HOLD
    (reason,) = decision.reasons
    assert reason.code is CreditReasonCode.ON_HOLD
    assert (reason.hold_reason, reason.hold_set_by) == ("disputed invoices", "carla")
    assert reason.hold_set_at == NOW - dt.timedelta(days=1)
    assert "carla" in reason.detail and "disputed invoices" in reason.detail


def test_every_obstacle_is_listed_and_the_hold_decides_the_outcome() -> None:
    facts = account(on_hold=True, open_amount="4900.00", overdue_amount="900.00", overdue_days=60)

    decision = check_credit(facts, eur("500.00"), NOW)

    assert decision.outcome is CreditOutcome.HOLD
    assert decision.codes() == [
        CreditReasonCode.ON_HOLD,
        CreditReasonCode.OVER_LIMIT,
        CreditReasonCode.OVERDUE_BEYOND_TOLERANCE,
    ]


def test_over_limit_and_overdue_together_fail_with_both_reasons() -> None:
    facts = account(open_amount="4900.00", overdue_amount="900.00", overdue_days=60)

    decision = check_credit(facts, eur("500.00"), NOW)

    assert decision.outcome is CreditOutcome.FAIL
    assert decision.codes() == [CreditReasonCode.OVER_LIMIT, CreditReasonCode.OVERDUE_BEYOND_TOLERANCE]


def test_an_amount_in_another_currency_fails_and_is_not_compared_with_the_limit() -> None:
    decision = check_credit(account(open_amount="4999.00"), Amount(Decimal("100.00"), "USD"), NOW)

    assert decision.outcome is CreditOutcome.FAIL
    (reason,) = decision.reasons
    assert reason.code is CreditReasonCode.CURRENCY_MISMATCH
    assert (reason.currency, reason.account_currency) == ("USD", "EUR")


def test_without_a_credit_account_no_credit_is_granted() -> None:
    decision = check_credit(None, eur("0.01"), NOW)

    assert decision.outcome is CreditOutcome.FAIL
    assert decision.codes() == [CreditReasonCode.NO_CREDIT_ACCOUNT]
    assert decision.account is None


def test_without_a_credit_account_an_amount_of_zero_passes() -> None:
    decision = check_credit(None, eur("0"), NOW)

    assert decision.outcome is CreditOutcome.PASS
    assert decision.codes() == [CreditReasonCode.NO_CREDIT_ACCOUNT]


def test_an_amount_of_zero_still_fails_an_account_already_over_its_limit() -> None:
    decision = check_credit(account(limit="1000.00", open_amount="1200.00"), eur("0"), NOW)

    assert decision.outcome is CreditOutcome.FAIL
    assert decision.reasons[0].exceeded_by == Decimal("200.00")


def test_an_amount_of_zero_passes_an_account_in_order() -> None:
    decision = check_credit(account(limit="0", open_amount="0"), eur("0"), NOW)

    assert decision.outcome is CreditOutcome.PASS


@pytest.mark.parametrize(
    ("value", "currency"),
    [
        (Decimal("-1"), "EUR"),
        (Decimal("NaN"), "EUR"),
        (Decimal("Infinity"), "EUR"),
        (Decimal(1), "eur"),
        (Decimal(1), "EU"),
    ],
)
def test_amounts_are_non_negative_finite_and_in_an_iso_currency(value: Decimal, currency: str) -> None:
    with pytest.raises(ValueError, match=r"amount|currency"):
        Amount(value, currency)


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone"):
        check_credit(account(), eur("1"), NOW.replace(tzinfo=None))
