"""Wall-clock times of a facility turned into instants, across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

UTC = dt.UTC


def at(day: dt.date, time: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant (UTC) the facility's clocks show `time` on `day`. A time skipped when
    clocks go forward is read with the offset before the change, so it lands after the
    gap (02:30 on a spring-forward night becomes 03:30); a time shown twice when clocks
    go back is its first occurrence."""
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(UTC)


def zone_of(facility) -> zoneinfo.ZoneInfo:
    """The facility's time zone, in which its schedules and days are written."""
    return zoneinfo.ZoneInfo(facility.timezone)
