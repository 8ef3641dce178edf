"""Students, Staff, Contacts and StudentContacts (xporter.md §4.1-§4.5).

Field tables follow the doc: names, order and consent scopes as it lists them.
"""

from __future__ import annotations

from datetime import date, timedelta

from ..dataset import AttendanceMark, Group, Staff, Student, World
from .errors import bad_request
from .groups import group_idaas
from .index import SchoolIndex
from .render import Context, Tables
from .rows import Row, columns, flag, ids_csv, iso_date, split_address, table

# CBDS-style role names and codes for the Staff `Roles`/`RoleCodes` columns (§4.3).
_ROLE_CODES = {
    "Teaching Assistant": "TASS",
    "Cover Supervisor": "COVR",
    "Office Manager": "ADMN",
    "Receptionist": "ADMN",
    "Site Manager": "PREM",
    "Caretaker": "PREM",
    "Catering Assistant": "CATR",
    "Boarding Assistant": "MTRN",
    "Lab Technician": "TECH",
    "Librarian": "LIBR",
}


# -- Students (§4.1) -------------------------------------------------------------------------

STUDENTS = table(
    "Students",
    [
        *columns(
            "Student / StudentLite",
            "Id",
            "ExternalId",
            "IdaasId",
            "Forename",
            "Surname",
            "DisplayName",
            "Gender",
            "RegGroupId",
            "RegGroup",
            "YearGroupId",
            "YearGroup",
            "StandardYearGroupCode",
            "StandardYearGroupName",
            "HouseGroupId",
            "HouseGroup",
            "WorkEmail",
            "IdaasEmail",
        ),
        *columns("StudentExtended", "HomeEmail", "HomePhone", "MobilePhone", option="includeComms"),
        *columns("Student", "AdmissionNo"),
        *columns(
            "StudentExtended",
            "DateOfBirth",
            "UniqueLearnerNumber",
            "LegalForename",
            "LegalSurname",
            "PreviousLegalSurname",
            "EntryDate",
            "LeavingDate",
            "Destination",
            "DestinationStartDate",
            "ReasonForLeaving",
            "MiddleName",
        ),
        *columns("Student / StudentLite", "EnrolmentStatus"),
        *columns("StudentExtended", "Boarder", "BoardingHouse"),
        *columns("SEN / SENTypes", "SENProvision"),
        # The doc lists EAL twice (StudentDemographic / StudentFunding, then StudentFunding).
        *columns("StudentDemographic / StudentFunding", "EAL"),
        *columns("StudentDemographic", "ReligionCode", "Religion"),
        *columns("StudentEthnicity", "EthnicityCode", "Ethnicity", "EthnicitySource"),
        *columns(
            "StudentDemographic",
            "HomeLanguage",
            "HomeLanguageCode",
            "FirstLanguage",
            "FirstLanguageCode",
            "FirstLanguageSource",
            "EnglishProficiencyLevel",
            "EnglishProficiencyLevelCode",
            "NationalIdentity",
            "Nationality",
        ),
        *columns("StudentDemographic / StudentEthnicity", "CountryOfBirth", "CountryOfBirthCode"),
        *columns("StudentDemographic", "AsylumStatus"),
        *columns("StudentExtended", "OnReport"),
        # The doc lists PostCode twice (StudentDemographic, then Address): either scope grants it.
        *columns("StudentDemographic / Address", "PostCode"),
        *columns(
            "StudentDemographic",
            "ModeOfTravel",
            "StdModeOfTravel",
            "IsTraveller",
            "TravellerSource",
            "TravellerType",
        ),
        *columns(
            "StudentFunding",
            "FsmEligible",
            "FsmStartDate",
            "FsmEndDate",
            "UniformAllowance",
            "PupilPremium",
            "YSSA",
            "FSMEver6",
            "Gifted",
        ),
        *columns("StudentMedical", "Disabled"),
        *columns(
            "StudentFamily",
            "InLeaCare",
            "LeaCareAuthority",
            "EverInCare",
            "ServiceChild",
            "ServiceChildSource",
            "IsYoungCarer",
        ),
        *columns("UPN", "UPN", "FormerUPN"),
        *columns("Student / StudentExtended", "CandidateNo"),
        *columns(
            "Address",
            "ParentalSalutation",
            "AddressBlock",
            "HouseNo",
            "HouseName",
            "Apartment",
            "Street",
            "District",
            "TownOrCity",
            "County",
            "Country",
        ),
        *columns("Student", "StudentStatus"),
        *columns("StudentFunding", "PartTime"),
        *columns(
            "Attendance",
            "AttStatsStartDate",
            "AttStatsEndDate",
            "NumPossMarks",
            "NumPresMarks",
            "NumAEAMarks",
            "NumAuthAbsMarks",
            "NumUnauthAbsMarks",
            "NumMissMarks",
            "NumLateMarks",
            "NumLateBeforeRegMarks",
            option="includeAttStats",
        ),
        *columns(
            "Attendance",
            "AttMarksStartDate",
            "AttMarksEndDate",
            "Marks",
            option="includeAttMarkString",
        ),
        *columns("Student", "YearTaughtIn", "NCYear", "KeyStage"),
        *columns("StudentFreeText", "QuickNote"),
        *columns("School", "GroupIds", option="includeGroupIds"),
        *columns("School", "GroupIdaasIds", option="includeGroupIdaasIds"),
        *columns("Student / StudentLite", "StudentSiblingIds", option="includeSiblingsList"),
        # Param-only switch (§4.1); its scope is doc-silent: parent ids need the Contact scope.
        *columns("Contact", "ParentIdaasIds", option="includeParentIdaasIds"),
        *columns(
            "Student",
            "LeavingYearGroup",
            "LeavingRegGroup",
            "PreAdmissionYearGroup",
            "PreAdmissionRegGroup",
        ),
        *columns("Student / StudentLite", "LastUpdated", "RowHash"),
    ],
)
# Field list doc-silent (§4.1): one row per (student, sibling), our own shape.
STUDENT_SIBLINGS = table(
    "StudentSiblings", columns("Student / StudentLite", "Id", "StudentId", "SiblingId")
)

