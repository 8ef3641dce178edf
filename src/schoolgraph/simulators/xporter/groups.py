"""Groups with memberships, group types, sub-groups and year-group lookup (xporter.md §4.6)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, time, timedelta

from ..dataset import Group, World
from .render import Context, Tables
from .rows import Row, columns, ids_csv, table

# World group kinds -> Xporter group types (§4.6 "Types"); TypeId values are ours.
GROUP_TYPES: dict[str, tuple[str, str, str, str | None]] = {
    # kind: (Type code, TypeId, TypeDescription, ParentGroupTypeId)
    "year": ("YearGrp", "1", "Year Group", None),
    "registration": ("RegGrp", "2", "Registration Group", "1"),
    "class": ("TeachingGrp", "3", "Teaching Group", None),
    "house": ("HouseGrp", "4", "House Group", None),
}
_TYPE_BY_CODE = {v[0].lower(): k for k, v in GROUP_TYPES.items()}
_STAFF_ROLE = {
    "year": "Head of Year",
    "registration": "Tutor",
    "house": "Head of House",
    "class": "Teacher",
}


GROUP = table(
    "Group",
    [
        *columns(
            "School / SchoolLite",
            "Id",
            "ExternalId",
            "IdaasId",
            "Code",
            "Name",
            "PrimaryStaffId",
            "Staff",
            "NumStudents",
            "RowHash",
            "LastUpdated",
        ),
        *columns("School / SchoolLite", "TypeId", option="includeGroupTypes"),
        *columns("School / SchoolLite", "Type"),
        *columns(
            "School / SchoolLite",
            "StudentIdaasIds",
            "StaffIdaasIds",
            option="includeMembersIdaasIds",
        ),
        *columns("School / SchoolLite", "StudentIds", "StaffIds", option="includeMembersIds"),
        *columns(
            "School / SchoolLite",
            "SubjectLocalId",
            "SubjectCode",
            "SubjectName",
            option="includeSubjects",
        ),
    ],
)
STAFF_MEMBERS = table(
    "StaffMembers",
    columns(
        "School / SchoolLite",
        "Id",
        "GroupId",
        "StaffId",
        "StaffRole",
        "GroupExternalId",
        "StaffExternalId",
        "StaffIdaasId",
        "GroupIdaasId",
        "RowHash",
        "LastUpdated",
    ),
)
STUDENT_MEMBERS = table(
    "StudentMembers",
    columns(
        "School / SchoolLite",
        "Id",
        "GroupId",
        "StudentId",
        "GroupExternalId",
        "StudentExternalId",
        "StudentIdaasId",
        "GroupIdaasId",
        "StartDate",
        "EndDate",
        "RowHash",
        "LastUpdated",
    ),
)
GROUP_TYPES_TABLE = table(
    "GroupTypes",
    columns(
        "School / SchoolLite",
        "Id",
        "TypeCode",
        "TypeDescription",
        "ParentGroupTypeId",
        "RowHash",
        "LastUpdated",
    ),
)
SUB_GROUPS = table(
    "SubGroups",
    columns(
        "School / SchoolLite",
        "Id",
        "ChildGroupId",
        "ParentGroupId",
        "ChildGroupTypeId",
        "ParentGroupTypeId",
        "RowHash",
        "LastUpdated",
    ),
)
STANDARD_YEAR_GROUPS = table(
    "StandardYearGroupLookup",
    columns(
        "School / SchoolLite",
        "Id",
        "GroupId",
        "GroupMis_Id",
        "StandardYeargroupCode",
        "StandardYeargroupName",
    ),
)


def group_idaas(group: Group) -> str:
    """The group's IdaasId: `GY-` for year groups, `GC-` otherwise."""
    # Doc/EXT examples: GC-8811 for a teaching group, GY-31 for a YearGrp (§2.7).
    return f"{'GY' if group.type == 'year' else 'GC'}-{group.id}"


def group_external_id(world: World, group: Group) -> str:
    """A stable GUID for a group: the world has none, so derive one from seed and id."""
    digest = hashlib.md5(f"{world.seed}:group:{group.id}".encode(), usedforsecurity=False).digest()
    return str(uuid.UUID(bytes=digest, version=4))


