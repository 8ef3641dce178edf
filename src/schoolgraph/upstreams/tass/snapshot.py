"""Cached TASS lists: row hashes computed locally, incremental refresh by `update_on`.

TASS sends no ETag, row hash or change token, so the client makes its own:

* Every row is hashed once parsed: SHA-1 of its model as msgspec writes it (`model_bytes`).
  A row whose hash is unchanged since the last read keeps its parsed model object, so
  unchanged rows keep their identity (`is`) across refreshes, full or incremental. The model,
  not the wire row: a change to a field the gateway does not keep (a 2026 student has 43,
  its model 23) changes nothing it serves, so it neither rebuilds the row nor counts as a
  change for live updates; and msgspec writes a model in C, where the wire row had to be
  written with its keys sorted (parsing and hashing a page of 1,000 students: 8.6 to 7.7 ms).
* Rows carrying `update_on` give a watermark: the newest update seen. A refresh asks only for
  rows updated at or after it (2026: `$filter=update_on ge <school-local time>`; legacy:
  `update_on_from=<date>`), replaces those rows by key and appends new ones; when nothing
  changed, the cached snapshot, its tuple and every model stay as they were.
* A full read is hashed and parsed page by page as the pages arrive (`hash_rows`), and the
  snapshot assembled from the pages once the last is in (`assemble`); `full` does both at once.
* Deletions cannot be seen that way: a row that disappears is not "updated". So a snapshot
  older than `full_refresh_every` is refreshed by a full read, which drops vanished rows (and
  re-reads everything else, keeping identities by hash). Leavers are not deletions: TASS keeps
  them with a leaving date, which moves `update_on`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

import msgspec

from ..canonical import canonical

__all__ = [
    "HashedRows",
    "Snapshot",
    "assemble",
    "full",
    "hash_rows",
    "merge",
    "model_bytes",
]

M = TypeVar("M")
ReadKind = Literal["full", "incremental"]


_MODELS = msgspec.json.Encoder()


def model_bytes(model: Any, raw: Any) -> bytes:
    """What a row's hash is taken of: its model as msgspec writes it (structs, dataclasses,
    dates and times, fields in their declared order: stable within the process, which is
    where hashes are compared), or the canonical wire row for a model msgspec cannot write."""
    try:
        return _MODELS.encode(model)
    except (TypeError, ValueError):
        return canonical(raw)


@dataclass(frozen=True, slots=True)
class Snapshot(Generic[M]):
    """One cached list of one company.

    Attributes:
        rows: the models, in the upstream's order (new rows of incremental reads appended).
        index: key -> model.
        hashes: key -> row hash (`model_bytes`).
        watermark: the newest `updated_at` seen; None when the rows carry none (e.g. a field
            permission hides `update_on`), which means every refresh is a full read.
        full_read_at: the client clock's time of the last full read.
        context: a fingerprint of the lookups rows were parsed with (campus, house names); a
            refresh under another context is a full read.
        size: bytes the rows' hashes were taken of (for the cache's byte budget).
        last_read: what the last refresh was, and `last_rows` how many rows it received.
    """

    rows: tuple[M, ...]
    index: Mapping[Hashable, M]
    hashes: Mapping[Hashable, str]
    watermark: datetime | None
    full_read_at: float
    context: str = ""
    size: int = 0
    last_read: ReadKind = "full"
    last_rows: int = 0


@dataclass(frozen=True, slots=True)
class HashedRows(Generic[M]):
    """Wire rows parsed and hashed, in their order: `(key, row hash, model)` each, and the
    bytes their hashes were taken of (`size`, for the cache's byte budget)."""

    rows: list[tuple[Hashable, str, M]]
    size: int


def hash_rows(
    raws: Iterable[Any], *, parse: Callable[[Any], M], key: Callable[[M], Hashable]
) -> HashedRows[M]:
    """Parse and hash wire rows (e.g. one page of a list): pure, so it may run on a thread.
    The hash is SHA-1 of `model_bytes`: a change detector, not a security measure."""
    out: list[tuple[Hashable, str, M]] = []
    size = 0
    for raw in raws:
        model = parse(raw)
        body = model_bytes(model, raw)
        size += len(body)
        out.append((key(model), hashlib.sha1(body, usedforsecurity=False).hexdigest(), model))
    return HashedRows(out, size)


def _newest(current: datetime | None, models: Iterable[Any]) -> datetime | None:
    for model in models:
        stamp = getattr(model, "updated_at", None)
        if isinstance(stamp, datetime) and (current is None or stamp > current):
            current = stamp
    return current


def full(
    raws: Iterable[Any],
    *,
    parse: Callable[[Any], M],
    key: Callable[[M], Hashable],
    previous: Snapshot[M] | None,
    now: float,
    context: str = "",
) -> Snapshot[M]:
    """A snapshot of a complete read, reusing `previous` models whose row hash is unchanged.

    If nothing at all changed (same keys, order and hashes), `previous` is returned with only
    its read time moved, so even the `rows` tuple keeps its identity.
    """
    return assemble(
        [hash_rows(raws, parse=parse, key=key)], previous=previous, now=now, context=context
    )


def assemble(
    pages: Iterable[HashedRows[M]],
    *,
    previous: Snapshot[M] | None,
    now: float,
    context: str = "",
) -> Snapshot[M]:
    """The snapshot of a complete read from its pages, each parsed under `context` (as `full`).

    Models are reused from `previous` only when it was parsed under the same context.
    """
    reuse = previous is not None and previous.context == context
    index: dict[Hashable, M] = {}
    hashes: dict[Hashable, str] = {}
    size = received = 0
    for page in pages:
        size += page.size
        received += len(page.rows)
        for row_key, digest, model in page.rows:
            if reuse and previous is not None and previous.hashes.get(row_key) == digest:
                model = previous.index[row_key]
            # A key read twice (rows shifted between pages) keeps its first place, latest
            # value.
            index[row_key] = model
            hashes[row_key] = digest
    watermark = _newest(None, index.values())
    if reuse and previous is not None and list(hashes.items()) == list(previous.hashes.items()):
        return replace(
            previous,
            full_read_at=now,
            watermark=watermark,
            last_read="full",
            last_rows=received,
        )
    return Snapshot(
        rows=tuple(index.values()),
        index=index,
        hashes=hashes,
        watermark=watermark,
        full_read_at=now,
        context=context,
        size=size,
        last_read="full",
        last_rows=received,
    )


def merge(
    previous: Snapshot[M],
    raws: Iterable[Any],
    *,
    parse: Callable[[Any], M],
    key: Callable[[M], Hashable],
) -> Snapshot[M] | None:
    """`previous` with the rows of an incremental read applied; None when nothing changed.

    Changed rows replace the row with the same key in place; new keys are appended. Rows whose
    hash is unchanged (e.g. the row holding the watermark, which `ge` returns again) keep their
    model object.
    """
    hashed = hash_rows(raws, parse=parse, key=key)
    changed = [
        (row_key, digest, model)
        for row_key, digest, model in hashed.rows
        if previous.hashes.get(row_key) != digest
    ]
    if not changed:
        return None
    index = dict(previous.index)
    hashes = dict(previous.hashes)
    for row_key, digest, model in changed:
        index[row_key] = model
        hashes[row_key] = digest
    return Snapshot(
        rows=tuple(index.values()),
        index=index,
        hashes=hashes,
        watermark=_newest(previous.watermark, (m for _, _, m in changed)),
        full_read_at=previous.full_read_at,
        context=previous.context,
        size=previous.size + hashed.size,
        last_read="incremental",
        last_rows=len(hashed.rows),
    )
