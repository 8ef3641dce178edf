"""Tanda lists read typed give what the general reading gives, or are left to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from schoolgraph.errors import UpstreamBadResponseError
from schoolgraph.upstreams.http import UpstreamResponse
from schoolgraph.upstreams.tanda.models import parse_list, parse_schedule, parse_shift, parse_user
from schoolgraph.upstreams.tanda.typed_rows import TypedList, typed_reading

from .conftest import ALL_SCOPES, Sim

Parse = Callable[[object, str], Any]
SCHEDULES_ROUTE = "/api/v2/schedules"
SHIFTS_ROUTE = "/api/v2/shifts"
USERS_ROUTE = "/api/v2/users"


def _typed(parse: Parse) -> TypedList[Any, Any]:
    typed = typed_reading(parse)
    assert typed is not None
    return typed


# Values a field may hold: the documented forms first, then what the general reading also
# takes (numeric strings, whole floats, 0/1 and "true" flags) or refuses.
WHOLE = st.one_of(st.integers(-5, 2_000_000_000), st.none())
ODD_WHOLE = st.sampled_from(["12", " 12", 12.0, 12.5, True, "x", [], 2**63, 2**64, 2**70, -(2**64)])
INSTANT = st.one_of(st.integers(0, 2_000_000_000), st.none())
ODD_INSTANT = st.sampled_from(["1788170400", 1788170400.5, 10**20, -(10**20), False, "soon"])
FLAG = st.one_of(st.booleans(), st.none())
ODD_FLAG = st.sampled_from([0, 1, "true", "False", 2, "yes"])
COST = st.one_of(st.integers(0, 500), st.floats(0, 500, allow_nan=False), st.none())
ODD_COST = st.sampled_from(["12.5", True, "cheap"])
TEXT = st.one_of(st.sampled_from(["not_accepted", "APPROVED", ""]), st.none())
DAY = st.sampled_from(["2026-11-23", "2026-1-5"])
ODD_DAY = st.sampled_from(["23/11/2026", "2026-02-30", "", 20261123, None])
ODD_TEXT = st.sampled_from([3, 2.5, True, {"a": 1}])
IDS = st.one_of(st.lists(st.integers(1, 10**6), max_size=3), st.none())
ODD_IDS = st.sampled_from([["12"], [" 3"], [1.0], [True], 7, [2**64], ["x"]])


Spec = dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]]


def _rows(
    required: Spec, optional: Spec, sent: dict[str, Any], *, odd: bool
) -> st.SearchStrategy[dict[str, Any]]:
    """Wire rows: each field in one of its documented forms, or (``odd``) now and then in a
    form the documented shape does not have; ``sent`` are fields Tanda sends and no model
    keeps."""

    def field(usual: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> Any:
        return st.one_of(usual, usual, usual, other) if odd else usual

    return st.fixed_dictionaries(
        {name: field(*forms) for name, forms in required.items()},
        optional={
            **{name: field(*forms) for name, forms in optional.items()},
            **{name: st.just(value) for name, value in sent.items()},
        },
    )


def _breaks(spec: Spec, *, odd: bool) -> tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]:
    return st.one_of(st.lists(_rows({}, spec, {}, odd=odd), max_size=2), st.none()), st.just(1)


SCHEDULE_BREAK: Spec = {
    "start": (INSTANT, ODD_INSTANT),
    "finish": (INSTANT, ODD_INSTANT),
    "length": (WHOLE, ODD_WHOLE),
    "paid": (FLAG, ODD_FLAG),
    "paid_meal_breaks": (FLAG, ODD_FLAG),
    "paid_meal_break": (FLAG, ODD_FLAG),
}
SHIFT_BREAK: Spec = {
    "id": (WHOLE, ODD_WHOLE),
    "shift_id": (WHOLE, ODD_WHOLE),
    "start": (INSTANT, ODD_INSTANT),
    "finish": (INSTANT, ODD_INSTANT),
    "length": (WHOLE, ODD_WHOLE),
    "paid": (FLAG, ODD_FLAG),
}


def _schedules(*, odd: bool) -> st.SearchStrategy[dict[str, Any]]:
    return _rows(
        {"id": (st.integers(1, 10**9), ODD_WHOLE), "roster_id": (st.integers(1, 10**6), ODD_WHOLE)},
        {
            "user_id": (WHOLE, ODD_WHOLE),
            "start": (INSTANT, ODD_INSTANT),
            "finish": (INSTANT, ODD_INSTANT),
            "breaks": _breaks(SCHEDULE_BREAK, odd=odd),
            "automatic_break_length": (WHOLE, ODD_WHOLE),
            "department_id": (WHOLE, ODD_WHOLE),
            "shift_detail_id": (WHOLE, ODD_WHOLE),
            "cost": (COST, ODD_COST),
            "last_published_at": (INSTANT, ODD_INSTANT),
            "acceptance_status": (TEXT, ODD_TEXT),
            "updated_at": (INSTANT, ODD_INSTANT),
        },
        {"creation_method": "manual", "needs_acceptance": True},
        odd=odd,
    )


def _shifts(*, odd: bool) -> st.SearchStrategy[dict[str, Any]]:
    return _rows(
        {
            "id": (st.integers(1, 10**9), ODD_WHOLE),
            "timesheet_id": (st.integers(1, 10**6), ODD_WHOLE),
            "user_id": (st.integers(1, 10**6), ODD_WHOLE),
            "date": (DAY, ODD_DAY),
            "status": (st.sampled_from(["PENDING", "APPROVED"]), ODD_TEXT),
        },
        {
            "start": (INSTANT, ODD_INSTANT),
            "finish": (INSTANT, ODD_INSTANT),
            "break_start": (INSTANT, ODD_INSTANT),
            "break_finish": (INSTANT, ODD_INSTANT),
            "break_length": (WHOLE, ODD_WHOLE),
            "breaks": _breaks(SHIFT_BREAK, odd=odd),
            "department_id": (WHOLE, ODD_WHOLE),
            "metadata": (TEXT, ODD_TEXT),
            "leave_request_id": (WHOLE, ODD_WHOLE),
            "approved_by": (WHOLE, ODD_WHOLE),
            "approved_at": (INSTANT, ODD_INSTANT),
            "cost": (COST, ODD_COST),
            "updated_at": (INSTANT, ODD_INSTANT),
        },
        {"allowances": [], "tag": None},
        odd=odd,
    )


def _general(body: bytes, parse: Parse) -> tuple[Any, ...] | UpstreamBadResponseError:
    """The list read the general way: decoded as the client decodes any answer, then read
    field by field."""
    route = "/api/v2/list"
    response = UpstreamResponse("tanda", route, 200, CIMultiDictProxy(CIMultiDict()), body)
    try:
        return parse_list(response.json(), route, parse)
    except UpstreamBadResponseError as error:
        return error


def _body(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows).encode()  # the stdlib writes whole numbers of any size


def _users(*, odd: bool) -> st.SearchStrategy[dict[str, Any]]:
    return _rows(
        {
            "id": (st.integers(1, 10**9), ODD_WHOLE),
            "name": (st.sampled_from(["Ada Lovelace", ""]), ODD_TEXT),
        },
        {
            "legal_first_name": (TEXT, ODD_TEXT),
            "legal_last_name": (TEXT, ODD_TEXT),
            "email": (TEXT, ODD_TEXT),
            "employee_id": (TEXT, ODD_TEXT),
            "phone": (TEXT, ODD_TEXT),
            "normalised_phone": (TEXT, ODD_TEXT),
            "date_of_birth": (st.one_of(DAY, st.none()), ODD_DAY),
            "employment_start_date": (st.one_of(DAY, st.none()), ODD_DAY),
            "employment_end_date": (st.one_of(DAY, st.none()), ODD_DAY),
            "active": (FLAG, ODD_FLAG),
            "department_ids": (IDS, ODD_IDS),
            "report_department_id": (WHOLE, ODD_WHOLE),
            "managed_department_ids": (IDS, ODD_IDS),
            "time_zone": (st.sampled_from(["Australia/Brisbane", "Nowhere/Else", None]), ODD_TEXT),
            "utc_offset": (WHOLE, ODD_WHOLE),
            "created_at": (INSTANT, ODD_INSTANT),
            "updated_at": (INSTANT, ODD_INSTANT),
        },
        {"passcode": "1234", "qualifications": [], "award": None},
        odd=odd,
    )


LISTS = {
    "schedules": (parse_schedule, _schedules),
    "shifts": (parse_shift, _shifts),
    "users": (parse_user, _users),
}


def _readings(*, odd: bool) -> list[Any]:
    """Each list's parser with rows for it: documented ones, or (``odd``) mixed with others."""
    return [pytest.param(parse, rows(odd=odd), id=name) for name, (parse, rows) in LISTS.items()]


