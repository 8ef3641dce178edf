"""TASS 2026 pages read typed give what the general reading gives, or are left to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from schoolgraph.errors import UpstreamBadResponseError
from schoolgraph.upstreams.http import UpstreamResponse
from schoolgraph.upstreams.tass import paths
from schoolgraph.upstreams.tass.models import (
    RowContext,
    employee_2026,
    student_2026,
    teacher_2026,
)
from schoolgraph.upstreams.tass.typed_rows import TypedPage, typed_page

from .conftest import Sim

Parse = Callable[[Any, RowContext], Any]
CTX = RowContext(
    "01", ZoneInfo("Australia/Brisbane"), "/api/{cmpy_code}/list", house_names={"KNGR": "Kangaroo"}
)


def _typed(parse: Parse) -> TypedPage[Any, Any]:
    typed = typed_page(parse)
    assert typed is not None
    return typed


Odd = tuple[Any, ...]
"""Values of a field in a form the 2026 API does not send."""

# Values a field may hold: the forms the 2026 API sends first, then what the general reading
# also takes (numbers for text, numeric strings and floats for the year, 0/1 flags) or skips.
KEY = st.sampled_from(["100000", "0009130", " 42 ", "", "  "])
ODD_KEY: Odd = (100000, 1.0, None, True, ["1"])
TEXT = st.one_of(st.sampled_from(["Ada", " Ada ", "", "  ", "KNGR", "RED"]), st.none())
ODD_TEXT: Odd = (3, 2.5, True, {"a": 1}, ["x"], 2**64)
GENDER = st.one_of(st.sampled_from(["M", "F", "male", "Female", "x", "", "Other"]), st.none())
DAY = st.one_of(
    st.sampled_from(["2026-01-27T00:00:00", "2026-01-27", "27/01/2026", "2026-02-30", "", "soon"]),
    st.none(),
)
ODD_DAY: Odd = (20260127, True, 1.5, ["2026-01-27"])
INSTANT = st.one_of(
    st.sampled_from(
        [
            "2026-08-21T23:28:11.000",
            "2026-02-11 10:45:12.557",
            "2026-02-11T10:45:12Z",
            "14/07/2020",
            "14/07/2020 10:45:12 PM",
            "{ts '2020-01-01 10:00:00'}",
            "",
            "later",
        ]
    ),
    st.none(),
)
ODD_INSTANT: Odd = (1788170400, 1.5, False)
YEAR = st.one_of(st.integers(-3, 13), st.none())
ODD_YEAR: Odd = ("7", " 7", 7.0, 7.5, True, 2**63, 2**64, -(2**70), "x")
FLAG = st.one_of(
    st.booleans(), st.sampled_from(["Y", "N", "yes", "true", "0", " n ", "maybe", ""]), st.none()
)
ODD_FLAG: Odd = (0, 1, 2.0, [])
DEPARTMENTS = st.one_of(
    st.lists(st.sampled_from(["MTH", " SCI", "", "  "]), max_size=3),
    st.sampled_from(["MTH,SCI", "", " MTH , ,SCI"]),
    st.none(),
)
ODD_DEPARTMENTS: Odd = ([1], [None], 5, {"MTH": 1})

Spec = dict[str, tuple[st.SearchStrategy[Any], Odd]]


def _rows(key: str, spec: Spec, sent: dict[str, Any], *, odd: bool) -> st.SearchStrategy[Any]:
    """Wire rows: each field in one of the forms the 2026 API sends, or (``odd``) now and then
    in another form; ``sent`` are fields TASS sends and no model keeps. Any field but the key
    may be missing (a field permission hides it)."""

    def field(usual: st.SearchStrategy[Any], other: Odd) -> Any:
        return st.one_of(usual, usual, usual, st.sampled_from(other)) if odd else usual

    return st.fixed_dictionaries(
        {key: field(KEY, ODD_KEY)},
        optional={
            **{name: field(*forms) for name, forms in spec.items()},
            **{name: st.just(value) for name, value in sent.items()},
        },
    )


TEXTS = (TEXT, ODD_TEXT)
STUDENT: Spec = {
    **dict.fromkeys(
        ["surname", "first_name", "preferred_name", "other_name", "preferred_surname"], TEXTS
    ),
    **dict.fromkeys(["form_cls", "pctut_grp", "house", "campus_code", "e_mail"], TEXTS),
    **dict.fromkeys(["mob_phone", "par_code", "alt_id"], TEXTS),
    "gender": (GENDER, ODD_TEXT),
    **dict.fromkeys(["dob", "doe", "dol"], (DAY, ODD_DAY)),
    "year_grp": (YEAR, ODD_YEAR),
    "boarder": (FLAG, ODD_FLAG),
    "update_on": (INSTANT, ODD_INSTANT),
}
EMPLOYEE: Spec = {
    **dict.fromkeys(
        ["tch_code", "title", "surname", "first_name", "given_names", "preferred_name"], TEXTS
    ),
    **dict.fromkeys(["school_email", "e_mail", "mob_phone", "position_title"], TEXTS),
    **dict.fromkeys(["position_text", "employment_status", "campus_code", "alt_id"], TEXTS),
    "gender": (GENDER, ODD_TEXT),
    **dict.fromkeys(["dob", "doe", "dol"], (DAY, ODD_DAY)),
    "update_on": (INSTANT, ODD_INSTANT),
}
TEACHER: Spec = {
    **dict.fromkeys(
        ["employee_code", "surname", "first_name", "preferred_name", "salutation"], TEXTS
    ),
    **dict.fromkeys(["teacher_name", "pc_tutor_group", "email_address"], TEXTS),
    "school_email_address": TEXTS,
    "active_flag": (FLAG, ODD_FLAG),
    "department": (DEPARTMENTS, ODD_DEPARTMENTS),
    "update_on": (INSTANT, ODD_INSTANT),
}

LISTS: dict[str, tuple[Parse, str, Spec, dict[str, Any]]] = {
    "students": (
        student_2026,
        "stud_code",
        STUDENT,
        {"stud_id": "1c2c", "fte": 1.0, "multipar_flg": True, "usi": None},
    ),
    "employees": (employee_2026, "emp_code", EMPLOYEE, {"initials": "AJ", "ceider": None}),
    "teachers": (teacher_2026, "teacher_code", TEACHER, {"portal_user": "", "other_name": ""}),
}


def _readings(*, odd: bool) -> list[Any]:
    """Each list's parser with rows for it: in the 2026 API's forms, or (``odd``) mixed with
    others."""
    return [
        pytest.param(parse, _rows(key, spec, sent, odd=odd), id=name)
        for name, (parse, key, spec, sent) in LISTS.items()
    ]


def _odd_values() -> list[Any]:
    """Each list, field and odd value of that field: a case per value."""
    return [
        pytest.param(list_name, name, value, id=f"{list_name}-{name}-{value!r}")
        for list_name, (_, key, spec, _) in LISTS.items()
        for name, (_, odd) in {key: (KEY, ODD_KEY), **spec}.items()
        for value in odd
    ]


def _general(body: bytes, parse: Parse) -> list[Any] | str:
    """The page read the general way: decoded as the client decodes any answer, then read
    row by row; an error as its message."""
    response = UpstreamResponse("tass", CTX.route, 200, CIMultiDictProxy(CIMultiDict()), body)
    try:
        return [parse(row, CTX) for row in response.json()]
    except UpstreamBadResponseError as error:
        return error.message


def _read_typed(body: bytes, parse: Parse) -> list[Any] | str | None:
    """The page read typed (None: left to the general reading); an error as its message."""
    typed = _typed(parse)
    rows = typed.decode(body)
    if rows is None:
        return None
    try:
        return [typed.build(row, CTX) for row in rows]
    except UpstreamBadResponseError as error:
        return error.message


def _body(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows).encode()  # the stdlib writes whole numbers of any size


@pytest.mark.parametrize(("parse", "rows"), _readings(odd=True))
@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_a_typed_read_gives_the_general_reading_or_leaves_the_page_to_it(
    parse: Parse, rows: st.SearchStrategy[dict[str, Any]], data: st.DataObject
) -> None:
    body = _body(data.draw(st.lists(rows, max_size=6)))
    typed = _read_typed(body, parse)
    if typed is not None:
        assert typed == _general(body, parse)


@pytest.mark.parametrize(("parse", "rows"), _readings(odd=False))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_rows_in_the_2026_apis_forms_are_read_typed(
    parse: Parse, rows: st.SearchStrategy[dict[str, Any]], data: st.DataObject
) -> None:
    body = _body(data.draw(st.lists(rows, max_size=6)))
    typed = _read_typed(body, parse)
    assert typed is not None
    assert typed == _general(body, parse)


@pytest.mark.parametrize(("list_name", "name", "value"), _odd_values())
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_each_odd_value_alone_is_read_as_the_general_reading_reads_it(
    list_name: str, name: str, value: Any, data: st.DataObject
) -> None:
    """One field in a form the API does not send, every other field as it sends them: the
    page is left to the general reading or read as it would read it. (Mixed at random, such a
    row is nearly always beside another odd field, which hides what this one does.)"""
    parse, key, spec, sent = LISTS[list_name]
    row = data.draw(_rows(key, spec, sent, odd=False))
    body = _body([row, {**row, name: value}])
    typed = _read_typed(body, parse)
    if typed is not None:
        assert typed == _general(body, parse)


@pytest.mark.parametrize("parse", [parse for parse, *_ in LISTS.values()])
@pytest.mark.parametrize(
    "body", [b"{}", b"[1, 2]", b'{"stud_code": "1"}', b"[{NaN}]", b"[{}]", b"\xef\xbb\xbf[]"]
)
def test_what_is_not_a_page_of_rows_is_left_to_the_general_reading(
    parse: Parse, body: bytes
) -> None:
    assert _typed(parse).decode(body) is None


async def test_the_simulators_students_employees_and_teachers_are_read_typed(sim: Sim) -> None:
    """The simulator sends each in the 2026 API's forms, so the client's fast path is the one
    it takes, not only one it could."""
    key = sim.demo_key()
    answer = await sim.post(
        "/api/users", {"clientKey": key.client_key, "clientSecret": key.client_secret}
    )
    headers = {"Authorization": f"Bearer {answer['token']}"}
    for template, parse in [
        (paths.STUDENTS, student_2026),
        (paths.EMPLOYEES, employee_2026),
        (paths.TEACHERS, teacher_2026),
    ]:
        url = f"{sim.base}/api{paths.expand(template, cmpy_code='01')}"
        async with sim.http.get(url, params={"$top": "1000"}, headers=headers) as response:
            assert response.status == 200, template
            body = await response.read()

        typed = _read_typed(body, parse)

        assert isinstance(typed, list), template
        assert len(typed) > 5
        assert typed == _general(body, parse)
