"""Warranty dates: the start basis, and the last covered day of N months, month ends included."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.choices import StartBasis
from contracts.services.warranties import counter_limit, warranty_end, warranty_start

D = dt.date


@pytest.mark.parametrize(
    ("starts_on", "months", "last_day"),
    [
        (D(2026, 3, 15), 12, D(2027, 3, 14)),  # the day before the anniversary
        (D(2026, 1, 1), 12, D(2026, 12, 31)),  # a calendar year
        (D(2026, 1, 15), 1, D(2026, 2, 14)),
        (D(2026, 12, 1), 1, D(2026, 12, 31)),  # across the year end
        (D(2026, 2, 28), 12, D(2027, 2, 27)),
        (D(2026, 4, 30), 1, D(2026, 5, 29)),
    ],
)
def test_a_warranty_ends_the_day_before_its_anniversary(starts_on: dt.date, months: int, last_day: dt.date) -> None:
    assert warranty_end(starts_on, months) == last_day


@pytest.mark.parametrize(
    ("starts_on", "months", "last_day"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),  # there is no 31 February
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # ... in a leap year it ends on the 29th
        (D(2026, 1, 30), 1, D(2026, 2, 28)),
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 8, 31), 6, D(2027, 2, 28)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),  # from a leap day, one year ends on 28 February
        (D(2028, 2, 29), 48, D(2032, 2, 28)),  # four years later is a leap day again: the day before
    ],
)
def test_when_the_anniversary_day_does_not_exist_the_warranty_runs_to_the_months_end(
    starts_on: dt.date, months: int, last_day: dt.date
) -> None:
    assert warranty_end(starts_on, months) == last_day


def test_the_start_basis_picks_the_install_or_the_ship_date() -> None:
    installed, shipped = D(2026, 5, 20), D(2026, 5, 2)

    assert warranty_start(StartBasis.INSTALL_DATE, installed, shipped) == installed
    assert warranty_start(StartBasis.SHIP_DATE, installed, shipped) == shipped
    assert warranty_start(StartBasis.INSTALL_DATE, None, shipped) is None  # shipped, not installed yet
    assert warranty_start(StartBasis.SHIP_DATE, installed, None) is None


def test_a_counter_limit_adds_the_term_units_to_the_reading_at_the_start() -> None:
    term: Any = SimpleNamespace(counter_units=Decimal("20000"))
    dateless: Any = SimpleNamespace(counter_units=None)

    assert counter_limit(term, Decimal("1234.5")) == Decimal("21234.5")
    assert counter_limit(term, None) == Decimal("20000")  # a new unit without readings
    assert counter_limit(dateless, Decimal("10")) is None


@given(st.dates(D(2000, 1, 1), D(2100, 12, 31)), st.integers(1, 120))
def test_the_next_period_starts_on_the_anniversary_or_on_the_first_after_a_short_month(
    starts_on: dt.date, months: int
) -> None:
    next_start = warranty_end(starts_on, months) + dt.timedelta(days=1)
    anniversary_month = starts_on.year * 12 + starts_on.month - 1 + months
    next_month = next_start.year * 12 + next_start.month - 1

    if next_start.day == starts_on.day:
        assert next_month == anniversary_month
    else:  # the anniversary day does not exist in that month
        assert starts_on.day > 28 and next_start.day == 1
        assert next_month == anniversary_month + 1
