"""The answer cache: whole encoded GraphQL answers, kept while what they were built from holds.

A warm school dashboard resolves some 47,000 fields; graphql-core's executor costs 3 to 6 µs
a field, so executing it again is far slower than reading it. The gateway keeps the encoded
JSON body of a query's answer, keyed by

* the operation: a SHA-256 of the document and the operation name,
* its variables (canonical JSON),
* the caller's authorization: account, admin flag, schools and every grant (an account whose
  grants or schools change is a different key; anonymous is one key),

and serves it again only while every upstream-cache entry the answer read
(:mod:`schoolgraph.cache.reads`) still holds the very value it read and is fresh: a write
that evicts or expires an entry, a TTL that runs out, a revalidation that found new content
each make the answers built on it miss. Everything between the upstream cache and the answer
(the Directory's memos, the identity merge, the loaders' indexes) is a function of those
entries and of the day, so an answer also ends at the next quarter hour of wall time (every
time zone's midnight falls on one), when "today" may have changed.

Never kept: answers with errors, answers built on a stale entry, on an upstream call the
upstream cache did not make, or on the account store; mutations and subscriptions; explain
requests. Bounded by bytes, least recently used first.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from aiohttp import web
from cachetools import LRUCache

from schoolgraph.accounts.models import Caller
from schoolgraph.cache.reads import Read, ReadSet

__all__ = ["ANSWERS", "AnswerCache", "AnswerKey", "AnswerStats"]

QUARTER_HOUR = 900.0
_READ_OVERHEAD = 200  # bytes a remembered dependency costs, roughly
_ANSWER_OVERHEAD = 400


class AnswerKey(NamedTuple):
    document: bytes
    operation: str | None
    variables: str
    caller: Hashable


@dataclass(frozen=True, slots=True)
class Answer:
    body: bytes
    reads: tuple[Read, ...]
    valid_until: float  # wall clock
    operation: str | None = None
    """The operation type it answered (``query``), for the audit record of a kept answer."""
    root_fields: tuple[str, ...] = ()
    """The root field coordinates it selected (``Query.students``), for the same."""

    @property
    def size(self) -> int:
        return len(self.body) + _READ_OVERHEAD * len(self.reads) + _ANSWER_OVERHEAD


@dataclass(slots=True)
class AnswerStats:
    hits: int = 0
    misses: int = 0
    invalidations: int = 0
    """Kept answers found no longer valid (an entry changed or went stale, the day moved)."""
    stored: int = 0
    refused: int = 0
    """Answers that could not be kept: built on a stale or uncached read, or already out of
    date when execution ended."""

    def as_json(self) -> dict[str, int]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "invalidations": self.invalidations,
            "stored": self.stored,
            "refused": self.refused,
        }


def caller_fingerprint(caller: Caller) -> Hashable:
    """Everything about the caller an answer may depend on."""
    grants = None if caller.grants is None else frozenset(caller.grants.items())
    return (caller.account, caller.name, caller.admin, caller.schools, grants)


class AnswerCache:
    """Encoded answers by operation, variables and caller, valid while their reads hold.

    Args:
        max_bytes: Byte budget (answer bodies plus a little per dependency).
        wall: Wall-clock seconds, for the quarter-hour bound on an answer's life.
    """

    def __init__(self, *, max_bytes: int, wall: Callable[[], float] = time.time) -> None:
        self.stats = AnswerStats()
        self._wall = wall
        self._answers: LRUCache[AnswerKey, Answer] = LRUCache(
            maxsize=max_bytes, getsizeof=lambda answer: answer.size
        )

    def __len__(self) -> int:
        return len(self._answers)

    @property
    def held_bytes(self) -> int:
        return int(self._answers.currsize)

    @staticmethod
    def key(
        document: object,
        operation_name: object,
        variables: object,
        caller: Caller,
    ) -> AnswerKey | None:
        """The key of a request; None when it is not well formed (GraphQL refuses it later) or
        its variables cannot be put in canonical form."""
        if not isinstance(document, str) or not isinstance(operation_name, str | None):
            return None
        if variables is not None and not isinstance(variables, Mapping):
            return None
        try:
            encoded = json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))
            digest = hashlib.sha256(document.encode()).digest()
        except (TypeError, ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
            return None
        return AnswerKey(digest, operation_name, encoded, caller_fingerprint(caller))

    def get(self, key: AnswerKey) -> Answer | None:
        """The kept answer for `key`, when every read it was built from still holds."""
        answer = self._answers.get(key)
        if answer is None:
            self.stats.misses += 1
            return None
        if answer.valid_until <= self._wall() or not all(r.still_holds() for r in answer.reads):
            self._answers.pop(key, None)
            self.stats.invalidations += 1
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        return answer

    def put(
        self,
        key: AnswerKey,
        body: bytes,
        reads: ReadSet,
        *,
        operation: str | None = None,
        root_fields: tuple[str, ...] = (),
    ) -> bool:
        """Keep `body` if what it was built from still holds; return whether it was kept.

        ``operation`` and ``root_fields`` describe the operation, so that a request served the
        kept answer is audited under the same endpoint as the one that computed it.
        """
        kept = tuple(reads)
        if reads.tainted is not None or not all(r.still_holds() for r in kept):
            self.stats.refused += 1
            return False
        now = self._wall()
        # A copy of exactly its length: orjson hands back its bytes in the 4 KB buffer it
        # wrote them into, so a 40-byte answer kept as it came held 4 KB, a hundred times
        # what the budget counts (a soak of small answers reached five times the budget).
        exact = memoryview(body).tobytes()
        answer = Answer(
            exact, kept, (now // QUARTER_HOUR + 1) * QUARTER_HOUR, operation, root_fields
        )
        if answer.size > self._answers.maxsize:
            self.stats.refused += 1
            return False
        self._answers[key] = answer
        self.stats.stored += 1
        return True

    def clear(self) -> None:
        self._answers.clear()


ANSWERS = web.AppKey("answers", AnswerCache)
"""The app's answer cache, when ``SCHOOLGRAPH_ANSWER_CACHE`` is on."""
