"""How the dashboard shows times and figures (the seed's formats; every time in UTC)."""

from __future__ import annotations

import datetime

__all__ = ["count", "kilobytes", "milliseconds", "plural", "timestamp"]


def timestamp(value: datetime.datetime | None) -> str:
    """The seed's Request Date/Time: ``YYYY-MM-DD HH:MM:SS``, in UTC; a dash for never."""
    if value is None:
        return "-"
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def milliseconds(value: float) -> str:
    return f"{value:,.1f}"


def kilobytes(value: float) -> str:
    return f"{value:,.2f}"


def count(value: int) -> str:
    return f"{value:,}"


def plural(value: int, noun: str) -> str:
    """``1 request``, ``2 requests``."""
    return f"{count(value)} {noun}{'' if value == 1 else 's'}"
