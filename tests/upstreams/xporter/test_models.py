"""Parsing the wire once: tolerant of spelling, scopes and extras; strict about keys; times."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from schoolgraph.errors import UpstreamBadResponseError
from schoolgraph.upstreams.xporter import (
    AttendanceCode,
    AttendanceMark,
    Contact,
    Group,
    Lesson,
    LessonStaff,
    SchoolInfo,
    Staff,
    Student,
    StudentContact,
)
from schoolgraph.upstreams.xporter.changesets import (
    Snapshot,
    Table,
    Wire,
    apply,
    row_hash,
    unnamed_deletions,
)
from schoolgraph.upstreams.xporter.models import (
    ATTENDANCE_CODES,
    LESSONS,
    STUDENTS,
    Fields,
    RowContext,
    parse_date,
    parse_flag,
    parse_instant,
    parse_local,
)

LONDON = ZoneInfo("Europe/London")
CTX = RowContext("3281102", LONDON, "/api/v1/School/{estab}/Students", "Students")


def test_a_student_row_from_the_doc_parses_with_extra_and_respelled_columns() -> None:
    # Doc example values (§4.1), EXT spellings (`DateofBirth`), an undocumented `XID`.
    row: dict[str, Any] = {
        "Id": "9919",
        "XID": "xUYWRO2",
        "IdaasId": "PL-9919",
        "Forename": "Graham",
        "Surname": "Abbess",
        "DisplayName": "Graham Abbess",
        "Gender": "M",
        "RegGroupId": 393,
        "RegGroup": "8B",
        "YearGroupId": "36",
        "YearGroup": "Year 8",
        "StandardYearGroupCode": "8",
        "DateofBirth": "2001-12-10",
        "EntryDate": "2014-09-03",
        "LeavingDate": None,
        "StudentStatus": "Leaver",
        "UPN": "A01937632542",
        "LastUpdated": "2016-07-22T13:51:54.799",
        "RowHash": "7B5614EBF6AA72362817797CA4CDBC841A7B2156",
    }

    student = Student.from_row(row, CTX)

    assert (student.id, student.reg_group_id, student.year_group_id) == ("9919", "393", "36")
    assert student.date_of_birth == date(2001, 12, 10) and student.is_leaver
    assert student.estab == "3281102" and student.email is None  # out of scope: absent
    # 13:51 on 22 July is British Summer Time: 12:51 UTC.
    assert student.last_updated == datetime(2016, 7, 22, 12, 51, 54, 799000, tzinfo=UTC)


def test_a_missing_key_names_the_column_table_route_and_school_but_no_value() -> None:
    with pytest.raises(UpstreamBadResponseError) as caught:
        Student.from_row({"Forename": "Zanzibar", "Surname": "Quill"}, CTX)

    message = caught.value.message
    assert "'Id'" in message and "Students" in message and "3281102" in message
    assert "/api/v1/School/{estab}/Students" in message
    assert "Zanzibar" not in message and caught.value.code == "UPSTREAM_BAD_RESPONSE"


@pytest.mark.parametrize(
    ("model", "row", "missing"),
    [
        (StudentContact, {"Id": "PL-1.PC-2", "ContactId": "2"}, "StudentId"),
        (AttendanceMark, {"Id": "1.2016-08-26.AM", "StudentId": "1", "Mark": "/"}, "Date"),
        (AttendanceMark, {"Id": "1.x", "StudentId": "1", "Date": "2016-08-26"}, "Mark"),
        (Lesson, {"PeriodId": "1", "EndDateTime": "2016-11-28T12:35:00"}, "StartDateTime"),
        (AttendanceCode, {"Description": "Present"}, "Mark"),
        (LessonStaff, {"Id": "576.1", "StaffId": "1"}, "LessonId"),
        (SchoolInfo, {"Id": "1"}, "Name"),
    ],
    ids=["link-student", "mark-date", "mark-mark", "lesson-start", "code", "lesson-staff", "info"],
)
def test_each_model_requires_its_keys(model: Any, row: dict[str, Any], missing: str) -> None:
    parse = model.from_school_row if model is Lesson else model.from_row
    with pytest.raises(UpstreamBadResponseError, match=f"'{missing}'"):
        parse(row, CTX)


def test_staff_flags_and_csv_columns() -> None:
    staff = Staff.from_row(
        {
            "Id": 5,
            "IsTeacher": "1",
            "IsSupport": 0,
            "IsSupply": None,
            "Roles": "Teacher,Headteacher",
            "RoleCodes": "TCHR, HDTR",
            "EmploymentStart": "1972-03-02",
            "PayrollNumber": "R275628",
        },
        CTX,
    )

    assert staff.id == "5"
    assert (staff.is_teacher, staff.is_support, staff.is_supply) == (True, False, None)
    assert staff.roles == ("Teacher", "Headteacher") and staff.role_codes == ("TCHR", "HDTR")
    assert staff.employment_start == date(1972, 3, 2)


def test_groups_map_their_types_and_split_member_ids() -> None:
    ext_row = {  # the EXT real `Group` row (§4.6)
        "Id": "31",
        "XID": "xL8TTH2",
        "IdaasId": "GY-31",
        "Type": "YearGrp",
        "Code": "1",
        "Name": "Year  1",
        "PrimaryStaffId": None,
        "Staff": None,
        "NumStudents": 59,
        "LastUpdated": "2017-12-20T01:38:21.48",
    }
    teaching = {
        "Id": "8811",
        "Type": "teachinggrp",
        "StudentIds": "9919,9925",
        "StaffIds": "10",
        "Staff": "JXE,RM",
    }

    year, group, odd = (
        Group.from_row(ext_row, CTX),
        Group.from_row(teaching, CTX),
        Group.from_row({"Id": "1", "Type": "Club"}, CTX),
    )

    assert (year.type, year.student_count, year.student_ids) == ("year", 59, ())
    assert year.last_updated == datetime(2017, 12, 20, 1, 38, 21, 480000, tzinfo=UTC)  # GMT
    assert (group.type, group.student_ids, group.staff_ids) == (
        "teaching",
        ("9919", "9925"),
        ("10",),
    )
    assert group.staff_codes == ("JXE", "RM")
    assert (odd.type, odd.type_code) == ("other", "Club")


def test_contact_and_relationship_rows() -> None:
    contact = Contact.from_row(
        {
            "Id": "9920",
            "IdaasId": "PC-9920",
            "Forename": "Hilda",
            "MobilePhone": "07799988773",
            "HomeEmail": "habbess@parenthome.com",
        },
        CTX,
    )
    link = StudentContact.from_row(
        {
            "Id": "PL-10000.PC-10001",
            "StudentId": "10000",
            "ContactId": "10001",
            "Relationship": "Mother",
            "Priority": "2",
            "ParResp": 1,
        },
        CTX,
    )

    assert contact.mobile_phone == "07799988773" and contact.home_email == "habbess@parenthome.com"
    assert (link.priority, link.parental_responsibility) == (2, True)


def test_lessons_from_the_school_and_the_person_timetables() -> None:
    school = Lesson.from_school_row(
        {
            "Id": "81",
            "PeriodId": "46297",
            "ClassId": "9929",
            "JoinedId": "82",
            "ClassName": "7A\\Hi",
            "Period": "Mon:3",
            "StartDateTime": "2016-11-28T11:35:00",
            "EndDateTime": "2016-11-28T12:35:00",
            "StaffCodes": "BPA,ABA",
            "RoomCodes": "H3",
        },
        CTX,
    )
    person = Lesson.from_person_row(
        {
            "Id": "44901",
            "LessonId": "2872",
            "PeriodId": "44902",
            "Date": "2017-05-11T00:00:00",
            "StartDateTime": "2017-05-11T09:15:00",
            "EndDateTime": "2017-05-11T10:15:00",
        },
        CTX,
    )

    assert (school.id, school.lesson_id, school.date) == ("46297", "81", date(2016, 11, 28))
    assert school.starts_at == datetime(2016, 11, 28, 11, 35, tzinfo=UTC)
    assert school.staff_codes == ("BPA", "ABA")
    assert (person.id, person.lesson_id, person.date) == ("44901", "2872", date(2017, 5, 11))
    assert person.starts_at == datetime(2017, 5, 11, 8, 15, tzinfo=UTC)  # BST


def test_attendance_rows() -> None:
    code = AttendanceCode.from_row(
        {
            "Mark": "M",
            "Description": "Medical/Dental appointments",
            "MeaningDescription": "Authorised Absence",
            "PhysicalMeaning": "OUT",
            "Active": None,
        },
        CTX,
    )
    mark = AttendanceMark.from_row(
        {
            "Id": "9919.2016-08-26.AM",
            "Date": "2016-08-26",
            "InstanceId": "38764",
            "StudentId": "9919",
            "Mark": "L",
            "MinsLate": 5,
            "Notes": "Bus was late",
            "Type": "S",
            "Session": "AM",
        },
        CTX,
    )

    assert (code.mark, code.meaning, code.active) == ("M", "Authorised Absence", None)
    assert (mark.date, mark.minutes_late, mark.session) == (date(2016, 8, 26), 5, "AM")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23T09:00:00", datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
        ("2026-06-23T09:00:00", datetime(2026, 6, 23, 8, 0, tzinfo=UTC)),
        ("2026-06-23T09:00:00+02:00", datetime(2026, 6, 23, 7, 0, tzinfo=UTC)),
        ("16-11-2017T14:00:00", datetime(2017, 11, 16, 14, 0, tzinfo=UTC)),
        ("2017-12-14T01:29:18.57", datetime(2017, 12, 14, 1, 29, 18, 570000, tzinfo=UTC)),
        ("not a time", None),
        (None, None),
    ],
    ids=["gmt", "bst", "offset", "day-first", "two-fraction-digits", "junk", "absent"],
)
def test_local_timestamps_become_aware_utc(text: str | None, expected: datetime | None) -> None:
    assert parse_local(text, LONDON) == expected


def test_sts_expiry_with_seven_fraction_digits() -> None:
    assert parse_instant("2018-06-24T18:55:26.1852229Z") == datetime(
        2018, 6, 24, 18, 55, 26, 185222, tzinfo=UTC
    )
    assert parse_instant("0001-01-01T00:00:00") == datetime(1, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, True),
        (0, False),
        ("1", True),
        ("0", False),
        (True, True),
        ("yes", True),
        ("?", None),
        (None, None),
    ],
)
def test_loose_flags(value: object, expected: bool | None) -> None:
    assert parse_flag(value) is expected


def test_dates_in_every_documented_form() -> None:
    assert parse_date("2001-12-10") == parse_date("2001-12-10T00:00:00") == date(2001, 12, 10)
    assert parse_date("16-11-2017") == date(2017, 11, 16)
    assert parse_date("") is None and parse_date("2017-13-45") is None


def test_row_hash_prefers_the_upstreams_and_hashes_rows_without_one() -> None:
    assert row_hash({"Id": "1", "RowHash": "abc"}) == "ABC"
    assert row_hash({"Id": "1", "Mark": "/"}) == row_hash({"Mark": "/", "Id": "1"})
    assert row_hash({"Id": "1", "Mark": "/"}) != row_hash({"Id": "1", "Mark": "N"})


def _students(*rows: dict[str, Any], deleted: tuple[str, ...] = ()) -> Wire:
    return Wire(rows={"Students": list(rows)}, deleted={"Students": list(deleted)}, token="t")


def test_a_change_set_keeps_unchanged_objects_and_applies_changes_and_deletions() -> None:
    rows = [{"Id": str(i), "Forename": f"N{i}", "RowHash": f"H{i}"} for i in (1, 2, 3, 10)]
    first = apply([STUDENTS], _students(*rows), None, CTX, delta=False).snapshot
    students: Table[Student] = first.table(STUDENTS)

    changed = apply(
        [STUDENTS],
        _students(
            {"Id": "2", "Forename": "Renamed", "RowHash": "X2"},
            {"Id": "4", "Forename": "New", "RowHash": "H4"},
            {"Id": "10", "Forename": "N10", "RowHash": "H10"},  # resent, same hash
            deleted=("3",),
        ),
        first,
        CTX,
        delta=True,
    )
    after = changed.snapshot.table(STUDENTS)

    assert changed.changed
    assert list(after) == ["1", "2", "4", "10"]  # numeric order, not arrival order
    assert after["1"] is students["1"] and after["10"] is students["10"]
    assert after["2"].forename == "Renamed" and after["2"] is not students["2"]


def _lesson(lesson_id: str, period_id: str, day: int) -> dict[str, Any]:
    # The doc's `Lessons` example (§4.7.1): `Id` 81 is the lesson, `PeriodId` 46297 this one.
    return {
        "Id": lesson_id,
        "PeriodId": period_id,
        "ClassId": "9929",
        "Period": "Mon:3",
        "StartDateTime": f"2016-11-{day}T11:35:00",
        "EndDateTime": f"2016-11-{day}T12:35:00",
    }


def test_a_deleted_lesson_id_removes_every_occurrence_of_that_lesson() -> None:
    ctx = RowContext("3281102", LONDON, "/api/v1/School/{estab}/Timetable", "Lessons")
    rows = [_lesson("81", "46297", 28), _lesson("82", "46298", 28), _lesson("81", "46301", 30)]
    first = apply([LESSONS], Wire(rows={"Lessons": list(rows)}), None, ctx, delta=False).snapshot
    wire = Wire(rows={"Lessons": []}, deleted={"Lessons": ["81"]})  # rows carry only `Id` (§2.2)

    changed = apply([LESSONS], wire, first, ctx, delta=True)

    assert unnamed_deletions([LESSONS], wire) == ()
    assert changed.changed and list(changed.snapshot.table(LESSONS)) == ["46298"]


def test_deleted_rows_that_name_no_row_make_the_change_set_unappliable() -> None:
    codes = Wire(rows={"AttendCodes": []}, deleted={"AttendCodes": [None]})
    no_id = Wire(rows={"Students": []}, deleted={"Students": ["3", None]})
    by_id = Wire(rows={"Students": []}, deleted={"Students": ["3"]})

    assert unnamed_deletions([ATTENDANCE_CODES], codes) == ("AttendCodes",)
    assert unnamed_deletions([STUDENTS], no_id) == ("Students",)
    assert unnamed_deletions([STUDENTS], by_id) == ()


def test_an_empty_change_set_changes_nothing() -> None:
    first = apply([STUDENTS], _students({"Id": "1", "RowHash": "H"}), None, CTX, delta=False)

    again = apply([STUDENTS], _students(), first.snapshot, CTX, delta=True)
    resent = apply(
        [STUDENTS], _students({"Id": "1", "RowHash": "H"}), first.snapshot, CTX, delta=False
    )

    assert not again.changed and not resent.changed
    assert isinstance(first.snapshot, Snapshot)


def test_a_whole_float_past_2_to_the_53_is_neither_a_number_nor_an_id() -> None:
    # The JSON reader reads an integer beyond 64 bits as the nearest float (upstreams.http).
    rounded = float(2**64 + 1)
    fields = Fields({"Id": rounded, "SchoolDataAgeDays": rounded}, CTX)
    assert fields.id("Id") == "1.8446744073709552e+19"
    assert fields.number("SchoolDataAgeDays") is None
    exact = Fields({"Id": float(2**53), "SchoolDataAgeDays": 3.0}, CTX)
    assert exact.id("Id") == str(2**53) and exact.number("SchoolDataAgeDays") == 3


@pytest.mark.parametrize(
    ("value", "read"),
    [("Amy", "Amy"), (" Amy ", " Amy "), ("", None), ("  ", None), (None, None), (3, "3"),
     (3.0, "3"), (3.5, "3.5"), (True, "True")],
)  # fmt: skip
def test_text_columns_of_every_type_read_alike_one_by_one_and_in_one_pass(
    value: object, read: str | None
) -> None:
    row = {"Id": "1", "Forename": value, "StandardYearGroupCode": value}
    student = Student.from_row(row, CTX)  # Forename in one pass, the year code one by one
    assert student.forename == read and student.year_code == read
    assert Fields(row, CTX).texts(["forename"]) == [read]


@pytest.mark.parametrize(
    ("first", "read"), [(None, "7"), ("", None), ("8", "8")], ids=["null", "blank", "present"]
)
def test_a_second_spelling_is_read_only_where_the_first_is_null(
    first: str | None, read: str | None
) -> None:
    row = {"Id": "1", "StandardYearGroupCode": first, "NCYear": "7"}
    assert Student.from_row(row, CTX).year_code == read
