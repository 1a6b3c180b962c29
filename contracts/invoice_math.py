"""Invoice arithmetic: tax per line, totals, credit notes, due dates and aging. Pure, no database.

The rules, in one place:

- **Amounts** are ``Decimal`` in the invoice's currency, in cents. A line's net is quantity ×
  unit price, rounded half-up to cents.
- **Tax** is computed per line: net × rate / 100, rounded half-up to cents (``ROUND_HALF_UP``
  rounds away from zero, so a credit line's tax is exactly the negative of the invoice line's).
  The rate is the customer's (e.g. 19.00 %); an exempt customer has rate 0 with a reason that
  the invoice prints.
- **Totals** are sums of the already-rounded lines, never recomputed from a total: net = Σ net,
  tax = Σ tax, gross = net + tax; the summary per rate (and exemption reason) adds up to the
  same totals. Nothing is rounded a second time, so totals always equal the sum of the lines.
- **Credit notes** are invoices of negative lines under the same rules; crediting an invoice
  whole negates each of its lines, so its totals are exactly the invoice's, negated.
- **Due date** = issue date + the payment terms' net days.
- **Aging** of open items at a date: days past due = date − due date; not yet due (≤ 0) is
  ``current``, then 1–30, 31–60, 61–90 and 90+ days. Open amounts may be negative (an
  unallocated credit) and are summed into their bucket as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True, order=True)
class TaxRate:
    """A tax rate in percent; an exemption is rate 0 with the reason printed on the invoice."""

    percent: Decimal
    exemption_reason: str | None = None

    def __post_init__(self) -> None:
        if not self.percent.is_finite() or not ZERO <= self.percent <= HUNDRED:
            raise ValueError(f"a tax rate is a percentage from 0 to 100, not {self.percent}")
        if self.exemption_reason is not None and (self.percent != 0 or not self.exemption_reason.strip()):
            raise ValueError("an exemption has rate 0 and a reason")

    @classmethod
    def exempt(cls, reason: str) -> TaxRate:
        return cls(Decimal("0.00"), reason)

    def tax_on(self, net: Decimal) -> Decimal:
        """The tax of one line's net amount, half-up to cents."""
        return to_cents(net * self.percent / HUNDRED)


@dataclass(frozen=True, slots=True)
class TaxedLine:
    net: Decimal
    rate: TaxRate
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


def line_net(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return to_cents(quantity * unit_price)


def taxed(net: Decimal, rate: TaxRate) -> TaxedLine:
    if net != to_cents(net):
        raise ValueError(f"a line's net amount is in cents, not {net}")
    return TaxedLine(net, rate, rate.tax_on(net))


@dataclass(frozen=True, slots=True)
class RateSummary:
    rate: TaxRate
    net: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class InvoiceTotals:
    net: Decimal
    tax: Decimal
    gross: Decimal
    by_rate: tuple[RateSummary, ...]  # ordered by rate, then exemption reason


def totals(lines: Iterable[TaxedLine]) -> InvoiceTotals:
    sums: dict[TaxRate, tuple[Decimal, Decimal]] = {}
    for line in lines:
        net, tax = sums.get(line.rate, (ZERO, ZERO))
        sums[line.rate] = (net + line.net, tax + line.tax)
    by_rate = tuple(
        RateSummary(rate, net, tax) for rate, (net, tax) in sorted(sums.items(), key=lambda item: _rate_order(item[0]))
    )
    net = sum((summary.net for summary in by_rate), ZERO)
    tax = sum((summary.tax for summary in by_rate), ZERO)
    return InvoiceTotals(net, tax, net + tax, by_rate)


def _rate_order(rate: TaxRate) -> tuple[Decimal, str]:
    return rate.percent, rate.exemption_reason or ""


def credit_lines(lines: Sequence[TaxedLine]) -> list[TaxedLine]:
    """The lines of a credit note correcting these lines in full: each negated, taxed by the same rule."""
    return [taxed(-line.net, line.rate) for line in lines]


@dataclass(frozen=True, slots=True)
class PaymentTerms:
    net_days: int

    def __post_init__(self) -> None:
        if self.net_days < 0:
            raise ValueError("payment terms cannot be negative")

    def due_on(self, issued_on: dt.date) -> dt.date:
        return issued_on + dt.timedelta(days=self.net_days)


class AgingBucket(StrEnum):
    CURRENT = "current"
    DAYS_1_30 = "1-30"
    DAYS_31_60 = "31-60"
    DAYS_61_90 = "61-90"
    OVER_90 = "90+"


@dataclass(frozen=True, slots=True)
class OpenItem:
    reference: str
    due_on: dt.date
    open_amount: Decimal


def bucket_of(due_on: dt.date, on: dt.date) -> AgingBucket:
    days_past_due = (on - due_on).days
    if days_past_due <= 0:
        return AgingBucket.CURRENT
    if days_past_due <= 30:
        return AgingBucket.DAYS_1_30
    if days_past_due <= 60:
        return AgingBucket.DAYS_31_60
    if days_past_due <= 90:
        return AgingBucket.DAYS_61_90
    return AgingBucket.OVER_90


def aging(items: Iterable[OpenItem], on: dt.date) -> dict[AgingBucket, Decimal]:
    """Open amounts per aging bucket at `on`; every bucket is present, empty ones with 0.00."""
    buckets = dict.fromkeys(AgingBucket, ZERO)
    for item in items:
        bucket = bucket_of(item.due_on, on)
        buckets[bucket] += item.open_amount
    return buckets
