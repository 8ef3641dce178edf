"""The permission rules cover the schema: every mutation, the admin fields, the roles, and the
scoped directory's methods."""

from __future__ import annotations

import inspect

from schoolgraph.accounts.models import ROLES
from schoolgraph.graph.admin import (
    ADMIN_MUTATION_FIELDS,
    ADMIN_QUERY_FIELDS,
    ADMIN_TYPES,
    AdminMutation,
    AdminQuery,
)
from schoolgraph.graph.extensions.permissions import MUTATION_RULES, grantable_types
from schoolgraph.graph.schema import build_schema
from schoolgraph.sources.directory import Directory
from schoolgraph.sources.scoped import ScopedDirectory

SCHEMA = build_schema()
CATALOGUE = grantable_types(SCHEMA)


def test_every_mutation_has_a_rule_or_is_admin() -> None:
    mutation_type = SCHEMA._schema.mutation_type
    assert mutation_type is not None

    assert set(mutation_type.fields) == set(MUTATION_RULES) | ADMIN_MUTATION_FIELDS
    for rule in MUTATION_RULES.values():
        fields = CATALOGUE[rule.type_name]
        assert set(rule.inputs.values()) | set(rule.touches) <= fields, rule
        assert set(rule.refers.values()) <= set(CATALOGUE), rule


def _graphql_names(root: type) -> set[str]:
    definition = root.__strawberry_definition__  # type: ignore[attr-defined]
    return {SCHEMA.config.name_converter.get_graphql_name(f) for f in definition.fields}


def test_the_admin_field_and_type_lists_match_the_admin_roots() -> None:
    graphql_schema = SCHEMA._schema
    assert _graphql_names(AdminQuery) == ADMIN_QUERY_FIELDS
    assert _graphql_names(AdminMutation) == ADMIN_MUTATION_FIELDS
    assert set(graphql_schema.type_map) >= ADMIN_TYPES
    assert not ADMIN_TYPES & set(CATALOGUE)


def test_every_role_covers_types_of_the_schema() -> None:
    for role, types in ROLES.items():
        assert types <= set(CATALOGUE), role


def test_the_scoped_directory_answers_for_every_public_method() -> None:
    public = {
        name
        for name, member in inspect.getmembers(Directory)
        if not name.startswith("_") and callable(member)
    }

    overridden = {name for name in public if name in ScopedDirectory.__dict__}

    assert overridden == public
