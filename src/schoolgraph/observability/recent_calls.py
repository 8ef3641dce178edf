"""``RecentCalls``: the outcomes of each upstream's latest HTTP attempts, for ``/readyz``."""

from __future__ import annotations

from collections import deque

__all__ = ["RecentCalls"]


class RecentCalls:
    """The last ``keep`` attempts per upstream: ``None`` for a success, else its error code.

    Args:
        keep: Attempts remembered per upstream.
    """

    def __init__(self, keep: int = 50) -> None:
        self.keep = keep
        self._outcomes: dict[str, deque[str | None]] = {}

    def add(self, upstream: str, error: str | None) -> None:
        outcomes = self._outcomes.setdefault(upstream, deque(maxlen=self.keep))
        outcomes.append(error)

    def summary(self, upstream: str) -> dict[str, object]:
        """``{"calls", "failed", "lastError"}`` over the remembered attempts of ``upstream``."""
        outcomes = self._outcomes.get(upstream, ())
        errors = [error for error in outcomes if error is not None]
        last = next((error for error in reversed(outcomes) if error is not None), None)
        return {"calls": len(outcomes), "failed": len(errors), "lastError": last}
