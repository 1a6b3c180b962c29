"""Due-date rules of preventive maintenance plans: plain dates and numbers, no database.

Time-based: due dates lie on a grid anchored at a date, `anchor + k·N months` for k = 1, 2, …
Each one is computed from the anchor, never from the previous due date, so month-end clipping
does not drift: from Jan 31 every month gives Feb 28 (29), Mar 31, Apr 30 … rather than
Feb 28, Mar 28, Apr 28 … The anchor is the plan's `starts_on`, and after a counter-triggered
call that call's due date (the schedule restarts, SAP's "whichever comes first" with restart).

Counter-based: thresholds lie on a grid anchored at a baseline reading, `baseline + k·U`. A
reading at or above the next threshold triggers one call for the highest threshold it reached
(a unit that ran two intervals unseen gets one visit, and the grid continues from there).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from dateutil.relativedelta import relativedelta


def add_months(start: dt.date, months: int) -> dt.date:
    """`start` plus whole months; a day missing in the target month becomes its last day."""
    result: dt.date = start + relativedelta(months=months)
    return result


def due_dates(anchor: dt.date, every_months: int, *, after: dt.date, until: dt.date) -> Iterator[dt.date]:
    """The grid dates `anchor + k·every_months` (k ≥ 1) with after <= date <= until, ascending."""
    if every_months <= 0:
        raise ValueError("every_months must be positive")
    # Skip ahead without walking every step: k cannot be below the whole months from anchor to after.
    months_between = (after.year - anchor.year) * 12 + after.month - anchor.month
    k = max(1, months_between // every_months)
    while True:
        due = add_months(anchor, k * every_months)
        if due > until:
            return
        if due >= after:
            yield due
        k += 1


def threshold_reached(baseline: Decimal, every_units: Decimal, value: Decimal) -> Decimal | None:
    """The highest grid threshold `baseline + k·every_units` (k ≥ 1) at or below `value`, if any."""
    if every_units <= 0:
        raise ValueError("every_units must be positive")
    steps = (value - baseline) // every_units
    if steps < 1:
        return None
    return baseline + steps * every_units


def next_threshold(baseline: Decimal, every_units: Decimal, latest: Decimal | None) -> Decimal:
    """The first threshold above the latest reading (the one a call will be triggered at)."""
    reached = threshold_reached(baseline, every_units, latest) if latest is not None else None
    return (reached if reached is not None else baseline) + every_units