_STUDENT_STATUS = {"onroll": "OnRoll", "leaver": "Leaver", "preadmission": "PreAdmission"}


def students_tables(ctx: Context) -> Tables:
    """Students and StudentSiblings (§4.1)."""
    ix, p = ctx.index, ctx.params
    status = p.get("studentStatus")
    wanted: set[str] = {"OnRoll"}
    if status is not None:
        if status.lower() not in _STUDENT_STATUS:
            raise bad_request(
                f"The value '{status}' is not valid for studentStatus; use OnRoll, Leaver or "
                "PreAdmission."
            )
        wanted = {_STUDENT_STATUS[status.lower()]}
    elif p.flag("includeLeavers"):
        wanted.add("Leaver")
    year_group = p.get("yearGroupId")
    chosen = [
        s
        for s in ix.students.values()
        if ("OnRoll" if ix.on_roll(s) else "Leaver") in wanted
        and (ctx.record_id is None or str(s.id) == ctx.record_id)
        and (year_group is None or _group_id(ix.group_of_type(s.id, "year")) == year_group)
    ]
    stats = p.flag("includeAttStats")
    mark_string = p.flag("includeAttMarkString")
    rows = [_student_row(ctx, s, stats=stats, mark_string=mark_string) for s in chosen]
    siblings: list[Row] = []
    if p.flag("includeSiblingsResultset"):
        for s in chosen:
            for other in _siblings(ix, s):
                siblings.append(
                    {"Id": f"{s.id}.{other}", "StudentId": str(s.id), "SiblingId": str(other)}
                )
    return [(STUDENTS, rows), (STUDENT_SIBLINGS, siblings)]


def _group_id(group: Group | None) -> str | None:
    return str(group.id) if group is not None else None


def _siblings(ix: SchoolIndex, student: Student) -> list[int]:
    return sorted(
        sid
        for sid in ix.family.get(student.family_code, ())
        if sid != student.id and ix.on_roll(ix.students[sid])
    )


def _key_stage(year: int) -> str:
    return "Key Stage 3" if year <= 9 else "Key Stage 4" if year <= 11 else "Key Stage 5"


