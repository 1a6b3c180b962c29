"""When an engineer can work: the weekly pattern made concrete, minus absences.

A pure rule over plain values (no database), so the scheduler adapter and the API share it.
The weekly pattern is wall-clock time in the engineer's zone; the answer is UTC instants,
so a Monday 08:00-16:00 shift in Europe/Berlin is 07:00-15:00 UTC in winter and 06:00-14:00
UTC in summer, and a shift across a DST change is an hour shorter or longer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.UTC


@dataclass(frozen=True, slots=True)
class WeeklyInterval:
    """One interval of the weekly pattern: weekday 0 = Monday, wall-clock times, ends > starts."""

    weekday: int
    starts: dt.time
    ends: dt.time


@dataclass(frozen=True, slots=True)
class Interval:
    """A span of real time, [starts, ends), both aware."""

    starts: dt.datetime
    ends: dt.datetime

    @property
    def duration(self) -> dt.timedelta:
        return self.ends - self.starts


@dataclass(frozen=True, slots=True)
class DayAvailability:
    """The working intervals of one local calendar day, in UTC and in time order."""

    day: dt.date
    intervals: tuple[Interval, ...]

    @property
    def working_time(self) -> dt.timedelta:
        return sum((i.duration for i in self.intervals), dt.timedelta())


def local_instant(day: dt.date, wall: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a wall-clock time on a local day.

    A wall time that occurs twice (autumn) means its first occurrence. One that does not
    exist (the spring gap, 02:00-03:00 in Europe/Berlin) means the moment the clock jumps:
    a shift "starting 02:30" on that day starts at 03:00, and instants stay in wall-clock order.
    """
    earlier = dt.datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)
    if earlier.astimezone(zone).replace(tzinfo=None) == dt.datetime.combine(day, wall):
        return earlier
    # In the gap: fold=1 reads the wall time with the later offset, which lands before the jump.
    before_jump = dt.datetime.combine(day, wall, tzinfo=zone).replace(fold=1).astimezone(UTC)
    return _transition_between(before_jump, earlier, zone)


def _transition_between(before: dt.datetime, after: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The first instant (to the second) in (before, after] that has `after`'s UTC offset."""
    offset_after = after.astimezone(zone).utcoffset()
    low, high = int(before.timestamp()), int(after.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if dt.datetime.fromtimestamp(middle, zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return dt.datetime.fromtimestamp(high, UTC)


def local_day_bounds(first: dt.date, last: dt.date, zone: ZoneInfo) -> Interval:
    """From local midnight of `first` to local midnight after `last`, in UTC."""
    return Interval(local_instant(first, dt.time(), zone), local_instant(last + dt.timedelta(days=1), dt.time(), zone))


def subtract(interval: Interval, holes: Iterable[Interval]) -> list[Interval]:
    """What is left of `interval` once every hole is cut out of it."""
    pieces = [interval]
    for hole in holes:
        remaining: list[Interval] = []
        for piece in pieces:
            if hole.ends <= piece.starts or hole.starts >= piece.ends:
                remaining.append(piece)
                continue
            if hole.starts > piece.starts:
                remaining.append(Interval(piece.starts, hole.starts))
            if hole.ends < piece.ends:
                remaining.append(Interval(hole.ends, piece.ends))
        pieces = remaining
    return pieces


def availability(
    pattern: Sequence[WeeklyInterval],
    absences: Sequence[Interval],
    zone: ZoneInfo,
    first: dt.date,
    last: dt.date,
) -> list[DayAvailability]:
    """One entry per local day from `first` to `last` (inclusive), days off included (empty)."""
    by_weekday: dict[int, list[WeeklyInterval]] = {}
    for item in pattern:
        by_weekday.setdefault(item.weekday, []).append(item)
    days: list[DayAvailability] = []
    day = first
    while day <= last:
        shifts = sorted(by_weekday.get(day.weekday(), []), key=lambda w: w.starts)
        intervals: list[Interval] = []
        for shift in shifts:
            worked = Interval(local_instant(day, shift.starts, zone), local_instant(day, shift.ends, zone))
            intervals.extend(piece for piece in subtract(worked, absences) if piece.ends > piece.starts)
        days.append(DayAvailability(day, tuple(sorted(intervals, key=lambda i: i.starts))))
        day += dt.timedelta(days=1)
    return days
