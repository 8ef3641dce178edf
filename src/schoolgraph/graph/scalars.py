"""The ``Date`` and ``DateTime`` scalars, stricter than strawberry's defaults.

``DateTime`` is an instant: ISO-8601 with a UTC offset on the way in (a value without one is
refused, since it could be any of 38 time zones), and always UTC (``+00:00``) on the way out.
Local wall-clock times are separate string fields (``localStart``) named for what they are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from graphql import GraphQLError, ValueNode, value_from_ast_untyped
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

__all__ = [
    "SCALAR_OVERRIDES",
    "DateDefinition",
    "DateTimeDefinition",
    "parse_date",
    "utc_text",
]


def _serialize_date(value: object) -> str:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"Date cannot represent {type(value).__name__} values.")
    return value.isoformat()


def parse_date(value: object) -> date:
    """A ``Date`` input value as the schema reads it (an ISO-8601 calendar date string)."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise StrawberryInputCoercionError(
        f"Date values are ISO-8601 calendar dates such as 2026-03-02, got {value!r}."
    )


_DATETIMES: dict[datetime, str] = {}
_DATETIMES_KEPT = 16_384
"""Instants already written, by instant (about 2 MB when full, then emptied). A week's roster
writes 17,000 (each shift's start, finish, publication and update) of a few thousand
distinct times, and sorts its 4,392 shifts by start: a lookup is 25 ns where converting to
UTC and writing is 830. Equal instants in different zones are one key, and write the same
UTC text."""


def utc_text(value: datetime) -> str:
    """An aware instant as ``DateTime`` writes it: ISO-8601 in UTC, remembered. Text of
    instants sorts as the instants do (the same offset throughout), so a sort key may use it.
    """
    found = _DATETIMES.get(value)
    if found is None:
        if len(_DATETIMES) >= _DATETIMES_KEPT:
            _DATETIMES.clear()
        found = _DATETIMES[value] = value.astimezone(UTC).isoformat()
    return found


def _serialize_datetime(value: object) -> str:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise TypeError("DateTime can only represent time-zone-aware datetimes.")
    return utc_text(value)


def _parse_datetime(value: object) -> datetime:
    parsed: datetime | None = None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise StrawberryInputCoercionError(
            "DateTime values are ISO-8601 with a UTC offset, such as "
            f"2026-03-02T08:30:00+00:00 or 2026-03-02T19:30:00+11:00, got {value!r}."
        )
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # within a day of year 1 or 9999, UTC falls outside the calendar
        raise StrawberryInputCoercionError(
            f"DateTime values must fall between the years 1 and 9999 in UTC, got {value!r}."
        ) from None


T = TypeVar("T")


def _literal(parse: Callable[[object], T]) -> Callable[..., T]:
    """``parse`` for a value written in the document: its error points at the value (the
    validation error carries its line and column), which graphql-core leaves out when a
    scalar's own parse error has no node."""

    def parse_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> T:
        try:
            return parse(value_from_ast_untyped(node, variables))
        except GraphQLError as error:
            raise GraphQLError(error.message, node) from None

    return parse_literal


DateDefinition = ScalarDefinition(
    name="Date",
    description="A calendar day, ISO-8601 (`2026-03-02`).",
    specified_by_url=None,
    serialize=_serialize_date,
    parse_value=parse_date,
    parse_literal=_literal(parse_date),
    origin=date,
)

DateTimeDefinition = ScalarDefinition(
    name="DateTime",
    description=(
        "An instant, ISO-8601 with a UTC offset. Answers are always in UTC "
        "(`2026-03-02T08:30:00+00:00`); inputs may use any offset but must have one."
    ),
    specified_by_url=None,
    serialize=_serialize_datetime,
    parse_value=_parse_datetime,
    parse_literal=_literal(_parse_datetime),
    origin=datetime,
)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {
    date: DateDefinition,
    datetime: DateTimeDefinition,
}
"""Pass as the schema's ``scalar_overrides``."""
