"""Business calendars and the SLA clock.

A coverage calendar is weekly working hours in an IANA time zone, minus public holidays (the
`holidays` package, by country and subdivision) and custom closure days. Working intervals are
built per local day and turned into UTC instants, so business time is real elapsed time inside
coverage: a 24×7 day on a DST change lasts 23 or 25 hours, and an 08:00–17:00 day always
starts at 08:00 on the wall clock.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MINUTES_PER_DAY = 24 * 60
# A calendar with no working time at all would make `add` loop forever; ten years is the horizon.
SEARCH_LIMIT_DAYS = 3660


@dataclass(frozen=True, slots=True)
class WorkingWindow:
    """Working time on one weekday (0 = Monday), in minutes after local midnight; end may be 1440."""

    weekday: int
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, got {self.weekday}")
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise ValueError(f"window must satisfy 0 <= start < end <= 1440, got {self.start_minute}-{self.end_minute}")

    @classmethod
    def of(cls, weekday: int, start: str, end: str) -> WorkingWindow:
        """From "HH:MM" strings; "24:00" is the end of the day."""
        return cls(weekday, _minutes(start), _minutes(end))


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    value = int(hours) * 60 + int(minutes)
    if not (0 <= int(minutes) < 60 and 0 <= value <= MINUTES_PER_DAY):
        raise ValueError(f"not a time of day: {hhmm!r}")
    return value


@lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    # The holidays object fills in further years on demand (expand=True), so one per region is enough.
    return holidays.country_holidays(country, subdiv=subdivision)


@dataclass(frozen=True, slots=True)
class CoverageCalendar:
    time_zone: str
    windows: tuple[WorkingWindow, ...]
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    closures: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # raises for an unknown zone
        by_day: dict[int, list[WorkingWindow]] = {}
        for window in self.windows:
            by_day.setdefault(window.weekday, []).append(window)
        for day_windows in by_day.values():
            ordered = sorted(day_windows, key=lambda w: w.start_minute)
            for earlier, later in itertools.pairwise(ordered):
                if later.start_minute < earlier.end_minute:
                    raise ValueError(f"overlapping windows on weekday {later.weekday}")

    # -- construction helpers -------------------------------------------------------------
    @classmethod
    def always(cls, time_zone: str = "UTC") -> CoverageCalendar:
        """24×7 with no holidays."""
        return cls(time_zone, tuple(WorkingWindow(d, 0, MINUTES_PER_DAY) for d in range(7)))

    @classmethod
    def weekdays(
        cls,
        time_zone: str,
        start: str = "08:00",
        end: str = "17:00",
        *,
        days: tuple[int, ...] = (0, 1, 2, 3, 4),
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
        closures: frozenset[dt.date] = frozenset(),
    ) -> CoverageCalendar:
        """The same hours on the given weekdays, e.g. 8×5 Mon–Fri 08:00–17:00."""
        windows = tuple(WorkingWindow.of(d, start, end) for d in days)
        return cls(time_zone, windows, holiday_country, holiday_subdivision, closures)

    # -- queries ----------------------------------------------------------------------------
    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.closures:
            return False
        return not (self.holiday_country and day in _public_holidays(self.holiday_country, self.holiday_subdivision))

    def intervals_on(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working intervals of one local day, as UTC instants, in order."""
        if not self.is_working_day(day):
            return []
        zone = self.zone
        found = []
        for window in sorted(self.windows, key=lambda w: w.start_minute):
            if window.weekday == day.weekday():
                start = _local_to_utc(day, window.start_minute, zone)
                end = _local_to_utc(day, window.end_minute, zone)
                if end > start:
                    found.append((start, end))
        return found

    def intervals(self, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working intervals that end after `start`, clipped to begin no earlier than it."""
        start = _utc(start)
        # Start a day early: the local date of `start` may differ from its UTC date.
        day = start.astimezone(self.zone).date() - dt.timedelta(days=1)
        for _ in range(SEARCH_LIMIT_DAYS):
            for begin, end in self.intervals_on(day):
                if end > start:
                    yield max(begin, start), end
            day += dt.timedelta(days=1)

    def is_open(self, instant: dt.datetime) -> bool:
        instant = _utc(instant)
        day = instant.astimezone(self.zone).date()
        for candidate in (day - dt.timedelta(days=1), day):
            for begin, end in self.intervals_on(candidate):
                if begin <= instant < end:
                    return True
        return False

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The instant at which `duration` of business time has passed after `start`."""
        if duration < dt.timedelta(0):
            raise ValueError("duration must not be negative")
        start = _utc(start)
        if duration == dt.timedelta(0):
            return start
        remaining = duration
        for begin, end in self.intervals(start):
            available = end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise ValueError(f"calendar has no working time within {SEARCH_LIMIT_DAYS} days")

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Business time between two instants (negative when `end` is before `start`)."""
        start, end = _utc(start), _utc(end)
        if end < start:
            return -self.elapsed(end, start)
        total = dt.timedelta(0)
        for begin, finish in self.intervals(start):
            if begin >= end:
                break
            total += min(finish, end) - begin
        return total


def _local_to_utc(day: dt.date, minute: int, zone: ZoneInfo) -> dt.datetime:
    if minute == MINUTES_PER_DAY:
        day, minute = day + dt.timedelta(days=1), 0
    local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)
    # A wall time inside a spring-forward gap does not exist; fold=0 reads it with the offset
    # in force before the change, so 02:30 on that night becomes 03:30 summer time.
    return local.astimezone(dt.UTC)


def _utc(instant: dt.datetime) -> dt.datetime:
    if instant.tzinfo is None:
        raise ValueError("business calendar instants must be timezone-aware")
    return instant.astimezone(dt.UTC)
