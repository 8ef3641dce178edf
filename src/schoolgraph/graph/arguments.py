"""Checking a field's arguments: page sizes, date windows, and the error that names the argument.

Every check raises :class:`BadUserInputError` (``BAD_USER_INPUT``) with ``extensions.field``
naming the argument or input field at fault, so a client can point at the box to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, TypeAlias

import strawberry

from schoolgraph.errors import SchoolgraphError

__all__ = [
    "AFTER",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "MAX_WINDOW_DAYS",
    "PAGE_SIZE",
    "BadUserInputError",
    "DateWindow",
    "From",
    "To",
    "date_window",
    "page_size",
]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_WINDOW_DAYS = 93
"""The longest date range one field reads: a school term, give or take."""


From: TypeAlias = Annotated[
    date, strawberry.argument(name="from", description="The first day, inclusive.")
]
"""A ``from: Date!`` argument (``from`` is a Python keyword; declare the parameter ``from_``)."""
To: TypeAlias = Annotated[date, strawberry.argument(description="The last day, inclusive.")]


PAGE_SIZE = f"How many rows to return: {DEFAULT_PAGE_SIZE} unless given, at most {MAX_PAGE_SIZE}."
AFTER = "Return the rows after this cursor (a `pageInfo.endCursor`)."

First: TypeAlias = Annotated[int | None, strawberry.argument(description=PAGE_SIZE)]
"""A connection's ``first`` argument; give it the default :data:`DEFAULT_PAGE_SIZE`."""
After: TypeAlias = Annotated[str | None, strawberry.argument(description=AFTER)]


class BadUserInputError(SchoolgraphError):
    """An argument or input field of a GraphQL operation has a value we cannot use.

    Args:
        message: A full sentence naming the bad value.
        field: The argument or input field at fault (``"first"``, ``"input.finish"``).
    """

    code = "BAD_USER_INPUT"
    http_status = 400

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field

    def to_extensions(self) -> dict[str, object]:
        return {**super().to_extensions(), "field": self.field}


@dataclass(frozen=True, slots=True)
class DateWindow:
    """An inclusive range of calendar days."""

    start: date
    end: date

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def date_window(
    start: date,
    end: date,
    *,
    start_field: str = "from",
    end_field: str = "to",
    max_days: int | None = MAX_WINDOW_DAYS,
) -> DateWindow:
    """The window from ``start`` to ``end`` inclusive, checked; ``max_days`` None: any length
    (a filter on what arrives, such as a subscription's, reads nothing for its days).

    Raises:
        BadUserInputError: ``end`` is before ``start``, or the window is longer than
            ``max_days`` days; the error names ``end_field``.
    """
    if end < start:
        raise BadUserInputError(
            f"Argument '{end_field}' ({end.isoformat()}) is before "
            f"'{start_field}' ({start.isoformat()}).",
            field=end_field,
        )
    span = (end - start).days + 1
    if max_days is not None and span > max_days:
        raise BadUserInputError(
            f"The range from {start.isoformat()} to {end.isoformat()} spans {span} days; "
            f"ask for at most {max_days} days at a time.",
            field=end_field,
        )
    return DateWindow(start, end)


def page_size(first: int | None, *, field: str = "first") -> int:
    """How many rows a connection page holds: ``first``, or the default when None.

    Raises:
        BadUserInputError: ``first`` is negative or above :data:`MAX_PAGE_SIZE`.
    """
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0:
        raise BadUserInputError(f"Argument '{field}' must be 0 or more, got {first}.", field=field)
    if first > MAX_PAGE_SIZE:
        raise BadUserInputError(
            f"Argument '{field}' must be at most {MAX_PAGE_SIZE}, got {first}; "
            "page through larger lists with 'after'.",
            field=field,
        )
    return first
