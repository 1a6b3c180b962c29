"""Quota periods: yearly quotas refill on contract anniversaries, monthly on the 1st."""

from __future__ import annotations

import datetime as dt

from contracts.choices import QuotaPeriod
from contracts.quota_periods import period_start

START = dt.date(2025, 3, 15)


def test_term_quotas_never_refill() -> None:
    assert period_start(QuotaPeriod.TERM, START, dt.date(2027, 1, 1)) == START


def test_yearly_quotas_refill_on_the_anniversary() -> None:
    assert period_start(QuotaPeriod.YEAR, START, dt.date(2026, 3, 14)) == START
    assert period_start(QuotaPeriod.YEAR, START, dt.date(2026, 3, 15)) == dt.date(2026, 3, 15)
    assert period_start(QuotaPeriod.YEAR, dt.date(2024, 2, 29), dt.date(2025, 3, 1)) == dt.date(2025, 2, 28)


def test_monthly_quotas_refill_on_the_first_but_not_before_the_start() -> None:
    assert period_start(QuotaPeriod.MONTH, START, dt.date(2025, 3, 20)) == START
    assert period_start(QuotaPeriod.MONTH, START, dt.date(2025, 4, 2)) == dt.date(2025, 4, 1)
