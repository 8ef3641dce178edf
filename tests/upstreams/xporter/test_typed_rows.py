"""Narrowed rows converted by msgspec give the models the column-by-column reading gives."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schoolgraph.errors import UpstreamBadResponseError
from schoolgraph.upstreams.xporter import NarrowContact, NarrowGroup, Student
from schoolgraph.upstreams.xporter.changesets import Applied, Wire, apply
from schoolgraph.upstreams.xporter.models import (
    NARROW_CONTACTS,
    NARROW_GROUPS,
    STUDENT_YEARS,
    STUDENTS,
    RowContext,
    StudentYear,
    TableSpec,
)
from schoolgraph.upstreams.xporter.typed_rows import TypedRows, as_row, decode_tables

LONDON = ZoneInfo("Europe/London")
CTX = RowContext("3281102", LONDON, "/api/v1/School/{estab}/Students", "Students")
GENERAL: TableSpec[Student] = dataclasses.replace(STUDENTS, typed=None)


def _typed_rows() -> TypedRows[Student]:
    assert STUDENTS.typed is not None
    return STUDENTS.typed


TYPED = _typed_rows()

# Values a column may hold: what the simulator sends, and what a real school may send instead.
TEXTS = st.sampled_from(["Ada", " Ada", "Ada ", "O'Neil", "7", "N", "Leaver", "é"])
DATES = st.sampled_from(
    [
        "2016-02-29",
        "2016-02-29T00:00:00",
        "29-02-2016",
        " 2016-02-29",
        "20160229",
        "2016-W09-1",
        "2016-02-30",
        "not a date",
    ]
)
INSTANTS = st.sampled_from(
    [
        "2026-08-20T23:28:11",
        "2026-10-25T01:30:00",  # the hour the clocks go back in London: ambiguous
        "2026-03-29T01:30:00",  # the hour that does not exist in London
        "2026-08-20T23:28:11.1234567",
        "2026-08-20T23:28:11.5",
        "2026-08-20T23:28:11+02:00",
        "2026-08-20T23:28:11Z",
        "2026-08-20",
        "20-08-2026T23:28:11",
        " 2026-08-20T23:28:11",
        "yesterday",
    ]
)
# What takes a row off the typed path: blanks, and values that are not strings.
ODD = st.one_of(
    st.sampled_from(["", " ", "\t", "\n "]),
    st.integers(-5, 99),
    st.floats(allow_nan=False),
    st.booleans(),
)


def _value(column: str) -> st.SearchStrategy[Any]:
    if column in ("DateOfBirth", "EntryDate", "LeavingDate"):
        return st.one_of(DATES, st.none())
    if column == "LastUpdated":
        return st.one_of(INSTANTS, st.none())
    if column == "RowHash":
        return st.sampled_from(["34d0e5aa", "34D0E5AA", None])
    if column == "Type":
        return st.sampled_from(["TeachingGrp", "reggrp", "YearGrp", "Club", None])
    if column in ("StudentIds", "StaffIds"):
        return st.sampled_from(["1,2,3", " 4 , 5,,6 ", ",", "7", None])
    return st.one_of(TEXTS, st.none())


SHAPES = ("exact", "exact", "exact", "odd", "odd", "lower", "missing", "extra")


@st.composite
def rows(
    draw: st.DrawFn, columns: tuple[str, ...] = Student.COLUMNS, shapes: tuple[str, ...] = SHAPES
) -> dict[str, Any]:
    """A row in the narrowed shape, then (in the other shapes) one thing that takes it off
    the typed path: an odd value, a column cased otherwise, missing or extra."""
    row = {column: draw(_value(column)) for column in columns}
    row["Id"] = draw(st.sampled_from(["150000", "150001", "150002", "7", "007"]))
    shape = draw(st.sampled_from(shapes))
    column = draw(st.sampled_from(columns))
    if shape == "odd":
        row[column] = draw(ODD)
    elif shape == "lower":
        row[column.lower()] = row.pop(column)
    elif shape == "missing":
        del row[column]
    elif shape == "extra":
        row["Religion"] = "x"
    return row


# The narrowed tables read typed, each with its columns.
NARROWED: list[tuple[TableSpec[Any], tuple[str, ...]]] = [
    (STUDENTS, Student.COLUMNS),
    (NARROW_GROUPS, NarrowGroup.COLUMNS),
    (NARROW_CONTACTS, NarrowContact.COLUMNS),
    (STUDENT_YEARS, StudentYear.COLUMNS),
]


def _apply(spec: TableSpec[Any], wire_rows: Sequence[Mapping[str, Any]]) -> Applied | Exception:
    try:
        return apply([spec], Wire(rows={spec.name: list(wire_rows)}), None, CTX, delta=False)
    except UpstreamBadResponseError as error:
        return error


def _table(applied: Applied, spec: TableSpec[Any] = STUDENTS) -> tuple[list[Any], dict[str, Any]]:
    table = applied.snapshot.table(spec)
    return list(table.values()), {key: table.hash_of(key) for key in table}


def _assert_read_as_generally(
    spec: TableSpec[Any], rows: Sequence[Any], sent: Sequence[Mapping[str, Any]]
) -> None:
    """`rows` applied with `spec` give what the general reading of the rows `sent` gives:
    the same models and hashes, or the same error."""
    typed, general = _apply(spec, rows), _apply(dataclasses.replace(spec, typed=None), sent)
    if isinstance(general, Exception):
        assert isinstance(typed, UpstreamBadResponseError) and str(typed) == str(general)
        return
    assert isinstance(typed, Applied)
    assert _table(typed, spec) == _table(general, spec)


@pytest.mark.parametrize(("spec", "columns"), NARROWED, ids=lambda v: getattr(v, "name", ""))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_typed_and_general_reading_give_the_same_models(
    spec: TableSpec[Any], columns: tuple[str, ...], data: st.DataObject
) -> None:
    wire_rows = data.draw(st.lists(rows(columns), min_size=1, max_size=6))
    _assert_read_as_generally(spec, wire_rows, wire_rows)


@pytest.mark.parametrize(("spec", "columns"), NARROWED, ids=lambda v: getattr(v, "name", ""))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_row_in_the_narrowed_shape_is_read_typed_and_the_same(
    spec: TableSpec[Any], columns: tuple[str, ...], data: st.DataObject
) -> None:
    """The same comparison where every row takes the typed path, whatever its values say."""
    wire_rows = data.draw(st.lists(rows(columns, ("exact",)), min_size=1, max_size=6))
    assert spec.typed is not None
    assert all(struct is not None for struct in spec.typed.convert(wire_rows) or [None])
    typed, general = (
        _apply(spec, wire_rows),
        _apply(dataclasses.replace(spec, typed=None), wire_rows),
    )
    assert isinstance(typed, Applied) and isinstance(general, Applied)
    assert _table(typed, spec) == _table(general, spec)


def _clean_row(native: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(Student.COLUMNS, "x")
    row.update(
        Id=native,
        DateOfBirth="2016-02-29",
        EntryDate="2026-09-03",
        LeavingDate=None,
        LastUpdated="2026-08-20T23:28:11",
        RowHash="34d0e5aa",
    )
    return row


def test_rows_in_the_narrowed_shape_take_the_typed_path_and_others_do_not() -> None:
    clean = [_clean_row(str(n)) for n in range(5)]
    assert all(struct is not None for struct in TYPED.convert(clean) or ())

    blank, number, cased = _clean_row("5"), _clean_row("6"), _clean_row("7")
    blank["Surname"] = "  "
    number["UPN"] = 42
    cased["upn"] = cased.pop("UPN")
    structs = TYPED.convert([*clean, blank, number, cased])
    assert structs is not None
    assert [s is None for s in structs] == [False] * 5 + [True] * 3

    unnarrowed = [{**row, "Religion": "x"} for row in clean]
    assert TYPED.convert(unnarrowed) is None

    typed = _apply(STUDENTS, [*clean, blank, number, cased])
    general = _apply(GENERAL, [*clean, blank, number, cased])
    assert isinstance(typed, Applied) and isinstance(general, Applied)
    assert _table(typed) == _table(general)
    students, hashes = _table(typed)
    assert students[0].date_of_birth is not None and students[0].last_updated is not None
    assert hashes["0"] == "34D0E5AA"


def test_a_row_without_its_id_fails_the_same_way_on_both_paths() -> None:
    row = _clean_row("1")
    del row["Id"]
    typed, general = _apply(STUDENTS, [row]), _apply(GENERAL, [row])
    assert isinstance(typed, UpstreamBadResponseError)
    assert str(typed) == str(general)
    assert "Id" in str(typed) and "x" not in str(typed).split("'")  # names the column only


@pytest.mark.parametrize("value", [None, "2016-02-29"])
def test_an_unchanged_row_keeps_its_model_on_the_typed_path(value: str | None) -> None:
    row = _clean_row("1")
    row["DateOfBirth"] = value
    first = _apply(STUDENTS, [row])
    assert isinstance(first, Applied)
    wire = Wire(rows={"Students": [dict(row)]})
    again = apply([STUDENTS], wire, first.snapshot, CTX, delta=False)
    assert not again.changed
    assert again.snapshot.table(STUDENTS)["1"] is first.snapshot.table(STUDENTS)["1"]


# -- bodies decoded straight into structs ---------------------------------------------------


def _body(spec: TableSpec[Any], rows: Sequence[Mapping[str, Any]], name: str = "") -> bytes:
    """An answer as Xporter sends it: the table, `meta` and `__pagination__`."""
    return orjson.dumps(
        {
            name or spec.name: list(rows),
            "meta": [{"DateTime": "2026-11-23T07:00:00"}],
            "__pagination__": [{"PageCount": 1, "PageSize": 500}],
        }
    )


def _decoded(spec: TableSpec[Any], body: bytes) -> list[Any]:
    assert spec.typed is not None
    decoded = decode_tables(body, {spec.name.lower(): spec.typed})
    assert decoded is not None
    assert decoded["meta"] == [{"DateTime": "2026-11-23T07:00:00"}]
    rows: list[Any] = decoded[spec.name]
    return rows


@pytest.mark.parametrize(("spec", "columns"), NARROWED, ids=lambda v: getattr(v, "name", ""))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_rows_decoded_straight_from_the_body_give_the_same_models(
    spec: TableSpec[Any], columns: tuple[str, ...], data: st.DataObject
) -> None:
    """Two pages, each its own body: each decodes straight into structs when every row is in
    the exact shape, else the general way; either way the models are the general reading's."""
    shapes = data.draw(st.sampled_from([("exact",), SHAPES]))
    first = data.draw(st.lists(rows(columns, shapes), min_size=1, max_size=4))
    second = data.draw(st.lists(rows(columns, shapes), min_size=0, max_size=4))
    bodies = [_body(spec, first), _body(spec, second)]
    decoded = [row for body in bodies for row in _decoded(spec, body)]
    if shapes == ("exact",):
        assert all(isinstance(row, msgspec.Struct) for row in decoded)
    sent = [row for body in bodies for row in orjson.loads(body)[spec.name]]
    _assert_read_as_generally(spec, decoded, sent)


