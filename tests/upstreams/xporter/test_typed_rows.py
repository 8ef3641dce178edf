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
from schoolgraph.upstreams.xporter import NarrowContact, NarrowGroup, Staff, Student
from schoolgraph.upstreams.xporter.changesets import Applied, Wire, apply
from schoolgraph.upstreams.xporter.models import (
    NARROW_CONTACTS,
    NARROW_GROUPS,
    STAFF,
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
# What takes a flag off the typed path, where its exact shape is the JSON integer 0 or 1:
# the string forms, bools, floats and other integers that `parse_flag` reads all the same.
ODD_FLAGS = st.one_of(
    st.sampled_from(["1", "0", " 1", "true", "N", "", " ", "x"]),
    st.booleans(),
    st.sampled_from([0.0, 1.0, 0.5, -0.0, 2, -1, 2**63 - 1]),
)


def _value(column: str) -> st.SearchStrategy[Any]:
    if column in Staff.FLAGS:
        return st.sampled_from([0, 1, None])
    if column in ("DateOfBirth", "EntryDate", "LeavingDate", "EmploymentStart", "EmploymentEnd"):
        return st.one_of(DATES, st.none())
    if column == "LastUpdated":
        return st.one_of(INSTANTS, st.none())
    if column == "RowHash":
        return st.sampled_from(["34d0e5aa", "34D0E5AA", None])
    if column == "Type":
        return st.sampled_from(["TeachingGrp", "reggrp", "YearGrp", "Club", None])
    if column in ("StudentIds", "StaffIds", "Roles", "RoleCodes"):
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
        row[column] = draw(ODD_FLAGS if column in Staff.FLAGS else ODD)
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
    (STAFF, Staff.COLUMNS),
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


# -- staff: flag columns typed as the integers 0 and 1 ---------------------------------------

STAFF_CTX = RowContext("3281102", LONDON, "/api/v1/School/{estab}/Staff", "Staff")


def _staff_typed() -> TypedRows[Staff]:
    assert STAFF.typed is not None
    return STAFF.typed


STAFF_TYPED = _staff_typed()


def _staff_row(native: str, **changes: Any) -> dict[str, Any]:
    """A narrowed Staff row as the simulator sends one, every value distinct."""
    row: dict[str, Any] = {column: f"{column.lower()}-{native}" for column in Staff.COLUMNS}
    row.update(
        Id=native,
        IsTeacher=1,
        IsSupport=0,
        IsSupply=None,
        DateOfBirth="1980-02-29",
        EmploymentStart="2019-09-01",
        EmploymentEnd=None,
        Roles="Teacher, Head of Year,,",
        RoleCodes="TCHR,HOY",
        LastUpdated="2026-10-25T01:30:00",
        RowHash="9f2c41aa",
    )
    row.update(changes)
    return row


def _apply_staff(spec: TableSpec[Staff], rows: Sequence[Mapping[str, Any]]) -> Applied:
    return apply([spec], Wire(rows={"Staff": list(rows)}), None, STAFF_CTX, delta=False)


def test_a_staff_row_in_the_narrowed_shape_is_read_typed_as_from_row_reads_it() -> None:
    row = _staff_row("110003")
    structs = STAFF_TYPED.convert([row])
    assert structs is not None and structs[0] is not None
    assert Staff.from_columns(structs[0], STAFF_CTX) == Staff.from_row(row, STAFF_CTX)

    (member,) = _apply_staff(STAFF, [row]).snapshot.table(STAFF).values()
    assert (member.is_teacher, member.is_support, member.is_supply) == (True, False, None)
    assert (member.forename, member.surname) == ("forename-110003", "surname-110003")
    assert (member.title, member.display_name) == ("title-110003", "displayname-110003")
    assert member.roles == ("Teacher", "Head of Year") and member.role_codes == ("TCHR", "HOY")
    assert str(member.date_of_birth) == "1980-02-29" and member.employment_end is None
    assert member.last_updated is not None and member.last_updated.isoformat() == (
        "2026-10-25T00:30:00+00:00"  # the first 01:30 of the night the clocks go back
    )
    assert member.row_hash == "9f2c41aa"


@pytest.mark.parametrize(
    "flag",
    ["1", "0", " 1", "yes", True, False, 1.0, 0.0, 2, -1, ""],
    ids=repr,
)
def test_a_flag_in_any_form_but_the_integers_0_and_1_is_read_the_general_way(
    flag: object,
) -> None:
    exact = [_staff_row(str(n), IsSupply=n % 2) for n in range(3)]
    odd = _staff_row("3", IsSupport=flag)
    structs = STAFF_TYPED.convert([*exact, odd])
    assert structs is not None
    assert [s is None for s in structs] == [False, False, False, True]
    # Decoded from a body, the table is not decoded straight into structs: dicts, as orjson
    # reads them, for the general reading.
    assert STAFF_TYPED.decode(msgspec.Raw(orjson.dumps([*exact, odd]))) is None
    decoded = decode_tables(orjson.dumps({"Staff": [*exact, odd]}), {"staff": STAFF_TYPED})
    assert decoded is not None and decoded["Staff"] == [*exact, odd]

    typed = _apply_staff(STAFF, [*exact, odd])
    general = _apply_staff(dataclasses.replace(STAFF, typed=None), [*exact, odd])
    assert _table(typed, STAFF) == _table(general, STAFF)


def test_a_blank_string_beside_a_set_flag_takes_the_row_the_general_way() -> None:
    """The blank check passes the flags by (a 1 is no string) and still sees the strings."""
    rows = [_staff_row("1"), _staff_row("2", Surname=" "), _staff_row("3", Roles="")]
    structs = STAFF_TYPED.convert(rows)
    assert structs is not None and [s is None for s in structs] == [False, True, True]
    general = _apply_staff(dataclasses.replace(STAFF, typed=None), rows)
    assert _table(_apply_staff(STAFF, rows), STAFF) == _table(general, STAFF)


def test_every_column_staff_rows_are_not_read_typed() -> None:
    unnarrowed = [_staff_row(str(n), NINumber=None, HomeEmail=None) for n in range(3)]
    assert STAFF_TYPED.convert(unnarrowed) is None
    missing = _staff_row("4")
    del missing["IsSupply"]
    cased = _staff_row("5")
    cased["isTeacher"] = cased.pop("IsTeacher")
    structs = STAFF_TYPED.convert([_staff_row("3"), missing, cased])
    assert structs is not None and [s is None for s in structs] == [False, True, True]


def test_flags_must_be_columns_of_the_table_and_not_its_key() -> None:
    with pytest.raises(ValueError, match=r"\['Id'\]"):
        TypedRows("Bad", ("Id", "IsTeacher"), Staff.from_columns, flags=("Id",))
    with pytest.raises(ValueError, match="IsGovernor"):
        TypedRows("Bad", ("Id", "IsTeacher"), Staff.from_columns, flags=("IsGovernor",))


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
