"""The identity merge starts as an operation begins when the operation will need it."""

from __future__ import annotations

import pytest
from graphql import parse

from schoolgraph.bench.queries import DASHBOARD, ENTITIES, ROSTER_WEEK, STUDENT_DETAIL
from schoolgraph.graph.extensions.prefetch import needs_merge
from schoolgraph.graph.schema import build_schema

SCHEMA = build_schema()._schema


@pytest.mark.parametrize(
    ("document", "needed"),
    [
        pytest.param(DASHBOARD, True, id="dashboard-tutors"),
        pytest.param(ROSTER_WEEK, True, id="roster-shifts"),
        pytest.param(
            "fragment F on Group { staff { id } } { groups { nodes { ...F } } }",
            True,
            id="in-a-fragment",
        ),
        pytest.param(ENTITIES, True, id="federation-entities"),
        pytest.param('{ node(id: "x") { ... on Staff { email } } }', True, id="node-as-staff"),
        pytest.param(
            'fragment S on Staff { id } { nodes(ids: ["x"]) { ...S } }',
            True,
            id="nodes-through-a-fragment",
        ),
        pytest.param(
            '{ node(id: "x") { ... on Student { surname } } }', False, id="node-as-student"
        ),
        pytest.param(STUDENT_DETAIL, False, id="student-detail"),
        pytest.param("{ schools { id name } }", False, id="schools"),
    ],
)
def test_an_operation_needs_the_merge_when_it_selects_staff_or_their_shifts(
    document: str, needed: bool
) -> None:
    assert needs_merge(SCHEMA, parse(document)) is needed