@pytest.mark.parametrize(("parse", "rows"), _readings(odd=True))
@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_a_typed_read_gives_the_general_reading_or_leaves_the_list_to_it(
    parse: Parse, rows: st.SearchStrategy[dict[str, Any]], data: st.DataObject
) -> None:
    body = _body(data.draw(st.lists(rows, max_size=6)))
    typed = _typed(parse).decode(body)
    if typed is not None:
        assert typed == _general(body, parse)


@pytest.mark.parametrize(("parse", "rows"), _readings(odd=False))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_rows_in_the_documented_shape_are_read_typed(
    parse: Parse, rows: st.SearchStrategy[dict[str, Any]], data: st.DataObject
) -> None:
    body = _body(data.draw(st.lists(rows, max_size=6)))
    typed = _typed(parse).decode(body)
    assert typed is not None
    assert typed == _general(body, parse)


@pytest.mark.parametrize("parse", [parse for parse, _ in LISTS.values()])
@pytest.mark.parametrize(
    "body", [b"{}", b"[1, 2]", b'{"id": 1}', b"[{NaN}]", b'[{"id": 1}]', b"\xef\xbb\xbf[]"]
)
def test_what_is_not_a_list_of_rows_is_left_to_the_general_reading(
    parse: Parse, body: bytes
) -> None:
    assert _typed(parse).decode(body) is None


