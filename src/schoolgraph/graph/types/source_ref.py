"""``SourceRef``: which upstream record an entity came from, and how it was matched."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry

from schoolgraph.domain import SourceRef as SourceRefRow
from schoolgraph.domain import System

__all__ = ["SourceRef", "source_refs", "sources_field"]

strawberry.enum(System, name="SourceSystem", description="An upstream system of record.")


@strawberry.type(description="One upstream record behind an entity.")
class SourceRef:
    system: System = strawberry.field(description="The upstream system.")
    tenant: str = strawberry.field(
        description="The tenant in it: Xporter estab, TASS company, or Tanda organisation."
    )
    upstream_id: str = strawberry.field(description="The record's own id in that system.")
    matched_by: str | None = strawberry.field(
        description=(
            "For the Tanda record of a merged person: the rule and value that matched it, "
            'e.g. "employee_id=staff_code:ABR" or "email:a.b@example.org"; null otherwise.'
        )
    )


def source_refs(rows: Iterable[SourceRefRow]) -> list[SourceRef]:
    return [
        SourceRef(
            system=row.system, tenant=row.tenant, upstream_id=row.id, matched_by=row.matched_by
        )
        for row in rows
    ]


def _sources_of(root: Any) -> list[SourceRef]:
    return source_refs(root.row.sources)


def sources_field() -> Any:
    """The ``sources`` field of a type whose ``row`` is a domain row with ``sources``.

    Built when a query selects it, not with every object: most queries never do, and a
    list of thousands of shifts or students would otherwise build their references for
    nothing (profiled: the largest single cost of a roster week's execution).
    """
    return strawberry.field(resolver=_sources_of)
