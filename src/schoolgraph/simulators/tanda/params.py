"""Reading query parameters and JSON bodies the way tanda.md §3.4, §3.8 and §3.9 describe them.

Dates are `YYYY-MM-DD`, times are unix seconds, lists are comma-separated, pagination is the
opt-in `page`/`page_size` pair (max 100). A value that cannot be read is a 400 in the
documented error shape, naming the parameter and the bad value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from aiohttp import web

from .errors import TandaError

T = TypeVar("T")

MAX_PAGE_SIZE = 100  # tanda.md §3.8: "Maximum 100 per page" on every paginated endpoint
DEFAULT_PAGE_SIZE = 50  # tanda.md §3.8: doc-silent; every example uses 50


def _bad(name: str, value: object, expected: str) -> TandaError:
    return TandaError(400, f"The {name} parameter must be {expected}, got {value!r}.")


def query_text(request: web.Request, name: str) -> str | None:
    """A non-empty query string value, or None."""
    value = request.query.get(name)
    return value if value not in (None, "") else None


def query_flag(request: web.Request, name: str) -> bool:
    """A boolean flag; absent means false (every documented flag defaults to false)."""
    value = request.query.get(name)
    if value is None or value == "":
        return False
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise _bad(name, value, "true or false")


def query_int(request: web.Request, name: str) -> int | None:
    """A whole number, or None when absent."""
    value = query_text(request, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise _bad(name, value, "a whole number") from None


def parse_date(name: str, value: object) -> date:
    """A `YYYY-MM-DD` date (tanda.md §3.4: "must use YYYY-MM-DD format for all dates")."""
    if not isinstance(value, str):
        raise _bad(name, value, "a YYYY-MM-DD date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(name, value, "a YYYY-MM-DD date") from None


def query_date(request: web.Request, name: str) -> date | None:
    """A `YYYY-MM-DD` query value, or None when absent."""
    value = query_text(request, name)
    return None if value is None else parse_date(name, value)


def query_ids(request: web.Request, name: str) -> list[int] | None:
    """A comma-separated id list (tanda.md §3.9), or None when absent."""
    value = query_text(request, name)
    if value is None:
        return None
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise _bad(name, value, "a comma-separated list of whole numbers") from None


def query_updated_after(request: web.Request) -> datetime | None:
    """`updated_after` (unix seconds, tanda.md §3.5) as an aware datetime."""
    value = query_int(request, "updated_after")
    return None if value is None else _unix("updated_after", value)


LAST_UNIX = 32_503_680_000
"""The first second of the year 3000: later unix times are refused (the doc gives no range;
the simulator must answer a 400, not fail computing the roster week of year 9999)."""


def _unix(name: str, seconds: int) -> datetime:
    if not 0 <= seconds < LAST_UNIX:
        raise _bad(name, seconds, "a unix time between 1970 and 3000")
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class Page:
    number: int
    size: int


def query_page(request: web.Request) -> Page | None:
    """Opt-in pagination (tanda.md §3.8): None when neither `page` nor `page_size` is given.

    `page_size` above 100 is clamped to 100 (the digest's recommendation); `page` starts at 1.
    """
    number = query_int(request, "page")
    size = query_int(request, "page_size")
    if number is None and size is None:
        return None
    if number is not None and number < 1:
        raise _bad("page", number, "1 or more")
    if size is not None and size < 1:
        raise _bad("page_size", size, "1 or more")
    return Page(number or 1, min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))


def paginate(items: Sequence[T], page: Page | None) -> Sequence[T]:
    """The page's slice of `items` (all of them when not paging)."""
    if page is None:
        return items
    start = (page.number - 1) * page.size
    return items[start : start + page.size]


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body (tanda.md §1: JSON everywhere but the token endpoint)."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise TandaError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise TandaError(400, "The request body must be a JSON object.")
    return body


def body_int(body: dict[str, Any], name: str) -> int | None:
    """An integer field (numeric strings accepted, as `"location_id": "111"` in §4.7)."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise _bad(name, value, "a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise _bad(name, value, "a whole number")


def body_number(body: dict[str, Any], name: str) -> float | None:
    """A numeric field."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _bad(name, value, "a number")
    try:
        return float(value)
    except ValueError:
        raise _bad(name, value, "a number") from None


def body_unix(body: dict[str, Any], name: str, *, to_minute: bool = False) -> datetime | None:
    """A unix time; `to_minute` rounds to the nearest minute (tanda.md §3.4: shift times)."""
    seconds = body_int(body, name)
    if seconds is None:
        return None
    if to_minute:
        seconds = (seconds + 30) // 60 * 60
    return _unix(name, seconds)


def body_date(body: dict[str, Any], name: str) -> date | None:
    """A `YYYY-MM-DD` field."""
    value = body.get(name)
    return None if value is None else parse_date(name, value)


def body_text(body: dict[str, Any], name: str) -> str | None:
    """A string field."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(name, value, "a string")
    return value


def body_ids(body: dict[str, Any], name: str) -> list[int]:
    """A list of ids; null means an empty list (tanda.md §4.2.6: "you should pass null")."""
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(name, value, "a list of ids")
    out: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise _bad(name, value, "a list of ids")
        try:
            out.append(int(item))
        except ValueError:
            raise _bad(name, value, "a list of ids") from None
    return out


def body_bool(body: dict[str, Any], name: str) -> bool | None:
    """A boolean field."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _bad(name, value, "true or false")
    return value


def nullable_field(value: object) -> Any:
    """A value that may be null where the contract allows null but `dataset.py` types the
    field as required (reported to the lead); every renderer treats such fields as optional.
    """
    return value
