"""Opaque global ids: unpadded base64url of ``"<TypeName>:<domain id>"``.

A domain id (``"xporter:7109606:150001"``) is unique within its type; prefixing the GraphQL
type name makes the global id unique across the whole graph, as Relay's ``node(id:)`` needs.
Clients must treat the value as opaque; it is stable for as long as the domain id is.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from schoolgraph.domain.refs import split_id
from schoolgraph.graph.arguments import BadUserInputError

__all__ = [
    "decode_global_id",
    "decode_id_of",
    "decode_ids_of",
    "encode_global_id",
    "parse_global_id",
]


def encode_global_id(type_name: str, domain_id: str) -> str:
    """The global id of the ``type_name`` entity whose domain id is ``domain_id``."""
    raw = f"{type_name}:{domain_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def parse_global_id(global_id: str) -> tuple[str, str] | None:
    """The ``(type name, domain id)`` a global id stands for; None for one this gateway did
    not issue.

    The domain id must have a domain id's shape (:func:`~schoolgraph.domain.refs.split_id`):
    an upstream, a tenant and, for anything but a School, a native id. Base64 of
    ``"Student:x"`` is refused here as any other id the gateway did not issue is, rather
    than read as a student of a school named ``x``.
    """
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    type_name, _, domain_id = raw.partition(":")
    parts = split_id(domain_id)
    if (
        not type_name
        or parts is None
        or (type_name == "School") == bool(parts[2])
        or encode_global_id(type_name, domain_id) != global_id
    ):
        return None
    return type_name, domain_id


def decode_global_id(global_id: str, *, field: str = "id") -> tuple[str, str]:
    """The ``(type name, domain id)`` a global id stands for (see :func:`parse_global_id`).

    Raises:
        BadUserInputError: ``global_id`` is not one this gateway issued; names ``field``.
    """
    parsed = parse_global_id(global_id)
    if parsed is None:
        raise BadUserInputError(
            f"Argument '{field}' ({global_id!r}) is not a schoolgraph id.", field=field
        )
    return parsed


def decode_id_of(type_name: str, global_id: str, *, field: str = "id") -> str:
    """The domain id of a global id that must name a ``type_name``.

    Raises:
        BadUserInputError: ``global_id`` is malformed or names another type; names ``field``.
    """
    actual, domain_id = decode_global_id(global_id, field=field)
    if actual != type_name:
        raise BadUserInputError(
            f"Argument '{field}' is the id of a {actual}, not of a {type_name}.", field=field
        )
    return domain_id


def decode_ids_of(
    type_name: str, global_ids: Sequence[str], *, field: str, limit: int
) -> list[str]:
    """The domain ids of a list argument of ``type_name`` ids, at most ``limit`` of them.

    Raises:
        BadUserInputError: an id is malformed or of another type, or there are too many;
            names ``field``.
    """
    if len(global_ids) > limit:
        raise BadUserInputError(
            f"Argument '{field}' holds {len(global_ids)} ids; at most {limit} are allowed.",
            field=field,
        )
    return [decode_id_of(type_name, global_id, field=field) for global_id in global_ids]
