"""The canonical bytes local row hashes are taken of."""

from __future__ import annotations

import pytest

from schoolgraph.upstreams.canonical import canonical


def test_keys_are_sorted_without_whitespace_in_utf8() -> None:
    row = {"b": [1, 2.5, True, None], "a": "é", "c": {"z": 1, "y": 2}}

    assert canonical(row) == '{"a":"é","b":[1,2.5,true,null],"c":{"y":2,"z":1}}'.encode()


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"a": 2**64}, b'{"a":18446744073709551616}'),
        ({"a": "\ud800"}, '{"a":"\ud800"}'.encode("utf-8", "surrogatepass")),
        ({2: "x", 1: "y"}, b'{"1":"y","2":"x"}'),
    ],
    ids=["integer beyond 64 bits", "lone surrogate", "keys that are not strings"],
)
def test_what_orjson_refuses_is_written_by_the_stdlib_encoder(
    row: dict[object, object], expected: bytes
) -> None:
    assert canonical(row) == expected


def test_what_neither_encoder_writes_fails_with_a_type_error() -> None:
    with pytest.raises(TypeError):
        canonical({1: "x", "a": "y"})  # keys that cannot be sorted together
    with pytest.raises(TypeError):
        canonical({"a": object()})


def test_nan_and_infinity_are_written_as_null() -> None:
    assert canonical([float("nan"), float("inf")]) == b"[null,null]"
