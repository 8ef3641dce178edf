"""SchoolInfo and Health (xporter.md §4.11)."""

from __future__ import annotations

from .render import Context, Tables
from .rows import Row, columns, table

SCHOOL_INFO = table(
    "SchoolInfo",
    [
        *columns(
            "School / SchoolLite",
            "Id",
            "Name",
            "Head",
            "MainContact",
            "Telephone",
            "Web",
            "Email",
            "DeniNo",
            "Governance",
            "Phase",
            "ExamCentre",
            "Address",
            "EstabId",
        ),
        # EXT real rows add these three (§4.11.1).
        *columns("School / SchoolLite", "CurrentAcademicYear", "LastUpdated", "RowHash"),
    ],
)
SITES = table("Sites", columns("School / SchoolLite", "Id", "Code", "Name"))
# `health` fields beyond the three key fields are doc-silent (§4.11.4).
HEALTH = table(
    "health",
    columns("", "Estab", "SchoolDataStatus", "SchoolDataAgeDays", "XodStatus"),
    key="Estab",
)


def school_info_tables(ctx: Context) -> Tables:
    """The establishment's details and sites (§4.11.1)."""
    s = ctx.school
    row: Row = {
        "Id": "1",
        "Name": s.name,
        "Head": s.head_teacher,
        "MainContact": s.head_teacher,
        "Telephone": s.phone,
        "Web": s.website,
        "Email": s.email,
        "DeniNo": None,
        "Governance": "Academy" if "Academy" in s.name else "Community",
        "Phase": s.phase,
        "ExamCentre": None,
        "Address": f"{s.address}\n{s.town}\n{s.postcode}\n",
        "EstabId": s.code,
        "CurrentAcademicYear": str(s.terms[0][0].year),
        "LastUpdated": ctx.ts(s.updated_at),
    }
    sites: list[Row] = []
    if ctx.params.flag("includeSites"):
        sites = [
            {"Id": str(c.id), "Code": c.code, "Name": c.name}
            for c in ctx.world.campuses.values()
            if c.school_id == s.id
        ]
    return [(SCHOOL_INFO, [row]), (SITES, sites)]


def health_tables(ctx: Context) -> Tables:
    """Data availability for the school (§2.4, §4.11.4)."""
    return [
        (
            HEALTH,
            [
                {
                    "Estab": ctx.school.code,
                    "SchoolDataStatus": "ok",
                    "SchoolDataAgeDays": 0,
                    "XodStatus": "ok",
                }
            ],
        )
    ]
