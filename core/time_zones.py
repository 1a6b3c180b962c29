"""IANA time zone names as users may give them for sites, engineers and calendars."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from core.errors import Invalid

# Present in the tz database but not places: a site or an engineer is never "in" them.
_NOT_PLACES = frozenset({"localtime", "Factory"})


@cache
def known_time_zones() -> frozenset[str]:
    # available_timezones() walks the tz database on disk; once per process is enough.
    return frozenset(available_timezones()) - _NOT_PLACES


def checked_zone(name: str, field: str = "time_zone") -> ZoneInfo:
    """The zone for an exact IANA name (e.g. Europe/Berlin); 422 invalid_time_zone otherwise."""
    if name not in known_time_zones():
        raise Invalid("invalid_time_zone", f"{name!r} is not an IANA time zone such as 'Europe/Berlin'", field=field)
    return ZoneInfo(name)
