"""The canonical bytes of a wire row, which local row hashes are taken of.

TASS sends no row hash at all and some Xporter tables none (`tass/snapshot.py`,
`xporter/changesets.py`), so the clients hash each row's canonical JSON: keys sorted, no
whitespace, UTF-8. The hashes live only in the in-memory cache, compared within one process
across refreshes, so the bytes need to be stable there, not equal to any other encoder's.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["canonical"]

_STDLIB = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(row: Any) -> bytes:
    """The canonical JSON of ``row``.

    orjson writes what a JSON reader produces. A row it refuses, which only the stdlib
    reader's leniency lets in (an integer beyond 64 bits, a lone surrogate escape) or a
    caller's own (keys that are not strings), is written by the stdlib encoder, which raises
    ``TypeError`` or ``ValueError`` on what it cannot write either. orjson writes NaN and
    Infinity, which only the lenient reader lets in, as null.
    """
    try:
        return orjson.dumps(row, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return _STDLIB.encode(row).encode("utf-8", "surrogatepass")
