"""Invoice arithmetic: tax per line, totals equal to the lines, credit notes, due dates, aging."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.invoice_math import (
    AgingBucket,
    OpenItem,
    PaymentTerms,
    TaxedLine,
    TaxRate,
    aging,
    credit_lines,
    line_net,
    taxed,
    totals,
)

STANDARD = TaxRate(Decimal("19.00"))
REDUCED = TaxRate(Decimal("7.00"))
EXPORT = TaxRate.exempt("export outside the EU")


def test_tax_is_per_line_half_up_to_cents() -> None:
    assert taxed(Decimal("100.00"), STANDARD).tax == Decimal("19.00")
    # 1.50 × 19 % = 0.285 → 0.29 (banker's rounding would give 0.28).
    assert taxed(Decimal("1.50"), STANDARD).tax == Decimal("0.29")
    # Away from zero for credits too, so a credit is the exact negative.
    assert taxed(Decimal("-1.50"), STANDARD).tax == Decimal("-0.29")
    assert taxed(Decimal("50.00"), EXPORT).tax == 0


def test_invoice_totals_are_the_sums_of_the_rounded_lines() -> None:
    lines = [
        taxed(Decimal("1.50"), STANDARD),
        taxed(Decimal("1.50"), STANDARD),
        taxed(Decimal("100.00"), REDUCED),
        taxed(Decimal("50.00"), EXPORT),
    ]
    result = totals(lines)
    # 0.29 + 0.29 = 0.58 at 19 % (taxing the 3.00 sum would give 0.57: the rule is per line).
    assert (result.net, result.tax, result.gross) == (Decimal("153.00"), Decimal("7.58"), Decimal("160.58"))
    assert [(s.rate, s.net, s.tax) for s in result.by_rate] == [
        (EXPORT, Decimal("50.00"), Decimal("0.00")),
        (REDUCED, Decimal("100.00"), Decimal("7.00")),
        (STANDARD, Decimal("3.00"), Decimal("0.58")),
    ]


def test_a_line_net_is_quantity_times_unit_price_half_up() -> None:
    assert line_net(Decimal(3), Decimal("33.335")) == Decimal("100.01")  # 100.005 → 100.01
    assert line_net(Decimal("1.5"), Decimal("98.00")) == Decimal("147.00")
    with pytest.raises(ValueError):
        taxed(Decimal("1.005"), STANDARD)


def test_a_credit_note_negates_the_invoice() -> None:
    invoice = [taxed(Decimal("1.50"), STANDARD), taxed(Decimal("100.00"), REDUCED)]
    credit = totals(credit_lines(invoice))
    assert (credit.net, credit.tax, credit.gross) == (Decimal("-101.50"), Decimal("-7.29"), Decimal("-108.79"))


def test_exemptions_need_a_reason_and_rate_zero() -> None:
    with pytest.raises(ValueError):
        TaxRate(Decimal("19.00"), "export")
    with pytest.raises(ValueError):
        TaxRate.exempt("  ")
    with pytest.raises(ValueError):
        TaxRate(Decimal("-1"))
    with pytest.raises(ValueError):
        TaxRate(Decimal("100.01"))


def test_due_date_is_issue_date_plus_net_days() -> None:
    assert PaymentTerms(30).due_on(dt.date(2026, 11, 30)) == dt.date(2026, 12, 30)
    assert PaymentTerms(0).due_on(dt.date(2026, 11, 30)) == dt.date(2026, 11, 30)
    with pytest.raises(ValueError):
        PaymentTerms(-1)


def test_aging_buckets_at_year_end() -> None:
    on = dt.date(2026, 12, 31)
    items = [
        OpenItem("INV-1", dt.date(2027, 1, 15), Decimal("10.00")),  # not yet due
        OpenItem("INV-2", dt.date(2026, 12, 31), Decimal("20.00")),  # due today: current
        OpenItem("INV-3", dt.date(2026, 12, 1), Decimal("30.00")),  # 30 days
        OpenItem("INV-4", dt.date(2026, 11, 30), Decimal("40.00")),  # 31 days
        OpenItem("INV-5", dt.date(2026, 10, 2), Decimal("50.00")),  # 90 days
        OpenItem("INV-6", dt.date(2026, 10, 1), Decimal("60.00")),  # 91 days
        OpenItem("CN-1", dt.date(2026, 10, 1), Decimal("-5.00")),  # an unallocated credit
    ]
    assert aging(items, on) == {
        AgingBucket.CURRENT: Decimal("30.00"),
        AgingBucket.DAYS_1_30: Decimal("30.00"),
        AgingBucket.DAYS_31_60: Decimal("40.00"),
        AgingBucket.DAYS_61_90: Decimal("50.00"),
        AgingBucket.OVER_90: Decimal("55.00"),
    }
    assert set(aging([], on).values()) == {Decimal("0.00")}


rates = st.sampled_from([STANDARD, REDUCED, EXPORT, TaxRate(Decimal("20.00")), TaxRate(Decimal("5.50"))])
nets = st.decimals(min_value=-100_000, max_value=100_000, places=2)
lines = st.lists(st.builds(taxed, nets, rates), max_size=40)


@given(lines)
def test_totals_equal_the_sum_of_the_lines(invoice_lines: list[TaxedLine]) -> None:
    result = totals(invoice_lines)
    assert result.net == sum((line.net for line in invoice_lines), Decimal(0))
    assert result.tax == sum((line.tax for line in invoice_lines), Decimal(0))
    assert result.gross == sum((line.gross for line in invoice_lines), Decimal(0)) == result.net + result.tax
    assert sum((s.net for s in result.by_rate), Decimal(0)) == result.net
    assert sum((s.tax for s in result.by_rate), Decimal(0)) == result.tax
    for amount in (result.net, result.tax, result.gross):
        assert amount == amount.quantize(Decimal("0.01"))


@given(lines)
def test_a_full_credit_note_is_the_invoice_negated(invoice_lines: list[TaxedLine]) -> None:
    invoice, credit = totals(invoice_lines), totals(credit_lines(invoice_lines))
    assert (credit.net, credit.tax, credit.gross) == (-invoice.net, -invoice.tax, -invoice.gross)
