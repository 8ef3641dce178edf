"""``PartialErrors``: the upstream errors a request's reads met but answered around.

A :class:`~schoolgraph.domain.Partial` read (every school, every person) answers with what
the working upstreams gave and lists what failed. The fields that used such a read record
those errors here, with their response path; the GraphQL layer adds them to the response's
``errors`` once the operation has run, so a client sees both the data and what it lacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from schoolgraph.errors import SchoolgraphError

__all__ = ["PartialErrors", "Path"]

Path = tuple[str | int, ...]


class PartialErrors:
    """The errors one request's partial reads met, with the paths of the fields that met them.

    The same failed upstream read reaches a field once per list item (every group's
    ``staff``); it is reported once per field of the query, at the first item that met it,
    not once per item.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[object, ...], tuple[SchoolgraphError, Path]] = {}

    def add(self, errors: Iterable[SchoolgraphError], path: Sequence[str | int]) -> None:
        field = tuple(key for key in path if isinstance(key, str))
        for error in errors:
            key = (error.code, error.upstream, error.message, field)
            self._seen.setdefault(key, (error, tuple(path)))

    def __iter__(self) -> Iterator[tuple[SchoolgraphError, Path]]:
        return iter(list(self._seen.values()))

    def __len__(self) -> int:
        return len(self._seen)