def _student_row(ctx: Context, s: Student, *, stats: bool, mark_string: bool) -> Row:
    ix, school = ctx.index, ctx.school
    reg = ix.group_of_type(s.id, "registration")
    year = ix.group_of_type(s.id, "year")
    house = ix.group_of_type(s.id, "house")
    links = sorted(ix.links_of_student.get(s.id, ()), key=lambda link: (link.priority, link.id))
    main = ix.contacts[links[0].contact_id] if links else None
    house_no, street = split_address(s.address)
    on_roll = ix.on_roll(s)
    groups = ix.groups_of_student.get(s.id, [])
    row: Row = {
        "Id": str(s.id),
        "ExternalId": s.external_id,
        "IdaasId": f"PL-{s.id}",
        "Forename": s.preferred_forename,
        "Surname": s.surname,
        "DisplayName": f"{s.preferred_forename} {s.surname}",
        "Gender": s.gender,
        "RegGroupId": _group_id(reg),
        "RegGroup": reg.name if reg else None,
        "YearGroupId": _group_id(year),
        "YearGroup": year.name if year else None,
        "StandardYearGroupCode": str(s.year),
        "StandardYearGroupName": f"Year {s.year}",
        "HouseGroupId": _group_id(house),
        "HouseGroup": house.name if house else None,
        "WorkEmail": s.email,
        "IdaasEmail": None,
        "HomeEmail": None,
        "HomePhone": s.home_phone,
        "MobilePhone": s.mobile,
        "AdmissionNo": s.code,
        "DateOfBirth": s.date_of_birth.isoformat(),
        "UniqueLearnerNumber": None,
        "LegalForename": s.forename,
        "LegalSurname": s.surname,
        "PreviousLegalSurname": None,
        "EntryDate": s.admission_date.isoformat(),
        "LeavingDate": iso_date(s.leaving_date),
        "Destination": None,
        "DestinationStartDate": None,
        "ReasonForLeaving": None,
        "MiddleName": s.middle_names,
        "EnrolmentStatus": "C",
        "Boarder": flag(s.boarder),
        "BoardingHouse": None,
        "SENProvision": s.sen_status or "N",
        "EAL": None,
        "PostCode": s.postcode,
        "FsmEligible": flag(s.free_meals),
        "PupilPremium": flag(s.free_meals),
        "FSMEver6": flag(s.free_meals),
        "UPN": s.upn,
        "FormerUPN": None,
        "CandidateNo": None,
        "ParentalSalutation": f"{main.title} {main.forename} {main.surname}" if main else None,
        "AddressBlock": f"{s.address}\n{s.town}\n{s.postcode}\nUnited Kingdom",
        "HouseNo": house_no,
        "HouseName": None,
        "Apartment": None,
        "Street": street,
        "District": None,
        "TownOrCity": s.town,
        "County": None,
        "Country": "United Kingdom",
        "StudentStatus": "OnRoll" if on_roll else "Leaver",
        "PartTime": 0,
        "YearTaughtIn": str(s.year),
        "NCYear": str(s.year),
        "KeyStage": _key_stage(s.year),
        "QuickNote": None,
        "GroupIds": ids_csv(g.id for g in groups),
        "GroupIdaasIds": ids_csv(group_idaas(g) for g in groups),
        "StudentSiblingIds": ids_csv(_siblings(ix, s)),
        "ParentIdaasIds": ids_csv(
            f"PC-{link.contact_id}" for link in links if link.parental_responsibility
        ),
        "LeavingYearGroup": _group_id(year) if not on_roll else None,
        "LeavingRegGroup": _group_id(reg) if not on_roll else None,
        "PreAdmissionYearGroup": None,
        "PreAdmissionRegGroup": None,
        "LastUpdated": ctx.ts(s.updated_at),
    }
    if stats or mark_string:
        marks = ix.year_marks(ctx.world).get(s.id, [])
        start, end = school.terms[0][0], ctx.world.today
        if stats:
            row.update(_att_stats(ctx.world, marks, start, end))
        if mark_string:
            row.update(
                {
                    "AttMarksStartDate": start.isoformat(),
                    "AttMarksEndDate": end.isoformat(),
                    "Marks": _mark_string(marks, start, end),
                }
            )
    return row


