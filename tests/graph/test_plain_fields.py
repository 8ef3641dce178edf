"""Plain fields read directly (graph/plain_fields.py) answer exactly as graphql-core would.

Each query is asked of a gateway over HTTP, and of the same root type executed by stock
strawberry in-process; the data and the error paths must be the same, the error codes the
gateway's. The items cover every way a plain field can be irregular: a null in a non-null
field, an attribute that raises, an integer the Int scalar refuses. Objects whose whole
selection is plain are completed directly, and lists of them in one loop: the lists cover
nulls where allowed and where not, items of a subclass, a cast item, tuples and generators.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Iterator
from datetime import date
from typing import Any

import aiohttp
import pytest
import strawberry
from graphql import GraphQLObjectType

from schoolgraph.app import create_app
from schoolgraph.config import Mode, Settings
from schoolgraph.graph.fields import field
from schoolgraph.graph.schema import build_schema
from tests.conftest import Serve
from tests.graph.conftest import Gateway


@strawberry.enum
class Kind(enum.Enum):
    DAY = "day"
    BOARDER = "boarder"


@strawberry.type
class Item:
    name: str
    nick: str | None
    count: int
    born: date | None
    kind: Kind
    flag: bool
    code: strawberry.ID

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    async def later(self) -> str:
        return f"{self.name} later"

    @strawberry.field
    def twice(self, times: int = 2) -> list[str]:
        return [self.name] * times

    # Resolvers without arguments: called directly (graph/direct_resolvers.py).
    @strawberry.field
    def echo(self, info: strawberry.Info) -> str:
        return f"{self.name} as {info.field_name} at {info.path.key}"

    @strawberry.field
    async def later_with(self, info: strawberry.Info) -> str | None:
        return None if self.count % 3 else f"{self.name} at {info.path.key}"

    @strawberry.field
    def partner(self, info: strawberry.Info) -> Item | None:
        return None if self.count % 2 else _item(self.count + 100)

    @strawberry.field
    def checked(self) -> str:
        if self.count == 2:
            raise ValueError("the check failed")
        return "checked"

    # Declared non-null to GraphQL, though the resolver may return None.
    @field("Null for item 4.", graphql_type=str)
    def required(self) -> str | None:
        return None if self.count == 4 else "present"


class ExplodingItem(Item):
    """An item whose ``nick`` attribute raises when read."""

    def __getattribute__(self, name: str) -> Any:
        if name == "nick":
            raise ValueError("nick cannot be read")
        return super().__getattribute__(name)


def _item(n: int, **changes: Any) -> Item:
    values: dict[str, Any] = {
        "name": f"Pat {n}",
        "nick": f"P{n}" if n % 2 else None,
        "count": n,
        "born": date(2014, 1 + n % 12, 1 + n % 28) if n % 3 else None,
        "kind": Kind.DAY if n % 2 else Kind.BOARDER,
        "flag": n % 2 == 0,
        "code": strawberry.ID(f"c{n}"),
    }
    values.update(changes)
    return Item(**values)


async def _awaited(item: Item) -> Item:
    return item


@strawberry.type
class Pair:
    """Two items behind resolvers declared ``inline`` (graph/fields.py)."""

    count: int

    # Item 2's raises, item 3's is null, item 4's is an awaitable, item 5's a subclass.
    @field("An item at once, mostly.", graphql_type=Item | None, inline=True)
    def left(self, info: strawberry.Info) -> Item | Awaitable[Item] | None:
        LEFT_CALLS.append(self.count)
        if self.count == 2:
            raise ValueError("no left item")
        if self.count == 3:
            return None
        if self.count == 4:
            return _awaited(_item(14))
        if self.count == 5:
            return ExplodingItem(**vars(_item(15)))
        return _item(self.count + 10)

    # Declared non-null to GraphQL, null for pair 1.
    @field("An item at once, or a null where none is allowed.", graphql_type=Item, inline=True)
    def right(self, info: strawberry.Info) -> Item | None:
        return None if self.count == 1 else _item(self.count + 20)


LEFT_CALLS: list[int] = []


@strawberry.type
class Tagged:
    """Items behind ``inline`` resolvers declared ``keyed_by`` the tag (graph/fields.py):
    within a request, every Tagged with the same tag has the same item."""

    tag: int

    def tag_or_raise(self) -> int:
        if self.tag == 6:
            raise LookupError("no tag")
        return self.tag

    # Tag 2's raises, tag 3's is null, tag 4's is an awaitable, tag 6's key cannot be read.
    @field(
        "The tag's item, mostly.",
        graphql_type=Item | None,
        inline=True,
        keyed_by=lambda tagged: tagged.tag_or_raise(),
    )
    def item(self, info: strawberry.Info) -> Item | Awaitable[Item] | None:
        KEYED_CALLS.append(self.tag)
        if self.tag == 2:
            raise ValueError("no item")
        if self.tag == 3:
            return None
        if self.tag == 4:
            return _awaited(_item(14))
        return _item(self.tag + 30)

    # Declared non-null to GraphQL, null for tag 1.
    @field(
        "The tag's item, or a null where none is allowed.",
        graphql_type=Item,
        inline=True,
        keyed_by=lambda tagged: tagged.tag,
    )
    def strict_item(self, info: strawberry.Info) -> Item | None:
        return None if self.tag == 1 else _item(self.tag + 40)


KEYED_CALLS: list[int] = []
REGULAR_TAGS = (0, 5, 0, 7, 5, 0, 7)


def _items() -> list[Item]:
    return [_item(n) for n in range(6)]


def _irregular() -> list[Item]:
    exploding = ExplodingItem(**{**vars(_item(7))})
    return [
        _item(1),
        _item(2, name=None),  # null in a non-null field
        exploding,
        _item(3, count=2**40),  # beyond a GraphQL Int
        _item(4),
    ]


def _with_gaps() -> list[Item | None]:
    return [_item(1), None, _item(2), None]


@strawberry.type
class Root:
    @strawberry.field
    def items(self) -> list[Item]:
        return _items()

    @strawberry.field
    def gappy_items(self) -> list[Item | None]:
        return _with_gaps()

    # Declared to GraphQL as lists of non-null items, answered otherwise.
    @field("A null where none is allowed.", graphql_type=list[Item] | None)
    def gap_in_strict_items(self) -> list[Item | None]:
        return _with_gaps()

    @field("A tuple: graphql-core takes any iterable.", graphql_type=list[Item])
    def item_tuple(self) -> tuple[Item, ...]:
        return tuple(_items())

    @field("A generator: iterated by graphql-core.", graphql_type=list[Item])
    def item_stream(self) -> Iterator[Item]:
        return (item for item in _items())

    @strawberry.field
    def cast_items(self) -> list[Item]:
        return [strawberry.cast(Item, _item(1)), _item(2)]

    @strawberry.field
    def first_item(self) -> Item | None:
        return _item(5)

    @strawberry.field
    def maybe_items(self) -> list[Item | None]:
        return list(_irregular())

    @strawberry.field
    def strict_items(self) -> list[Item] | None:
        return _irregular()

    @strawberry.field
    def pairs(self) -> list[Pair]:
        return [Pair(count=n) for n in range(6)]

    @strawberry.field
    def regular_pairs(self) -> list[Pair]:
        return [Pair(count=n) for n in (0, 6, 7)]

    @strawberry.field
    def tagged(self) -> list[Tagged]:
        return [Tagged(tag=n) for n in (0, 5, 0, 2, 5, 2, 3, 0, 3, 6, 4, 5, 4, 6, 0)]

    @strawberry.field
    def regular_tagged(self) -> list[Tagged]:
        return [Tagged(tag=n) for n in REGULAR_TAGS]

    @strawberry.field
    def strict_tagged(self) -> list[Tagged]:
        return [Tagged(tag=n) for n in (0, 1, 0, 5, 1)]


QUERIES = [
    "{ items { name nick count born kind flag code __typename } }",
    "{ items { a: name b: name name shout count later nick } }",
    "{ items { ...Bits shout } } fragment Bits on Item { kind flag born code }",
    "{ items { __typename twice(times: 3) name ... on Item { nick } } }",
    "query ($skip: Boolean!) { items { name @skip(if: $skip) nick @include(if: $skip) count } }",
    "{ maybeItems { name nick count later } }",
    "{ strictItems { name nick count } }",
    "{ maybeItems { name } }",
    "{ maybeItems { nick shout } }",
    "{ items { echo laterWith partner { name echo partner { name } } checked } }",
    "{ maybeItems { name checked required laterWith } }",
    "{ strictItems { required } }",
    "{ gappyItems { name nick kind } }",
    "{ gapInStrictItems { name code } }",
    "{ itemTuple { name code } itemStream { name flag } }",
    "{ castItems { name count __typename } }",
    "{ firstItem { name born } items { partner { name nick } name } }",
    "{ items { ... on Item { name } __typename b: born } }",
    "{ regularPairs { count left { name nick } right { code } } }",
    "{ pairs { count left { name born } } }",
    "{ pairs { left { nick } } }",
    "{ pairs { right { name } } }",
    "{ pairs { left { name shout } right { name } } }",
    "{ regularPairs { left { __typename name partner { name } } } }",
    "{ regularTagged { tag item { name nick } } }",
    "{ tagged { tag item { name born } } }",
    "{ tagged { item { code } } regularTagged { item { code } } }",
    "{ strictTagged { tag strictItem { name } item { nick } } }",
    "{ regularTagged { a: item { name } b: item { name count } } }",
    "{ regularTagged { item { name shout } } }",
]


def _paths(body: dict[str, Any]) -> list[Any]:
    return sorted((error.get("path") for error in body.get("errors", [])), key=repr)


@pytest.fixture
async def gateway(serve: Serve, http: aiohttp.ClientSession) -> Gateway:
    settings = Settings(mode=Mode.UPSTREAM, anonymous=True, rate_limit=0)
    app = create_app(settings, schema=build_schema(Root, mutation=None, subscription=None))
    return Gateway(url=await serve(app), app=app, http=http)


@pytest.mark.parametrize("query", QUERIES)
async def test_plain_fields_answer_as_graphql_core_does(gateway: Gateway, query: str) -> None:
    variables = {"skip": True} if "$skip" in query else {}
    stock = await strawberry.Schema(query=Root).execute(query, variable_values=variables)
    expected = {"data": stock.data, "errors": [e.formatted for e in stock.errors or []]}

    body = await gateway.post(query, variables)

    assert body.get("data") == expected["data"]
    assert _paths(body) == _paths(expected)
    assert all(error["extensions"]["code"] for error in body.get("errors", []))


async def test_irregular_fields_are_coded_and_the_rest_of_the_list_is_kept(
    gateway: Gateway,
) -> None:
    body = await gateway.post("{ maybeItems { name nick count } }")

    names = [item["name"] if item else None for item in body["data"]["maybeItems"]]
    assert names == ["Pat 1", None, "Pat 7", None, "Pat 4"]
    by_path = {tuple(error["path"]): error for error in body["errors"]}
    assert set(by_path) == {
        ("maybeItems", 1, "name"),
        ("maybeItems", 2, "nick"),
        ("maybeItems", 3, "count"),
    }
    # Unexpected failures are masked: no message from the code, no stack.
    assert {error["extensions"]["code"] for error in body["errors"]} == {"INTERNAL"}
    assert "nick cannot be read" not in str(body)


async def test_plain_objects_skip_graphql_cores_steps_and_the_rest_do_not(
    gateway: Gateway, completed_objects: list[str]
) -> None:
    completed = completed_objects

    # Whole selections plain: completed directly, no graphql-core object completion.
    body = await gateway.post("{ items { name count } gappyItems { kind } firstItem { code } }")
    assert body["data"]["gappyItems"][1] is None and "errors" not in body
    assert completed == []
    # A resolver in the selection: graphql-core completes each of the 6 items.
    await gateway.post("{ items { name shout } }")
    assert completed == ["Item"] * 6
    # An item of a subclass: the list goes to graphql-core, item by item; each item is still
    # completed directly unless irregular itself (the null name, the subclass).
    completed.clear()
    await gateway.post("{ maybeItems { name } }")
    assert completed == ["Item"] * 2


def test_resolvers_without_arguments_are_called_directly_and_the_rest_are_not() -> None:
    item = build_schema(Root, mutation=None, subscription=None)._schema.type_map["Item"]
    assert isinstance(item, GraphQLObjectType)
    fields = item.fields
    direct = {
        name for name, field in fields.items() if "direct_resolvers" in field.resolve.__module__
    }
    assert direct == {"shout", "later", "echo", "laterWith", "partner", "checked", "required"}


async def test_inline_references_are_completed_in_the_loop_of_their_list(
    gateway: Gateway, completed_objects: list[str]
) -> None:
    completed = completed_objects

    # Regular pairs: each resolver called once, no object completed by graphql-core.
    LEFT_CALLS.clear()
    body = await gateway.post("{ regularPairs { count left { name } right { code } } }")
    assert "errors" not in body
    assert [pair["left"]["name"] for pair in body["data"]["regularPairs"]] == [
        "Pat 10",
        "Pat 16",
        "Pat 17",
    ]
    assert LEFT_CALLS == [0, 6, 7]
    assert completed == []

    # Pair 2's left item raises, 4's is an awaitable, 5's of a subclass: the list's loop
    # stops at pair 2 and the list goes to graphql-core item by item. Each pair is tried the
    # short way again (pair 2 as a non-null value, as its inner value and as fields) and the
    # irregular ones executed the normal way, their resolver called once more. After pair
    # 4's awaitable (closed, not leaked), the field is graphql-core's: pair 5's resolver is
    # called by it alone.
    LEFT_CALLS.clear()
    body = await gateway.post("{ pairs { count left { name } } }")
    assert [pair["left"] for pair in body["data"]["pairs"]] == [
        {"name": "Pat 10"},
        {"name": "Pat 11"},
        None,
        None,
        {"name": "Pat 14"},
        {"name": "Pat 15"},
    ]
    assert [(error["path"], error["extensions"]["code"]) for error in body["errors"]] == [
        (["pairs", 2, "left"], "INTERNAL")
    ]
    assert "no left item" not in str(body)
    assert LEFT_CALLS == [0, 1, 2, 0, 1, 2, 2, 2, 2, 3, 4, 4, 5]
    assert completed.count("Pair") == 3  # pairs 2, 4 and 5, the long way


async def test_keyed_references_are_answered_once_per_key_in_a_request(
    gateway: Gateway, completed_objects: list[str]
) -> None:
    completed = completed_objects
    # Two documents: the gateway keeps answers, and would not execute the same one again.
    for query in (
        "{ regularTagged { tag item { name code } } }",
        "{ regularTagged { item { code name } tag } }",
    ):
        KEYED_CALLS.clear()
        body = await gateway.post(query)
        assert "errors" not in body
        assert [t["item"]["name"] for t in body["data"]["regularTagged"]] == [
            f"Pat {tag + 30}" for tag in REGULAR_TAGS
        ]
        # Three tags among seven objects: three calls, in the order the tags first appear,
        # and again in the next request (answers are kept for one request only).
        assert KEYED_CALLS == [0, 5, 7]
        assert completed == []

    # Two selections of the field (aliases) are answered each from its own keys.
    KEYED_CALLS.clear()
    body = await gateway.post("{ regularTagged { a: item { name } b: item { code } } }")
    assert "errors" not in body
    assert KEYED_CALLS == [0, 0, 5, 5, 7, 7]  # per object, each alias; once per key
    first = body["data"]["regularTagged"][0]
    assert first == {"a": {"name": "Pat 30"}, "b": {"code": "c30"}}


async def test_keyed_references_keep_no_failure(gateway: Gateway) -> None:
    KEYED_CALLS.clear()
    body = await gateway.post("{ tagged { tag item { name } } }")

    items = [t["item"] for t in body["data"]["tagged"]]
    assert items[:3] == [{"name": "Pat 30"}, {"name": "Pat 35"}, {"name": "Pat 30"}]
    # Tag 2's resolver raised: each object with tag 2 reports its own error, at its own path.
    failed = sorted(e["path"][1] for e in body["errors"] if e["path"][-1] == "item")
    assert failed == [3, 5]
    assert all(items[n] is None for n in failed)
    assert KEYED_CALLS.count(2) >= 2  # called for each of them, not answered from a failure
    # Tag 6's key cannot be read: its objects are executed the normal way, and answered.
    assert items[9] == items[13] == {"name": "Pat 36"}


def test_keyed_by_needs_inline() -> None:
    with pytest.raises(ValueError, match="inline=True"):
        field("Not inline.", keyed_by=lambda source: source)
