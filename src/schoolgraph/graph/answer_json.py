"""Encoding GraphQL answers as JSON, with orjson.

An answer of 5,000 students is about a megabyte of JSON: the standard library's encoder
spends tens of milliseconds on it (profiled on the bench's big list), orjson a few. orjson
refuses what the standard encoder would write differently or not at all (a non-string key,
an integer beyond 64 bits); graphql-core's output coercion never produces those, but if one
ever arrives the standard encoder writes it, as before, rather than the answer failing.
"""

from __future__ import annotations

import json

import orjson

__all__ = ["answer_bytes", "answer_text"]


def answer_bytes(data: object) -> bytes:
    """``data`` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(data)
    except orjson.JSONEncodeError:
        return json.dumps(data, separators=(",", ":")).encode()


def answer_text(data: object) -> str:
    """``data`` as compact JSON text (WebSocket messages are text frames)."""
    return answer_bytes(data).decode()
