"""A seeded corpus of malformed and hostile requests to the gateway's ``/graphql``.

``hostile_requests(seed, count)`` yields :class:`Hostile` requests drawn from the families in
:data:`FAMILIES`, each a function of a seeded ``random.Random``, so a failure reproduces from
its seed and index. Every request is one the gateway must answer with a 4xx or a GraphQL
response (data, or errors with codes), never a 5xx.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FAMILIES", "Hostile", "hostile_requests"]


@dataclass(frozen=True)
class Hostile:
    """One request: what to send, and the family it came from."""

    family: str
    method: str = "POST"
    body: bytes | None = None
    content_type: str | None = "application/json"
    params: tuple[tuple[str, str], ...] = ()
    raw_query: str | None = None
    """A query string sent as is (percent-escapes included), instead of ``params``."""
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.method == "GET":
            # An API client's GET; a browser's (text/html, or */*) without a query gets GraphiQL.
            self.headers.setdefault("Accept", "application/json")


Family = Callable[[random.Random], Hostile]

VALID_QUERIES = (
    "{ schools { id name } }",
    "{ service { name version mode } }",
    "{ students(first: 3) { totalCount nodes { id surname } } }",
    "{ staff(first: 2) { nodes { displayName groups { name } } } }",
    "{ teams { name } locations { name } }",
    "{ groups(first: 2) { nodes { name studentCount } } }",
    "{ __typename }",
)
INJECTIONS = (
    "' OR '1'='1",
    "1; DROP TABLE students; --",
    '{"$gt": ""}',
    "../../../../etc/passwd",
    "<script>alert(1)</script>",
    "${jndi:ldap://x/a}",
    "%00%0d%0aSet-Cookie: a=b",
    "\u202e\u0000\r\n",
    "*)(uid=*))(|(uid=*",
    "{{7*7}}",
    "\\u0000",
    "😀" * 50,
    "\udcff",
    "a" * 10_000,
)
BAD_DATES = (
    "2026-02-30",
    "0000-00-00",
    "2026-13-01",
    "99999-01-01",
    "",
    "yesterday",
    "2026-03-02T08:00:00",
    "2026-03-02T08:00:00+25:00",
    "-2026-01-01",
    "2026-1-1",
    "1e10",
)


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _post(family: str, payload: Any, **extra: Any) -> Hostile:
    return Hostile(family, body=_json(payload), **extra)


def _word(rng: random.Random, length: int = 8) -> str:
    return "".join(rng.choice(string.ascii_letters) for _ in range(length))


def _junk(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            True,
            rng.randint(-(2**70), 2**70),
            rng.random() * 1e308,
            _word(rng, rng.randint(0, 40)),
            rng.choice(INJECTIONS),
            [],
            {},
            [_word(rng)],
            {"$where": "1"},
        ]
    )


# -- families -------------------------------------------------------------------------------


def invalid_json(rng: random.Random) -> Hostile:
    valid = json.dumps({"query": rng.choice(VALID_QUERIES)})
    cut = rng.randint(0, len(valid) - 1)
    body = rng.choice(
        [
            valid[:cut],
            valid + rng.choice(["}", "garbage", ",", "\x00"]),
            valid.replace('"', "'"),
            "{query: " + rng.choice(VALID_QUERIES) + "}",
            '{"query": NaN}',
            '{"query": "{ __typename }", "variables": Infinity}',
            "\ufeff" + valid,
            "",
            " ",
            "null",
            "[]",
            "[" * rng.randint(1000, 100_000),
            '{"a":' * rng.randint(1000, 50_000),
            "1e999999",
            '"' + "\\" * rng.randint(1, 9),
        ]
    )
    return Hostile("invalid JSON", body=body.encode("utf-8", "surrogatepass"))


def invalid_utf8(rng: random.Random) -> Hostile:
    query = rng.choice(VALID_QUERIES).encode()
    junk = bytes(rng.choice([0x80, 0xBF, 0xC0, 0xC1, 0xF5, 0xFF, 0xED]) for _ in range(4))
    at = rng.randint(0, len(query))
    body = b'{"query": "' + query[:at] + junk + query[at:] + b'"}'
    if rng.random() < 0.3:
        return Hostile(
            "invalid UTF-8", method="GET", body=None, raw_query="query=%7B%20%FF%FE%20%7D"
        )
    return Hostile("invalid UTF-8", body=body)


def wrong_content_type(rng: random.Random) -> Hostile:
    payload = _json({"query": rng.choice(VALID_QUERIES)})
    content_type = rng.choice(
        [
            None,
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "application/graphql",
            "application/xml",
            "application/json; charset=latin-1",
            "application/jsonx",
            "*/*",
            "",
            "application/json\r\nX-Injected: 1",
        ]
    )
    if content_type is not None and "\r\n" in content_type:
        content_type = "application/json x-injected"
    return Hostile("wrong content type", body=payload, content_type=content_type)


def wrong_shape(rng: random.Random) -> Hostile:
    query = rng.choice(VALID_QUERIES)
    payload = rng.choice(
        [
            {"query": _junk(rng)},
            {"query": query, "variables": _junk(rng)},
            {"query": query, "operationName": _junk(rng)},
            {"query": query, "extensions": _junk(rng)},
            {"variables": {}},
            {},
            [{"query": query}, {"query": query}],
            [],
            [1, 2, 3],
            {"query": [query]},
            {"query": {"query": query}},
            {"QUERY": query},
        ]
    )
    return _post("wrong shape", payload)


def huge(rng: random.Random) -> Hostile:
    size = rng.choice([70_000, 300_000, 1_200_000])
    kind = rng.randrange(4)
    if kind == 0:
        return _post("huge", {"query": '{ __type(name: "' + "A" * size + '") { name } }'})
    if kind == 1:
        return _post("huge", {"query": "{ __typename }", "variables": {"x": "y" * size}})
    if kind == 2:
        return _post(
            "huge",
            {
                "query": "query ($s: String) { students(search: $s) { totalCount } }",
                "variables": {"s": "z" * size},
            },
        )
    return _post("huge", {"query": "{ " + "__typename " * (size // 11) + "}"})


def deep(rng: random.Random) -> Hostile:
    depth = rng.choice([16, 50, 200, 1000, 5000, 20_000])
    kind = rng.randrange(4)
    if kind == 0:
        query = "{" + " a {" * depth + " b" + " }" * depth + " }"
    elif kind == 1:
        query = '{ __type(name: "Query") {' + " ofType {" * depth + " name" + " }" * depth + " }"
    elif kind == 2:
        query = "query ($v: [ID!]!) { nodes(ids: $v) { id } }"
        nested: Any = "x"
        for _ in range(min(depth, 500)):
            nested = [nested]
        return _post("deep nesting", {"query": query, "variables": {"v": nested}})
    else:
        value = "[" * min(depth, 3000) + "1" + "]" * min(depth, 3000)
        query = f"{{ nodes(ids: {value}) {{ id }} }}"
    return _post("deep nesting", {"query": query})


def alias_bomb(rng: random.Random) -> Hostile:
    count = rng.choice([31, 100, 1000, 5000])
    field = rng.choice(
        ["service { name }", "schools { id }", "__typename", "students { totalCount }"]
    )
    query = "{ " + " ".join(f"a{n}: {field}" for n in range(count)) + " }"
    return _post("alias bomb", {"query": query})


def fragment_bomb(rng: random.Random) -> Hostile:
    levels = rng.choice([10, 30, 60])
    on, leaf = rng.choice(
        [("Query", "schools { id }"), ("Service", "name"), ("Query", "x: __typename")]
    )
    fragments = [f"fragment F0 on {on} {{ {leaf} }}"] + [
        f"fragment F{n} on {on} {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, levels)
    ]
    top = f"...F{levels - 1}"
    root = f"{{ {top} }}" if on == "Query" else f"{{ service {{ {top} }} }}"
    return _post("fragment bomb", {"query": root + "\n" + "\n".join(fragments)})


def fragment_cycle(rng: random.Random) -> Hostile:
    size = rng.randint(1, 6)
    fragments = [
        f"fragment C{n} on Query {{ __typename ...C{(n + 1) % size} }}" for n in range(size)
    ]
    extra = rng.choice(
        ["", "fragment Unused on Query { __typename }", "fragment C0 on Query { x }"]
    )
    return _post("fragment cycle", {"query": "{ ...C0 }\n" + "\n".join(fragments) + "\n" + extra})


def repeated_fields(rng: random.Random) -> Hostile:
    count = rng.choice([11, 200, 500])
    field = rng.choice(
        ["service { name }", "schools { groups { name } }", "... on Query { __typename }"]
    )
    return _post("repeated fields", {"query": "{ " + (field + " ") * count + "}"})


def invalid_variables(rng: random.Random) -> Hostile:
    query, variables = rng.choice(
        [
            ("query ($n: Int) { students(first: $n) { totalCount } }", {"n": _junk(rng)}),
            ("query ($n: Int!) { students(first: $n) { totalCount } }", {}),
            ("query ($n: Int) { students(first: $n) { totalCount } }", {"n": 2**63}),
            ("query ($n: Int) { students(first: $n) { totalCount } }", {"n": -1}),
            ("query ($n: Int) { students(first: $n) { totalCount } }", {"n": 501}),
            ("query ($id: ID!) { node(id: $id) { id } }", {"id": _junk(rng)}),
            ("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [None]}),
            ("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["x"] * 501}),
            ("query ($t: GroupType) { groups(type: $t) { totalCount } }", {"t": _junk(rng)}),
            ("query ($b: Boolean) { staff(isTeacher: $b) { totalCount } }", {"b": "yes"}),
            ("query ($x: Undefined) { __typename }", {"x": 1}),
            ("query ($x: String) { __typename }", {"y": 1, "x": {"nested": [1, {"a": None}]}}),
            ("query { __typename }", {"unused": _junk(rng)}),
            (
                "query ($d: DateTime) { students(updatedSince: $d) { totalCount } }",
                {"d": _junk(rng)},
            ),
        ]
    )
    return _post("invalid variables", {"query": query, "variables": variables})


def invalid_ids(rng: random.Random) -> Hostile:
    raw = rng.choice(
        [
            _word(rng, rng.randint(0, 30)),
            base64.urlsafe_b64encode(rng.randbytes(rng.randint(0, 40))).decode(),
            base64.urlsafe_b64encode(
                f"Student:{rng.choice(INJECTIONS)}".encode("utf-8", "surrogatepass")
            ).decode(),
            base64.urlsafe_b64encode(b"School:xporter:999999").decode().rstrip("="),
            base64.urlsafe_b64encode(b"Nope:1").decode(),
            base64.urlsafe_b64encode(b"\xff\xfe:\x00").decode(),
            "=" * 10,
            "Student:1",
            "a" * 5000,
        ]
    )
    query = rng.choice(
        [
            "query ($id: ID!) { node(id: $id) { id } }",
            "query ($id: ID!) { school(id: $id) { name } }",
            "query ($id: ID!) { students(schoolId: $id) { totalCount } }",
            "query ($id: ID!) { students(groupId: $id) { totalCount } }",
            "query ($id: ID!) { staff(teamId: $id) { totalCount } }",
            "query ($id: ID!) { roster(id: $id) { start } }",
            "query ($id: ID!) { nodes(ids: [$id, $id]) { id } }",
        ]
    )
    return _post("invalid ids", {"query": query, "variables": {"id": raw}})


def injection_filters(rng: random.Random) -> Hostile:
    value = rng.choice(INJECTIONS)
    query = rng.choice(
        [
            "query ($s: String) { students(search: $s) { totalCount } }",
            "query ($s: String) { staff(search: $s) { totalCount } }",
            "query ($s: String) { groups(search: $s) { totalCount } }",
            "query ($s: String) { students(after: $s) { totalCount } }",
            'query ($s: String) { leaveRequests(from: "2026-03-02", to: "2026-03-03", status: $s) '
            "{ id } }",
        ]
    )
    return _post("injection-looking filters", {"query": query, "variables": {"s": value}})


def invalid_dates(rng: random.Random) -> Hostile:
    start, end = rng.choice(BAD_DATES), rng.choice([*BAD_DATES, "2026-03-02", "2030-12-31"])
    query = rng.choice(
        [
            "query ($f: Date!, $t: Date!) { rosters(from: $f, to: $t) { start } }",
            "query ($f: Date!, $t: Date!) { shifts(from: $f, to: $t) { totalCount } }",
            "query ($f: Date!, $t: Date!) { rosters(from: $t, to: $f) { start } }",
            '{ rosters(from: "2026-03-02", to: "2025-03-02") { start } }',
            '{ rosters(from: "1900-01-01", to: "2100-01-01") { start } }',
            "{ rosters(from: 20260302, to: true) { start } }",
        ]
    )
    return _post("invalid dates", {"query": query, "variables": {"f": start, "t": end}})


def mutated_query(rng: random.Random) -> Hostile:
    chars = list(rng.choice(VALID_QUERIES))
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(3)
        at = rng.randrange(len(chars)) if chars else 0
        if op == 0 and chars:
            del chars[at]
        elif op == 1:
            chars.insert(at, rng.choice("{}()[]:$@!.,\"'#\\ \n\t\x00abcXYZ019…" + "\u2028"))
        elif chars:
            other = rng.randrange(len(chars))
            chars[at], chars[other] = chars[other], chars[at]
    return _post("mutated query", {"query": "".join(chars)})


def operations(rng: random.Random) -> Hostile:
    payload = rng.choice(
        [
            {"query": "query A { __typename } query B { __typename }"},
            {"query": "query A { __typename }", "operationName": "B"},
            {"query": "subscription { __typename }"},
            {"query": "mutation { __typename }"},
            {"query": 'mutation { deleteShift(id: "x") }'},
            {"query": "{ __typename } { __typename }"},
            {"query": "fragment F on Query { __typename }"},
            {"query": "query @skip(if: true) { __typename }"},
            {"query": "{ __typename @include(if: $undefined) }"},
            {"query": "{ __typename" + " @include(if: true)" * rng.randint(2, 300) + " }"},
            {"query": "{ __schema { types { fields { type { fields { type { name } } } } } } }"},
            {"query": '{ __type(name: "Query") { fields { args { type { ofType { name } } } } } }'},
            {"query": "# " + "comment " * rng.randint(1, 20_000) + "\n{ __typename }"},
        ]
    )
    return _post("operations", payload)


def persisted(rng: random.Random) -> Hostile:
    query = rng.choice(VALID_QUERIES)
    persisted_query = rng.choice(
        [
            {"version": 1, "sha256Hash": rng.randbytes(32).hex()},
            {"version": 1, "sha256Hash": _word(rng, 64)},
            {"version": rng.choice([0, 2, "1", None, 1.5]), "sha256Hash": "0" * 64},
            {"version": 1},
            _junk(rng),
        ]
    )
    payload: dict[str, Any] = {"extensions": {"persistedQuery": persisted_query}}
    if rng.random() < 0.5:
        payload["query"] = query
    return _post("persisted queries", payload)


def methods_and_params(rng: random.Random) -> Hostile:
    kind = rng.randrange(6)
    if kind == 0:
        return Hostile("methods", method=rng.choice(["PUT", "DELETE", "PATCH", "OPTIONS"]))
    if kind == 1:
        return Hostile(
            "GET",
            method="GET",
            body=None,
            params=(("query", 'mutation { deleteShift(id: "x") }'),),
        )
    if kind == 2:
        return Hostile(
            "GET",
            method="GET",
            body=None,
            params=(
                ("query", rng.choice(VALID_QUERIES)),
                ("variables", rng.choice(["{", "[]", "1", "null", '"x"'])),
            ),
        )
    if kind == 3:
        return Hostile(
            "GET",
            method="GET",
            body=None,
            params=(
                ("query", "{ __typename }"),
                ("extensions", rng.choice(["{", "[1]", '{"persistedQuery": 5}'])),
            ),
        )
    if kind == 4:
        return Hostile(
            "GET",
            method="GET",
            body=None,
            raw_query=rng.choice(["query=%", "query=%zz", "a=%E2%82", "query=%00"]),
        )
    return Hostile(
        "GET",
        method="GET",
        body=None,
        params=(("query", "{ " + "__typename " * rng.randint(1, 3000) + "}"),),
    )


def hostile_headers(rng: random.Random) -> Hostile:
    headers = rng.choice(
        [
            {"X-Request-Id": "x" * 500},
            {"X-Request-Id": "../../etc"},
            {"X-Schoolgraph-Explain": rng.choice(["1", "yes", "\u00ff", "1" * 1000])},
            {
                "Authorization": rng.choice(
                    ["Bearer", "Bearer x", "Basic YTpi", "bearer " + "a" * 4000]
                )
            },
            {"Accept": "text/html"},
            {"Content-Encoding": "gzip"},
            {"Transfer-Encoding": "chunked"},
        ]
    )
    return _post("hostile headers", {"query": rng.choice(VALID_QUERIES)}, headers=headers)


def valid(rng: random.Random) -> Hostile:
    return _post("valid", {"query": rng.choice(VALID_QUERIES)})


FAMILIES: tuple[Family, ...] = (
    invalid_json,
    invalid_utf8,
    wrong_content_type,
    wrong_shape,
    huge,
    deep,
    alias_bomb,
    fragment_bomb,
    fragment_cycle,
    repeated_fields,
    invalid_variables,
    invalid_ids,
    injection_filters,
    invalid_dates,
    mutated_query,
    operations,
    persisted,
    methods_and_params,
    hostile_headers,
    valid,
)
"""Every family is drawn equally often, except ``huge`` (a tenth as often: it is slow to
send, and one is as good as many)."""


def hostile_requests(seed: int, count: int) -> Iterator[Hostile]:
    """``count`` requests drawn from :data:`FAMILIES` with ``random.Random(seed)``."""
    rng = random.Random(seed)  # noqa: S311 (reproducible junk, not secrets)
    weights = [0.1 if family is huge else 1.0 for family in FAMILIES]
    for _ in range(count):
        family = rng.choices(FAMILIES, weights)[0]
        yield family(rng)
