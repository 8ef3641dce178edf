"""Start the identity merge as an operation begins, when the operation will need it.

Every Staff, and everything that names its staff (scheduled and worked shifts, timesheets,
leave requests, teams), is answered out of the identity merge: every school's staff list
and Tanda's users, eleven pages at the ``large`` scale that Tanda serves one after another
(it gives no totals). A field reaches the merge only once its parents have resolved: the
school dashboard's tutors after the school's groups, which wait for its 3,900 students to
arrive and be parsed. Started as execution begins, the merge's reads run beside the groups'
instead of after them (see the README's Benchmarks).

Only with batching: the naive baseline (``Loaders(batch=False)``) is a resolver without
dataloaders, which reads nothing before a field asks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, FieldNode, GraphQLSchema, TypeInfo, TypeInfoVisitor, Visitor
from graphql import visit as visit_document
from graphql.type import get_named_type
from strawberry.extensions import SchemaExtension

from schoolgraph.loaders import Loaders
from schoolgraph.loaders.outcomes import ALL

__all__ = ["MERGED_TYPES", "PrefetchMerge", "needs_merge"]

MERGED_TYPES = frozenset({"Staff", "ScheduledShift", "Shift", "Timesheet", "LeaveRequest", "Team"})
"""Object types whose fields are answered out of the identity merge."""


class _Finder(Visitor):
    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.found = False

    def enter_field(self, node: FieldNode, *_: Any) -> Any:
        # A field of such a type, or a field on one: `... on Staff { email }` under
        # `_entities` or `node`, whose own type is an abstract one or a scalar.
        field_type = self.type_info.get_type()
        parent = self.type_info.get_parent_type()
        if (field_type is not None and get_named_type(field_type).name in MERGED_TYPES) or (
            parent is not None and parent.name in MERGED_TYPES
        ):
            self.found = True
            return self.BREAK
        return None


def needs_merge(schema: GraphQLSchema, document: DocumentNode) -> bool:
    """Whether ``document`` selects a field of a type answered out of the identity merge,
    or a field on one (through a fragment on an interface or union)."""
    type_info = TypeInfo(schema)
    finder = _Finder(type_info)
    visit_document(document, TypeInfoVisitor(type_info, finder))
    return finder.found


class PrefetchMerge(SchemaExtension):
    """Load the request's ``all_staff`` (the identity merge) as execution starts, when the
    operation selects anything answered out of it."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        loaders = getattr(context.context, "loaders", None)
        document = context.graphql_document
        if (
            isinstance(loaders, Loaders)
            and loaders.batch
            and document is not None
            and needs_merge(context.schema._schema, document)
        ):
            try:
                asyncio.get_running_loop()
            except RuntimeError:  # executed synchronously: nothing to overlap with
                pass
            else:
                started = asyncio.ensure_future(loaders.all_staff.load(ALL))
                started.add_done_callback(_settle)
        yield


def _settle(started: asyncio.Future[Any]) -> None:
    # The fields that use the merge await the same memoized load and report its outcome;
    # a failure seen only here (an operation that ended first) is not news.
    if not started.cancelled():
        started.exception()
