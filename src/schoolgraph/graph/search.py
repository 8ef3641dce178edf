"""The ``search`` argument of list fields: every word must appear in one of the row's names."""

from __future__ import annotations

from schoolgraph.graph.arguments import BadUserInputError

__all__ = ["MAX_SEARCH_LENGTH", "matches", "search_terms"]

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
