"""The per-request context every resolver receives as ``info.context``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from schoolgraph.accounts.models import ANONYMOUS, Caller
from schoolgraph.accounts.service import AccountService
from schoolgraph.config import Settings
from schoolgraph.loaders import Loaders
from schoolgraph.sources import Directory
from schoolgraph.upstreams.http import CallLog

__all__ = ["Context", "ContextSource"]


class ContextSource(Protocol):
    """What each request's context is built from: the app's running upstreams.

    :class:`schoolgraph.runtime.Runtime` is the one implementation.
    """

    @property
    def settings(self) -> Settings:
        """The settings in effect; in demo mode they point at the simulators."""
        ...

    @property
    def directory(self) -> Directory:
        """The app's directory over the configured upstreams."""
        ...


@dataclass(frozen=True, slots=True)
class Context:
    """What one GraphQL request carries through its resolvers.

    Resolvers declare ``info: strawberry.Info[Context, None]``.
    """

    request: web.Request
    request_id: str
    settings: Settings
    """The settings in effect: in demo mode, the upstreams are the simulators."""
    calls: CallLog
    """Every upstream call this request has made so far (explain output, audit)."""
    directory: Directory
    """Every read and write of the unified model, shared by all requests of the app."""
    loaders: Loaders
    """This request's dataloaders over ``directory``; fresh for every request."""
    explain: bool = False
    """Whether the request asked for ``extensions.explain`` (``X-Schoolgraph-Explain: 1``)."""
    caller: Caller = ANONYMOUS
    """Who the request acts as: its grants and schools (``directory`` is already limited to
    those schools). The view always sets it; the default serves in-process use."""
    accounts: AccountService | None = None
    """The app's accounts, for the admin fields."""
    built: dict[tuple[str, str], Any] = field(default_factory=dict)
    """Graph objects built once per request, by type name and id: a person or a team that
    thousands of a roster's shifts point at (:func:`schoolgraph.graph.info.built_once`)."""
    look_ahead: dict[tuple[object, ...], tuple[tuple[str, Mapping[str, Any]], ...]] = field(
        default_factory=dict
    )
    """The fields a node's reads are started for before the node resolves, with their
    arguments, by type and the field's nodes in the parsed query
    (:func:`schoolgraph.graph.look_ahead.look_ahead_student`)."""
    selections: dict[tuple[int, ...], frozenset[str]] = field(default_factory=dict)
    """What a field of the query selects on its items, by the field's nodes in the parsed
    query: the same for each of a school's 232 tutors' ``scheduledShifts``
    (:func:`schoolgraph.graph.loading.selected`)."""
