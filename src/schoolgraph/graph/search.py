"""The ``search`` argument of list fields: every word must appear in one of the row's searched
fields, and a caller's search looks only in the fields it may read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import Any

from schoolgraph.accounts.models import Caller
from schoolgraph.graph.arguments import BadUserInputError

__all__ = [
    "GROUP_SEARCH",
    "MAX_SEARCH_LENGTH",
    "STAFF_SEARCH",
    "STUDENT_SEARCH",
    "SearchFields",
    "matches",
    "search_terms",
]

MAX_SEARCH_LENGTH = 100


def search_terms(search: str | None, *, field: str = "search") -> tuple[str, ...]:
    """The case-folded words of ``search``; empty when there is nothing to search for.

    Raises:
        BadUserInputError: ``search`` is longer than :data:`MAX_SEARCH_LENGTH`.
    """
    if search is None:
        return ()
    if len(search) > MAX_SEARCH_LENGTH:
        raise BadUserInputError(
            f"Argument '{field}' is {len(search)} characters long; "
            f"at most {MAX_SEARCH_LENGTH} are allowed.",
            field=field,
        )
    return tuple(search.casefold().split())


def matches(terms: tuple[str, ...], *values: str | None) -> bool:
    """Whether every term is part of one of ``values`` (case-insensitively)."""
    if not terms:
        return True
    haystack = " ".join(value.casefold() for value in values if value)
    return all(term in haystack for term in terms)


class SearchFields:
    """The fields of a type that its ``search`` argument looks in.

    A search that matched a field the caller may not read would reveal it a prefix at a time
    (a UPN, an email), so each caller's search looks only in the fields its grant lets it read.
    """

    def __init__(self, type_name: str, fields: Mapping[str, str]) -> None:
        """
        Args:
            type_name: The GraphQL type whose grant says which fields are readable.
            fields: GraphQL field name -> the attribute of the row that holds its value.
        """
        self.type_name = type_name
        self.fields = dict(fields)

    @property
    def description(self) -> str:
        """The argument's description: which fields it looks in."""
        names = [f"`{name}`" for name in self.fields]
        listed = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]
        return (
            f"Words that must all appear in the {listed}; only the fields the caller may "
            "read are searched."
        )

    def values_for(self, caller: Caller) -> Callable[[Any], tuple[str | None, ...]]:
        """The values of a row that ``caller``'s search looks in."""
        readable = [
            attribute
            for name, attribute in self.fields.items()
            if caller.may_read(self.type_name, name)
        ]
        if len(readable) > 1:
            getter: Callable[[Any], tuple[str | None, ...]] = attrgetter(*readable)
            return getter
        if readable:
            (attribute,) = readable
            return lambda row: (getattr(row, attribute),)
        return lambda row: ()


STUDENT_SEARCH = SearchFields(
    "Student",
    {
        "forename": "forename",
        "surname": "surname",
        "preferredForename": "preferred_forename",
        "upn": "upn",
    },
)
"""What ``students(search:)`` and ``School.students(search:)`` look in."""

STAFF_SEARCH = SearchFields(
    "Staff",
    {
        "forename": "forename",
        "surname": "surname",
        "displayName": "display_name",
        "email": "email",
        "staffCode": "staff_code",
    },
)
"""What ``staff(search:)`` and ``School.staff(search:)`` look in."""

GROUP_SEARCH = SearchFields("Group", {"code": "code", "name": "name", "subject": "subject"})
"""What ``groups(search:)`` and ``School.groups(search:)`` look in."""
