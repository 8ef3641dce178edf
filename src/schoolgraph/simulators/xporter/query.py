"""Query parameters as Xporter reads them: names case-insensitive, switches two ways.

* Parameter names match case-insensitively (xporter.md §2.1 SIM-PROPOSAL: the doc and the
  public clients spell `pageSize`/`pagesize`, `onlyGetDBStatus`/`onlyGetDbStatus`).
* A boolean switch is either its own parameter (`includeStudentMembers=true`, the doc's form)
  or a name in the CSV `options` parameter (`options=includeGroupIds,includeAttStats`, the
  form both EXT clients send); both are accepted (§2.1 SIM-PROPOSAL).
* `select` is a CSV of `Column` or `Column as Alias` items, or `*` (§2.1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from .errors import bad_request

# Parameters that shape the envelope rather than the result set; they never partition
# change sets (xporter.md §6.4: "per school, per endpoint", partitioned by filters/options).
ENVELOPE_PARAMS = frozenset(
    {
        "page",
        "pagesize",
        "changedrows",
        "select",
        "httpstatuscodes",
        "callbackurl",
        "onlygetdbstatus",
        "options",
    }
)

_TRUE = frozenset({"", "true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})

# Default (and largest) number of rows per table in one response (§2.1: "The default maximum
# number of records in a response is 100011").
MAX_PAGE_SIZE = 100_011

_SELECT_ITEM = re.compile(
    r"^\s*(?P<column>[^\s]+)(?:\s+as\s+(?P<alias>[^\s]+))?\s*$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class SelectItem:
    column: str  # as written; matched case-insensitively
    alias: str | None


class Params:
    """One request's query string, read case-insensitively.

    Args:
        query: the request's query mapping (first value of a repeated name wins).
    """

    def __init__(self, query: Mapping[str, str]) -> None:
        self._values: dict[str, str] = {}
        for name, value in query.items():
            self._values.setdefault(name.lower(), value)
        self._options = {
            item.strip().lower()
            for item in self._values.get("options", "").split(",")
            if item.strip()
        }

    def get(self, name: str) -> str | None:
        """The raw value of `name`, or None when absent or blank."""
        value = self._values.get(name.lower())
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def flag(self, name: str) -> bool:
        """A boolean switch, set by `name=true` or by listing `name` in `options`."""
        key = name.lower()
        if key in self._options:
            return True
        value = self._values.get(key)
        if value is None:
            return False
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise bad_request(f"The value '{value}' is not valid for {name}; use true or false.")

    def date(self, name: str) -> date | None:
        """A `yyyy-MM-dd` date (a full ISO date-time is accepted and cut to its date)."""
        value = self.get(name)
        if value is None:
            return None
        try:
            if "T" in value:
                return datetime.fromisoformat(value).date()
            return date.fromisoformat(value)
        except ValueError:
            raise bad_request(
                f"The value '{value}' is not a valid date for {name}; use yyyy-MM-dd."
            ) from None

    def positive_int(self, name: str) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        if not value.isdigit() or int(value) < 1:
            raise bad_request(
                f"The value '{value}' is not valid for {name}; use a whole number >= 1."
            )
        return int(value)

    def select(self) -> list[SelectItem] | None:
        """The parsed `select` list, or None for all columns."""
        value = self.get("select")
        if value is None:
            return None
        items: list[SelectItem] = []
        for part in value.split(","):
            match = _SELECT_ITEM.match(part)
            if match is None:
                raise bad_request(
                    f"The select item '{part.strip()}' is not 'Column' or 'Column as Name'."
                )
            items.append(SelectItem(match["column"], match["alias"]))
        return items

    def partition(self) -> tuple[tuple[str, str], ...]:
        """Every filter and option, normalised, for change-set and cache keys."""
        items = {k: v for k, v in self._values.items() if k not in ENVELOPE_PARAMS}
        for option in self._options:
            items[option] = "true"
        return tuple(sorted(items.items()))
