"""The SLA clock as a pure rule: business time used, pauses in coverage hours, stages."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from core.calendars import CoverageCalendar
from service_mgmt.choices import SlaStage, SlaTarget
from service_mgmt.services.sla_monitor import TargetClock, due_stage, target_clock

BERLIN = ZoneInfo("Europe/Berlin")
EIGHT_TO_FIVE = CoverageCalendar.weekdays("Europe/Berlin")
FRIDAY_1630 = dt.datetime(2026, 11, 20, 16, 30, tzinfo=BERLIN)
MONDAY_1130 = dt.datetime(2026, 11, 23, 11, 30, tzinfo=BERLIN)  # 4 business hours later


def monday(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 23, hour, minute, tzinfo=BERLIN)


def response(
    now: dt.datetime,
    *,
    pauses: list[tuple[dt.datetime, dt.datetime]] | None = None,
    stopped_at: dt.datetime | None = None,
    waiting: bool = False,
) -> TargetClock:
    return target_clock(
        SlaTarget.RESPONSE,
        reported_at=FRIDAY_1630,
        due=MONDAY_1130,
        stopped_at=stopped_at,
        pauses=pauses or [],
        calendar=EIGHT_TO_FIVE,
        now=now,
        waiting=waiting,
    )


def test_the_share_counts_business_time_only() -> None:
    at_half = response(monday(9, 30))  # 30 min on Friday + 90 on Monday of 240

    assert at_half.allowed == dt.timedelta(hours=4)
    assert at_half.share == 0.5 and at_half.effective_due == MONDAY_1130
    assert due_stage(at_half, 0.75) is None
    assert due_stage(response(monday(10, 30)), 0.75) is SlaStage.WARNING
    assert due_stage(response(MONDAY_1130), 0.75) is SlaStage.BREACH


def test_a_pause_over_the_weekend_moves_the_due_time_by_its_coverage_hours_only() -> None:
    # Waiting from Friday 16:35 to Monday 08:30: 25 minutes on Friday, 30 on Monday.
    wait = (dt.datetime(2026, 11, 20, 16, 35, tzinfo=BERLIN), monday(8, 30))

    clock = response(monday(11, 30), pauses=[wait])

    assert clock.paused == dt.timedelta(minutes=55)
    assert clock.effective_due == monday(12, 25)
    assert clock.used == dt.timedelta(minutes=185) and due_stage(clock, 0.75) is SlaStage.WARNING


def test_a_running_wait_stops_the_clock_and_does_not_warn() -> None:
    wait = (monday(9, 0), monday(10, 45))

    clock = response(monday(10, 45), pauses=[wait], waiting=True)

    assert clock.used == dt.timedelta(minutes=90) and clock.effective_due == monday(13, 15)
    assert not clock.running and due_stage(clock, 0.3) is None


def test_a_response_stops_the_response_clock_a_late_one_is_still_a_breach() -> None:
    on_time = response(monday(14, 0), stopped_at=monday(10, 0))
    late = response(monday(14, 0), stopped_at=monday(12, 0))

    assert on_time.share == 0.625 and not on_time.running and due_stage(on_time, 0.5) is None
    assert late.breached and due_stage(late, 0.75) is SlaStage.BREACH
