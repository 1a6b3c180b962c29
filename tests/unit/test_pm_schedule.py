"""Due-date rules of maintenance plans: month arithmetic without drift, counter thresholds."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from service_mgmt.services.pm_schedule import add_months, due_dates, next_threshold, threshold_reached


def test_a_month_after_the_31st_is_the_last_day_of_a_shorter_month() -> None:
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)  # leap year
    assert add_months(dt.date(2026, 8, 31), 1) == dt.date(2026, 9, 30)
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)


def test_monthly_dues_from_the_31st_return_to_the_31st_instead_of_drifting() -> None:
    dues = list(due_dates(dt.date(2026, 1, 31), 1, after=dt.date(2026, 1, 1), until=dt.date(2026, 6, 30)))

    assert dues == [
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 30),
        dt.date(2026, 5, 31),
        dt.date(2026, 6, 30),
    ]


def test_the_anchor_itself_is_no_due_date_and_bounds_are_inclusive() -> None:
    anchor = dt.date(2026, 1, 15)

    assert list(due_dates(anchor, 3, after=anchor, until=dt.date(2026, 4, 15))) == [dt.date(2026, 4, 15)]
    assert list(due_dates(anchor, 3, after=dt.date(2026, 4, 16), until=dt.date(2026, 10, 15))) == [
        dt.date(2026, 7, 15),
        dt.date(2026, 10, 15),
    ]


def test_far_from_the_anchor_the_grid_is_found_without_walking_it() -> None:
    dues = list(due_dates(dt.date(2000, 1, 31), 6, after=dt.date(2026, 3, 1), until=dt.date(2026, 12, 31)))

    assert dues == [dt.date(2026, 7, 31)]


anchors = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31))


@given(anchor=anchors, every=st.integers(min_value=1, max_value=24), skip_days=st.integers(0, 2000))
def test_due_dates_strictly_increase_and_stay_on_the_grid_of_the_anchor(
    anchor: dt.date, every: int, skip_days: int
) -> None:
    after = anchor + dt.timedelta(days=skip_days)
    until = after + dt.timedelta(days=3 * 366)

    dues = list(due_dates(anchor, every, after=after, until=until))

    assert all(a < b for a, b in itertools.pairwise(dues))
    assert all(after <= due <= until for due in dues)
    # Never drift: each is anchor + k·every months for some k, with the anchor's day unless clipped.
    for due in dues:
        months = (due.year - anchor.year) * 12 + due.month - anchor.month
        assert months % every == 0 and months > 0
        assert due == add_months(anchor, months)
    # And none is left out: every grid date inside the bounds is there.
    expected = [add_months(anchor, k * every) for k in range(1, 200)]
    assert dues == [d for d in expected if after <= d <= until]


def test_a_reading_reaches_the_highest_threshold_below_it() -> None:
    assert threshold_reached(Decimal(100), Decimal(500), Decimal(599)) is None
    assert threshold_reached(Decimal(100), Decimal(500), Decimal(600)) == Decimal(600)
    assert threshold_reached(Decimal(100), Decimal(500), Decimal(1250)) == Decimal(1100)


def test_the_next_threshold_is_the_first_above_the_latest_reading() -> None:
    assert next_threshold(Decimal(100), Decimal(500), None) == Decimal(600)
    assert next_threshold(Decimal(100), Decimal(500), Decimal(450)) == Decimal(600)
    assert next_threshold(Decimal(100), Decimal(500), Decimal(1250)) == Decimal(1600)


@given(
    baseline=st.decimals(min_value=0, max_value=10**9, places=3),
    every=st.decimals(min_value=Decimal("0.001"), max_value=10**6, places=3),
    value=st.decimals(min_value=0, max_value=10**10, places=3),
)
def test_a_reached_threshold_lies_on_the_grid_between_baseline_and_reading(
    baseline: Decimal, every: Decimal, value: Decimal
) -> None:
    reached = threshold_reached(baseline, every, value)
    if reached is None:
        assert value < baseline + every
    else:
        assert baseline + every <= reached <= value < reached + every
        assert (reached - baseline) % every == 0
