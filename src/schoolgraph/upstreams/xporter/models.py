"""Xporter on Demand rows as typed models, parsed once from the wire.

This module and `changesets.py` are the only code that knows Xporter's JSON. Section numbers
(§) are those of `shared/upstreams/xporter.md`.

Wire conventions the parsers absorb (§2.2, §6.5):

* Column names are matched case-insensitively: real payloads spell `DateofBirth` and
  `FSMEligible` where the doc says `DateOfBirth` and `FsmEligible`. Unknown columns are ignored.
* Columns outside the school's consent scopes are simply absent (§2.6), so every field that is
  not an identifier or a join key is optional.
* Ids are strings on the wire (EXT); a number is accepted and turned into its string.
* Flags are 0/1 integers, sometimes strings; they become `bool | None`.
* Dates are `yyyy-MM-dd` (timetable-model rows use `dd-MM-yyyy`, §2.8); timestamps are
  school-local ISO without an offset. They become `date`, and aware UTC `datetime` converted
  with the school's time zone (the contract has no time-zone field, so it comes from
  configuration: Europe/London for UK schools).
* CSV-in-a-string columns (`StudentIds`, `StaffCodes`, `Roles`) become tuples.

A missing identifier or join key raises `UpstreamBadResponseError` naming the column, the
table and the route, never the row's values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

import msgspec

from ...errors import UpstreamBadResponseError
from ..http import EXACT_WHOLE_FLOAT
from .typed_rows import TypedRows

UPSTREAM = "xporter"

Row = Mapping[str, Any]
M = TypeVar("M")

GroupType = Literal["year", "registration", "teaching", "house", "other"]
# §4.6 "Types": YearGrp, RegGrp, TeachingGrp, HouseGrp.
_GROUP_TYPES: dict[str, GroupType] = {
    "yeargrp": "year",
    "reggrp": "registration",
    "teachinggrp": "teaching",
    "housegrp": "house",
}


@dataclass(frozen=True, slots=True)
class RowContext:
    """Where a row came from: enough to convert its times and to name it in an error."""

    estab: str
    zone: ZoneInfo
    route: str
    table: str


class Columns:
    """The columns of rows with one set of names: which wire column a name means, compared
    without case (§6.5: Xporter's casing varies), worked out once per name, not per row."""

    __slots__ = ("_found", "_lower")

    def __init__(self, names: Iterable[str]) -> None:
        self._lower = {str(name).lower(): name for name in names}
        self._found: dict[str, str | None] = {}

    def find(self, name: str) -> str | None:
        """The wire column ``name`` means, or None when the rows have no such column."""
        try:
            return self._found[name]
        except KeyError:
            found = self._found[name] = self._lower.get(name.lower())
            return found


_COLUMNS: dict[tuple[str, ...], Columns] = {}
_COLUMN_SETS = 512
"""Distinct column sets remembered (a table's rows share one; a few tables, a few spellings)."""


def columns_of(row: Row) -> Columns:
    """The :class:`Columns` of ``row``'s column names, shared by every row with the same."""
    names = tuple(row)
    found = _COLUMNS.get(names)
    if found is None:
        if len(_COLUMNS) >= _COLUMN_SETS:
            _COLUMNS.clear()
        found = _COLUMNS[names] = Columns(names)
    return found


class Fields:
    """One wire row, read by case-insensitive column name."""

    __slots__ = ("_columns", "_ctx", "_row")

    def __init__(self, row: Row, ctx: RowContext) -> None:
        self._row = row
        self._columns = columns_of(row)
        self._ctx = ctx

    def missing(self, name: str) -> UpstreamBadResponseError:
        ctx = self._ctx
        return UpstreamBadResponseError(
            f"Xporter answered {ctx.route} for school {ctx.estab} with a {ctx.table} row "
            f"that has no '{name}'.",
            upstream=UPSTREAM,
        )

    def raw(self, *names: str) -> Any:
        """The first present, non-null value among `names` (spelling variants), or None."""
        for name in names:
            column = self._columns.find(name)
            if column is not None:
                value = self._row[column]
                if value is not None:
                    return value
        return None

    def id(self, *names: str) -> str:
        """A required identifier or join key, as a string."""
        value = self.text(*names)
        if value is None:
            raise self.missing(names[0])
        return value

    def text(self, *names: str) -> str | None:
        """`_text` of `raw`, in one call for the common case: a row's plain string or null."""
        find, row = self._columns.find, self._row
        for name in names:
            column = find(name)
            if column is not None:
                value = row[column]
                if value.__class__ is str:
                    return value if value.strip() else None
                if value is not None:
                    return _text(value)
        return None

    def texts(self, names: Sequence[str]) -> list[str | None]:
        """`text` of each of ``names`` (one spelling each): the columns of a narrowed read,
        in one pass."""
        row, find = self._row, self._columns.find
        return [
            None
            if (column := find(name)) is None or (value := row[column]) is None
            else (value if value.strip() else None)
            if value.__class__ is str
            else _text(value)
            for name in names
        ]

    def number(self, *names: str) -> int | None:
        value = self.raw(*names)
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer() and abs(value) <= EXACT_WHOLE_FLOAT:
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        return None

    def flag(self, *names: str) -> bool | None:
        return parse_flag(self.raw(*names))

    def csv(self, *names: str) -> tuple[str, ...]:
        value = self.text(*names)
        return _csv(value)

    def day(self, *names: str) -> date | None:
        return parse_date(self.text(*names))

    def required_day(self, *names: str) -> date:
        value = self.day(*names)
        if value is None:
            raise self.missing(names[0])
        return value

    def instant(self, *names: str) -> datetime | None:
        """A school-local timestamp as an aware UTC datetime."""
        return parse_local(self.text(*names), self._ctx.zone)

    def required_instant(self, *names: str) -> datetime:
        value = self.instant(*names)
        if value is None:
            raise self.missing(names[0])
        return value


# --------------------------------------------------------------------------- value parsing

_TRUE = frozenset({"1", "true", "yes", "y", "t"})
_FALSE = frozenset({"0", "false", "no", "n", "f"})
_FRACTION = re.compile(r"\.(\d{7,})")
_DMY = re.compile(r"^(\d{2})-(\d{2})-(\d{4})(.*)$")


def _text(value: Any) -> str | None:
    """A wire value as text: None for null or blank, whole floats without their ``.0``."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, float) and value.is_integer() and abs(value) <= EXACT_WHOLE_FLOAT:
        value = int(value)
    text = str(value)
    return text if text.strip() else None


def _csv(value: str | None) -> tuple[str, ...]:
    """The non-blank items of a CSV cell, stripped."""
    if value is None:
        return ()
    return tuple(filter(None, map(str.strip, value.split(","))))  # in C: no generator frames


_FLAG_VALUES: dict[int | None, bool | None] = {0: False, 1: True, None: None}
"""A typed row's flag (`typed_rows`: 0, 1 or None) as `parse_flag` reads it."""


def parse_flag(value: Any) -> bool | None:
    """A loose 0/1 flag (§6.5): ints, bools and their string forms; anything else is None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return None


def _iso(text: str) -> str:
    """`dd-MM-yyyy[...]` (timetable model, §2.8) to ISO; fractions cut to microseconds."""
    text = text.strip()
    match = _DMY.match(text)
    if match is not None:
        day, month, year, rest = match.groups()
        text = f"{year}-{month}-{day}{rest}"
    # .NET writes up to seven fraction digits (the STS `expires`, §1.2); Python reads six.
    return _FRACTION.sub(lambda m: "." + m.group(1)[:6], text)


def parse_date(text: str | None) -> date | None:
    """`yyyy-MM-dd`, `yyyy-MM-ddT00:00:00` or `dd-MM-yyyy`; None when absent or unreadable."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(_iso(text)).date()
    except ValueError:
        return None


def parse_local(text: str | None, zone: ZoneInfo) -> datetime | None:
    """A timestamp as an aware UTC datetime: local to `zone` unless it carries an offset.

    Xporter writes school-local wall-clock time without an offset (§2.2). An ambiguous local
    time (the repeated hour when clocks go back) is read as its first occurrence.
    """
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(_iso(text))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def iso_date(text: str | None) -> date | None:
    """`parse_date`, with a plain ISO date read by `date.fromisoformat` alone: whatever that
    accepts, `parse_date` reads the same; anything else goes to `parse_date`."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return parse_date(text)


def iso_local(text: str | None, zone: ZoneInfo) -> datetime | None:
    """`parse_local`, with a plain ISO timestamp read by `datetime.fromisoformat` alone
    (it cuts fractions to microseconds as `_iso` does); anything else goes to `parse_local`."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return parse_local(text, zone)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def parse_instant(text: str | None) -> datetime | None:
    """A UTC timestamp such as the STS `expires` (`...Z`, seven fraction digits, §1.2)."""
    return parse_local(text, ZoneInfo("UTC"))


# --------------------------------------------------------------------------- models


@dataclass(frozen=True, slots=True)
class SchoolInfo:
    """`school.schoolinfo` (§4.11.1), plus the time zone the school's local times are in."""

    estab: str
    name: str
    time_zone: str
    head: str | None
    main_contact: str | None
    telephone: str | None
    email: str | None
    web: str | None
    phase: str | None
    governance: str | None
    address: str | None
    current_academic_year: str | None
    last_updated: datetime | None
    row_hash: str | None

    @classmethod
    def from_row(cls, row: Row, ctx: RowContext) -> SchoolInfo:
        f = Fields(row, ctx)
        name = f.text("Name")
        if name is None:
            raise f.missing("Name")
        return cls(
            estab=f.text("EstabId") or ctx.estab,
            name=name,
            time_zone=ctx.zone.key,
            head=f.text("Head"),
            main_contact=f.text("MainContact"),
            telephone=f.text("Telephone"),
            email=f.text("Email"),
            web=f.text("Web"),
            phase=f.text("Phase"),
            governance=f.text("Governance"),
            address=f.text("Address"),
            current_academic_year=f.text("CurrentAcademicYear"),
            last_updated=f.instant("LastUpdated"),
            row_hash=f.text("RowHash"),
        )


@dataclass(frozen=True, slots=True)
class Health:
    """`School.Health` (§2.4, §4.11.4): how fresh Xporter's copy of the school's data is."""

    estab: str
    school_data_status: str | None
    school_data_age_days: int | None
    xod_status: str | None

    @classmethod
    def from_row(cls, row: Row, ctx: RowContext) -> Health:
        f = Fields(row, ctx)
        return cls(
            estab=f.text("Estab") or ctx.estab,
            school_data_status=f.text("SchoolDataStatus"),
            school_data_age_days=f.number("SchoolDataAgeDays"),
            xod_status=f.text("XodStatus"),
        )


class Student(msgspec.Struct, frozen=True, kw_only=True):
    """A row of `school.students` (§4.1).

    A struct rather than a frozen dataclass: a large school has thousands, built on every
    full read, and a struct is built in C (0.8 µs against 4 µs for these 33 fields).
    """

    estab: str
    id: str
    forename: str | None
    surname: str | None
    display_name: str | None
    external_id: str | None
    idaas_id: str | None
    legal_forename: str | None
    legal_surname: str | None
    middle_name: str | None
    gender: str | None
    date_of_birth: date | None
    year_group_id: str | None
    year_group: str | None
    reg_group_id: str | None
    reg_group: str | None
    house_group_id: str | None
    house_group: str | None
    year_code: str | None  # StandardYearGroupCode: "R", "1" ... "13"
    admission_no: str | None
    upn: str | None
    status: str | None  # StudentStatus: OnRoll, Leaver, PreAdmission
    entry_date: date | None
    leaving_date: date | None
    email: str | None  # WorkEmail
    idaas_email: str | None
    home_email: str | None
    home_phone: str | None
    mobile_phone: str | None
    sen_provision: str | None
    last_updated: datetime | None
    row_hash: str | None

    @property
    def is_leaver(self) -> bool:
        return (self.status or "").lower() == "leaver"

    # The columns read as text, in one pass (`Fields.texts`): a third of the time of one
    # `Fields.text` call each, over a school's thousands of students.
    TEXTS = (
        "Forename",
        "Surname",
        "DisplayName",
        "ExternalId",
        "IdaasId",
        "LegalForename",
        "LegalSurname",
        "MiddleName",
        "Gender",
        "YearGroupId",
        "YearGroup",
        "RegGroupId",
        "RegGroup",
        "HouseGroupId",
        "HouseGroup",
        "AdmissionNo",
        "UPN",
        "StudentStatus",
        "WorkEmail",
        "IdaasEmail",
        "HomeEmail",
        "HomePhone",
        "MobilePhone",
        "SENProvision",
        "RowHash",
    )
    # Every column `from_row` reads: the list is read narrowed to them by `select` (§2.1).
    # A school's full row has about 75 columns (religion, ethnicity, funding, address...);
    # these 33 are 3 MB of a large school's 8 MB.
    COLUMNS = (
        "Id",
        *TEXTS,
        "DateOfBirth",
        "StandardYearGroupCode",
        "NCYear",
        "EntryDate",
        "LeavingDate",
        "LastUpdated",
    )
    SELECT = ",".join(COLUMNS)

    @classmethod
    def from_columns(cls, c: Any, ctx: RowContext) -> Student:
        """The student of a narrowed row in the exact shape `SELECT` asks for: a struct with
        the attributes `COLUMNS`, each a non-blank string or None (`typed_rows`). Equal to
        `from_row` of the same row."""
        return cls(
            estab=ctx.estab,
            id=c.Id,
            forename=c.Forename,
            surname=c.Surname,
            display_name=c.DisplayName,
            external_id=c.ExternalId,
            idaas_id=c.IdaasId,
            legal_forename=c.LegalForename,
            legal_surname=c.LegalSurname,
            middle_name=c.MiddleName,
            gender=c.Gender,
            date_of_birth=iso_date(c.DateOfBirth),
            year_group_id=c.YearGroupId,
            year_group=c.YearGroup,
            reg_group_id=c.RegGroupId,
            reg_group=c.RegGroup,
            house_group_id=c.HouseGroupId,
            house_group=c.HouseGroup,
            year_code=c.NCYear if c.StandardYearGroupCode is None else c.StandardYearGroupCode,
            admission_no=c.AdmissionNo,
            upn=c.UPN,
            status=c.StudentStatus,
            entry_date=iso_date(c.EntryDate),
            leaving_date=iso_date(c.LeavingDate),
            email=c.WorkEmail,
            idaas_email=c.IdaasEmail,
            home_email=c.HomeEmail,
            home_phone=c.HomePhone,
            mobile_phone=c.MobilePhone,
            sen_provision=c.SENProvision,
            last_updated=iso_local(c.LastUpdated, ctx.zone),
            row_hash=c.RowHash,
        )

    @classmethod
    def from_row(cls, row: Row, ctx: RowContext) -> Student:
        f = Fields(row, ctx)
        (
            forename,
            surname,
            display_name,
            external_id,
            idaas_id,
            legal_forename,
            legal_surname,
            middle_name,
            gender,
            year_group_id,
            year_group,
            reg_group_id,
            reg_group,
            house_group_id,
            house_group,
            admission_no,
            upn,
            status,
            email,
            idaas_email,
            home_email,
            home_phone,
            mobile_phone,
            sen_provision,
            row_hash,
        ) = f.texts(cls.TEXTS)
        return cls(
            estab=ctx.estab,
            id=f.id("Id"),
            forename=forename,
            surname=surname,
            display_name=display_name,
            external_id=external_id,
            idaas_id=idaas_id,
            legal_forename=legal_forename,
            legal_surname=legal_surname,
            middle_name=middle_name,
            gender=gender,
            date_of_birth=f.day("DateOfBirth"),
            year_group_id=year_group_id,
            year_group=year_group,
            reg_group_id=reg_group_id,
            reg_group=reg_group,
            house_group_id=house_group_id,
            house_group=house_group,
            year_code=f.text("StandardYearGroupCode", "NCYear"),
            admission_no=admission_no,
            upn=upn,
            status=status,
            entry_date=f.day("EntryDate"),
            leaving_date=f.day("LeavingDate"),
            email=email,
            idaas_email=idaas_email,
            home_email=home_email,
            home_phone=home_phone,
            mobile_phone=mobile_phone,
            sen_provision=sen_provision,
            last_updated=f.instant("LastUpdated"),
            row_hash=row_hash,
        )


class StudentYear(msgspec.Struct, frozen=True, kw_only=True):
    """A `Students` row narrowed by `select` to its id and year (§2.1, §4.1). A struct, as
    `Student` is: built in C, thousands on every cold read of a school."""

    estab: str
    id: str
    year_code: str | None  # StandardYearGroupCode
    row_hash: str | None

    COLUMNS = ("Id", "StandardYearGroupCode", "RowHash")
    SELECT = ",".join(COLUMNS)

    @classmethod
    def from_columns(cls, c: Any, ctx: RowContext) -> StudentYear:
        """`from_row` of a row in the exact shape `SELECT` asks for (`typed_rows`)."""
        return cls(estab=ctx.estab, id=c.Id, year_code=c.StandardYearGroupCode, row_hash=c.RowHash)

    @classmethod
    def from_row(cls, row: Row, ctx: RowContext) -> StudentYear:
        f = Fields(row, ctx)
        return cls(
            estab=ctx.estab,
            id=f.id("Id"),
            year_code=f.text("StandardYearGroupCode"),
            row_hash=f.text("RowHash"),
        )


class Staff(msgspec.Struct, frozen=True, kw_only=True):
    """A row of `school.staff` (§4.3).

    A struct rather than a frozen dataclass, as `Student` is: every full read of a school's
    staff builds them all, and a struct is built in C (0.8 µs against 3.7 µs for these 30
    fields). Read narrowed and typed (`from_columns`), a large school's 350 staff apply in
    2.2 ms, against 6.4 ms read column by column (`from_row`).
    """

    estab: str
    id: str
    forename: str | None
    surname: str | None
    display_name: str | None
    title: str | None
    external_id: str | None
    idaas_id: str | None
    staff_code: str | None
    status: str | None  # StaffStatus: Current, Future, Previous, Temporary
    teacher_category: str | None
    is_teacher: bool | None
    is_support: bool | None
    is_supply: bool | None
    work_email: str | None
    idaas_email: str | None
    work_phone: str | None
    mobile_phone: str | None
    gender: str | None
    date_of_birth: date | None
    legal_forename: str | None
    legal_surname: str | None
    payroll_number: str | None
    teacher_number: str | None
    employment_start: date | None
    employment_end: date | None
    roles: tuple[str, ...]
    role_codes: tuple[str, ...]
    last_updated: datetime | None
    row_hash: str | None

    # Every column `from_row` reads: the list is read narrowed to them by `select` (§2.1),
    # leaving behind addresses, home contacts, NI numbers and the option columns.
    COLUMNS = (
        "Id",
        "Forename",
        "Surname",
        "DisplayName",
        "Title",
        "ExternalId",
        "IdaasId",
        "StaffCode",
        "StaffStatus",
        "TeacherCategory",
        "IsTeacher",
        "IsSupport",
        "IsSupply",
        "WorkEmail",
        "IdaasEmail",
        "WorkPhone",
        "MobilePhone",
        "Gender",
        "DateOfBirth",
        "LegalForename",
        "LegalSurname",
        "PayrollNumber",
        "TeacherNumber",
        "EmploymentStart",
        "EmploymentEnd",
        "Roles",
        "RoleCodes",
        "LastUpdated",
        "RowHash",
    )
    FLAGS = ("IsTeacher", "IsSupport", "IsSupply")  # JSON 0/1 integers (§2.2: "IsTeacher":0)
    SELECT = ",".join(COLUMNS)

    @classmethod
    def from_columns(cls, c: Any, ctx: RowContext) -> Staff:
        """The member of staff of a narrowed row in the exact shape `SELECT` asks for: a
        struct with the attributes `COLUMNS`, each flag 0, 1 or None and every other a
        non-blank string or None (`typed_rows`). Equal to `from_row` of the same row."""
        return cls(
            estab=ctx.estab,
            id=c.Id,
            forename=c.Forename,
            surname=c.Surname,
            display_name=c.DisplayName,
            title=c.Title,
            external_id=c.ExternalId,
            idaas_id=c.IdaasId,
            staff_code=c.StaffCode,
            status=c.StaffStatus,
            teacher_category=c.TeacherCategory,
            is_teacher=_FLAG_VALUES[c.IsTeacher],
            is_support=_FLAG_VALUES[c.IsSupport],
            is_supply=_FLAG_VALUES[c.IsSupply],
            work_email=c.WorkEmail,
            idaas_email=c.IdaasEmail,
            work_phone=c.WorkPhone,
            mobile_phone=c.MobilePhone,
            gender=c.Gender,
            date_of_birth=iso_date(c.DateOfBirth),
            legal_forename=c.LegalForename,
            legal_surname=c.LegalSurname,
            payroll_number=c.PayrollNumber,
            teacher_number=c.TeacherNumber,
            employment_start=iso_date(c.EmploymentStart),
            employment_end=iso_date(c.EmploymentEnd),
            roles=_csv(c.Roles),
            role_codes=_csv(c.RoleCodes),
            last_updated=iso_local(c.LastUpdated, ctx.zone),
            row_hash=c.RowHash,
        )

    @classmethod
    def from_row(cls, row: Row, ctx: RowContext) -> Staff:
        f = Fields(row, ctx)
        return cls(
            estab=ctx.estab,
            id=f.id("Id"),
            forename=f.text("Forename"),
            surname=f.text("Surname"),
            display_name=f.text("DisplayName"),
            title=f.text("Title"),
            external_id=f.text("ExternalId"),
            idaas_id=f.text("IdaasId"),
            staff_code=f.text("StaffCode"),
            status=f.text("StaffStatus"),
            teacher_category=f.text("TeacherCategory"),
            is_teacher=f.flag("IsTeacher"),
            is_support=f.flag("IsSupport"),
            is_supply=f.flag("IsSupply"),
            work_email=f.text("WorkEmail"),
            idaas_email=f.text("IdaasEmail"),
            work_phone=f.text("WorkPhone"),
            mobile_phone=f.text("MobilePhone"),
            gender=f.text("Gender"),
            date_of_birth=f.day("DateOfBirth"),
            legal_forename=f.text("LegalForename"),
            legal_surname=f.text("LegalSurname"),
            payroll_number=f.text("PayrollNumber"),
            teacher_number=f.text("TeacherNumber"),
            employment_start=f.day("EmploymentStart"),
            employment_end=f.day("EmploymentEnd"),
            roles=f.csv("Roles"),
            role_codes=f.csv("RoleCodes"),
            last_updated=f.instant("LastUpdated"),
            row_hash=f.text("RowHash"),
        )


@dataclass(frozen=True, slots=True)
class Group:
    """A row of the `Group` table of `school.groups` (§4.6), with its member ids."""

    estab: str
    id: str
    type: GroupType
    type_code: str | None  # the wire's Type: YearGrp, RegGrp, TeachingGrp, HouseGrp
    code: str | None
    name: str | None
    external_id: str | None
    idaas_id: str | None
    primary_staff_id: str | None
    staff_codes: tuple[str, ...]
    student_count: int | None
    student_ids: tuple[str, ...]
    staff_ids: tuple[str, ...]
    subject_code: str | None
    subject_name: str | None
    last_updated: datetime | None
    row_hash: str | None

    @classmethod
    def from_row(cls, row: Row, ctx: RowContext) -> Group:
        f = Fields(row, ctx)
        type_code = f.text("Type")
        return cls(
            estab=ctx.estab,
            id=f.id("Id"),
            type=_GROUP_TYPES.get((type_code or "").lower(), "other"),
            type_code=type_code,
            code=f.text("Code"),
            name=f.text("Name"),
            external_id=f.text("ExternalId"),
            idaas_id=f.text("IdaasId"),
            primary_staff_id=f.text("PrimaryStaffId"),
            staff_codes=f.csv("Staff"),
            student_count=f.number("NumStudents"),
            student_ids=f.csv("StudentIds"),
            staff_ids=f.csv("StaffIds"),
            subject_code=f.text("SubjectCode"),
            subject_name=f.text("SubjectName"),
            last_updated=f.instant("LastUpdated"),
            row_hash=f.text("RowHash"),
        )


@dataclass(frozen=True, slots=True)
class NarrowGroup:
    """A `Group` row narrowed by `select` (§2.1, §4.6) to the columns a domain group is made
    of: names, type, subject and member ids (with `includeMembersIds`, `includeSubjects`)."""

    estab: str
    id: str
    type: GroupType
    code: str | None
    name: str | None
    subject_code: str | None
    subject_name: str | None
    student_ids: tuple[str, ...]
    staff_ids: tuple[str, ...]
    row_hash: str | None

    COLUMNS = (
        "Id",
        "Type",
        "Code",
        "Name",
        "SubjectCode",
        "SubjectName",
        "StudentIds",
        "StaffIds",
        "RowHash",
    )
    SELECT = ",".join(COLUMNS)

    @classmethod
    def from_columns(cls, c: Any, ctx: RowContext) -> NarrowGroup:
        """`from_row` of a row in the exact shape `SELECT` asks for (`typed_rows`)."""
        return cls(
            estab=ctx.estab,
            id=c.Id,
            type=_GROUP_TYPES.get((c.Type or "").lower(), "other"),
            code=c.Code,
            name=c.Name,
            subject_code=c.SubjectCode,
            subject_name=c.SubjectName,
            student_ids=_csv(c.StudentIds),
            staff_ids=_csv(c.StaffIds),
            row_hash=c.RowHash,
        )

    @classmethod
    def from_row(cls, row: Row, ctx: RowContext) -> NarrowGroup:
        f = Fields(row, ctx)
        id_, type_code, code, name, subject_code, subject_name, students, staff, row_hash = f.texts(
            cls.COLUMNS
        )
        if id_ is None:
            raise f.missing("Id")
        return cls(
            estab=ctx.estab,
            id=id_,
            type=_GROUP_TYPES.get((type_code or "").lower(), "other"),
            code=code,
            name=name,
            subject_code=subject_code,
            subject_name=subject_name,
            student_ids=_csv(students),
            staff_ids=_csv(staff),
            row_hash=row_hash,
        )


@dataclass(frozen=True, slots=True)
class Contact:
    """A row of `school.contacts` (§4.4)."""

    estab: str
    id: str
    title: str | None
    forename: str | None
    surname: str | None
    display_name: str | None
    external_id: str | None
    idaas_id: str | None
    home_email: str | None
    work_email: str | None
    home_phone: str | None
    work_phone: str | None
    mobile_phone: str | None
    address_block: str | None
    postcode: str | None
    last_updated: datetime | None
    row_hash: str | None

    @classmethod
    def from_row(cls, row: Row, ctx: RowContext) -> Contact:
        f = Fields(row, ctx)
        return cls(
            estab=ctx.estab,
            id=f.id("Id"),
            title=f.text("Title"),
            forename=f.text("Forename"),
            surname=f.text("Surname"),
            display_name=f.text("DisplayName"),
            external_id=f.text("ExternalId"),
            idaas_id=f.text("IdaasId"),
            home_email=f.text("HomeEmail"),
            work_email=f.text("WorkEmail"),
            home_phone=f.text("HomePhone"),
            work_phone=f.text("WorkPhone"),
            mobile_phone=f.text("MobilePhone"),
            address_block=f.text("AddressBlock"),
            postcode=f.text("PostCode"),
            last_updated=f.instant("LastUpdated"),
            row_hash=f.text("RowHash"),
        )


class NarrowContact(msgspec.Struct, frozen=True, kw_only=True):
    """A `Contacts` row narrowed by `select` (§2.1, §4.4) to the columns a domain contact is
    made of: name, emails and phones. A struct, as `Student` is: a large school's 6,840
    contacts are built on every cold read of its contacts."""

    estab: str
    id: str
    title: str | None
    forename: str | None
    surname: str | None
    home_email: str | None
    work_email: str | None
    home_phone: str | None
    work_phone: str | None
    mobile_phone: str | None
    row_hash: str | None

    COLUMNS = (
        "Id",
        "Title",
        "Forename",
        "Surname",
        "HomeEmail",
        "WorkEmail",
        "HomePhone",
        "WorkPhone",
        "MobilePhone",
        "RowHash",
    )
    SELECT = ",".join(COLUMNS)

    @classmethod
    def from_columns(cls, c: Any, ctx: RowContext) -> NarrowContact:
        """`from_row` of a row in the exact shape `SELECT` asks for (`typed_rows`)."""
        return cls(
            estab=ctx.estab,
            id=c.Id,
            title=c.Title,
            forename=c.Forename,
            surname=c.Surname,
            home_email=c.HomeEmail,
            work_email=c.WorkEmail,
            home_phone=c.HomePhone,
            work_phone=c.WorkPhone,
            mobile_phone=c.MobilePhone,
            row_hash=c.RowHash,
        )

    @classmethod
    def from_row(cls, row: Row, ctx: RowContext) -> NarrowContact:
        f = Fields(row, ctx)
        id_, title, forename, surname, home_email, work_email, home, work, mobile, row_hash = (
            f.texts(cls.COLUMNS)
        )
        if id_ is None:
            raise f.missing("Id")
        return cls(
            estab=ctx.estab,
            id=id_,
            title=title,
            forename=forename,
            surname=surname,
            home_email=home_email,
            work_email=work_email,
            home_phone=home,
            work_phone=work,
            mobile_phone=mobile,
            row_hash=row_hash,
        )


@dataclass(frozen=True, slots=True)
class StudentContact:
    """A row of `school.studentcontacts` (§4.5): one student-contact relationship."""

    estab: str
    id: str
    student_id: str
    contact_id: str
    relationship: str | None
    priority: int | None  # lower is contacted first
    parental_responsibility: bool | None
    last_updated: datetime | None
    row_hash: str | None

    @classmethod
    def from_row(cls, row: Row, ctx: RowContext) -> StudentContact:
        f = Fields(row, ctx)
        return cls(
            estab=ctx.estab,
            id=f.id("Id"),
            student_id=f.id("StudentId"),
            contact_id=f.id("ContactId"),
            relationship=f.text("Relationship"),
            priority=f.number("Priority"),
            parental_responsibility=f.flag("ParResp"),
            last_updated=f.instant("LastUpdated"),
            row_hash=f.text("RowHash"),
        )


@dataclass(frozen=True, slots=True, weakref_slot=True)  # see sources.memo.RowMemo
class Lesson:
    """One occurrence of a timetabled lesson (§4.7).

    `id` is the occurrence (`Lessons.PeriodId`, `Timetable.Id`: what attendance `InstanceId`
    refers to); `lesson_id` is the lesson in the timetable cycle (`Lessons.Id`,
    `Timetable.LessonId`), which `LessonStaff.LessonId` joins on.
    """

    estab: str
    id: str
    lesson_id: str | None
    class_id: str | None  # the group taught (Groups.Id)
    class_name: str | None
    period: str | None  # "Mon:3"
    date: date
    starts_at: datetime
    ends_at: datetime
    joined_id: str | None  # the next lesson of a double period
    staff_codes: tuple[str, ...]
    room_codes: tuple[str, ...]
    subject_code: str | None
    subject_name: str | None

    @classmethod
    def from_school_row(cls, row: Row, ctx: RowContext) -> Lesson:
        """A `Lessons` row of `school.timetable` (§4.7.1)."""
        f = Fields(row, ctx)
        return cls._build(f, ctx, id=f.id("PeriodId"), lesson_id=f.text("Id"))

    @classmethod
    def from_person_row(cls, row: Row, ctx: RowContext) -> Lesson:
        """A row of `school.timetableforstudent` / `timetableforstaff` (§4.7.3, §4.7.4)."""
        f = Fields(row, ctx)
        return cls._build(f, ctx, id=f.id("Id", "PeriodId"), lesson_id=f.text("LessonId"))

    @classmethod
    def _build(cls, f: Fields, ctx: RowContext, *, id: str, lesson_id: str | None) -> Lesson:
        starts_at = f.required_instant("StartDateTime")
        return cls(
            estab=ctx.estab,
            id=id,
            lesson_id=lesson_id,
            class_id=f.text("ClassId"),
            class_name=f.text("ClassName"),
            period=f.text("Period"),
            date=f.day("Date") or starts_at.astimezone(ctx.zone).date(),
            starts_at=starts_at,
            ends_at=f.required_instant("EndDateTime"),
            joined_id=f.text("JoinedId"),
            staff_codes=f.csv("StaffCodes"),
            room_codes=f.csv("RoomCodes"),
            subject_code=f.text("SubjectCode"),
            subject_name=f.text("SubjectName"),
        )


@dataclass(frozen=True, slots=True)
class LessonStaff:
    """A row of `LessonStaff` (§4.7.1): a staff member teaching a lesson of the cycle."""

    estab: str
    id: str
    lesson_id: str
    staff_id: str
    staff_code: str | None

    @classmethod
    def from_row(cls, row: Row, ctx: RowContext) -> LessonStaff:
        f = Fields(row, ctx)
        return cls(
            estab=ctx.estab,
            id=f.id("Id"),
            lesson_id=f.id("LessonId"),
            staff_id=f.id("StaffId"),
            staff_code=f.text("StaffCode"),
        )


@dataclass(frozen=True, slots=True)
class Timetable:
    """The school's lessons in a window, with who teaches each (`school.timetable`, §4.7.1).

    Attributes:
        lessons: the occurrences, by start time.
        staff_ids_by_lesson: `Lesson.lesson_id` -> ids of the staff teaching it
            (`LessonStaff`); empty when the school's scopes do not include it.
    """

    lessons: tuple[Lesson, ...]
    staff_ids_by_lesson: Mapping[str, tuple[str, ...]]

    def staff_ids(self, lesson: Lesson) -> tuple[str, ...]:
        if lesson.lesson_id is None:
            return ()
        return self.staff_ids_by_lesson.get(lesson.lesson_id, ())

    def for_staff(self, staff_id: str) -> tuple[Lesson, ...]:
        return tuple(lesson for lesson in self.lessons if staff_id in self.staff_ids(lesson))

    def for_group(self, group_id: str) -> tuple[Lesson, ...]:
        return tuple(lesson for lesson in self.lessons if lesson.class_id == group_id)


@dataclass(frozen=True, slots=True)
class AttendanceCode:
    """A row of `AttendCodes` (§4.8.1); `mark` is its key."""

    estab: str
    mark: str
    description: str | None
    meaning: str | None  # MeaningDescription: "Authorised Absence"
    short_meaning: str | None
    physical_meaning: str | None  # IN / OUT
    active: bool | None

    @classmethod
    def from_row(cls, row: Row, ctx: RowContext) -> AttendanceCode:
        f = Fields(row, ctx)
        return cls(
            estab=ctx.estab,
            mark=f.id("Mark"),
            description=f.text("Description"),
            meaning=f.text("MeaningDescription"),
            short_meaning=f.text("ShortMeaningDescription"),
            physical_meaning=f.text("PhysicalMeaning"),
            active=f.flag("Active"),
        )


@dataclass(frozen=True, slots=True, weakref_slot=True)  # see sources.memo.RowMemo
class AttendanceMark:
    """A row of `AttendMarks` (§4.8.2, §4.8.3): a session (`S`) or lesson (`L`) mark."""

    estab: str
    id: str
    student_id: str
    date: date
    mark: str
    session: str | None  # AM / PM
    type: str | None  # S (session) / L (lesson)
    instance_id: str | None  # the lesson occurrence (Lesson.id) for lesson marks
    minutes_late: int | None
    notes: str | None

    @classmethod
    def from_row(cls, row: Row, ctx: RowContext) -> AttendanceMark:
        f = Fields(row, ctx)
        mark = f.text("Mark")
        if mark is None:
            raise f.missing("Mark")
        return cls(
            estab=ctx.estab,
            id=f.id("Id"),
            student_id=f.id("StudentId"),
            date=f.required_day("Date"),
            mark=mark,
            session=f.text("Session"),
            type=f.text("Type"),
            instance_id=f.text("InstanceId"),
            minutes_late=f.number("MinsLate"),
            notes=f.text("Notes"),
        )


# --------------------------------------------------------------------------- tables


def _numeric_first(key: str) -> tuple[int, int, str]:
    return (0, int(key), "") if key.isdigit() else (1, 0, key)


@dataclass(frozen=True, slots=True)
class TableSpec(Generic[M]):
    """How one named table of an endpoint's response becomes models.

    Attributes:
        name: the table's key in the body (matched case-insensitively).
        parse: wire row -> model.
        key: the column that identifies a row of the table, in change sets and the cache.
        deleted_id: for a table keyed by a column other than `Id`, the `Id` of a model's row,
            by which `<Table>_deleted` names it: a `_deleted` row "carries only `Id`" (§2.2),
            whatever the key. None for such a table means its `_deleted` Ids cannot name its
            rows, and a change set that deletes any is answered by a whole re-read
            (`changesets.unnamed_deletions`). Unused when `key` is `Id`.
        aliases: other names the doc gives the table (§2.8 hazard 2).
        required: a full read without this table is a bad response.
        order: sort key for the models; by default the key, numbers numerically.
        typed: for a table read narrowed by `select`, how rows in that exact shape become
            models through a struct (`typed_rows`); other rows go through `parse`.
    """

    name: str
    parse: Callable[[Row, RowContext], M]
    key: str = "Id"
    deleted_id: Callable[[M], str | None] | None = None
    aliases: tuple[str, ...] = ()
    required: bool = True
    order: Callable[[M], Any] | None = None
    typed: TypedRows[M] | None = None

    @property
    def deletes_by_key(self) -> bool:
        """Whether a `<Table>_deleted` Id is the key of the row it names."""
        return self.key == "Id"

    def sort_key(self, key: str, model: M) -> Any:
        return _numeric_first(key) if self.order is None else self.order(model)


def _lesson_order(lesson: Lesson) -> tuple[datetime, tuple[int, int, str], str]:
    return (lesson.starts_at, _numeric_first(lesson.class_id or ""), lesson.id)


def _mark_order(mark: AttendanceMark) -> tuple[date, tuple[int, int, str], str]:
    return (mark.date, _numeric_first(mark.student_id), mark.id)


SCHOOL_INFO = TableSpec("SchoolInfo", SchoolInfo.from_row)
HEALTH = TableSpec("health", Health.from_row, key="Estab")
STUDENTS = TableSpec(
    "Students",
    Student.from_row,
    typed=TypedRows("StudentColumns", Student.COLUMNS, Student.from_columns),
)
STUDENT_YEARS = TableSpec(
    "Students",
    StudentYear.from_row,
    typed=TypedRows("StudentYearColumns", StudentYear.COLUMNS, StudentYear.from_columns),
)
STAFF = TableSpec(
    "Staff",
    Staff.from_row,
    typed=TypedRows("StaffColumns", Staff.COLUMNS, Staff.from_columns, flags=Staff.FLAGS),
)
# The doc's field header says "Groups dataset"; the sample and EXT say `Group` (§4.6).
GROUPS = TableSpec("Group", Group.from_row, aliases=("Groups",))
NARROW_GROUPS = TableSpec(
    "Group",
    NarrowGroup.from_row,
    aliases=("Groups",),
    typed=TypedRows("NarrowGroupColumns", NarrowGroup.COLUMNS, NarrowGroup.from_columns),
)
CONTACTS = TableSpec("Contacts", Contact.from_row)
NARROW_CONTACTS = TableSpec(
    "Contacts",
    NarrowContact.from_row,
    typed=TypedRows("NarrowContactColumns", NarrowContact.COLUMNS, NarrowContact.from_columns),
)
STUDENT_CONTACTS = TableSpec("StudentContacts", StudentContact.from_row)


def _cycle_lesson(lesson: Lesson) -> str | None:
    return lesson.lesson_id


# A `Lessons` row is one occurrence; `Id` is the lesson in the cycle and repeats every week,
# so occurrences are keyed by `PeriodId` ("Id of this specific instance", §4.7.1). But
# `Lessons_deleted` carries only `Id` (§2.2): the lesson, so a deletion removes every
# occurrence of it. Timetables are read one Monday-to-Sunday week per change-set partition
# (`client.timetable`), in which a lesson of the cycle occurs at most once.
LESSONS = TableSpec(
    "Lessons",
    Lesson.from_school_row,
    key="PeriodId",
    deleted_id=_cycle_lesson,
    order=_lesson_order,
)
LESSON_STAFF = TableSpec("LessonStaff", LessonStaff.from_row, required=False)
# The per-person table is `Timetable` in the FK table and `Lessons` in the sample (§4.7.3).
PERSON_TIMETABLE = TableSpec(
    "Timetable", Lesson.from_person_row, aliases=("Lessons",), order=_lesson_order
)
# `AttendCodes` has no `Id` (its natural key is `Mark`, §4.8.1), so what Id its `_deleted`
# rows carry is doc-silent and cannot name a mark: deleted codes are re-read in full.
ATTENDANCE_CODES = TableSpec("AttendCodes", AttendanceCode.from_row, key="Mark")
ATTENDANCE_MARKS = TableSpec("AttendMarks", AttendanceMark.from_row, order=_mark_order)

__all__ = [
    "ATTENDANCE_CODES",
    "ATTENDANCE_MARKS",
    "CONTACTS",
    "GROUPS",
    "HEALTH",
    "LESSONS",
    "LESSON_STAFF",
    "NARROW_CONTACTS",
    "NARROW_GROUPS",
    "PERSON_TIMETABLE",
    "SCHOOL_INFO",
    "STAFF",
    "STUDENTS",
    "STUDENT_CONTACTS",
    "STUDENT_YEARS",
    "AttendanceCode",
    "AttendanceMark",
    "Contact",
    "Fields",
    "Group",
    "GroupType",
    "Health",
    "Lesson",
    "LessonStaff",
    "NarrowContact",
    "NarrowGroup",
    "RowContext",
    "SchoolInfo",
    "Staff",
    "Student",
    "StudentContact",
    "StudentYear",
    "TableSpec",
    "Timetable",
    "parse_date",
    "parse_flag",
    "parse_instant",
    "parse_local",
]
