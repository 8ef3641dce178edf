"""Bounded label values for metrics and span names: route templates, never raw paths."""

from __future__ import annotations

from aiohttp import web

__all__ = ["UNMATCHED", "method_label", "route_label"]

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

UNMATCHED = "unmatched"
"""The route of a request no route answered (a 404, or a 405 for a method its path's route
does not take: aiohttp's 405 names no route), in place of its raw path."""


def route_label(request: web.Request) -> str:
    """The matched route's template (``/graphql``), never the raw path."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


def method_label(method: str) -> str:
    """``method`` when it is one of HTTP's own, else ``OTHER``."""
    return method if method in _METHODS else "OTHER"