def groups_tables(ctx: Context) -> Tables:
    """Group, memberships, GroupTypes, SubGroups and StandardYearGroupLookup (§4.6)."""
    ix, p, world = ctx.index, ctx.params, ctx.world
    kinds: set[str] | None = None
    if (types := p.get("Type")) is not None:
        kinds = {_TYPE_BY_CODE.get(t.strip().lower(), "?") for t in types.split(",") if t.strip()}
    code = p.get("Code")
    wanted_id = ctx.record_id
    chosen: list[Group] = []
    for g in ix.groups.values():
        # "active group definitions where a group has at least one student or staff member"
        if not any(sid in ix.students for sid in g.student_ids) and not any(
            tid in ix.staff for tid in g.staff_ids
        ):
            continue
        if g.start_date > world.today and not p.flag("includeFutureGroups"):
            continue
        if g.end_date < world.today:
            continue
        if kinds is not None and g.type not in kinds:
            continue
        if code is not None and g.code.lower() != code.lower():
            continue
        if wanted_id is not None and wanted_id not in (str(g.id), group_external_id(world, g)):
            continue
        chosen.append(g)
    rows: list[Row] = []
    staff_members: list[Row] = []
    student_members: list[Row] = []
    with_staff, with_students = p.flag("includeStaffMembers"), p.flag("includeStudentMembers")
    for g in chosen:
        ext = group_external_id(world, g)
        idaas = group_idaas(g)
        students = [ix.students[sid] for sid in g.student_ids if sid in ix.students]
        staff = [ix.staff[tid] for tid in g.staff_ids if tid in ix.staff]
        code_, type_id, _, _ = GROUP_TYPES[g.type]
        rows.append(
            {
                "Id": str(g.id),
                "ExternalId": ext,
                "IdaasId": idaas,
                "Code": g.code,
                "Name": g.name,
                "PrimaryStaffId": str(staff[0].id) if staff else None,
                "Staff": ids_csv(t.code for t in staff),
                "NumStudents": len(students),
                "LastUpdated": ctx.ts(g.updated_at),
                "TypeId": type_id,
                "Type": code_,
                "StudentIdaasIds": ids_csv(f"PL-{s.id}" for s in students),
                "StaffIdaasIds": ids_csv(f"PWT-{t.id}" for t in staff),
                "StudentIds": ids_csv(s.id for s in students),
                "StaffIds": ids_csv(t.id for t in staff),
                "SubjectLocalId": _subject_id(g.subject_code),
                "SubjectCode": g.subject_code,
                "SubjectName": g.subject_name,
            }
        )
        if with_staff:
            for n, t in enumerate(staff):
                staff_members.append(
                    {
                        "Id": f"{idaas}.PWT-{t.id}",
                        "GroupId": str(g.id),
                        "StaffId": str(t.id),
                        "StaffRole": _STAFF_ROLE[g.type] if n == 0 else "Teacher",
                        "GroupExternalId": ext,
                        "StaffExternalId": t.external_id,
                        "StaffIdaasId": f"PWT-{t.id}",
                        "GroupIdaasId": idaas,
                        "LastUpdated": ctx.ts(t.updated_at),
                    }
                )
        if with_students:
            # A membership's LastUpdated is its member's: the world keeps no membership
            # timestamps, and a group rename must not churn every membership row.
            for s in students:
                # SIM-PROPOSAL (§4.6): MIS ids in GroupId/StudentId so the documented FK works.
                student_members.append(
                    {
                        "Id": f"{idaas}.PL-{s.id}",
                        "GroupId": str(g.id),
                        "StudentId": str(s.id),
                        "GroupExternalId": ext,
                        "StudentExternalId": s.external_id,
                        "StudentIdaasId": f"PL-{s.id}",
                        "GroupIdaasId": idaas,
                        "StartDate": max(g.start_date, s.admission_date).isoformat(),
                        "EndDate": g.end_date.isoformat(),
                        "LastUpdated": ctx.ts(s.updated_at),
                    }
                )
    seeded = ctx.ts(datetime.combine(world.today - timedelta(days=120), time(2), ix.zone))
    group_types: list[Row] = []
    if p.flag("includeGroupTypes"):
        group_types = [
            {
                "Id": type_id,
                "TypeCode": code_,
                "TypeDescription": description,
                "ParentGroupTypeId": parent,
                "LastUpdated": seeded,
            }
            for code_, type_id, description, parent in GROUP_TYPES.values()
        ]
    sub_groups: list[Row] = []
    if p.flag("includeSubGroups"):
        years = {g.year: g for g in ix.groups.values() if g.type == "year"}
        for g in chosen:
            parent = years.get(g.year) if g.type == "registration" else None
            if parent is not None:
                sub_groups.append(
                    {
                        "Id": f"{g.id}.{parent.id}",
                        "ChildGroupId": str(g.id),
                        "ParentGroupId": str(parent.id),
                        "ChildGroupTypeId": "2",
                        "ParentGroupTypeId": "1",
                        "LastUpdated": ctx.ts(max(g.updated_at, parent.updated_at)),
                    }
                )
    standard: list[Row] = []
    if p.flag("includeStandardYeargroups"):
        for g in chosen:
            if g.type == "year" and g.year is not None:
                standard.append(
                    {
                        "Id": f"GY-{g.id}",
                        "GroupId": f"GY-{g.id}",
                        "GroupMis_Id": str(g.id),
                        "StandardYeargroupCode": str(g.year),
                        "StandardYeargroupName": f"Year {g.year}",
                    }
                )
    return [
        (GROUP, rows),
        (STAFF_MEMBERS, staff_members),
        (STUDENT_MEMBERS, student_members),
        (GROUP_TYPES_TABLE, group_types),
        (SUB_GROUPS, sub_groups),
        (STANDARD_YEAR_GROUPS, standard),
    ]


def _subject_id(code: str | None) -> str | None:
    if code is None:
        return None
    return str(100 + sum(ord(c) for c in code) % 900)
