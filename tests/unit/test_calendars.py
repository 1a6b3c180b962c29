"""The SLA clock: business time in a coverage calendar, across weekends, holidays and DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendars import CoverageCalendar, WorkingWindow

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = dt.timedelta(hours=1)

EIGHT_BY_FIVE = CoverageCalendar.weekdays("Europe/Berlin", "08:00", "17:00")
EIGHT_BY_FIVE_BAVARIA = CoverageCalendar.weekdays(
    "Europe/Berlin", "08:00", "17:00", holiday_country="DE", holiday_subdivision="BY"
)
ALWAYS_BERLIN = CoverageCalendar.always("Europe/Berlin")


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_a_p1_logged_friday_afternoon_on_8x5_is_due_monday_morning() -> None:
    logged = berlin(2026, 11, 20, 16, 30)  # a Friday

    due = EIGHT_BY_FIVE.add(logged, 4 * H)

    assert due == berlin(2026, 11, 23, 11, 30)
    assert EIGHT_BY_FIVE.elapsed(logged, due) == 4 * H


def test_a_call_outside_hours_starts_counting_at_the_next_opening() -> None:
    assert EIGHT_BY_FIVE.add(berlin(2026, 11, 21, 10, 0), 2 * H) == berlin(2026, 11, 23, 10, 0)  # Saturday
    assert EIGHT_BY_FIVE.add(berlin(2026, 11, 23, 6, 0), 1 * H) == berlin(2026, 11, 23, 9, 0)  # early Monday


def test_public_holidays_of_the_subdivision_are_skipped() -> None:
    # 2026-01-06 (Epiphany) is a holiday in Bavaria but not in Berlin.
    logged = berlin(2026, 1, 5, 16, 0)
    berlin_calendar = CoverageCalendar.weekdays("Europe/Berlin", holiday_country="DE", holiday_subdivision="BE")

    assert EIGHT_BY_FIVE_BAVARIA.add(logged, 2 * H) == berlin(2026, 1, 7, 9, 0)
    assert berlin_calendar.add(logged, 2 * H) == berlin(2026, 1, 6, 9, 0)


def test_christmas_and_custom_closures() -> None:
    closed = CoverageCalendar.weekdays(
        "Europe/Berlin", holiday_country="DE", holiday_subdivision="BY", closures=frozenset({dt.date(2026, 12, 28)})
    )
    logged = berlin(2026, 12, 24, 16, 0)  # Thursday; 25th and 26th are holidays, 28th closed

    assert closed.add(logged, 2 * H) == berlin(2026, 12, 29, 9, 0)


def test_24x7_over_the_spring_forward_night_counts_real_hours() -> None:
    before = berlin(2026, 3, 29, 1, 0)  # clocks jump 02:00 -> 03:00

    due = ALWAYS_BERLIN.add(before, 4 * H)

    assert due == before.astimezone(dt.UTC) + 4 * H  # real elapsed time (aware arithmetic in one zone is wall time)
    assert due.astimezone(BERLIN).hour == 6  # the wall clock moved 5 hours
    assert ALWAYS_BERLIN.elapsed(berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 30, 0, 0)) == 23 * H


def test_24x7_over_the_fall_back_night_counts_real_hours() -> None:
    assert ALWAYS_BERLIN.elapsed(berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 26, 0, 0)) == 25 * H


def test_office_hours_follow_the_wall_clock_across_dst() -> None:
    # Friday before the change, 16:00 + 2 h -> Monday 09:00 local, in summer time now.
    due = EIGHT_BY_FIVE.add(berlin(2026, 3, 27, 16, 0), 2 * H)

    assert due.astimezone(BERLIN).replace(tzinfo=None) == dt.datetime(2026, 3, 30, 9, 0)
    assert due.utcoffset() == dt.timedelta(0) and due.hour == 7  # stored in UTC


def test_is_open() -> None:
    assert EIGHT_BY_FIVE.is_open(berlin(2026, 11, 23, 8, 0))
    assert not EIGHT_BY_FIVE.is_open(berlin(2026, 11, 23, 17, 0))  # the end is exclusive
    assert not EIGHT_BY_FIVE.is_open(berlin(2026, 11, 22, 12, 0))  # Sunday
    assert not EIGHT_BY_FIVE_BAVARIA.is_open(berlin(2026, 12, 25, 12, 0))
    assert ALWAYS_BERLIN.is_open(berlin(2026, 12, 25, 3, 0))


def test_split_shifts_and_windows_to_midnight() -> None:
    split = CoverageCalendar(
        "America/New_York",
        (WorkingWindow.of(0, "08:00", "12:00"), WorkingWindow.of(0, "13:00", "24:00")),
    )
    monday = dt.datetime(2026, 11, 23, 11, 0, tzinfo=NEW_YORK)

    assert split.add(monday, 2 * H) == dt.datetime(2026, 11, 23, 14, 0, tzinfo=NEW_YORK)
    assert split.add(monday, 13 * H) == dt.datetime(2026, 11, 30, 9, 0, tzinfo=NEW_YORK)


def test_invalid_calendars_are_refused() -> None:
    with pytest.raises(ValueError, match="overlapping"):
        CoverageCalendar("UTC", (WorkingWindow.of(0, "08:00", "12:00"), WorkingWindow.of(0, "11:00", "14:00")))
    with pytest.raises(ValueError):
        WorkingWindow.of(0, "17:00", "08:00")
    with pytest.raises(Exception):  # noqa: B017 - zoneinfo raises its own error type
        CoverageCalendar.weekdays("Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="aware"):
        EIGHT_BY_FIVE.add(dt.datetime(2026, 1, 1), H)


def test_a_calendar_without_working_time_fails_instead_of_looping() -> None:
    never = CoverageCalendar("UTC", ())

    with pytest.raises(ValueError, match="no working time"):
        never.add(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), H)


# -- properties ---------------------------------------------------------------------------
CALENDARS = st.sampled_from(
    [
        EIGHT_BY_FIVE,
        EIGHT_BY_FIVE_BAVARIA,
        ALWAYS_BERLIN,
        CoverageCalendar.weekdays("America/New_York", "07:00", "19:00", days=(0, 1, 2, 3, 4, 5)),
    ]
)
INSTANTS = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2028, 12, 31), timezones=st.just(dt.UTC)
).map(lambda t: t.replace(microsecond=0))
DURATIONS = st.integers(min_value=0, max_value=200 * 60).map(lambda minutes: dt.timedelta(minutes=minutes))


@settings(max_examples=300)
@given(calendar=CALENDARS, start=INSTANTS, duration=DURATIONS)
def test_elapsed_undoes_add(calendar: CoverageCalendar, start: dt.datetime, duration: dt.timedelta) -> None:
    assert calendar.elapsed(start, calendar.add(start, duration)) == duration


@settings(max_examples=300)
@given(calendar=CALENDARS, start=INSTANTS, first=DURATIONS, second=DURATIONS)
def test_adding_in_two_steps_equals_adding_once(
    calendar: CoverageCalendar, start: dt.datetime, first: dt.timedelta, second: dt.timedelta
) -> None:
    assert calendar.add(calendar.add(start, first), second) == calendar.add(start, first + second)


@settings(max_examples=200)
@given(calendar=CALENDARS, start=INSTANTS, duration=DURATIONS.filter(bool))
def test_a_due_time_is_inside_coverage_or_at_the_end_of_a_window(
    calendar: CoverageCalendar, start: dt.datetime, duration: dt.timedelta
) -> None:
    due = calendar.add(start, duration)
    just_before = due - dt.timedelta(seconds=1)

    assert due >= start
    assert calendar.is_open(just_before)


@settings(max_examples=200)
@given(start=INSTANTS, duration=DURATIONS)
def test_24x7_is_plain_elapsed_time(start: dt.datetime, duration: dt.timedelta) -> None:
    assert ALWAYS_BERLIN.add(start, duration) == start + duration
