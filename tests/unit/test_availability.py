"""The weekly pattern made concrete in UTC, minus absences; no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from masterdata.availability import Interval, WeeklyInterval, availability, local_instant, subtract

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC
MONDAY_TO_FRIDAY_8_TO_16 = [WeeklyInterval(day, dt.time(8), dt.time(16)) for day in range(5)]


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_a_winter_week_in_berlin_is_one_hour_ahead_of_utc_and_weekends_are_empty() -> None:
    days = availability(MONDAY_TO_FRIDAY_8_TO_16, [], BERLIN, dt.date(2025, 1, 6), dt.date(2025, 1, 12))

    assert [d.day.weekday() for d in days] == [0, 1, 2, 3, 4, 5, 6]
    assert days[0].intervals == (Interval(at(2025, 1, 6, 7), at(2025, 1, 6, 15)),)
    assert [len(d.intervals) for d in days] == [1, 1, 1, 1, 1, 0, 0]
    assert all(d.working_time == dt.timedelta(hours=8) for d in days[:5])


def test_the_same_wall_clock_shift_moves_an_hour_earlier_in_utc_after_the_spring_change() -> None:
    # Europe/Berlin leaves CET for CEST on Sunday 2024-03-31.
    days = availability(MONDAY_TO_FRIDAY_8_TO_16, [], BERLIN, dt.date(2024, 3, 29), dt.date(2024, 4, 1))

    friday, _, _, monday = days
    assert friday.intervals == (Interval(at(2024, 3, 29, 7), at(2024, 3, 29, 15)),)
    assert monday.intervals == (Interval(at(2024, 4, 1, 6), at(2024, 4, 1, 14)),)


def test_a_night_shift_on_the_spring_change_day_is_an_hour_shorter() -> None:
    sunday_night = [WeeklyInterval(6, dt.time(0), dt.time(6))]

    (day,) = availability(sunday_night, [], BERLIN, dt.date(2024, 3, 31), dt.date(2024, 3, 31))

    assert day.intervals == (Interval(at(2024, 3, 30, 23), at(2024, 3, 31, 4)),)
    assert day.working_time == dt.timedelta(hours=5)


def test_a_night_shift_on_the_autumn_change_day_is_an_hour_longer() -> None:
    sunday_night = [WeeklyInterval(6, dt.time(0), dt.time(6))]

    (day,) = availability(sunday_night, [], BERLIN, dt.date(2024, 10, 27), dt.date(2024, 10, 27))

    assert day.intervals == (Interval(at(2024, 10, 26, 22), at(2024, 10, 27, 5)),)
    assert day.working_time == dt.timedelta(hours=7)


def test_a_wall_time_inside_the_spring_gap_means_the_moment_the_clock_jumps() -> None:
    jump = at(2024, 3, 31, 1)  # 02:00 CET becomes 03:00 CEST

    assert local_instant(dt.date(2024, 3, 31), dt.time(2, 30), BERLIN) == jump
    assert local_instant(dt.date(2024, 3, 31), dt.time(3, 0), BERLIN) == jump
    shift = [WeeklyInterval(6, dt.time(2, 30), dt.time(3, 30))]
    (day,) = availability(shift, [], BERLIN, dt.date(2024, 3, 31), dt.date(2024, 3, 31))
    assert day.intervals == (Interval(jump, at(2024, 3, 31, 1, 30)),)


def test_an_ambiguous_autumn_wall_time_means_its_first_occurrence() -> None:
    assert local_instant(dt.date(2024, 10, 27), dt.time(2, 30), BERLIN) == at(2024, 10, 27, 0, 30)


def test_absences_cut_holes_and_whole_days_out_of_the_pattern() -> None:
    doctor = Interval(at(2025, 1, 6, 9), at(2025, 1, 6, 10, 30))  # 10:00-11:30 Berlin
    holiday = Interval(at(2025, 1, 7, 0), at(2025, 1, 9, 0))  # all of Tuesday, most of Wednesday

    monday, tuesday, wednesday = availability(
        MONDAY_TO_FRIDAY_8_TO_16, [doctor, holiday], BERLIN, dt.date(2025, 1, 6), dt.date(2025, 1, 8)
    )

    assert monday.intervals == (
        Interval(at(2025, 1, 6, 7), at(2025, 1, 6, 9)),
        Interval(at(2025, 1, 6, 10, 30), at(2025, 1, 6, 15)),
    )
    assert monday.working_time == dt.timedelta(hours=6, minutes=30)
    assert tuesday.intervals == ()
    assert wednesday.intervals == ()


def test_split_shifts_come_out_in_time_order() -> None:
    split = [WeeklyInterval(0, dt.time(13), dt.time(17)), WeeklyInterval(0, dt.time(7), dt.time(11))]

    (monday,) = availability(split, [], ZoneInfo("UTC"), dt.date(2025, 1, 6), dt.date(2025, 1, 6))

    assert [i.starts.hour for i in monday.intervals] == [7, 13]


def test_subtract_keeps_what_is_outside_every_hole() -> None:
    day = Interval(at(2025, 1, 6, 8), at(2025, 1, 6, 16))
    holes = [Interval(at(2025, 1, 6, 6), at(2025, 1, 6, 9)), Interval(at(2025, 1, 6, 12), at(2025, 1, 6, 13))]

    assert subtract(day, holes) == [
        Interval(at(2025, 1, 6, 9), at(2025, 1, 6, 12)),
        Interval(at(2025, 1, 6, 13), at(2025, 1, 6, 16)),
    ]
    assert subtract(day, [Interval(at(2025, 1, 6, 0), at(2025, 1, 7, 0))]) == []
    assert subtract(day, [Interval(at(2025, 1, 6, 16), at(2025, 1, 6, 17))]) == [day]
