"""Redacting what the audit log keeps of a request: query parameters, GraphQL variables, the
query text and error messages.

A key is redacted when one of its words (split at ``_``, ``-``, ``.`` and camelCase humps)
names a credential: ``secret``, ``password``, ``passphrase``, ``token``, ``key``,
``authorization``... so ``accessToken``, ``client_secret`` and ``apiKey`` go, while
``sha256Hash`` and ``persistedQuery`` (APQ) and ``keyword`` stay. ``link`` is redacted too:
a key-share link id opens a key (``GET /keys?link=``).

A variable's name says nothing of what it feeds (``$p`` may be a passphrase), so the same rule
is applied to the document as well: a variable bound to a secret-named argument or input
field (directly, or inside an input object or list written there) is redacted whatever its
name, and so is a literal written for one in the query text (:class:`DocumentSecrets`).
An error message may echo a value the client sent ("String cannot represent a non string
value: [...]"), so every secret value is taken out of the recorded message too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLSyntaxError,
    ListValueNode,
    Node,
    NullValueNode,
    ObjectValueNode,
    Source,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    visit,
)
from graphql.language import Lexer, Token, TokenKind
from graphql.pyutils import inspect

__all__ = [
    "MAX_DEPTH",
    "REDACTED",
    "TOO_DEEP",
    "UNREADABLE",
    "DocumentSecrets",
    "document_secrets",
    "is_secret_key",
    "redact",
    "redact_message",
    "redact_variables",
    "redacted_document",
    "redacted_json",
    "redacted_query",
    "text_secrets",
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


_JSON_PARAMETERS = frozenset({"variables", "extensions"})
"""The parameters GET /graphql carries as JSON (GraphQL over HTTP), redacted inside."""


def redacted_query(pairs: Iterable[tuple[str, str]]) -> str | None:
    """A query string's pairs as ``key=value&...`` with secret values replaced; None if none.

    Values are kept as sent (decoded), not re-encoded: the log is for reading. Only a
    credential-named parameter is replaced whole. The GraphQL parameters of GET /graphql are
    redacted inside: ``query`` loses the secret literals it writes (:func:`redacted_document`),
    ``variables`` and ``extensions`` are read as JSON and redacted as a body's are (with the
    variables ``query`` binds to secret arguments), or replaced by :data:`UNREADABLE` when
    they are not JSON.
    """
    pairs = list(pairs)
    secrets = DocumentSecrets.union(text_secrets(value) for key, value in pairs if key == "query")
    parts = [f"{key}={_parameter(key, value, secrets)}" for key, value in pairs]
    return _clip("&".join(parts)) if parts else None


def _parameter(key: str, value: str, secrets: DocumentSecrets) -> str:
    if is_secret_key(key):
        return REDACTED
    if key == "query":
        return _splice(value, secrets.spans)
    if key in _JSON_PARAMETERS:
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            # Not readable as JSON, so not redactable key by key: kept out entirely.
            return UNREADABLE
        if key == "variables":
            decoded = redact_variables(decoded, secrets)
        return json.dumps(redact(decoded), separators=(",", ":"), sort_keys=True)
    return value


# -- what a GraphQL document sends to secret arguments ----------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentSecrets:
    """What a GraphQL document sends to secret-named arguments and input fields.

    Attributes:
        variables: The variables bound to one, directly or inside an input object or list.
        spans: Where the literal values written for one are in the document's text, as
            ``(start, end)`` offsets; a document that cannot be read to its end also has the
            unread rest as a span.
        values: Those literal values, as written and as read (for :func:`redact_message`).
    """

    variables: frozenset[str] = frozenset()
    spans: tuple[tuple[int, int], ...] = ()
    values: tuple[str, ...] = ()

    @staticmethod
    def union(parts: Iterable[DocumentSecrets]) -> DocumentSecrets:
        """The secrets of several documents (a query string may repeat ``query``)."""
        parts = list(parts)
        if len(parts) == 1:
            return parts[0]
        return DocumentSecrets(
            frozenset().union(*(part.variables for part in parts)),
            tuple(span for part in parts for span in part.spans),
            tuple(value for part in parts for value in part.values),
        )


class _SecretFinder(Visitor):
    """Collects :class:`DocumentSecrets` from every argument of a document (field and
    directive arguments, in operations and fragments alike)."""

    def __init__(self) -> None:
        super().__init__()
        self.variables: set[str] = set()
        self.literals: list[ValueNode] = []
        self.definitions: list[VariableDefinitionNode] = []

    def enter_variable_definition(self, node: VariableDefinitionNode, *_: object) -> object:
        self.definitions.append(node)
        return self.SKIP

    def enter_argument(self, node: ArgumentNode, *_: object) -> object:
        self.value(node.value, secret=is_secret_key(node.name.value))
        return self.SKIP

    def value(self, node: ValueNode, *, secret: bool, depth: int = 0) -> None:
        if isinstance(node, VariableNode):
            if secret:
                self.variables.add(node.name.value)
        elif secret and depth >= MAX_DEPTH:
            self.literals.append(node)  # a hostile depth: the whole value goes
        elif isinstance(node, ObjectValueNode) and depth < MAX_DEPTH:
            for field in node.fields:
                self.value(
                    field.value, secret=secret or is_secret_key(field.name.value), depth=depth + 1
                )
        elif isinstance(node, ListValueNode) and depth < MAX_DEPTH:
            for item in node.values:
                self.value(item, secret=secret, depth=depth + 1)
        elif secret and not isinstance(node, NullValueNode | ObjectValueNode | ListValueNode):
            self.literals.append(node)


def document_secrets(document: DocumentNode) -> DocumentSecrets:
    """The variables and literals ``document`` sends to secret-named arguments and input
    fields, read off the parsed document (no schema needed: the names are in the document)."""
    finder = _SecretFinder()
    visit(document, finder)
    literals = list(finder.literals)
    for definition in finder.definitions:
        # A default value stands for the variable: secret when the variable is.
        default = definition.default_value
        if default is not None and definition.variable.name.value in finder.variables:
            literals.append(default)
    source = document.loc.source.body if document.loc is not None else None
    spans = [(node.loc.start, node.loc.end) for node in literals if node.loc is not None]
    return DocumentSecrets(
        frozenset(finder.variables),
        tuple(spans),
        tuple(_literal_values(literals, source)),
    )


def _literal_values(literals: Iterable[Node], source: str | None) -> Iterator[str]:
    for node in literals:
        if isinstance(node, StringValueNode):
            yield node.value
        else:
            value = getattr(node, "value", None)
            if isinstance(value, str):
                yield value  # an Int, Float or enum value, as written
        if source is not None and node.loc is not None:
            yield source[node.loc.start : node.loc.end]


def text_secrets(text: str, *, max_tokens: int | None = None) -> DocumentSecrets:
    """:func:`document_secrets` of a query text; for a text that does not parse, what its
    tokens show (:func:`_token_secrets`): a broken query is recorded too.

    ``max_tokens`` (the query limits' token limit) bounds the reading: a text longer than
    that is read up to it, and the rest is taken as secret. Read whole, a 200,000-token
    document held the event loop for seconds before the limits refused it.
    """
    try:
        document = parse(text, max_tokens=max_tokens)
    except (GraphQLSyntaxError, RecursionError):
        return _token_secrets(text, max_tokens)
    return document_secrets(document)


_OPENING = {TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L}
_CLOSING = {TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R}
_LITERALS = {TokenKind.STRING, TokenKind.BLOCK_STRING, TokenKind.INT, TokenKind.FLOAT}


def _token_secrets(text: str, max_tokens: int | None = None) -> DocumentSecrets:
    """What a query that does not parse sends to secret names, read token by token
    (:class:`_TokenScan`); the text after the last token that can be read, or after the
    first ``max_tokens``, is taken as secret, as nothing of it can be told apart."""
    scan = _TokenScan()
    lexer = Lexer(Source(text))
    spans: list[tuple[int, int]] = []
    read = 0
    try:
        while (token := lexer.advance()).kind is not TokenKind.EOF:
            read += 1
            if max_tokens is not None and read > max_tokens:
                spans.append((token.start, len(text)))
                break
            scan.read(token)
    except GraphQLSyntaxError:
        # From the end of the last token read: an unterminated string is reported at its end.
        spans.append((lexer.token.end, len(text)))
    values = [str(token.value) for token in scan.literals]
    values += [text[token.start : token.end] for token in scan.literals]
    spans[:0] = [(token.start, token.end) for token in scan.literals]
    return DocumentSecrets(frozenset(scan.variables), tuple(spans), tuple(values))


class _TokenScan:
    """Reads the tokens of a broken query: the value after ``secretName:`` is secret, and so
    is every literal and variable inside an object or list written there."""

    def __init__(self) -> None:
        self.variables: set[str] = set()
        self.literals: list[Token] = []
        self._open: list[bool] = []  # per open bracket: whether it holds a secret value
        self._last: list[Token] = []  # the three tokens before, oldest first
        self._was_secret = False

    def read(self, token: Token) -> None:
        after_colon = bool(self._last) and self._last[-1].kind is TokenKind.COLON
        secret = self._after_secret_name() or (bool(self._open) and self._open[-1])
        if token.kind in _OPENING:
            self._open.append(secret and token.kind is not TokenKind.PAREN_L)
        elif token.kind in _CLOSING:
            if self._open:
                self._open.pop()
        elif token.kind is TokenKind.NAME and self._after(TokenKind.DOLLAR):
            if self._was_secret:
                self.variables.add(str(token.value))
        elif secret and (token.kind in _LITERALS or (token.kind is TokenKind.NAME and after_colon)):
            self.literals.append(token)
        self._was_secret = secret
        self._last = [*self._last[-2:], token]

    def _after(self, kind: TokenKind) -> bool:
        return bool(self._last) and self._last[-1].kind is kind

    def _after_secret_name(self) -> bool:
        """Whether the last tokens are ``secretName:``; ``$secretName:`` declares a variable."""
        last = self._last
        if len(last) < 2 or last[-1].kind is not TokenKind.COLON:
            return False
        if last[-2].kind is not TokenKind.NAME:
            return False
        if len(last) == 3 and last[-3].kind is TokenKind.DOLLAR:
            return False
        return is_secret_key(str(last[-2].value))


def _splice(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with each span replaced by :data:`REDACTED` (spans may nest or overlap)."""
    parts: list[str] = []
    done = 0
    for start, end in sorted(spans):
        if start >= done:
            parts += [text[done:start], REDACTED]
        done = max(done, end)  # a span inside or across the last one is already replaced
    return "".join(parts) + text[done:]


def redacted_document(text: str) -> str:
    """A query text as sent but for the literal values it writes for secret-named arguments
    and input fields, each replaced by :data:`REDACTED`."""
    return _splice(text, text_secrets(text).spans)


def redact_variables(variables: Any, secrets: DocumentSecrets) -> Any:
    """:func:`redact` of an operation's ``variables``, with the variables the document binds
    to secret arguments (:attr:`DocumentSecrets.variables`) replaced whatever their names."""
    redacted = redact(variables)
    if not secrets.variables or not isinstance(redacted, dict):
        return redacted
    return {
        name: REDACTED if name in secrets.variables else value for name, value in redacted.items()
    }


def redact_message(message: str, variables: Any, secrets: DocumentSecrets) -> str:
    """``message`` with every secret value the request sent replaced by :data:`REDACTED`: the
    values of secret variables and of secret-named keys inside any variable, and the secret
    literals of the document.

    Each value is looked for as sent and in the forms error messages quote it in (Python's
    ``repr`` and graphql-core's ``inspect``, which shortens long strings; JSON and GraphQL's
    string syntax), and only where it stands alone, so that a secret ``7`` leaves ``72``
    alone.
    """
    values = [*_secret_leaves(variables, secrets.variables), *secrets.values]
    forms = sorted({form for value in values for form in _forms(value) if form}, key=len)
    for form in reversed(forms):  # longest first: a shorter form may be part of a longer
        message = re.sub(_standing_alone(form), REDACTED, message)
    return message


def _standing_alone(form: str) -> str:
    before = r"(?<![0-9A-Za-z_])" if _word_char(form[0]) else ""
    after = r"(?![0-9A-Za-z_])" if _word_char(form[-1]) else ""
    return before + re.escape(form) + after


def _word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def _secret_leaves(variables: Any, names: frozenset[str]) -> Iterator[Any]:
    if isinstance(variables, Mapping):
        for name, value in variables.items():
            yield from _leaves(value, secret=str(name) in names or is_secret_key(str(name)))


def _leaves(value: Any, *, secret: bool, depth: int = 0) -> Iterator[Any]:
    """The plain values in ``value`` that are secret: all of them when ``secret``, else those
    under secret-named keys (as :func:`redact` replaces them)."""
    if depth >= MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, secret=secret or is_secret_key(str(key)), depth=depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item, secret=secret, depth=depth + 1)
    elif secret:
        yield value


def _forms(value: Any) -> set[str]:
    """How an error message may quote ``value``."""
    if isinstance(value, bool) or value is None:
        return set()  # true, false and null are no secret, and appear in many messages
    if isinstance(value, int | float):
        return {str(value), repr(value), json.dumps(value)}
    if not isinstance(value, str):
        return set()
    return {
        value,
        repr(value)[1:-1],
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        inspect(value)[1:-1],
    }
