"""Schools: an Xporter establishment or a TASS company."""

from __future__ import annotations

from msgspec import Struct

from schoolgraph.domain.refs import SourceRef, System

__all__ = ["School"]


class School(Struct, frozen=True, gc=False):
    """A school.

    Attributes:
        id: ``"xporter:<estab>"`` or ``"tass:<company>"``.
        system: The MIS that holds the school's data.
        tenant: The estab id (Xporter) or company code (TASS).
        time_zone: The IANA zone its local times are in (from configuration).
        campuses: Campus names (TASS); empty when the school has none.
    """

    id: str
    system: System
    tenant: str
    name: str
    country: str | None
    time_zone: str
    urn: str | None
    phase: str | None
    address: str | None
    town: str | None
    postcode: str | None
    phone: str | None
    email: str | None
    website: str | None
    campuses: tuple[str, ...]
    sources: tuple[SourceRef, ...]
