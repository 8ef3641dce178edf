"""The one error shape Tanda documents, and the JSON encoding every response uses.

tanda.md §3.7: "The only error body shape in the entire doc is `{"error": "<message>"}`".
Bodies are compact, key order as built (documented field order), UTF-8, so the same world
always gives the same bytes and therefore the same ETag (§3.2).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aiohttp import web


class TandaError(Exception):
    """A request the simulated API refuses; rendered as `{"error": message}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def not_found(thing: str) -> TandaError:
    """404 in the wording tanda.md §3.7 recommends ("No known user with that id!")."""
    return TandaError(404, f"No known {thing} with that id!")


def encode(payload: Any) -> bytes:
    """Deterministic compact JSON."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def etag_of(body: bytes) -> str:
    """SHA-1 of the body, quoted as RFC 9110 wants (tanda.md §3.2 recommendation)."""
    return f'"{hashlib.sha1(body, usedforsecurity=False).hexdigest()}"'


def json_response(payload: Any, status: int = 200) -> web.Response:
    """A JSON response with the deterministic encoding."""
    return web.Response(body=encode(payload), status=status, content_type="application/json")


def error_response(status: int, message: str) -> web.Response:
    """`{"error": message}` with `status`, carrying its own ETag (used for injected faults too)."""
    body = encode({"error": message})
    response = web.Response(body=body, status=status, content_type="application/json")
    response.headers["ETag"] = etag_of(body)
    return response
