"""Local wall-clock renderings of instants, for the ``localStart``-style fields."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["local_iso", "today_in"]


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_iso(instant: datetime | None, zone: str | None) -> str | None:
    """``instant`` as ISO-8601 local time with its offset in ``zone``
    (``2026-03-02T19:30:00+11:00``); None when either is unknown."""
    if instant is None or zone is None:
        return None
    tz = _zone(zone)
    return None if tz is None else instant.astimezone(tz).isoformat()


def today_in(zone: str | None) -> date:
    """Today's date in ``zone`` (UTC when it is unknown)."""
    tz = _zone(zone) if zone is not None else None
    return datetime.now(tz or UTC).date()
