"""Checking weekly hours as people type them: [{weekday, "HH:MM", "HH:MM"}, ...].

Sites' opening hours and coverage calendars' working windows share the rules: weekday 0–6,
times HH:MM with 24:00 allowed as an end, end after start, no overlap on one weekday. Each
mistake names its entry (`opening_hours[1].closes`), so the caller passes its own field names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import NoReturn

from core.errors import Invalid

_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True, slots=True)
class WeeklyFields:
    """How the caller names the list and the two ends of an entry, and its error code."""

    list_name: str
    start: str
    end: str
    code: str


def sorted_entries(entries: Sequence[tuple[int, str, str]], fields: WeeklyFields) -> list[int]:
    """The entries' indexes in weekday and start order, after checking each and their overlaps."""
    spans = [(*_span(entry, index, fields), index) for index, entry in enumerate(entries)]
    spans.sort()
    for previous, current in pairwise(spans):
        if previous[0] == current[0] and current[1] < previous[2]:
            _refuse(
                fields, current[3], fields.start, f"overlaps {fields.list_name}[{previous[3]}] on weekday {current[0]}"
            )
    return [index for *_, index in spans]


def _span(entry: tuple[int, str, str], index: int, fields: WeeklyFields) -> tuple[int, int, int]:
    weekday, start_text, end_text = entry
    if not 0 <= weekday <= 6:
        _refuse(fields, index, "weekday", "must be 0 (Monday) to 6 (Sunday)")
    start = _minutes(start_text, index, fields.start, fields, allow_midnight_end=False)
    end = _minutes(end_text, index, fields.end, fields, allow_midnight_end=True)
    if end <= start:
        _refuse(fields, index, fields.end, f"{end_text} must be after {fields.start} {start_text}")
    return weekday, start, end


def _minutes(value: str, index: int, part: str, fields: WeeklyFields, *, allow_midnight_end: bool) -> int:
    if allow_midnight_end and value == "24:00":
        return 24 * 60
    match = _CLOCK.match(value)
    if match is None:
        _refuse(fields, index, part, f"{value!r} is not a time HH:MM" + (" (or 24:00)" if allow_midnight_end else ""))
    return int(match.group(1)) * 60 + int(match.group(2))


def _refuse(fields: WeeklyFields, index: int, part: str, problem: str) -> NoReturn:
    field = f"{fields.list_name}[{index}].{part}"
    raise Invalid(fields.code, f"{field}: {problem}", field=field)