def _att_stats(world: World, marks: list[AttendanceMark], start: date, end: date) -> Row:
    meaning = {c.code: c.statistical for c in world.attendance_codes}
    counts = {"PRES": 0, "AEA": 0, "AUTH": 0, "UNAUTH": 0, "NOTREQ": 0}
    for mark in marks:
        counts[meaning.get(mark.code, "UNAUTH")] += 1
    return {
        "AttStatsStartDate": start.isoformat(),
        "AttStatsEndDate": end.isoformat(),
        "NumPossMarks": len(marks) - counts["NOTREQ"],
        "NumPresMarks": counts["PRES"],
        "NumAEAMarks": counts["AEA"],
        "NumAuthAbsMarks": counts["AUTH"],
        "NumUnauthAbsMarks": counts["UNAUTH"],
        "NumMissMarks": sum(1 for m in marks if m.code == "-"),
        "NumLateMarks": sum(1 for m in marks if m.code in ("L", "U")),
        "NumLateBeforeRegMarks": sum(1 for m in marks if m.code == "L"),
    }


def _mark_string(marks: list[AttendanceMark], start: date, end: date) -> str:
    """Two session marks per calendar day from `start` (§4.1 `Marks`): `#` closed, `-` none."""
    by_day = {(m.date, m.session): m.code for m in marks}
    school_days = {m.date for m in marks}
    out: list[str] = []
    day = start
    while day <= end:
        if day.weekday() >= 5 or (day not in school_days and day < end):
            out.append("##")
        else:
            out.append(by_day.get((day, "AM"), "-") + by_day.get((day, "PM"), "-"))
        day += timedelta(days=1)
    return "".join(out)


# -- Staff (§4.3) ----------------------------------------------------------------------------

STAFF = table(
    "Staff",
    [
        *columns(
            "Staff / StaffLite",
            "Id",
            "ExternalId",
            "IdaasId",
            "Title",
            "Suffix",
            "StaffCode",
            "StaffStatus",
            "TeacherCategory",
            "Forename",
            "Surname",
            "DisplayName",
            "IdaasEmail",
            "WorkEmail",
            "WorkPhone",
            "IsTeacher",
            "IsSupport",
            "IsSupply",
            "IsGovernor",
        ),
        *columns("School", "RegGroup"),
        *columns("School", "GroupIds", option="includeGroupIds"),
        *columns("School", "GroupIdaasIds", option="includeGroupIdaasIds"),
        *columns(
            "StaffExtended",
            "Gender",
            "MiddleName",
            "LegalForename",
            "LegalSurname",
            "DateOfBirth",
            "MobilePhone",
        ),
        *columns(
            "StaffEmployment",
            "PayrollNumber",
            "NINumber",
            "TeacherNumber",
            "EmploymentStart",
            "EmploymentEnd",
            "Roles",
            "RoleCodes",
        ),
        *columns("StaffPersonalContact", "HomeEmail", "HomePhone"),
        *columns(
            "StaffAddress",
            "AddressBlock",
            "HouseNo",
            "HouseName",
            "Apartment",
            "Street",
            "District",
            "TownOrCity",
            "County",
            "PostCode",
            "Country",
        ),
        *columns("Staff / StaffLite", "LastUpdated", "RowHash"),
    ],
)
STAFF_HIERARCHY = table(
    "StaffHierarchy",
    columns(
        "StaffEmployment",
        "Id",
        "ParentStaffId",
        "ChildStaffId",
        "ParentRelationshipTitle",
        "ChildRelationshipTitle",
        "StartDate",
        "EndDate",
    ),
)
STAFF_VEHICLES = table(
    "StaffVehicles",
    columns(
        "StaffExtended",
        "StaffId",
        "VehicleID",
        "VehicleModel",
        "VehicleColour",
        "VehicleRegistration",
    ),
    key="VehicleID",
)
STAFF_NEXT_OF_KIN = table(
    "StaffNextOfKin",
    columns(
        "StaffNextOfKin",
        "StaffId",
        "ContactId",
        "StaffMis_Id",
        "ContactMis_Id",
        "FullName",
        "Forename",
        "Surname",
        "MiddleName",
        "Title",
        "Gender",
        "Role",
        "DOB",
        "HomeEmail",
        "WorkEmail",
        "PrimaryEmail",
        "HomePhone",
        "WorkPhone",
        "MobilePhone",
        "HouseNumber",
        "HouseName",
        "Apartment",
        "Street",
        "District",
        "Town",
        "County",
        "Country",
        "PostCode",
        "AddressBlock",
    ),
    key="ContactId",
)
STAFF_SWAC = table(
    "StaffSWAC", columns("StaffEmployment", "Id", "StaffMis_Id", "SWACRole", "MainRole", "FTE")
)

