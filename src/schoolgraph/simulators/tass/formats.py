"""Date and time renderings of both TASS faces (tass.md §A.5, §B, §C.5, §C.7, §D.3, §E.4 #5).

TASS times carry no offset: every instant is rendered in school-local time.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = [
    "cf_datetime",
    "cf_timestamp",
    "dmy",
    "dmy_hm",
    "dmy_hms",
    "iso_date",
    "iso_local",
    "local",
    "parse_legacy_date",
]


def local(moment: datetime, zone: ZoneInfo) -> datetime:
    """A UTC instant as naive school-local time."""
    return moment.astimezone(zone).replace(tzinfo=None)


def iso_local(moment: datetime, zone: ZoneInfo) -> str:
    """2026 date-time: `2026-02-11T10:45:12.557`, no offset (§D.3; [3P] `%Y-%m-%dT%H:%M:%S.%f`
    with 3 fraction digits)."""
    return local(moment, zone).isoformat(timespec="milliseconds")


def iso_date(day: date | None) -> str | None:
    """2026 date field (`dob`, `doe`, `dol`): a .NET DateTime at midnight, `2026-01-27T00:00:00`."""
    return None if day is None else f"{day.isoformat()}T00:00:00"


def dmy(day: date | None) -> str:
    """Legacy `dd/mm/yyyy`; empty string for no date (e.g. `date_of_leaving`, §B.1.1)."""
    return "" if day is None else day.strftime("%d/%m/%Y")


def dmy_hms(moment: datetime, zone: ZoneInfo) -> str:
    """Legacy `last_update_on`: `25/03/2021 04:37:50 PM` (§B.1.1)."""
    return local(moment, zone).strftime("%d/%m/%Y %I:%M:%S %p")


def dmy_hm(moment: datetime, zone: ZoneInfo) -> str:
    """Key Generation screen: date `DD/MM/YYYY`, time 12-hour `HH:MM AM/PM` (§C.5)."""
    return local(moment, zone).strftime("%d/%m/%Y %I:%M %p")


def cf_timestamp(moment: datetime, zone: ZoneInfo) -> str:
    """ColdFusion timestamp literal of the legacy token echo: `{ts '2021-01-21 12:20:23'}`."""
    return "{ts '" + local(moment, zone).strftime("%Y-%m-%d %H:%M:%S") + "'}"


def cf_datetime(value: date | datetime) -> str:
    """Legacy `YYYY-MM-DD HH:MM:SS.0` (§B.1.3, §B.4, §B.6; times use the 1900-01-01 date)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") + ".0"
    return f"{value.isoformat()} 00:00:00.0"


def parse_legacy_date(text: str) -> date:
    """A legacy date parameter: `dd/mm/yyyy` (documented) or `yyyy-mm-dd` (a TASS maintainer's
    example, tass.md §B.0); both are accepted.

    Raises:
        ValueError: neither format.
    """
    text = text.strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a dd/mm/yyyy or yyyy-mm-dd date.")