def test_a_table_decodes_straight_only_when_every_row_is_in_the_narrowed_shape() -> None:
    clean = [_clean_row(str(n)) for n in range(3)]
    straight = _decoded(STUDENTS, _body(STUDENTS, clean))
    assert all(type(row).__name__ == "StudentColumns" for row in straight)
    assert [as_row(row) for row in straight] == clean
    # The table's name matched as the client matches it, whatever its case.
    lower = decode_tables(_body(STUDENTS, clean, "students"), {"students": TYPED})
    assert lower is not None and all(isinstance(r, msgspec.Struct) for r in lower["students"])

    number = _clean_row("9")
    number["UPN"] = 42
    general = _decoded(STUDENTS, _body(STUDENTS, [*clean, number]))
    assert general == [*clean, number]  # dicts, as orjson reads them
    # A blank cell decodes straight, and `convert` sends that row the general way.
    blank = _clean_row("8")
    blank["Surname"] = " "
    with_blank = _decoded(STUDENTS, _body(STUDENTS, [*clean, blank]))
    assert all(isinstance(row, msgspec.Struct) for row in with_blank)
    assert [s is None for s in TYPED.convert(with_blank) or ()] == [False] * 3 + [True]


@pytest.mark.parametrize(
    "body",
    [b"[]", b'"text"', b'{"Students": [{"Id": NaN}]}', b"\xef\xbb\xbf{}", b'{"a": 1', b""],
)
def test_a_body_that_is_not_a_strict_json_object_is_left_to_the_general_reader(
    body: bytes,
) -> None:
    assert decode_tables(body, {"students": TYPED}) is None
