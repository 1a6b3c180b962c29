"""Which contract fee a billing run of one calendar month bills: a pure rule, no database.

`fee_line(terms, RunMonth.parse("2026-11"))` gives the contract's fee line for that run, or None.

The rules, in one place:

- **Billing periods** form a grid anchored on the first day of the month the contract starts in,
  stepping 1 (monthly), 3 (quarterly) or 12 (yearly) calendar months. A contract starting on
  2026-11-16 has monthly periods Nov, Dec, …; quarterly periods Nov–Jan, Feb–Apr, …; a yearly
  period Nov 2026–Oct 2027. Anchoring on the 1st keeps every period a whole number of calendar
  months, so "days in the period" is never ambiguous (no 31 January + 1 month).
- **Service period** of a line = the grid period clipped to the contract term [starts_on, ends_on]
  (both inclusive). A contract starting mid-month gets a partial first period, one ending inside
  a period a partial last one.
- **Timing**: in advance, a period is billed by the run of the month its service period starts
  in; in arrears, by the run of the month its service period ends in (so a contract ending
  mid-period is billed in arrears right after it ends, not at the end of the grid period).
  Each run bills at most one period per contract.
- **Suspensions** are inclusive date intervals; suspended days are not charged. Overlapping
  suspensions count each day once.
- **Amount** = fee × charged days / days in the grid period, where charged days = days of the
  service period minus suspended days; rounded once, half-up to cents. A whole period without
  suspensions is exactly the fee. A period with no charged day gives no line.
- **Key** = contract id + grid period start, e.g. ``"<uuid>:2026-11-01"``. It stays the same if
  the term is edited later, so a unique constraint on it bills each fee once per contract and
  period.

Not decided here: a suspension or termination recorded after a period was billed in advance is
corrected by a credit note (billing's job), never by re-billing the key.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from dateutil.relativedelta import relativedelta

from contracts.choices import BillingPeriod, BillingTiming

CENT = Decimal("0.01")
ONE_DAY = dt.timedelta(days=1)
MONTHS_PER_PERIOD: dict[BillingPeriod, int] = {
    BillingPeriod.MONTHLY: 1,
    BillingPeriod.QUARTERLY: 3,
    BillingPeriod.YEARLY: 12,
}
_PERIOD_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True, order=True)
class RunMonth:
    """The calendar month a billing run is for, e.g. ``2026-11``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9998:
            raise ValueError(f"{self.year:04d}-{self.month:02d} is not a billing month")

    @classmethod
    def parse(cls, text: str) -> RunMonth:
        match = _PERIOD_PATTERN.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not a billing month like 2026-11")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> RunMonth:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next().first_day - ONE_DAY

    def next(self) -> RunMonth:
        return RunMonth(self.year + self.month // 12, self.month % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, slots=True, order=True)
class DateRange:
    """Inclusive on both ends: ``DateRange(d, d)`` is one day."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"a date range cannot end ({self.last}) before it starts ({self.first})")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def clip(self, other: DateRange) -> DateRange | None:
        first, last = max(self.first, other.first), min(self.last, other.last)
        return DateRange(first, last) if first <= last else None


@dataclass(frozen=True, slots=True)
class FeeTerms:
    """What fee billing needs to know of a service contract."""

    contract_id: UUID
    starts_on: dt.date
    ends_on: dt.date
    fee_amount: Decimal
    billing_period: BillingPeriod
    billing_timing: BillingTiming
    suspensions: tuple[DateRange, ...] = ()

    def __post_init__(self) -> None:
        if self.ends_on < self.starts_on:
            raise ValueError("a contract cannot end before it starts")
        if not self.fee_amount.is_finite() or self.fee_amount < 0:
            raise ValueError(f"a fee must be a finite, non-negative decimal, not {self.fee_amount}")


@dataclass(frozen=True, slots=True)
class FeeLine:
    contract_id: UUID
    key: str
    period_start: dt.date  # the grid period's first day (part of the key)
    period_days: int  # days of the whole grid period: the proration denominator
    service_from: dt.date
    service_to: dt.date
    charged_days: int
    suspended_days: int
    amount: Decimal


def fee_key(contract_id: UUID, period_start: dt.date) -> str:
    return f"{contract_id}:{period_start.isoformat()}"


def prorate(fee: Decimal, charged_days: int, period_days: int) -> Decimal:
    """fee × charged / period days, rounded half-up to cents (the one rounding of a fee line)."""
    return (fee * charged_days / period_days).quantize(CENT, rounding=ROUND_HALF_UP)


def grid_period(terms: FeeTerms, month: RunMonth) -> DateRange:
    """The billing period of the contract's grid that contains the month."""
    step = MONTHS_PER_PERIOD[terms.billing_period]
    anchor = terms.starts_on.replace(day=1)
    months_since = (month.year - anchor.year) * 12 + month.month - anchor.month
    start = anchor + relativedelta(months=(months_since // step) * step)
    end: dt.date = start + relativedelta(months=step) - ONE_DAY
    return DateRange(start, end)


def suspended_days(suspensions: Iterable[DateRange], within: DateRange) -> int:
    """Days of `within` covered by any suspension, each day counted once."""
    clipped = sorted(c for c in (s.clip(within) for s in suspensions) if c is not None)
    total, counted_to = 0, within.first - ONE_DAY
    for part in clipped:
        first = max(part.first, counted_to + ONE_DAY)
        if first <= part.last:
            total += (part.last - first).days + 1
            counted_to = part.last
    return total


def fee_line(terms: FeeTerms, month: RunMonth) -> FeeLine | None:
    """The fee line the run of `month` bills for this contract, or None."""
    period = grid_period(terms, month)
    service = period.clip(DateRange(terms.starts_on, terms.ends_on))
    if service is None:
        return None
    billed_on = service.first if terms.billing_timing is BillingTiming.IN_ADVANCE else service.last
    if RunMonth.of(billed_on) != month:
        return None
    suspended = suspended_days(terms.suspensions, service)
    charged = service.days - suspended
    if charged == 0:
        return None
    return FeeLine(
        contract_id=terms.contract_id,
        key=fee_key(terms.contract_id, period.first),
        period_start=period.first,
        period_days=period.days,
        service_from=service.first,
        service_to=service.last,
        charged_days=charged,
        suspended_days=suspended,
        amount=prorate(terms.fee_amount, charged, period.days),
    )


def fee_lines(terms: Sequence[FeeTerms], month: RunMonth) -> list[FeeLine]:
    """The fee lines of one run over many contracts, in the order given."""
    return [line for line in (fee_line(t, month) for t in terms) if line is not None]
