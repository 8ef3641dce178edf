"""Persisted queries: Apollo's automatic persisted queries (APQ), and an allow-list mode.

The APQ protocol, as Apollo Client's persisted-query link and Apollo Server speak it: a
request's ``extensions.persistedQuery`` is ``{"version": 1, "sha256Hash": "<hex>"}``.

- hash without ``query``: the query registered under the hash runs; an unknown hash answers
  HTTP 200 with the error ``PersistedQueryNotFound`` (code ``PERSISTED_QUERY_NOT_FOUND``)
  and ``Cache-Control: private, no-cache, must-revalidate``, and the client sends the hash
  again with the query;
- hash with ``query``: the hash must be the SHA-256 of the query (else HTTP 400,
  ``PERSISTED_QUERY_HASH_MISMATCH``); the query runs and, once it has parsed, validated
  and passed the limits, is registered under the hash;
- APQ switched off: HTTP 200 with ``PersistedQueryNotSupported``
  (``PERSISTED_QUERY_NOT_SUPPORTED``), and the client falls back to sending queries;
- a version other than 1, or a hash that is not 64 hex digits: HTTP 400, ``BAD_REQUEST``.

The two messages above are the protocol's fixed strings, not sentences: older clients
match on the message rather than the code.

Registered queries live in a byte-bounded LRU cache, per process: a restart or an eviction
costs a client one extra round trip, never an error.

**Allow-list mode** (``SCHOOLGRAPH_ALLOW_LIST_FILE``): only the operations of the file run.
A request may name one by id (``extensions.persistedQuery.sha256Hash``) or send its exact
text; anything else is refused with HTTP 403, ``OPERATION_NOT_ALLOWED``. An unknown id
answers ``PERSISTED_QUERY_NOT_FOUND`` like APQ, so an APQ client then sends the text, which
is checked. Nothing is registered at run time. The file is JSON, either an Apollo persisted
query manifest (``{"format": "apollo-persisted-query-manifest", "version": 1,
"operations": [{"id", "body", "name", "type"}, ...]}``) or an object mapping ids to query
texts (Relay's ``persisted-queries.json``). Only ids of 64 hex digits (SHA-256, as Apollo's
manifests use) can be named through ``persistedQuery``; any entry can be sent as its text.

Federation in allow-list mode: the query for the subgraph's SDL runs unlisted, so that a
router or ``rover`` can compose the gateway; it is recognised by its parsed shape, one query
operation (any name, no variables or directives) selecting ``_service { sdl }`` and nothing
else, as ``@apollo/gateway``'s ``IntrospectAndCompose`` sends it (``query
__ApolloGetServiceDefinition__ { _service { sdl } }``) and ``rover subgraph introspect``
(``query SubgraphIntrospectQuery`` with a comment inside). It reads nothing but the schema,
which the gateway serves this way in open mode too, to any caller the authentication lets in
(the permissions leave ``_service`` free).
A router's ``_entities`` fetches are *not* exempt: each is built from a client's operation,
so none can be listed in advance, and an exemption would run any selection reachable from a
keyed type (every school's students, from a School id anyone can write), which is what the
list is there to prevent. They run only when their exact text is listed; otherwise the
safelist belongs at the router, with this gateway in open mode behind it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from graphql import (
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)

from schoolgraph.errors import BadRequestError, ConfigError, ForbiddenError

__all__ = [
    "NOT_FOUND_HEADERS",
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSISTED_QUERY_NOT_SUPPORTED",
    "AllowList",
    "HashMismatchError",
    "OperationNotAllowedError",
    "PersistedQueries",
    "PersistedQueryAnswer",
    "is_service_sdl_query",
    "load_allow_list",
    "sha256_hex",
]

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"

NOT_FOUND_HEADERS: Mapping[str, str] = {"Cache-Control": "private, no-cache, must-revalidate"}
"""Headers of a not-found (or not-supported) answer: the retry must not meet a cached copy."""

_MESSAGES = {
    PERSISTED_QUERY_NOT_FOUND: "PersistedQueryNotFound",
    PERSISTED_QUERY_NOT_SUPPORTED: "PersistedQueryNotSupported",
}
_HASH = re.compile(r"[0-9a-f]{64}")
_MANIFEST_FORMAT = "apollo-persisted-query-manifest"
_SDL_QUERY_MAX_CHARACTERS = 4096
"""Longer texts are not parsed to see whether they are the SDL query (rover's is 97)."""
_SDL_QUERY_MAX_TOKENS = 32


class HashMismatchError(BadRequestError):
    """The query sent with a persisted-query hash is not the query the hash is of."""

    code = "PERSISTED_QUERY_HASH_MISMATCH"


class OperationNotAllowedError(ForbiddenError):
    """Allow-list mode: the operation is not one of the registered operations."""

    code = "OPERATION_NOT_ALLOWED"


def sha256_hex(query: str) -> str:
    """The APQ hash of ``query``: the SHA-256 of its UTF-8 bytes, as lower-case hex."""
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()


def is_service_sdl_query(query: str) -> bool:
    """Whether ``query`` is federation's query for the subgraph's SDL and nothing else: one
    query operation, named or not, without variables or directives, selecting ``_service``
    and under it ``sdl``, neither aliased nor with arguments or directives. Whitespace,
    commas and comments are the sender's (see the module docstring)."""
    if "_service" not in query or len(query) > _SDL_QUERY_MAX_CHARACTERS:
        return False
    try:
        document = parse(query, no_location=True, max_tokens=_SDL_QUERY_MAX_TOKENS)
    except GraphQLError:
        return False
    if len(document.definitions) != 1:
        return False
    operation = document.definitions[0]
    if (
        not isinstance(operation, OperationDefinitionNode)
        or operation.operation is not OperationType.QUERY
        or operation.variable_definitions
        or operation.directives
    ):
        return False
    service = _only_field(operation.selection_set, "_service", leaf=False)
    return service is not None and _only_field(service.selection_set, "sdl", leaf=True) is not None


def _only_field(selections: SelectionSetNode | None, name: str, *, leaf: bool) -> FieldNode | None:
    """The field ``name`` when it is all ``selections`` holds, plainly: no alias, arguments
    or directives, and a selection set exactly when it is not a ``leaf``; else None."""
    if selections is None or len(selections.selections) != 1:
        return None
    field = selections.selections[0]
    if (
        not isinstance(field, FieldNode)
        or field.name.value != name
        or field.alias is not None
        or field.arguments
        or field.directives
        or (field.selection_set is None) != leaf
    ):
        return None
    return field


@dataclass(frozen=True, slots=True)
class AllowList:
    """The only operations allow-list mode runs: id -> query text, and the texts' hashes."""

    by_id: Mapping[str, str]
    hashes: frozenset[str]

    @classmethod
    def of(cls, by_id: Mapping[str, str]) -> AllowList:
        # Hex ids are matched as the requests' hashes are: in lower case.
        ids = {(i.lower() if _HASH.fullmatch(i.lower()) else i): q for i, q in by_id.items()}
        return cls(ids, frozenset(sha256_hex(query) for query in by_id.values()))

    def __len__(self) -> int:
        return len(self.by_id)


def load_allow_list(path: Path, *, key: str = "SCHOOLGRAPH_ALLOW_LIST_FILE") -> AllowList:
    """Read an allow-list file (see the module docstring).

    Raises:
        ConfigError: naming ``key`` when the file cannot be read or is not one of the formats.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"{key} names {str(path)!r}, which cannot be read: {exc.strerror or exc}."
        ) from None
    except ValueError:
        raise ConfigError(f"{key} names {str(path)!r}, which is not UTF-8 JSON.") from None
    if isinstance(data, dict) and data.get("format") == _MANIFEST_FORMAT:
        operations = data.get("operations")
        if data.get("version") != 1 or not isinstance(operations, list):
            raise ConfigError(
                f"{key} names an Apollo persisted query manifest that is not version 1 with "
                "a list of operations."
            )
        entries = [
            (op.get("id"), op.get("body")) if isinstance(op, dict) else (None, None)
            for op in operations
        ]
    elif isinstance(data, dict):
        entries = list(data.items())
    else:
        entries = [(None, None)]
    for number, (op_id, body) in enumerate(entries, start=1):
        if not isinstance(op_id, str) or not op_id or not isinstance(body, str) or not body:
            raise ConfigError(
                f"{key}: entry {number} of {str(path)!r} is not an id and a query text; the "
                "file must be an Apollo persisted query manifest or an object of id to query."
            )
    if not entries:
        raise ConfigError(f"{key} names {str(path)!r}, which lists no operations.")
    return AllowList.of(dict(entries))  # type: ignore[arg-type]  # checked above


@dataclass(frozen=True, slots=True)
class PersistedQueryAnswer:
    """What a persisted-query request resolved to.

    Either ``query`` (the text to run; ``register`` is the hash to register it under once it
    has passed validation), or ``code`` (a not-found or not-supported answer to send).
    """

    query: str | None = None
    register: str | None = None
    code: str | None = None

    @property
    def message(self) -> str:
        return _MESSAGES[self.code or PERSISTED_QUERY_NOT_FOUND]


class PersistedQueries:
    """The APQ registry of one app, or its allow list.

    Args:
        enabled: Whether APQ is accepted (ignored in allow-list mode, which always is).
        max_bytes: Budget of the registry: the UTF-8 size of the queries it keeps.
        allow_list: Allow-list mode's operations; None for open mode.
    """

    def __init__(
        self, *, enabled: bool = True, max_bytes: int = 16_777_216, allow_list: AllowList | None
    ) -> None:
        self.enabled = enabled or allow_list is not None
        self.allow_list = allow_list
        self._registry: LRUCache[str, str] = LRUCache(maxsize=max_bytes, getsizeof=_size)

    def __len__(self) -> int:
        return len(self._registry)

    def resolve(
        self, query: str | None, extensions: Mapping[str, Any] | None
    ) -> PersistedQueryAnswer:
        """The query a request runs, from its ``query`` and ``extensions``.

        Raises:
            BadRequestError: a malformed ``persistedQuery``, or a query over a GET without one.
            HashMismatchError: ``query`` is not the query of the hash sent with it.
            OperationNotAllowedError: allow-list mode, and the query is not on the list.
        """
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if query is not None and self.allow_list is not None:
                self._check_allowed(sha256_hex(query), query)
            return PersistedQueryAnswer(query=query)
        if not self.enabled:
            return PersistedQueryAnswer(code=PERSISTED_QUERY_NOT_SUPPORTED)
        digest = _hash_of(persisted)
        if query is None:
            known = self._lookup(digest)
            if known is None:
                return PersistedQueryAnswer(code=PERSISTED_QUERY_NOT_FOUND)
            return PersistedQueryAnswer(query=known)
        actual = sha256_hex(query)
        if actual != digest:
            raise HashMismatchError(
                f"The persistedQuery sha256Hash {digest} is not the SHA-256 of the query sent "
                f"with it ({actual})."
            )
        if self.allow_list is not None:
            self._check_allowed(digest, query)
            return PersistedQueryAnswer(query=query)
        return PersistedQueryAnswer(
            query=query, register=None if digest in self._registry else digest
        )

    def register(self, digest: str, query: str) -> None:
        """Keep ``query`` under ``digest`` (APQ mode; the caller checked they match)."""
        if self.allow_list is None and _size(query) <= self._registry.maxsize:
            self._registry[digest] = query

    def _lookup(self, digest: str) -> str | None:
        if self.allow_list is not None:
            return self.allow_list.by_id.get(digest)
        return self._registry.get(digest)

    def _check_allowed(self, digest: str, query: str) -> None:
        """Raises `OperationNotAllowedError` unless ``query`` (whose hash is ``digest``) may
        run: any query in open mode; in allow-list mode, a listed one or the SDL query."""
        if (
            self.allow_list is None
            or digest in self.allow_list.hashes
            or is_service_sdl_query(query)
        ):
            return
        message = "This gateway runs only registered operations, and this is not one of them."
        if "_entities" in query:
            message += (
                " A federation router's _entities fetches are not exempt: list their exact "
                "text, or keep the safelist at the router and this gateway in open mode."
            )
        raise OperationNotAllowedError(message)


def _size(query: str) -> int:
    return len(query.encode("utf-8", "surrogatepass"))


def _hash_of(persisted: object) -> str:
    if not isinstance(persisted, dict):
        raise BadRequestError("extensions.persistedQuery must be an object.")
    version = persisted.get("version")
    if version != 1 or isinstance(version, bool):
        raise BadRequestError(
            f"Unsupported persisted query version {version!r}; this gateway speaks version 1."
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _HASH.fullmatch(digest.lower()):
        raise BadRequestError("extensions.persistedQuery.sha256Hash must be 64 hex digits.")
    return digest.lower()
