"""The errors of reading the audit log; leaves of :class:`~schoolgraph.errors.BadRequestError`.

BadRequestError                     BAD_REQUEST               400
├── AuditRangeTooLongError          AUDIT_RANGE_TOO_LONG      400
└── AuditRangeInvalidError          AUDIT_RANGE_INVALID       400
"""

from __future__ import annotations

from schoolgraph.errors import BadRequestError

__all__ = ["AuditRangeInvalidError", "AuditRangeTooLongError"]


class AuditRangeTooLongError(BadRequestError):
    """A search's dates span more than :data:`~schoolgraph.audit.models.MAX_RANGE_DAYS`."""

    code = "AUDIT_RANGE_TOO_LONG"


class AuditRangeInvalidError(BadRequestError):
    """A search's or a chart's range ends before it starts, or cannot be bucketed."""

    code = "AUDIT_RANGE_INVALID"
