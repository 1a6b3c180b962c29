"""Dates, times, numbers and money as the viewer's locale writes them, times in a given zone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time, get_datetime_format, get_timezone_name
from babel.numbers import format_currency, format_decimal


def local_datetime(value: dt.datetime, zone: str, locale: str, fmt: str = "minutes") -> str:
    """`fmt` "minutes" (the pages' default): the medium date and the time to the minute, joined as
    the locale joins them ("Mar 2, 2026, 10:00 AM", "2026年3月2日 10:00"); people plan in minutes,
    seconds are noise. Babel's own "short", "medium", "long", "full" otherwise."""
    if fmt != "minutes":
        return format_datetime(value, fmt, tzinfo=ZoneInfo(zone), locale=locale)
    local = value.astimezone(ZoneInfo(zone))
    pattern = str(get_datetime_format("medium", locale=locale))
    return pattern.replace("{1}", format_date(local, "medium", locale=locale)).replace(
        "{0}", format_time(local, "short", locale=locale)
    )


def local_time(value: dt.datetime, zone: str, locale: str, fmt: str = "short") -> str:
    return format_time(value, fmt, tzinfo=ZoneInfo(zone), locale=locale)


def local_date(value: dt.date | dt.datetime, locale: str, fmt: str = "medium", zone: str | None = None) -> str:
    if isinstance(value, dt.datetime) and zone is not None:
        value = value.astimezone(ZoneInfo(zone))
    return format_date(value, fmt, locale=locale)


def zone_name(zone: str, locale: str) -> str:
    """A zone as people read it ("Central European Time"), for showing it beside a time."""
    return get_timezone_name(ZoneInfo(zone), "long", locale=locale)


def number(value: int | float | Decimal, locale: str) -> str:
    return format_decimal(value, locale=locale)


def money(value: Decimal, currency: str, locale: str) -> str:
    return format_currency(value, currency, locale=locale)
