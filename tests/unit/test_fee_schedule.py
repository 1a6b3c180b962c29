"""Contract fees per billing run: grid periods, timing, proration — examples worked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from contracts.choices import BillingPeriod, BillingTiming
from contracts.fee_schedule import (
    MONTHS_PER_PERIOD,
    DateRange,
    FeeLine,
    FeeTerms,
    RunMonth,
    fee_line,
    fee_lines,
    suspended_days,
)

CONTRACT = UUID("00000000-0000-0000-0000-0000000000c1")
ADVANCE, ARREARS = BillingTiming.IN_ADVANCE, BillingTiming.IN_ARREARS


def terms(
    starts_on: dt.date,
    ends_on: dt.date,
    fee: str,
    period: BillingPeriod = BillingPeriod.MONTHLY,
    timing: BillingTiming = ADVANCE,
    suspensions: tuple[DateRange, ...] = (),
) -> FeeTerms:
    return FeeTerms(CONTRACT, starts_on, ends_on, Decimal(fee), period, timing, suspensions)


def run(month: str, contract: FeeTerms) -> FeeLine | None:
    return fee_line(contract, RunMonth.parse(month))


def test_monthly_in_advance_starting_mid_month_bills_half_of_november() -> None:
    contract = terms(dt.date(2026, 11, 16), dt.date(2027, 11, 15), "120.00")

    november = run("2026-11", contract)
    # Nov 16..30 are 15 of November's 30 days: 15/30 × 120.00 = 60.00.
    assert november is not None
    assert (november.service_from, november.service_to) == (dt.date(2026, 11, 16), dt.date(2026, 11, 30))
    assert (november.charged_days, november.period_days, november.amount) == (15, 30, Decimal("60.00"))
    assert november.key == f"{CONTRACT}:2026-11-01"

    december = run("2026-12", contract)
    assert december is not None and december.amount == Decimal("120.00")
    # The last period: Nov 1..15 2027 = 15/30 × 120.00 = 60.00.
    last = run("2027-11", contract)
    assert last is not None and (last.service_to, last.amount) == (dt.date(2027, 11, 15), Decimal("60.00"))
    assert run("2027-12", contract) is None
    assert run("2026-10", contract) is None


def test_quarterly_in_arrears_bills_the_quarter_in_the_month_it_ends() -> None:
    # Quarters anchored on 1 Nov: Nov–Jan (30+31+31 = 92 days), Feb–Apr, …
    contract = terms(dt.date(2026, 11, 16), dt.date(2027, 10, 31), "300.00", BillingPeriod.QUARTERLY, ARREARS)

    assert run("2026-11", contract) is None
    assert run("2026-12", contract) is None
    first = run("2027-01", contract)
    # Nov 16..Jan 31 = 15 + 31 + 31 = 77 days: 77/92 × 300.00 = 251.0869… → 251.09.
    assert first is not None
    assert (first.service_from, first.service_to) == (dt.date(2026, 11, 16), dt.date(2027, 1, 31))
    assert (first.charged_days, first.period_days, first.amount) == (77, 92, Decimal("251.09"))
    assert first.key == f"{CONTRACT}:2026-11-01"
    second = run("2027-04", contract)
    assert second is not None and (second.service_from, second.amount) == (dt.date(2027, 2, 1), Decimal("300.00"))


def test_yearly_contract_ending_mid_year_is_prorated_to_its_end() -> None:
    ends = dt.date(2027, 6, 30)
    in_advance = terms(dt.date(2026, 1, 1), ends, "1200.00", BillingPeriod.YEARLY, ADVANCE)
    # Jan 1..Jun 30 2027 = 31+28+31+30+31+30 = 181 of 365 days: 1200.00 × 181/365 = 595.0684… → 595.07.
    second_year = run("2027-01", in_advance)
    assert second_year is not None
    assert (second_year.charged_days, second_year.period_days) == (181, 365)
    assert (second_year.service_to, second_year.amount) == (ends, Decimal("595.07"))

    # In arrears the short year is billed the month the contract ends, not in December.
    in_arrears = terms(dt.date(2026, 1, 1), ends, "1200.00", BillingPeriod.YEARLY, ARREARS)
    assert run("2027-06", in_arrears) == second_year
    assert run("2027-12", in_arrears) is None
    first_year = run("2026-12", in_arrears)
    assert first_year is not None and first_year.amount == Decimal("1200.00")


def test_a_ten_day_suspension_is_not_charged() -> None:
    suspension = DateRange(dt.date(2026, 11, 11), dt.date(2026, 11, 20))
    contract = terms(dt.date(2026, 1, 1), dt.date(2027, 12, 31), "120.00", suspensions=(suspension,))
    # 30 − 10 = 20 charged days: 20/30 × 120.00 = 80.00.
    line = run("2026-11", contract)
    assert line is not None
    assert (line.charged_days, line.suspended_days, line.amount) == (20, 10, Decimal("80.00"))
    # The service period still names the whole month: the suspension is inside it.
    assert (line.service_from, line.service_to) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def test_a_period_suspended_throughout_gives_no_line() -> None:
    suspension = DateRange(dt.date(2026, 10, 20), dt.date(2026, 12, 5))
    contract = terms(dt.date(2026, 1, 1), dt.date(2027, 12, 31), "120.00", suspensions=(suspension,))
    assert run("2026-11", contract) is None
    december = run("2026-12", contract)
    # 26 of 31 days: 120.00 × 26/31 = 100.6451… → 100.65.
    assert december is not None and december.amount == Decimal("100.65")


def test_rounding_is_half_up_to_cents() -> None:
    # 10.05 × 15/30 = 5.025: half-up gives 5.03 (banker's rounding would give 5.02).
    contract = terms(dt.date(2026, 11, 16), dt.date(2027, 12, 31), "10.05")
    line = run("2026-11", contract)
    assert line is not None and line.amount == Decimal("5.03")


def test_leap_year_period_has_366_days() -> None:
    contract = terms(dt.date(2028, 1, 1), dt.date(2028, 1, 31), "366.00", BillingPeriod.YEARLY)
    line = run("2028-01", contract)
    assert line is not None and (line.period_days, line.amount) == (366, Decimal("31.00"))


def test_overlapping_suspensions_count_each_day_once() -> None:
    within = DateRange(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    overlapping = (
        DateRange(dt.date(2026, 11, 5), dt.date(2026, 11, 10)),
        DateRange(dt.date(2026, 11, 8), dt.date(2026, 11, 12)),
        DateRange(dt.date(2026, 10, 1), dt.date(2026, 11, 2)),
    )
    assert suspended_days(overlapping, within) == 8 + 2


def test_run_month_parsing() -> None:
    assert str(RunMonth.parse("2026-11")) == "2026-11"
    assert RunMonth.parse("2026-12").next() == RunMonth(2027, 1)
    assert RunMonth.parse("2027-02").last_day == dt.date(2027, 2, 28)
    for bad in ("2026-13", "2026-1", "26-11", "2026-00"):
        with pytest.raises(ValueError):
            RunMonth.parse(bad)


def months_over(contract: FeeTerms) -> list[RunMonth]:
    months, month = [], RunMonth.of(contract.starts_on)
    while month <= RunMonth.of(contract.ends_on):
        months.append(month)
        month = month.next()
    return months


def all_lines(contract: FeeTerms) -> list[FeeLine]:
    return [line for month in months_over(contract) for line in fee_lines([contract], month)]


days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31))
periods = st.sampled_from(list(BillingPeriod))
timings = st.sampled_from(list(BillingTiming))
fees = st.decimals(min_value=0, max_value=100_000, places=2)


@given(days, st.integers(0, 1500), periods, timings, fees, st.lists(st.tuples(days, st.integers(0, 60)), max_size=3))
def test_consecutive_runs_cover_each_unsuspended_day_exactly_once(
    start: dt.date,
    length: int,
    period: BillingPeriod,
    timing: BillingTiming,
    fee: Decimal,
    raw_suspensions: list[tuple[dt.date, int]],
) -> None:
    suspensions = tuple(DateRange(first, first + dt.timedelta(days=n)) for first, n in raw_suspensions)
    contract = FeeTerms(CONTRACT, start, start + dt.timedelta(days=length), fee, period, timing, suspensions)
    lines = all_lines(contract)

    covered: list[dt.date] = []
    for line in lines:
        span = DateRange(line.service_from, line.service_to)
        covered += [d for d in _days_of(span) if not any(s.first <= d <= s.last for s in suspensions)]
        assert line.charged_days == span.days - suspended_days(suspensions, span)
    term_days = [
        d for d in _days_of(DateRange(start, contract.ends_on)) if not any(s.first <= d <= s.last for s in suspensions)
    ]
    assert sorted(covered) == term_days  # each charged day once, none missing
    assert len({line.key for line in lines}) == len(lines)


@given(
    st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 1)), st.integers(1, 6), periods, timings, fees
)
def test_whole_periods_sum_to_fee_times_periods(
    start: dt.date, count: int, period: BillingPeriod, timing: BillingTiming, fee: Decimal
) -> None:
    first = start.replace(day=1)
    # A term of exactly `count` whole periods: from a 1st to the day before the 1st `count` periods later.
    ends = first + relativedelta(months=MONTHS_PER_PERIOD[period] * count) - dt.timedelta(days=1)
    contract = FeeTerms(CONTRACT, first, ends, fee, period, timing)

    lines = all_lines(contract)
    assert len(lines) == count
    assert sum(line.amount for line in lines) == fee * count


def _days_of(span: DateRange) -> list[dt.date]:
    return [span.first + dt.timedelta(days=i) for i in range(span.days)]
