"""OData `$filter` for the 2026 face (tass.md §D.3 "Paging": [3P] syntax, [DESIGN] operators).

Grammar: comparisons `field op value` with `eq ne gt ge lt le`, joined by `and`/`or`, negated
by `not`, grouped by parentheses; functions `contains`, `startswith`, `endswith` on strings.
Values: `null`, `true`, `false`, numbers, `'quoted strings'` (`''` escapes a quote), dates
(`2026-02-20`) and date-times (`2026-02-01T00:00:00`, optional fraction and offset).

Semantics (our reading): record date/date-time fields are ISO-8601 strings without offset in
school-local time (§D.3); a date or date-time literal compares chronologically against them, a
date meaning its midnight, and a literal with an offset is first converted to school time.
`null` equals only a missing value; any other comparison with `null` is false (so
`dol ge 2026-02-20 or dol eq null` means "not left yet", as the [3P] client relies on). A
number against a string field compares the number's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["Filter", "FilterError", "parse_filter"]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<dt>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})?)?)
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<str>'(?:[^']|'')*')
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_OPS = ("eq", "ne", "gt", "ge", "lt", "le")
_FUNCS = ("contains", "startswith", "endswith")
_MISSING = object()


class FilterError(ValueError):
    """A `$filter` that does not parse, or names an unknown property."""


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    pos: int


Node = tuple[Any, ...]


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise FilterError(f"Syntax error at position {pos} in '{text}'.")
        kind = match.lastgroup or ""
        out.append(_Token(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return out


def _literal(token: _Token) -> Any:
    if token.kind == "str":
        return token.text[1:-1].replace("''", "'")
    if token.kind == "num":
        return float(token.text) if "." in token.text else int(token.text)
    if token.kind == "dt":
        return _parse_datetime(token.text)
    if token.kind == "word" and token.text in ("null", "true", "false"):
        return {"null": None, "true": True, "false": False}[token.text]
    raise FilterError(f"Expected a value at position {token.pos} but found '{token.text}'.")


def _parse_datetime(text: str) -> datetime:
    value = text.replace("Z", "+00:00")
    if "T" not in value:
        return datetime.combine(date.fromisoformat(value), time())
    if "." in value:  # up to 7 fraction digits (.NET); Python takes 6
        head, _, tail = value.partition(".")
        digits = re.match(r"\d+", tail)
        frac = digits.group(0) if digits else ""
        value = f"{head}.{frac[:6].ljust(6, '0')}{tail[len(frac) :]}"
    return datetime.fromisoformat(value)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.fields: set[str] = set()

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise FilterError(f"Unexpected end of the filter '{self.text}'.")
        self.i += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise FilterError(f"Expected '{text}' at position {token.pos} in '{self.text}'.")

    def parse(self) -> Node:
        node = self.or_expr()
        extra = self.peek()
        if extra is not None:
            raise FilterError(f"Syntax error at position {extra.pos} in '{self.text}'.")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while (token := self.peek()) is not None and token.text == "or":
            self.take()
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while (token := self.peek()) is not None and token.text == "and":
            self.take()
            node = ("and", node, self.not_expr())
        return node

    def not_expr(self) -> Node:
        token = self.peek()
        if token is not None and token.text == "not":
            self.take()
            return ("not", self.not_expr())
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        if token.text == "(":
            node = self.or_expr()
            self.expect(")")
            return node
        if token.kind != "word" or token.text in ("and", "or", "not", "null", "true", "false"):
            raise FilterError(f"Syntax error at position {token.pos} in '{self.text}'.")
        if token.text in _FUNCS:
            self.expect("(")
            name = self.take()
            if name.kind != "word":
                raise FilterError(f"Expected a property at position {name.pos}.")
            self.expect(",")
            value = self.take()
            if value.kind != "str":
                raise FilterError(f"{token.text} expects a quoted string at position {value.pos}.")
            self.expect(")")
            self.fields.add(name.text)
            return ("func", token.text, name.text, _literal(value))
        op = self.take()
        if op.text not in _OPS:
            raise FilterError(
                f"Expected one of {', '.join(_OPS)} at position {op.pos} in '{self.text}'."
            )
        self.fields.add(token.text)
        return ("cmp", op.text, token.text, _literal(self.take()))


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed `$filter`: the properties it names and a predicate over wire records."""

    fields: frozenset[str]
    tree: Node

    def matcher(self, zone: ZoneInfo) -> Callable[[Mapping[str, Any]], bool]:
        tree = self.tree

        def match(record: Mapping[str, Any]) -> bool:
            return bool(_evaluate(tree, record, zone))

        return match


def parse_filter(text: str) -> Filter:
    """Parse a `$filter` expression.

    Raises:
        FilterError: the expression is not valid.
    """
    parser = _Parser(text)
    tree = parser.parse()
    return Filter(frozenset(parser.fields), tree)


def _evaluate(node: Node, record: Mapping[str, Any], zone: ZoneInfo) -> bool:
    kind = node[0]
    if kind == "or":
        return _evaluate(node[1], record, zone) or _evaluate(node[2], record, zone)
    if kind == "and":
        return _evaluate(node[1], record, zone) and _evaluate(node[2], record, zone)
    if kind == "not":
        return not _evaluate(node[1], record, zone)
    if kind == "func":
        _, func, name, needle = node
        value = record.get(name)
        if not isinstance(value, str):
            return False
        if func == "contains":
            return needle in value
        if func == "startswith":
            return value.startswith(needle)
        return value.endswith(needle)
    _, op, name, literal = node
    return _compare(op, record.get(name, _MISSING), literal, zone)


def _compare(op: str, value: Any, literal: Any, zone: ZoneInfo) -> bool:
    if value is _MISSING:
        value = None
    if literal is None or value is None:
        if op == "eq":
            return value is literal
        if op == "ne":
            return value is not literal
        return False
    left, right = value, literal
    if isinstance(literal, datetime):
        if not isinstance(value, str):
            return False
        try:
            left = _parse_datetime(value)
        except ValueError:
            return False
        if right.tzinfo is not None:
            right = right.astimezone(zone).replace(tzinfo=None)
        if left.tzinfo is not None:
            left = left.astimezone(zone).replace(tzinfo=None)
    elif isinstance(literal, bool) or isinstance(value, bool):
        if not (isinstance(literal, bool) and isinstance(value, bool)):
            return False
    elif isinstance(literal, (int, float)) and isinstance(value, str):
        right = str(literal)
    elif isinstance(literal, str) and not isinstance(value, str):
        return False
    try:
        if op == "eq":
            return bool(left == right)
        if op == "ne":
            return bool(left != right)
        if op == "gt":
            return bool(left > right)
        if op == "ge":
            return bool(left >= right)
        if op == "lt":
            return bool(left < right)
        return bool(left <= right)
    except TypeError:
        return False
