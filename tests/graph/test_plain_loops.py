"""The compiled loops of plain objects (graph/plain_loops.py): what they answer, what they
refuse, and that a shape is compiled once while each compilation keeps its own values.

How they answer a real schema's fields beside graphql-core is tests/graph/test_plain_fields.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from schoolgraph.graph import plain_loops
from schoolgraph.graph.plain_loops import Attribute, Call, Constant, Read, compile_loops


class IrregularError(Exception):
    """The caller's "graphql-core must decide"."""


@dataclass
class Row:
    name: Any
    count: Any = 1
    extra: dict[str, Any] = field(default_factory=dict)


class Other(Row):
    pass


def _fix(value: Any) -> Any:
    if value is None:
        raise IrregularError
    return str(value)


def _twice(value: Any) -> Any:
    if not isinstance(value, int):
        raise IrregularError
    return value * 2


def _loops(reads: list[Read], *, castable: bool = False, origin: type | None = Row) -> Any:
    return compile_loops(
        reads, origin=origin, castable=castable, cast_attribute="_cast", irregular=IrregularError
    )


READS: list[Read] = [
    Attribute("name", "name", str, _fix),
    Attribute("count", "count", None, _twice),
    Constant("__typename", "Row"),
    Call("loud", lambda row: row.name.upper()),
]


def test_each_kind_of_read_answers_in_the_selections_order() -> None:
    loops = _loops(READS)

    answer = loops.one(Row("ann", 2))

    assert answer == {"name": "ann", "count": 4, "__typename": "Row", "loud": "ANN"}
    assert list(answer) == ["name", "count", "__typename", "loud"]
    assert loops.every([Row("a"), Row("b", 3)], False) == [
        {"name": "a", "count": 2, "__typename": "Row", "loud": "A"},
        {"name": "b", "count": 6, "__typename": "Row", "loud": "B"},
    ]


def test_a_value_not_taken_as_it_is_goes_through_its_fix() -> None:
    loops = _loops([Attribute("name", "name", str, _fix)])

    assert loops.one(Row(7)) == {"name": "7"}
    with pytest.raises(IrregularError):
        loops.one(Row(None))


def test_keys_are_values_never_code() -> None:
    key = "x': __import__('os').getcwd(), 'y"
    loops = _loops([Attribute(key, "name", str, _fix), Constant("a b", 1)])

    assert loops.one(Row("ann")) == {key: "ann", "a b": 1}


@pytest.mark.parametrize("name", ["class", "not-an-identifier", "two words", "\ufb01eld"])
def test_an_attribute_that_is_not_an_identifier_is_read_by_name(name: str) -> None:
    row = Row("ann")
    setattr(row, name, "value")
    row.__dict__["field"] = "another attribute"  # what "\ufb01eld" reads as in source code
    loops = _loops([Attribute("v", name, str, _fix)])

    assert loops.one(row) == {"v": "value"}


def test_an_object_of_another_class_is_irregular() -> None:
    loops = _loops(READS)

    with pytest.raises(IrregularError):
        loops.one(Other("ann"))
    with pytest.raises(IrregularError):
        loops.every([Row("a"), Other("b")], True)


def test_without_an_origin_any_class_is_read() -> None:
    loops = _loops([Attribute("name", "name", str, _fix)], origin=None)

    assert loops.one(Other("ann")) == {"name": "ann"}


def test_a_cast_object_is_irregular_where_objects_may_be_cast() -> None:
    cast = Row("ann")
    cast.__dict__["_cast"] = "Other"  # what strawberry.cast sets

    with pytest.raises(IrregularError):
        _loops(READS, castable=True).one(cast)
    assert _loops(READS, castable=True).one(Row("ann"))["name"] == "ann"
    assert _loops(READS, castable=False).one(cast)["name"] == "ann"


def test_a_null_item_is_answered_null_only_where_the_list_allows() -> None:
    loops = _loops([Attribute("name", "name", str, _fix)])

    assert loops.every([Row("a"), None, Row("b")], True) == [{"name": "a"}, None, {"name": "b"}]
    with pytest.raises(IrregularError):
        loops.every([Row("a"), None], False)


def test_a_read_that_fails_is_irregular_from_its_error() -> None:
    def boom(row: Row) -> Any:
        raise KeyError(row.name)

    loops = _loops([Call("boom", boom)])

    with pytest.raises(IrregularError) as raised:
        loops.one(Row("ann"))
    assert isinstance(raised.value.__cause__, KeyError)
    with pytest.raises(IrregularError):
        _loops([Attribute("missing", "missing", str, _fix)]).every([Row("a")], False)


def test_irregular_raised_by_a_read_is_raised_as_it_is() -> None:
    refusal = IrregularError("from the read")

    def refuse(row: Row) -> Any:
        raise refusal

    with pytest.raises(IrregularError) as raised:
        _loops([Call("r", refuse)]).every([Row("a")], False)
    assert raised.value is refusal


def test_no_reads_answer_empty_objects() -> None:
    loops = _loops([])

    assert loops.one(Row("a")) == {}
    assert loops.every([Row("a"), Row("b")], False) == [{}, {}]


def test_a_shape_is_compiled_once_and_each_compilation_binds_its_own_values() -> None:
    plain_loops._factory.cache_clear()
    first = _loops([Attribute("a", "name", str, _fix), Constant("t", "First")])
    second = _loops([Attribute("b", "name", str, _twice), Constant("u", "Second")])

    info = plain_loops._factory.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    assert first.one(Row("x")) == {"a": "x", "t": "First"}
    assert second.one(Row("x")) == {"b": "x", "u": "Second"}
    # Another attribute, or a value no longer taken as it is, is another shape.
    _loops([Attribute("a", "count", str, _fix)])
    _loops([Attribute("a", "name", None, _fix)])
    assert plain_loops._factory.cache_info().misses == 3
