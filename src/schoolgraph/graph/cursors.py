"""Connection cursors: sealed, so a client can neither read nor forge them.

A cursor holds the sort key of the row it points at (a casefolded surname and forename, a
date, ...) and the kind of list it came from. Written in the clear, a page of students read
only for their ids would hand an account without read on ``surname`` every name, and a
made-up ``after`` would let it find names by bisection. So the key is encrypted and
authenticated with AES-GCM-SIV under a key only the gateway holds, the list's kind as
associated data: a cursor from another kind of list, or altered, or made up, does not open
and is refused. The nonce is fixed: GCM-SIV stays secure under a repeated nonce and only
shows that two cursors are equal, which keeps cursors (and so answers) deterministic.

The key is the process's: random at start-up, or derived from ``SCHOOLGRAPH_CURSOR_SECRET``
so that every replica behind a load balancer, and the next process after a restart, opens
the others' cursors.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV

__all__ = ["SortKey", "open_cursor", "seal_cursor", "use_cursor_secret"]

SortKey = tuple[str, ...]
"""How rows of a connection are ordered; the row's id comes last, so keys are unique."""

_NONCE = bytes(12)
_VERSION = b"\x01"  # the first byte of every cursor, for a later format to tell itself apart
_JSON = json.JSONEncoder(separators=(",", ":"))


class _Keys:
    """The process's cursor cipher, replaced by :func:`use_cursor_secret`."""

    cipher = AESGCMSIV(os.urandom(32))


def use_cursor_secret(secret: str | None) -> None:
    """Seal cursors under a key derived from ``secret`` (None: a new random key). Cursors
    sealed before are refused afterwards."""
    key = os.urandom(32) if secret is None else hashlib.sha256(secret.encode()).digest()
    _Keys.cipher = AESGCMSIV(key)


def seal_cursor(kind: str, key: SortKey) -> str:
    """The cursor of the row whose sort key is ``key`` in a list of ``kind`` (``Student``)."""
    sealed = _Keys.cipher.encrypt(_NONCE, _JSON.encode(key).encode(), kind.encode())
    return base64.urlsafe_b64encode(_VERSION + sealed).decode("ascii").rstrip("=")


def open_cursor(kind: str, cursor: str) -> SortKey | None:
    """The sort key ``cursor`` holds, or None when it is not a cursor of a ``kind`` list
    sealed by this gateway's key."""
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii"))
        if raw[:1] != _VERSION:
            return None
        value = json.loads(_Keys.cipher.decrypt(_NONCE, raw[1:], kind.encode()))
    except (binascii.Error, UnicodeError, ValueError, InvalidTag):
        return None
    if not isinstance(value, list) or not all(isinstance(part, str) for part in value):
        return None
    return tuple(value)
