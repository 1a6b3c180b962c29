"""Usage charges from counter readings, with resets and meter replacements — worked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contracts.usage_charge import Reading, UsagePlan, included_for, usage_charge, used_volume
from masterdata.choices import ReadingKind

PAGES = UsagePlan("pages", included_volume=Decimal(2000), unit_price=Decimal("0.05"))


def at(day: int, month: int = 11, value: str = "0", kind: ReadingKind = ReadingKind.REGULAR) -> Reading:
    return Reading(Decimal(value), dt.datetime(2026, month, day, 12, tzinfo=dt.UTC), kind)


def test_two_readings_above_the_included_volume() -> None:
    billed_in_october = at(31, 10, "10000")
    latest = at(30, 11, "12500")
    # 12500 − 10000 = 2500 used; 2500 − 2000 included = 500 × 0.05 = 25.00.
    line = usage_charge(PAGES, billed_in_october, [latest], charged_days=30, period_days=30)
    assert line is not None
    assert (line.used_volume, line.included_volume, line.billable_volume) == (
        Decimal(2500),
        Decimal(2000),
        Decimal(500),
    )
    assert line.amount == Decimal("25.00")
    assert line.billed_reading == latest


def test_within_the_included_volume_gives_no_line() -> None:
    assert usage_charge(PAGES, at(31, 10, "10000"), [at(30, 11, "11999")], 30, 30) is None
    assert usage_charge(PAGES, at(31, 10, "10000"), [at(30, 11, "12000")], 30, 30) is None
    assert usage_charge(PAGES, at(31, 10, "10000"), [], 30, 30) is None


def test_a_reset_restarts_counting() -> None:
    readings = [at(10, value="10400"), at(12, value="0", kind=ReadingKind.RESET), at(30, value="1900")]
    # 400 before the reset + 1900 after it = 2300 used; 300 above 2000 × 0.05 = 15.00.
    line = usage_charge(PAGES, at(31, 10, "10000"), readings, 30, 30)
    assert line is not None and (line.used_volume, line.amount) == (Decimal(2300), Decimal("15.00"))


def test_a_meter_replacement_counts_from_the_new_meter_start() -> None:
    readings = [at(5, value="50", kind=ReadingKind.METER_REPLACEMENT), at(30, value="2550")]
    # The new meter starts at 50: 2550 − 50 = 2500 used; what ran on the old meter after
    # 10000 was never read, so it is not billed.
    assert used_volume(at(31, 10, "10000"), readings) == Decimal(2500)


def test_every_kind_but_regular_starts_a_new_baseline() -> None:
    for kind in ReadingKind:
        assert at(1, kind=kind).starts_new_baseline is (kind is not ReadingKind.REGULAR)


def test_a_partial_period_includes_proportionally_less() -> None:
    # Contract from Nov 16: 15 of 30 days include 2000 × 15/30 = 1000 pages.
    # 1500 used − 1000 = 500 × 0.05 = 25.00.
    line = usage_charge(PAGES, at(16, value="0"), [at(30, value="1500")], charged_days=15, period_days=30)
    assert line is not None and (line.included_volume, line.amount) == (Decimal("1000.000"), Decimal("25.00"))


def test_included_volume_rounds_half_up_to_the_counters_precision() -> None:
    assert included_for(Decimal(1000), 1, 3) == Decimal("333.333")
    assert included_for(Decimal(1), 1, 8) == Decimal("0.125")
    assert included_for(Decimal("0.001"), 1, 2) == Decimal("0.001")  # 0.0005 → 0.001
    with pytest.raises(ValueError):
        included_for(Decimal(1000), 31, 30)


def test_without_a_previous_billed_reading_the_first_reading_is_the_baseline() -> None:
    assert used_volume(None, [at(30, value="900"), at(2, value="100")]) == Decimal(800)
    assert used_volume(None, []) == 0


def test_a_charge_that_rounds_to_nothing_gives_no_line() -> None:
    plan = UsagePlan("pages", Decimal(0), Decimal("0.001"))
    # 4 pages × 0.001 = 0.004 → 0.00.
    assert usage_charge(plan, at(1, value="0"), [at(30, value="4")], 30, 30) is None
    line = usage_charge(plan, at(1, value="0"), [at(30, value="5")], 30, 30)
    assert line is not None and line.amount == Decimal("0.01")  # 0.005 rounds half-up
