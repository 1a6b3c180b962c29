"""Response shapes for KPIs."""

from __future__ import annotations

import datetime as dt

import msgspec

from service_mgmt.services.first_time_fix import FirstTimeFixRate, FixCount


class FixCountOut(msgspec.Struct, kw_only=True):
    completed: int  # repair work orders completed with a known first-time-fix flag
    first_time_fixes: int
    rate: float | None  # first_time_fixes / completed; null without completions


class FirstTimeFixOut(msgspec.Struct, kw_only=True):
    period_from: dt.date
    period_to: dt.date
    as_of: dt.datetime
    # Completions before this moment are final: the 30-day return window has closed.
    final_before: dt.datetime
    final: FixCountOut
    # Completed within the last 30 days: a return may still turn a fix into a repeat.
    provisional: FixCountOut


def _count(count: FixCount) -> FixCountOut:
    return FixCountOut(completed=count.completed, first_time_fixes=count.first_time_fixes, rate=count.rate)


def first_time_fix_out(rate: FirstTimeFixRate) -> FirstTimeFixOut:
    return FirstTimeFixOut(
        period_from=rate.period_from,
        period_to=rate.period_to,
        as_of=rate.as_of,
        final_before=rate.final_before,
        final=_count(rate.final),
        provisional=_count(rate.provisional),
    )
