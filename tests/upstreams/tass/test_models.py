"""Parsing TASS rows once: both APIs' shapes, time zones, absent fields, missing keys."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from schoolgraph.errors import UpstreamBadResponseError
from schoolgraph.upstreams.tass.models import (
    RowContext,
    absence_legacy,
    calendar_day_legacy,
    class_legacy,
    communication_rules_rows_legacy,
    contact_address_legacy,
    employee_legacy,
    parse_date,
    parse_instant,
    parse_time,
    person_timetable_legacy,
    student_2026,
    student_legacy,
    teacher_legacy,
    timetable_slot_legacy,
    year_group_legacy,
)

BRISBANE = ZoneInfo("Australia/Brisbane")
SYDNEY = ZoneInfo("Australia/Sydney")
CTX = RowContext("01", BRISBANE, "/api/{cmpy_code}/students")


# --------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-11T10:45:12.557", datetime(2026, 2, 11, 0, 45, 12, 557000, tzinfo=UTC)),
        ("2026-02-11 10:45:12.557", datetime(2026, 2, 11, 0, 45, 12, 557000, tzinfo=UTC)),
        ("2026-02-11T10:45:12.5570000", datetime(2026, 2, 11, 0, 45, 12, 557000, tzinfo=UTC)),
        ("2026-02-11T10:45:12Z", datetime(2026, 2, 11, 10, 45, 12, tzinfo=UTC)),
        ("2026-02-11T10:45:12+10:00", datetime(2026, 2, 11, 0, 45, 12, tzinfo=UTC)),
        ("25/03/2021 04:37:50 PM", datetime(2021, 3, 25, 6, 37, 50, tzinfo=UTC)),
        ("25/03/2021 12:05:00 AM", datetime(2021, 3, 24, 14, 5, 0, tzinfo=UTC)),
        ("{ts '2021-01-21 12:20:23'}", datetime(2021, 1, 21, 2, 20, 23, tzinfo=UTC)),
        ("2019-06-05 00:00:00.0", datetime(2019, 6, 4, 14, 0, tzinfo=UTC)),
    ],
)
def test_school_local_timestamps_become_aware_utc(text: str, expected: datetime) -> None:
    assert parse_instant(text, BRISBANE) == expected


def test_the_companys_zone_decides_including_daylight_saving() -> None:
    summer = parse_instant("2026-01-15T09:00:00", SYDNEY)  # AEDT, UTC+11
    winter = parse_instant("2026-07-15T09:00:00", SYDNEY)  # AEST, UTC+10
    assert summer == datetime(2026, 1, 14, 22, 0, tzinfo=UTC)
    assert winter == datetime(2026, 7, 14, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, "", "   ", "not a date", 20200101, "31/02/2020"])
def test_unreadable_instants_are_none(value: object) -> None:
    assert parse_instant(value, BRISBANE) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-27T00:00:00", date(2026, 1, 27)),
        ("27/01/2026", date(2026, 1, 27)),
        ("2026-01-27", date(2026, 1, 27)),
        ("2019-07-05 00:00:00.0", date(2019, 7, 5)),
        ("", None),
    ],
)
def test_dates_in_every_documented_form(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("11:29:00", time(11, 29)), ("1900-01-01 11:29:00.0", time(11, 29)), ("", None)],
)
def test_bell_times(text: str, expected: time | None) -> None:
    assert parse_time(text) == expected


# --------------------------------------------------------------------------- 2026 rows


def test_the_observed_2026_student_record_parses() -> None:
    row = {  # tass.md §D.4, the [3P] example, with its datetimes as the wire sends them
        "stud_code": "123456",
        "stud_id": "a_uid_value",
        "cmpy_code": "01",
        "surname": "Citizen",
        "preferred_surname": "Citizen",
        "first_name": "Sarah",
        "preferred_name": "Sarah",
        "other_name": None,
        "e_mail": "student@example.org",
        "mob_phone": None,
        "gender": "F",
        "dob": "2009-05-01T00:00:00",
        "doe": "2021-01-27T00:00:00",
        "dol": None,
        "year_grp": 11,
        "entry_lev": 7,
        "form_cls": "A",
        "pctut_grp": "A",
        "house": "KNGR",
        "campus_code": None,
        "par_code": "654321",
        "multipar_flg": False,
        "sms_flg": False,
        "boarder": False,
        "fte": 1.0,
        "religion": "CH",
        "alt_id": "11223344",
        "update_on": "2026-02-11 10:45:12.557",
        "a_field_from_a_later_release": {"nested": True},
    }
    ctx = RowContext("01", BRISBANE, "/api/{cmpy_code}/students", house_names={"KNGR": "Kangaroo"})
    student = student_2026(row, ctx)
    assert student.code == "123456" and student.company == "01"
    assert student.date_of_birth == date(2009, 5, 1) and student.leaving_date is None
    assert (student.year_group, student.tutor_group, student.form_class) == (11, "A", "A")
    assert (student.house_code, student.house_name) == ("KNGR", "Kangaroo")
    assert student.boarder is False and student.alternate_id == "11223344"
    assert student.updated_at == datetime(2026, 2, 11, 0, 45, 12, 557000, tzinfo=UTC)
    assert student.status(date(2026, 2, 20)) == "current"


def test_a_field_the_account_may_not_read_is_none() -> None:
    student = student_2026({"stud_code": "0009130", "surname": "Clark"}, CTX)
    assert student.surname == "Clark"
    assert student.first_name is None and student.year_group is None
    assert student.updated_at is None


def test_a_missing_key_field_names_the_field_and_route_not_the_values() -> None:
    with pytest.raises(UpstreamBadResponseError) as info:
        student_2026({"surname": "Secretname", "e_mail": "x@example.org"}, CTX)
    message = info.value.message
    assert "'stud_code'" in message and "/api/{cmpy_code}/students" in message
    assert "Secretname" not in message and "x@example.org" not in message
    assert info.value.upstream == "tass"


# --------------------------------------------------------------------------- legacy rows


def test_a_legacy_student_maps_descriptions_and_yes_no_values() -> None:
    item = {  # tass.md §B.1.1, v3 example fields (abridged)
        "general_details": {
            "surname": "Clark",
            "date_of_leaving": "",
            "student_code": "0009130",
            "first_name": "Andréa",
            "mobile_phone": "0426505880",
            "par_code": "000055",
            "preferred_name": "Andy",
            "other_name": "Joan",
            "gender": "",
            "date_of_entry": "31/03/2018",
            "date_of_birth": "02/09/1994",
            "multipar_flg ": "Y",
            "last_update_on": "25/03/2021 04:37:50 PM",
        },
        "school_details": {
            "campus": "Banana Cmpy 10 Campus",
            "email_address": "testing@tassweb.com.au",
            "pc_tutor_group": "9DD",
            "boarder": "Yes",
            "house": "Banksia",
            "year_group": 11,
            "form_class": "F",
        },
        "other_school_details": {"locker_number": 221},
    }
    ctx = RowContext(
        "10",
        BRISBANE,
        "/tassweb/api/?method=getStudentsDetails",
        campus_codes={"Banana Cmpy 10 Campus": "BA"},
    )
    student = student_legacy(item, ctx)
    assert (student.code, student.company, student.campus_code) == ("0009130", "10", "BA")
    assert student.gender is None and student.leaving_date is None
    assert student.entry_date == date(2018, 3, 31) and student.date_of_birth == date(1994, 9, 2)
    assert (student.house_code, student.house_name, student.boarder) == ("Banksia", "Banksia", True)
    assert student.updated_at == datetime(2021, 3, 25, 6, 37, 50, tzinfo=UTC)


def test_legacy_numeric_codes_become_strings() -> None:
    employee = employee_legacy(
        {
            "general": {
                "employee_code": 1000016,
                "teacher_code": "AJ",
                "given_names": "Alan Pierre",
                "termination_date": "",
                "start_date": "04/09/2000",
                "last_update_on": "15/02/2019 05:04:04 PM",
            },
            "address": {"email": "AJ333@tassweb.com.au", "mobile_phone": ""},
        },
        CTX,
    )
    assert (employee.code, employee.teacher_code, employee.first_name) == ("1000016", "AJ", "Alan")
    assert employee.start_date == date(2000, 9, 4) and employee.mobile is None
    teacher = teacher_legacy(
        {
            "teacher_code": "NA1",
            "employee_code": 1000066,
            "active_flag": "Y",
            "department": "ART,ENG",
            "school_email_address": "x@example.com",
        },
        CTX,
    )
    assert teacher.employee_code == "1000066" and teacher.active is True
    assert teacher.departments == ("ART", "ENG")


def test_legacy_lists_with_uppercase_keys_and_composite_class_ids() -> None:
    klass = class_legacy(
        {
            "class_desc": "English, DD, A",
            "sub_code": "0001",
            "year_grp": -5,
            "semester": 2,
            "class": "A",
            "year_study": 2023,
            "teachers": [],
            "sub_desc": "English",
            "students": [{"stud_code": "0009479"}],
        },
        CTX,
    )
    assert klass.id == "01:2023:2:0001:-5:A" and klass.student_codes == ("0009479",)
    slot = timetable_slot_legacy(
        {
            "sub_code": "0001",
            "room_code": "001",
            "tch_code": "OB,AJ",
            "prd_code": 2,
            "class": "S",
            "day_code": 1,
            "semester": 1,
            "year_grp": 7,
            "year_num": 2020,
            "record_id": 272334,
            "tt_id": 91,
        },
        CTX,
    )
    assert slot.teacher_codes == ("OB", "AJ") and slot.record_id == "272334"
    day_off = calendar_day_legacy(
        {"TTDATE": "2019-07-06 00:00:00.0", "TT_ID": 89, "DAY_CODE": "", "CMPY_CODE": 10}, CTX
    )
    assert day_off.date == date(2019, 7, 6) and day_off.day_code is None
    absence = absence_legacy(
        {
            "SUB_CODE": "HOME9997",
            "YEAR_GRP": 11,
            "ACCEPT_IND": "N",
            "STUD_CODE": "0009709",
            "PRD_CODE": 1,
            "CLASS": "A",
            "WEEK": 22,
            "TT_ID": 87,
            "ABSENT_DATE": "2019-06-05 00:00:00.0",
            "DAY_CODE": 8,
        },
        CTX,
    )
    assert (absence.date, absence.acceptable, absence.week) == (date(2019, 6, 5), False, 22)
    assert year_group_legacy({"code": -2, "desc": "AA"}, CTX).label == "AA"
    assert year_group_legacy({"code": 1, "desc": 1}, CTX).label == "1"


def test_legacy_communication_rules_flatten_to_one_row_per_address() -> None:
    entry = {
        "studcode": "0009130",
        "addresses": [
            {
                "communication_type": "EC,GEN,LW,TKCO",
                "add_num": 6,
                "parent_code": "000055",
                "adressee": "Paula Clark",
                "email": "mother@tassweb.com.au",
                "sms_flg_1": "Y",
                "post_code": 4066,
                "m_title": "Mrs",
                "m_first_name": "Paula",
                "m_surname": "Clark",
                "f_first_name": "",
                "f_surname": "",
            },
        ],
    }
    rows = communication_rules_rows_legacy(entry, CTX)
    address = contact_address_legacy(rows[0], CTX)
    assert (address.student_code, address.address_number, address.family_code) == (
        "0009130",
        6,
        "000055",
    )
    assert address.communication_types == ("EC", "GEN", "LW", "TKCO")
    assert address.addressee == "Paula Clark" and address.postcode == "4066"
    assert address.sms_1 is True and address.parent2 is None
    assert address.parent1 is not None and address.parent1.first_name == "Paula"


def test_a_legacy_person_timetable_flattens_days_and_reads_bell_times() -> None:
    entry = {
        "TT_ID": 93,
        "YEAR_NUM": 2020,
        "SEMESTER": 2,
        "DAYS": {
            "1": {
                "PERIODS": {
                    "3": {
                        "SUBJECTS": [
                            {
                                "SUB_CODE": "0001",
                                "ROOM_CODE": "A1",
                                "TCH_CODE": "AJ,BBE",
                                "CLASS": "A",
                                "YEAR_GRP": 11,
                                "SUB_DESC": "English",
                            }
                        ],
                        "PRD_END": "1900-01-01 11:29:00.0",
                        "PRD_CODE": 3,
                        "PRD_START": "1900-01-01 10:30:00.0",
                        "PRD_DESC": "Lesson 2",
                    }
                }
            }
        },
        "STRDAYS": {
            "1": {
                "PERIODS": {
                    "3": {
                        "PRD_END": "1900-01-01 11:29:00.0",
                        "PRD_START": "1900-01-01 10:30:00.0",
                        "PRD_DESC": "Lesson 2",
                    }
                },
                "DAY_DESC": "Monday A",
            }
        },
    }
    slots, bells = person_timetable_legacy(entry, CTX)
    assert len(slots) == 1 and slots[0].teacher_codes == ("AJ", "BBE")
    assert (slots[0].starts, slots[0].ends) == (time(10, 30), time(11, 29))
    assert bells[0].description == "Lesson 2" and bells[0].period_code == 3


def test_a_whole_float_past_2_to_the_53_is_neither_a_number_nor_a_code() -> None:
    # The JSON reader reads an integer beyond 64 bits as the nearest float (upstreams.http).
    rounded = float(2**64 + 1)
    student = student_2026({"stud_code": rounded, "year_grp": rounded}, CTX)
    assert student.code == "1.8446744073709552e+19" and student.year_group is None
    exact = student_2026({"stud_code": float(2**53), "year_grp": 12.0}, CTX)
    assert exact.code == str(2**53) and exact.year_group == 12


@pytest.mark.parametrize(
    ("value", "surname"),
    [
        ("Green", "Green"),
        ("  Green ", "Green"),
        ("", None),
        ("  ", None),
        (None, None),
        (12, "12"),
        (12.0, "12"),
        (12.5, "12.5"),
        (False, None),
        (["Green"], None),
    ],
)
def test_text_values_of_every_type(value: object, surname: str | None) -> None:
    assert student_2026({"stud_code": "1", "surname": value}, CTX).surname == surname


@pytest.mark.parametrize(
    ("value", "year"),
    [
        (12, 12),
        (" 12 ", 12),
        ("-1", -1),
        ("\uff11\uff12", 12),
        ("12a", None),
        ("", None),
        (True, None),
        (12.5, None),
    ],
)
def test_whole_number_values_of_every_type(value: object, year: int | None) -> None:
    assert student_2026({"stud_code": "1", "year_grp": value}, CTX).year_group == year
