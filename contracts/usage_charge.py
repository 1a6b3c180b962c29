"""The usage charge of a contract for one billing period: a pure rule, no database.

`usage_charge(plan, previous, readings, charged_days, period_days)` gives a line or None.

The rules, in one place:

- **Volume used** is counted along the readings from the previous billed reading (the baseline)
  to the latest reading of the period, in time order. A ``regular`` reading adds its increase
  over the reading before it. A ``reset`` or ``meter_replacement`` reading starts a new baseline
  (counting restarts from its value, as the counters service defines it): it adds nothing itself,
  and whatever ran between the last reading before it and the reset is not known, so not billed.
  Record a regular reading just before a reset to bill that stretch.
- Without a previous billed reading (the first usage bill), the first reading is the baseline.
- **Included volume** is per billing period and prorated like the fee: included × charged days /
  days in the period, rounded half-up to the counters' precision (0.001). A partial or
  suspended period includes proportionally less.
- **Charge** = (volume used − included) × unit price, rounded half-up to cents; no line when the
  volume does not exceed the included volume, or the charge rounds to 0.00.
- The latest reading becomes the next run's baseline (``UsageLine.billed_reading``), so a
  reading is never counted twice. Billing moves the baseline to the latest reading of the period
  even when no line comes out: the included volume is per period and does not carry over.

Reading kinds are compared by value: ``service_mgmt.choices.ReadingKind`` sits above this
package in the layers, so it cannot be imported here; the strings are the stored values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
VOLUME = Decimal("0.001")  # counters' precision, Numeric(18, 3)
ZERO = Decimal(0)
REGULAR = "regular"  # ReadingKind.REGULAR; every other kind starts a new baseline


@dataclass(frozen=True, slots=True)
class Reading:
    value: Decimal
    read_at: dt.datetime
    kind: str = REGULAR

    @property
    def starts_new_baseline(self) -> bool:
        return self.kind != REGULAR


@dataclass(frozen=True, slots=True)
class UsagePlan:
    """The contract's usage terms (ServiceContract.usage_*)."""

    counter_name: str
    included_volume: Decimal
    unit_price: Decimal

    def __post_init__(self) -> None:
        if self.included_volume < 0 or self.unit_price < 0:
            raise ValueError("included volume and unit price cannot be negative")


@dataclass(frozen=True, slots=True)
class UsageLine:
    counter_name: str
    used_volume: Decimal
    included_volume: Decimal
    billable_volume: Decimal
    unit_price: Decimal
    amount: Decimal
    billed_reading: Reading  # the next run's baseline


def used_volume(previous: Reading | None, readings: Sequence[Reading]) -> Decimal:
    """Volume counted from the baseline through the readings (see the module's rules)."""
    ordered = sorted(readings, key=lambda reading: reading.read_at)
    if previous is None:
        if not ordered:
            return ZERO
        previous, ordered = ordered[0], ordered[1:]
    total = ZERO
    for reading in ordered:
        if not reading.starts_new_baseline:
            # The counters service refuses a regular reading below its predecessor; stay safe anyway.
            total += max(reading.value - previous.value, ZERO)
        previous = reading
    return total


def included_for(included_volume: Decimal, charged_days: int, period_days: int) -> Decimal:
    """The included volume of a (possibly partial) period: prorated by day, half-up to 0.001."""
    if not 0 <= charged_days <= period_days or period_days <= 0:
        raise ValueError(f"charged days {charged_days} must lie within a period of {period_days} days")
    return (included_volume * charged_days / period_days).quantize(VOLUME, rounding=ROUND_HALF_UP)


def usage_charge(
    plan: UsagePlan,
    previous: Reading | None,
    readings: Sequence[Reading],
    charged_days: int,
    period_days: int,
) -> UsageLine | None:
    """The usage line for one billing period, or None when nothing is above the included volume."""
    if not readings:
        return None
    used = used_volume(previous, readings)
    included = included_for(plan.included_volume, charged_days, period_days)
    billable = used - included
    if billable <= ZERO:
        return None
    amount = (billable * plan.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
    if amount == ZERO:
        return None
    latest = max(readings, key=lambda reading: reading.read_at)
    return UsageLine(plan.counter_name, used, included, billable, plan.unit_price, amount, latest)
