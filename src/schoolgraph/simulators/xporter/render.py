"""The framework every school-data endpoint runs through.

A renderer turns the world into full source rows per table; `render()` then applies
`updatedSince` (§2.1), sorts rows by id, drops columns outside the caller's consent scopes and
`include*` switches (§2.6, §6.5), and computes `RowHash` (§2.3) and the digests change sets
compare. Columns the world has no source for are explicit nulls, as real MIS data often is
(§2.2 "Nulls are explicit").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..dataset import School, World
from .index import SchoolIndex
from .query import Params
from .rows import Row, TableSpec, local_ts, project, sort_key


@dataclass(slots=True)
class Context:
    """One school-data request, as the renderers see it."""

    world: World
    index: SchoolIndex
    params: Params
    record_id: str | None  # `/{Endpoint}/{id}` or `?id=` (§2.1 SIM-PROPOSAL: both)

    @property
    def school(self) -> School:
        return self.index.school

    def ts(self, moment: datetime) -> str:
        return local_ts(moment, self.index.zone)

    def wall(self, moment: datetime) -> str:
        """An aware school-local time as `yyyy-MM-ddTHH:mm:ss` (lessons, §4.7)."""
        return moment.astimezone(self.index.zone).strftime("%Y-%m-%dT%H:%M:%S")


Tables = list[tuple[TableSpec, list[Row]]]
Renderer = Callable[[Context], Tables]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One `/api/v1/School/{estab}/{name}/{id?}` endpoint.

    Attributes:
        name: canonical path segment (matched case-insensitively).
        scopes: every inner tuple must be satisfied by one of its scopes (EXT endpoint scopes,
            §3: `Contact&Student,Contact&StudentLite` is
            `(("Contact",), ("Student", "StudentLite"))`).
        tables: every table the endpoint can return, for the include* switches they carry.
        render: fills the tables.
        paginated: whether the response carries `__pagination__` (§2.2 SIM-PROPOSAL).
    """

    name: str
    scopes: tuple[tuple[str, ...], ...]
    tables: tuple[TableSpec, ...]
    render: Renderer
    paginated: bool = True


@dataclass(slots=True)
class Rendered:
    """Projected tables plus the digests change sets compare, in response order."""

    tables: list[tuple[TableSpec, list[Row], list[bytes]]]
    visible: dict[str, list[str]]  # table -> column names the caller may see, in order
    meta_time: str


def render(endpoint: Endpoint, ctx: Context, granted: frozenset[str]) -> Rendered:
    """Run the endpoint's renderer and shape its rows for this caller."""
    options = frozenset(
        c.option
        for spec in endpoint.tables
        for c in spec.columns
        if c.option is not None and ctx.params.flag(c.option)
    )
    since = ctx.params.date("updatedSince")
    threshold = f"{since.isoformat()}T00:00:00" if since else None
    nightly = f"{ctx.world.today.isoformat()}T02:00:00"
    latest = nightly
    out: list[tuple[TableSpec, list[Row], list[bytes]]] = []
    names: dict[str, list[str]] = {}
    for spec, source in endpoint.render(ctx):
        if threshold is not None and any(c.name == "LastUpdated" for c in spec.columns):
            # "Filter by LastUpdated greater than this date" (§2.1).
            source = [r for r in source if str(r.get("LastUpdated") or "") > threshold]
        for r in source:
            stamp = r.get("LastUpdated")
            if isinstance(stamp, str) and stamp > latest:
                latest = stamp
        if spec.order_by:
            source = sorted(source, key=lambda r: tuple(sort_key(r.get(c)) for c in spec.order_by))
        else:
            source = sorted(source, key=lambda r: sort_key(r.get(spec.key)))
        visible = spec.visible(granted, options)
        names[spec.name] = [c.name for c in visible]
        rows: list[Row] = []
        digests: list[bytes] = []
        for r in source:
            row, digest = project(r, visible, spec.hashed)
            rows.append(row)
            digests.append(digest)
        out.append((spec, rows, digests))
    return Rendered(out, names, latest)
