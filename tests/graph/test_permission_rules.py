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
from schoolgraph.graph.extensions.permissions import (
    ARGUMENT_RULES,
    FREE_ARGUMENTS,
    MUTATION_RULES,
    grantable_types,
)
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


def test_every_argument_has_a_rule_or_needs_nothing_more() -> None:
    graphql_schema = SCHEMA._schema
    undecided: list[str] = []
    for type_name, type_ in graphql_schema.type_map.items():
        if type_name.startswith("__") or type_name in ADMIN_TYPES:
            continue
        for field_name, field_def in getattr(type_, "fields", {}).items():
            coordinate = f"{type_name}.{field_name}"
            if field_name in ADMIN_QUERY_FIELDS | ADMIN_MUTATION_FIELDS:
                continue
            for argument in getattr(field_def, "args", {}):
                decided = ARGUMENT_RULES.get(coordinate, {})
                free = argument in FREE_ARGUMENTS or f"{coordinate}({argument}:)" in FREE_ARGUMENTS
                if argument not in decided and not free:
                    undecided.append(f"{coordinate}({argument}:)")

    assert undecided == []


def test_every_argument_rule_names_fields_of_the_schema() -> None:
    graphql_schema = SCHEMA._schema
    for coordinate, arguments in ARGUMENT_RULES.items():
        type_name, field_name = coordinate.split(".")
        type_ = graphql_schema.get_type(type_name)
        field_def = getattr(type_, "fields", {})[field_name]
        assert set(arguments) <= set(field_def.args), coordinate
        for needs in arguments.values():
            for need in needs:
                for alternative in need.split(" | "):
                    needed_type, _, needed_field = alternative.partition(".")
                    assert needed_type in CATALOGUE, alternative
                    assert not needed_field or needed_field in CATALOGUE[needed_type], alternative


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
