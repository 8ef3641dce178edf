"""A ``schoolId`` argument checked against configuration: no upstream read to wait for."""

from __future__ import annotations

from schoolgraph.errors import NotFoundError
from schoolgraph.graph.info import Info

__all__ = ["check_configured_school"]


def check_configured_school(info: Info, domain_id: str) -> None:
    """``NOT_FOUND`` unless ``domain_id`` is a configured school in the caller's scope.

    From configuration alone (``Directory.school_ids``): a filter by school (a list's, a
    subscription's) need not wait for the school's details, which a slow upstream may hold.

    Raises:
        NotFoundError: worded as ``School.load_node`` and the directory word it.
    """
    if domain_id not in info.context.directory.school_ids():
        raise NotFoundError(f"School '{domain_id}' is not a configured school.")
