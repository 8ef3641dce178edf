"""Redacting what the audit log keeps of a request: query parameters and GraphQL variables.

A key is redacted when one of its words (split at ``_``, ``-``, ``.`` and camelCase humps)
names a credential: ``secret``, ``password``, ``passphrase``, ``token``, ``key``,
``authorization``... so ``accessToken``, ``client_secret`` and ``apiKey`` go, while
``sha256Hash`` and ``persistedQuery`` (APQ) and ``keyword`` stay. ``link`` is redacted too:
a key-share link id opens a key (``GET /keys?link=``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "REDACTED",
    "TOO_DEEP",
    "UNREADABLE",
    "is_secret_key",
    "redact",
    "redacted_json",
    "redacted_query",
]

REDACTED = "[REDACTED]"
TOO_DEEP = "[NESTED TOO DEEP]"
UNREADABLE = "[UNREADABLE JSON]"
MAX_DEPTH = 32

_SECRET_WORDS = frozenset(
    {
        "authorization",
        "apikey",
        "cookie",
        "credential",
        "credentials",
        "key",
        "link",
        "passphrase",
        "passwd",
        "password",
        "pwd",
        "secret",
        "signature",
        "token",
    }
)
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_MAX_TEXT = 16_384
"""Longest text kept of the query parameters or variables (a query document may be large)."""


def is_secret_key(key: str) -> bool:
    """Whether a parameter or variable named ``key`` holds a credential."""
    return _secret_word_in(key) if len(key) <= _REMEMBERED_KEY else _has_secret_word(key)


_REMEMBERED_KEY = 64
"""Keys up to this long are answered from a bounded memo (a client's key may be long)."""


def _has_secret_word(key: str) -> bool:
    return any(word.lower() in _SECRET_WORDS for word in _WORDS.findall(key))


_secret_word_in = lru_cache(maxsize=4096)(_has_secret_word)
"""`_has_secret_word`, remembered: a request's variables repeat the same few keys
(`_entities` sends 500 representations, each an `id` and a `__typename`), and splitting a
key into its words takes a regular expression each time. Redacting those 500 took 2.1 ms a
request, 0.9 with the memo and the plain values passed by."""


_PLAIN = (str, int, float, bool, type(None))
"""Types of decoded JSON that hold nothing to redact."""


def redact(value: Any, depth: int = 0) -> Any:
    """``value`` (decoded JSON) with the value of every secret-named key replaced, and
    whatever is nested deeper than :data:`MAX_DEPTH` replaced by :data:`TOO_DEEP` (a hostile
    body may nest thousands deep)."""
    if type(value) in _PLAIN:  # most values: no abstract-class checks for them
        return value
    if isinstance(value, Mapping | list | tuple) and depth >= MAX_DEPTH:
        return TOO_DEEP
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if is_secret_key(str(key)) else redact(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item, depth + 1) for item in value]
    return value


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"


def redacted_json(value: Any) -> str | None:
    """Redacted compact JSON of ``value``; None for None or an empty mapping."""
    if value is None or (isinstance(value, Mapping) and not value):
        return None
    return _clip(
        json.dumps(redact(value), separators=(",", ":"), default=_not_json, sort_keys=True)
    )


def _not_json(value: object) -> str:
    """What stands for a value JSON cannot hold: its type, never its contents (a repr may
    carry a request's context, and its cost grows with what it reaches)."""
    return f"<{type(value).__name__}>"


def redacted_query(pairs: Iterable[tuple[str, str]]) -> str | None:
    """A query string's pairs as ``key=value&...`` with secret values replaced; None if none.

    Values are kept as sent (decoded), not re-encoded: the log is for reading. A value that
    is JSON (GraphQL ``variables`` over GET) is redacted inside.
    """
    parts = [f"{key}={_parameter(key, value)}" for key, value in pairs]
    return _clip("&".join(parts)) if parts else None


def _parameter(key: str, value: str) -> str:
    if is_secret_key(key):
        return REDACTED
    if value.startswith(("{", "[")):
        # GET /graphql carries ``variables`` and ``extensions`` as JSON in the query string.
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            # Not readable as JSON, so not redactable key by key: kept out entirely.
            return UNREADABLE
        return json.dumps(redact(decoded), separators=(",", ":"), sort_keys=True)
    return value