async def _admin_get(sim: Sim, route: str, params: dict[str, str]) -> bytes:
    c = sim.world.credentials
    async with sim.http.post(
        f"{sim.base_url}/api/oauth/token",
        data={
            "username": c.tanda_admin_email,
            "password": c.tanda_admin_password,
            "scope": " ".join(ALL_SCOPES),
            "grant_type": "password",
        },
    ) as response:
        token = (await response.json())["access_token"]
    async with sim.http.get(
        f"{sim.base_url}{route}", params=params, headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status == 200
        return await response.read()


async def test_the_simulators_schedules_shifts_and_users_are_read_typed(sim: Sim) -> None:
    """The simulator sends each in the documented shape, so the client's fast path is the
    one it takes, not only one it could."""
    start = min(s.start for s in sim.world.schedules.values() if s.start is not None).date()
    week = {"from": start.isoformat(), "to": (start + timedelta(days=6)).isoformat()}
    for route, parse, params in [
        (SCHEDULES_ROUTE, parse_schedule, week),
        (SHIFTS_ROUTE, parse_shift, {**week, "page_size": "100"}),
        (USERS_ROUTE, parse_user, {"page": "1", "page_size": "100"}),
    ]:
        body = await _admin_get(sim, route, params)

        typed = _typed(parse).decode(body)

        assert typed is not None, route
        assert len(typed) > 10
        assert typed == _general(body, parse)
        assert any(row.breaks if parse is not parse_user else row.department_ids for row in typed)
