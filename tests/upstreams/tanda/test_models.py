"""Parsing Tanda's wire format: the doc's own examples, its quirks, and what is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from schoolgraph.errors import UpstreamBadResponseError
from schoolgraph.upstreams.tanda.models import (
    parse_current_user,
    parse_leave_balance,
    parse_leave_request,
    parse_list,
    parse_location,
    parse_roster,
    parse_schedule,
    parse_shift,
    parse_team,
    parse_timesheet,
    parse_user,
    parse_wire_date,
)

ROUTE = "/api/v2/test"

# The doc's examples (tanda.md §4), with the fields the models read.
SHIFT: dict[str, Any] = {
    "id": 1337,
    "timesheet_id": 7007,
    "user_id": 123456,
    "date": "2016-03-02",
    "start": 1456902118,
    "break_start": 1456908143,
    "break_finish": 1456909812,
    "break_length": 27,
    "breaks": [
        {
            "id": 42,
            "shift_id": 1337,
            "start": 1456908143,
            "finish": 1456909812,
            "length": 27,
            "paid": False,
            "selected_automatic_break_id": 73647,
        }
    ],
    "finish": 1456916286,
    "status": "APPROVED",
    "allowances": [{"id": 456789, "name": "Hazardous", "value": 0.5, "cost": 1.75}],
    "tag": None,
    "tag_id": None,
    "cost": 20.1,
    "department_id": 808,
    "metadata": "My special metadata",
    "leave_request_id": None,
    "record_id": 532432,
    "approved_by": 123455,
    "approved_at": "1456988518",  # typed string in the doc (§3.4)
    "a_field_from_the_future": {"nested": True},
}
SCHEDULE: dict[str, Any] = {
    "id": 31337157,
    "roster_id": 70074,
    "user_id": None,
    "start": 1456902000,
    "finish": 1456916400,
    "breaks": [
        {
            "start": 1456903800,
            "finish": 1456905600,
            "paid": False,
            "paid_meal_break": True,
            "length": 30,
        }
    ],
    "automatic_break_length": None,
    "department_id": 111,
    "shift_detail_id": 36,
    "cost": 20.19,
    "last_published_at": 1457002800,
    "acceptance_status": "not_accepted",
    "updated_at": 1457002801,
}


def test_a_shift_becomes_aware_utc_instants_and_a_local_date() -> None:
    shift = parse_shift(SHIFT, ROUTE)
    assert shift.start == datetime(2016, 3, 2, 7, 1, 58, tzinfo=UTC)
    assert shift.date == date(2016, 3, 2)
    assert shift.approved and shift.approved_at == datetime.fromtimestamp(1456988518, UTC)
    assert shift.breaks[0].length == 27 and shift.breaks[0].id == 42
    assert shift.cost == 20.1 and shift.updated_at is None


def test_a_vacant_schedule_and_the_break_spelling_variant() -> None:
    schedule = parse_schedule(SCHEDULE, ROUTE)
    assert schedule.user_id is None and schedule.published
    assert schedule.breaks[0].paid_meal_break is True
    assert schedule.last_published_at == datetime(2016, 3, 3, 11, 0, tzinfo=UTC)


def test_a_roster_holds_its_days_and_a_timesheet_its_shifts() -> None:
    roster = parse_roster(
        {
            "id": 70074,
            "schedules": [
                {"date": "2016-02-29", "schedules": [SCHEDULE]},
                {"date": "2016-03-01", "schedules": []},
            ],
            "start": "2016-02-29",
            "finish": "2016-03-06",
            "meta": {"page": 1, "page_size": 50, "total": 1},
        },
        ROUTE,
    )
    assert [d.date for d in roster.days] == [date(2016, 2, 29), date(2016, 3, 1)]
    assert [s.id for s in roster.schedules] == [31337157]
    sheet = parse_timesheet(
        {
            "id": 7007,
            "user_id": 123456,
            "start": "2016-02-29",
            "finish": "2016-03-13",
            "status": "approved",
            "shifts": [SHIFT],
            "cost": 102.15,
        },
        ROUTE,
    )
    assert sheet.shifts[0].id == 1337 and sheet.finish == date(2016, 3, 13)


def test_users_keep_their_zone_and_the_passcode_is_dropped() -> None:
    user = parse_user(
        {
            "id": 123456,
            "name": "Lenny Leonard",
            "email": "lenny@example.org",
            "employee_id": "LL1",
            "passcode": "0456",
            "department_ids": [111],
            "time_zone": "Australia/Brisbane",
            "utc_offset": 36000,
            "active": True,
            "date_of_birth": "1955-05-12",
            "employment_start_date": "1989-12-17",
        },
        ROUTE,
    )
    assert user.zone is not None and str(user.zone) == "Australia/Brisbane"
    assert user.date_of_birth == date(1955, 5, 12)
    assert "0456" not in repr(user)
    unknown_zone = parse_user({"id": 1, "name": "X", "time_zone": "Mars/Olympus"}, ROUTE)
    assert unknown_zone.zone is None and unknown_zone.department_ids == ()


def test_me_teams_locations_and_balances() -> None:
    me = parse_current_user(
        {
            "id": 1,
            "name": "A",
            "permissions": ["employee", "manager"],
            "user_ids": [1, 2],
            "organisations": [{"name": "Moe's", "id": 126546, "user_id": 1}],
            "valid_subscription": True,
        },
        ROUTE,
    )
    assert me.organisations[0].id == 126546 and me.permissions == ("employee", "manager")
    team = parse_team(
        {"id": 808, "name": "Waiters", "location_id": 111, "colour": "#FBB829"}, ROUTE
    )
    assert team.staff is None  # an employee's four-field view
    location = parse_location(
        {
            "id": 111,
            "name": "Springfield",
            "latitude": -27.459687,
            "longitude": 153.032108,
            "time_zone": None,
            "utc_offset": 36000,
        },
        ROUTE,
    )
    assert location.zone is None and location.latitude == -27.459687
    balance = parse_leave_balance(
        {"id": 666, "user_id": 123456, "leave_type": "Annual Leave", "hours": 4}, ROUTE
    )
    assert balance.hours == 4.0 and balance.should_accrue is False


@pytest.mark.parametrize(
    "breakdown",
    [
        {
            "2016-04-01": {
                "hours": 7.6,
                "all_day": False,
                "start_time": "2016-04-01T09:30:00+1000",
                "finish_time": "2016-04-01T17:30:00+1000",
            }
        },
        [
            {
                "date": "2016-04-01",
                "hours": 7.6,
                "all_day": False,
                "start_time": "2016-04-01T09:30:00+1000",
                "finish_time": "2016-04-01T17:30:00+1000",
            }
        ],
    ],
    ids=["object-keyed-by-date", "list-of-days"],
)
def test_leave_reads_both_breakdown_shapes_and_the_dummy_date_times(breakdown: Any) -> None:
    leave = parse_leave_request(
        {
            "id": 666,
            "user_id": 123456,
            "leave_type": "Personal/Carer's Leave",
            "hours": 7.6,
            "start": "2016-04-01",
            "finish": "2016-04-01",
            "status": "pending",
            "start_time": "2000-01-01T09:30:00+10:00",
            "finish_time": "2000-01-01T17:30:00+10:00",
            "multitagging": "false",
            "daily_breakdown": breakdown,
        },
        ROUTE,
    )
    assert leave.start_time == time(9, 30) and leave.finish_time == time(17, 30)
    day = leave.daily_breakdown[0]
    assert day.date == date(2016, 4, 1)
    assert day.start == datetime(2016, 3, 31, 23, 30, tzinfo=UTC)


def test_unpadded_dates_are_read() -> None:
    sheet = parse_timesheet(
        {
            "id": 1,
            "user_id": 2,
            "start": "2020-1-1",
            "finish": "2020-1-14",
            "status": "pending",
            "shifts": [],
        },
        ROUTE,
    )
    assert sheet.start == date(2020, 1, 1)


def test_a_missing_required_field_names_the_field_and_route_not_the_value() -> None:
    broken = {k: v for k, v in SHIFT.items() if k != "timesheet_id"}
    with pytest.raises(UpstreamBadResponseError) as missing:
        parse_list([SHIFT, broken], "/api/v2/shifts", parse_shift)
    assert missing.value.message == (
        "Tanda answered /api/v2/shifts with a shift that has no 'timesheet_id'."
    )
    assert missing.value.upstream == "tanda"


@pytest.mark.parametrize(
    ("field", "value"),
    [("start", "soon"), ("date", "02/03/2016"), ("user_id", True), ("breaks", {"x": 1})],
)
def test_a_field_of_the_wrong_type_is_a_bad_response(field: str, value: object) -> None:
    with pytest.raises(UpstreamBadResponseError) as wrong:
        parse_shift({**SHIFT, field: value}, ROUTE)
    assert f"'{field}'" in wrong.value.message and str(value) not in wrong.value.message


def test_a_list_must_be_an_array_of_objects() -> None:
    with pytest.raises(UpstreamBadResponseError, match="JSON array"):
        parse_list({"users": []}, ROUTE, parse_user)
    with pytest.raises(UpstreamBadResponseError, match="not a JSON object"):
        parse_list([1], ROUTE, parse_user)


def test_a_whole_float_past_2_to_the_53_is_not_taken_for_an_id() -> None:
    # The JSON reader reads an integer beyond 64 bits as the nearest float (upstreams.http):
    # taking it for an id would round it to another id.
    with pytest.raises(UpstreamBadResponseError, match="'id' is not a whole number"):
        parse_user({"id": float(2**64 + 1), "name": "X"}, ROUTE)
    assert parse_user({"id": float(2**53), "name": "X"}, ROUTE).id == 2**53


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-03-02", date(2016, 3, 2)),
        (" 2016-03-02 ", date(2016, 3, 2)),
        ("2020-1-1", date(2020, 1, 1)),
        ("2020-01-1 ", date(2020, 1, 1)),
        # Arabic-Indic digits: str.isdigit and int() read them
        ("\u0662\u0660\u0662\u0660-\u0660\u0661-\u0660\u0662", date(2020, 1, 2)),
        ("2016-13-02", None),
        ("2016-0a-02", None),
        ("20160302", None),
        ("2016-03-02T00:00:00", None),
    ],
    ids=[
        "iso",
        "padded",
        "unpadded",
        "ten characters unpadded",
        "other digits",
        "no such month",
        "not digits",
        "basic iso",
        "a time too",
    ],
)
def test_wire_dates_in_the_common_form_and_around_it(text: str, expected: date | None) -> None:
    assert parse_wire_date(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1456902118, datetime(2016, 3, 2, 7, 1, 58, tzinfo=UTC)),
        (1456902118.5, datetime(2016, 3, 2, 7, 1, 58, 500000, tzinfo=UTC)),
        (" 1456902118 ", datetime(2016, 3, 2, 7, 1, 58, tzinfo=UTC)),
    ],
    ids=["int", "float", "numeric string"],
)
def test_unix_times_of_every_type_read_the_same_twice(value: object, expected: datetime) -> None:
    for _ in range(2):  # the second read of a unix time is a remembered one
        shift = parse_shift({**SHIFT, "start": value}, ROUTE)
        assert shift.start == expected and shift.start.tzinfo is UTC


@pytest.mark.parametrize("value", [10**12, -(10**12), True], ids=["far future", "far past", "bool"])
def test_an_unreadable_unix_time_is_a_bad_response_every_time(value: object) -> None:
    for _ in range(2):
        with pytest.raises(UpstreamBadResponseError, match="'start' is not a unix time"):
            parse_shift({**SHIFT, "start": value}, ROUTE)


@pytest.mark.parametrize(
    ("field", "value", "read"),
    [
        ("user_id", 7, 7),
        ("user_id", 7.0, 7),
        ("user_id", " 7 ", 7),
        ("department_id", None, None),
        ("metadata", "x", "x"),
        ("metadata", 5, "5"),
        ("cost", 2.5, 2.5),
        ("cost", 2, 2.0),
        ("cost", "2.5", 2.5),
    ],
)
def test_values_of_the_models_type_and_of_others_read_alike(
    field: str, value: object, read: object
) -> None:
    shift = parse_shift({**SHIFT, field: value}, ROUTE)
    assert getattr(shift, field) == read
    assert type(getattr(shift, field)) is type(read)
