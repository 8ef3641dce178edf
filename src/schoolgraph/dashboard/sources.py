"""Where the dashboard reads from: the app's audit log (``app[AUDIT]``)."""

from __future__ import annotations

from typing import ClassVar

from aiohttp import web

from schoolgraph.audit.store import AuditStore
from schoolgraph.audit.web import AUDIT
from schoolgraph.errors import SchoolgraphError

__all__ = ["AuditOffError", "audit_reader"]


class AuditOffError(SchoolgraphError):
    """The gateway runs without its audit log, so the dashboard has nothing to read."""

    code: ClassVar[str] = "AUDIT_OFF"
    http_status: ClassVar[int] = 503


def audit_reader(request: web.Request) -> AuditStore:
    """The audit log's reader.

    Raises:
        AuditOffError: the gateway runs with ``SCHOOLGRAPH_AUDIT=false``.
    """
    log = request.app.get(AUDIT)
    if log is None:
        raise AuditOffError(
            "The audit log is off (SCHOOLGRAPH_AUDIT=false), so there is nothing to show; "
            "turn it on and restart the gateway."
        )
    return log.reader