_STAFF_STATUSES = ("Current", "Future", "Previous", "Temporary")


def _staff_status(ctx: Context, s: Staff) -> str:
    today = ctx.world.today
    if s.leaving_date is not None and s.leaving_date < today:
        return "Previous"
    if s.start_date > today:
        return "Future"
    return "Current"


def staff_tables(ctx: Context) -> Tables:
    """Staff and its option tables (§4.3)."""
    p = ctx.params
    status = p.get("staffStatus")
    wanted = {"Current"}
    if status is not None:
        match = next((s for s in _STAFF_STATUSES if s.lower() == status.lower()), None)
        if match is None:
            raise bad_request(
                f"The value '{status}' is not valid for staffStatus; use "
                f"{', '.join(_STAFF_STATUSES)}."
            )
        wanted = {match}
    else:
        if p.flag("includeFuture"):
            wanted.add("Future")
        if p.flag("includePrevious"):
            wanted.add("Previous")
    teachers_only = p.flag("teachersOnly")
    chosen = [
        s
        for s in ctx.index.staff.values()
        if _staff_status(ctx, s) in wanted
        and (ctx.record_id is None or str(s.id) == ctx.record_id)
        and (not teachers_only or s.role == "teacher")
    ]
    rows = [_staff_row(ctx, s) for s in chosen]
    swac: list[Row] = []
    if p.flag("includeStaffSWAC"):
        for s in chosen:
            swac.append(
                {
                    "Id": str(s.id),
                    "StaffMis_Id": str(s.id),
                    "SWACRole": "Qualified Teacher" if s.role == "teacher" else s.job_title,
                    "MainRole": 1,
                    "FTE": 1.0,
                }
            )
    # The world holds no hierarchy, vehicles or next-of-kin: those tables come back empty.
    return [
        (STAFF, rows),
        (STAFF_HIERARCHY, []),
        (STAFF_VEHICLES, []),
        (STAFF_NEXT_OF_KIN, []),
        (STAFF_SWAC, swac),
    ]


def _staff_row(ctx: Context, s: Staff) -> Row:
    groups = ctx.index.groups_of_staff.get(s.id, [])
    teacher = s.role == "teacher"
    role = "Teacher" if teacher else s.job_title
    return {
        "Id": str(s.id),
        "ExternalId": s.external_id,
        "IdaasId": f"PWT-{s.id}",
        "Title": s.title,
        "Suffix": None,
        "StaffCode": s.code,
        "StaffStatus": _staff_status(ctx, s),
        "TeacherCategory": "Qualified Teacher" if teacher else None,
        "Forename": s.preferred_forename,
        "Surname": s.surname,
        "DisplayName": f"{s.title} {s.preferred_forename[:1]} {s.surname}",
        "IdaasEmail": None,
        "WorkEmail": s.email,
        "WorkPhone": None,
        "IsTeacher": flag(teacher),
        "IsSupport": flag(not teacher),
        "IsSupply": 0,
        "IsGovernor": 0,
        "RegGroup": ids_csv(g.code for g in groups if g.type == "registration"),
        "GroupIds": ids_csv(g.id for g in groups),
        "GroupIdaasIds": ids_csv(group_idaas(g) for g in groups),
        "Gender": s.gender,
        "MiddleName": None,
        "LegalForename": s.forename,
        "LegalSurname": s.surname,
        "DateOfBirth": s.date_of_birth.isoformat(),
        "MobilePhone": s.mobile,
        "PayrollNumber": s.payroll_number,
        "NINumber": None,
        "TeacherNumber": None,
        "EmploymentStart": s.start_date.isoformat(),
        "EmploymentEnd": iso_date(s.leaving_date),
        "Roles": role,
        "RoleCodes": "TCHR" if teacher else _ROLE_CODES.get(s.job_title, "OTHR"),
        "HomeEmail": None,
        "HomePhone": None,
        "LastUpdated": ctx.ts(s.updated_at),
    }


# -- Contacts and StudentContacts (§4.4, §4.5) ---------------------------------------------

CONTACTS = table(
    "Contacts",
    [
        *columns(
            "Contact",
            "Id",
            "IdaasId",
            "ExternalId",
            "Title",
            "Suffix",
            "Surname",
            "Forename",
            "DisplayName",
            "HomeLanguage",
            "HomeLanguageCode",
            "TranslatorRequired",
            "WorkEmail",
            "WorkPhone",
            "HomeEmail",
            "HomePhone",
            "MobilePhone",
            "AddressBlock",
            "HouseNo",
            "HouseName",
            "Apartment",
            "Street",
            "District",
            "TownOrCity",
            "County",
            "PostCode",
            "Country",
        ),
        # Named only in the param text (§4.4); placed before LastUpdated.
        *columns("Contact", "ChildIdaasIds", option="includeChildIdaasIds"),
        *columns("Contact", "LastUpdated", "RowHash"),
    ],
)
STUDENT_CONTACTS = table(
    "StudentContacts",
    [
        *columns("", "Id", "StudentId", "ContactId"),
        # Column names for includeExternalIds are doc-silent (§4.5); ours.
        *columns("", "StudentExternalId", "ContactExternalId", option="includeExternalIds"),
        *columns("", "Relationship", "Priority", "ParResp", "LastUpdated", "RowHash"),
    ],
)


def contacts_tables(ctx: Context) -> Tables:
    """Contacts of on-roll students (§4.4)."""
    ix, p = ctx.index, ctx.params
    only_pr = p.flag("onlyParentalResponsibility")
    rows: list[Row] = []
    for c in ix.contacts.values():
        if ctx.record_id is not None and str(c.id) != ctx.record_id:
            continue
        # "Returns contact details for the students that are currently on roll."
        links = [
            link
            for link in ix.links_of_contact.get(c.id, ())
            if ix.on_roll(ix.students[link.student_id])
        ]
        if not links or (only_pr and not any(link.parental_responsibility for link in links)):
            continue
        house_no, street = split_address(c.address)
        rows.append(
            {
                "Id": str(c.id),
                "IdaasId": f"PC-{c.id}",
                "ExternalId": c.external_id,
                "Title": c.title,
                "Suffix": None,
                "Surname": c.surname,
                "Forename": c.forename,
                "DisplayName": f"{c.title} {c.forename} {c.surname}",
                "HomeLanguage": None,
                "HomeLanguageCode": None,
                "TranslatorRequired": 0,
                "WorkEmail": None,
                "WorkPhone": c.work_phone,
                "HomeEmail": c.email,
                "HomePhone": c.home_phone,
                "MobilePhone": c.mobile,
                "AddressBlock": f"{c.address}\n{c.town}\n{c.postcode}\nUnited Kingdom",
                "HouseNo": house_no,
                "HouseName": None,
                "Apartment": None,
                "Street": street,
                "District": None,
                "TownOrCity": c.town,
                "County": None,
                "PostCode": c.postcode,
                "Country": "United Kingdom",
                "ChildIdaasIds": ids_csv(
                    sorted(
                        f"PL-{link.student_id}" for link in links if link.parental_responsibility
                    )
                ),
                "LastUpdated": ctx.ts(c.updated_at),
            }
        )
    return [(CONTACTS, rows)]


def student_contacts_tables(ctx: Context) -> Tables:
    """Student-contact relationships (§4.5)."""
    ix, p = ctx.index, ctx.params
    relationship, priority, parresp = p.get("relationship"), p.get("priority"), p.get("parresp")
    include_leavers = p.flag("includeLeavers")
    rows: list[Row] = []
    for link in ix.links:
        student = ix.students[link.student_id]
        contact = ix.contacts[link.contact_id]
        if not ix.on_roll(student) and not include_leavers:
            continue
        # `id` is "a student or contact ID" (§4.5); the world's id spaces never overlap.
        if ctx.record_id is not None and ctx.record_id not in (str(student.id), str(contact.id)):
            continue
        if relationship is not None and link.relationship.lower() != relationship.lower():
            continue
        if priority is not None and str(link.priority) != priority:
            continue
        if parresp is not None and str(int(link.parental_responsibility)) != parresp:
            continue
        rows.append(
            {
                "Id": f"PL-{student.id}.PC-{contact.id}",
                "StudentId": str(student.id),
                "ContactId": str(contact.id),
                "StudentExternalId": student.external_id,
                "ContactExternalId": contact.external_id,
                "Relationship": link.relationship,
                "Priority": link.priority,
                "ParResp": flag(link.parental_responsibility),
                "LastUpdated": ctx.ts(link.updated_at),
            }
        )
    return [(STUDENT_CONTACTS, rows)]
