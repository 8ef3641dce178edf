"""The CPU the collector spends between requests, which is not the gateway answering.

The bench's process is the gateway's, and its ``cpu ms`` is that process's CPU time from a
cold request's start to the load process's report of the answer. The collector runs between
requests (:func:`schoolgraph.collector.collect_between_requests`), and after a big answer it
is often due: a young collection over the rows a cold request left (20 to 60 ms at the
`large` scale) then runs in that window, after the answer left the gateway and before the
report arrived, and the request would be charged for it. :class:`IdleCollections` measures
those collections, so the bench leaves them out.
"""

from __future__ import annotations

import gc
import time
from types import TracebackType
from typing import Any

from schoolgraph.collector import REQUESTS

__all__ = ["IdleCollections"]


class IdleCollections:
    """Within ``with``: the CPU seconds (``time.process_time``) of the collections that
    started while the server was idle (no request being answered, no answer being sent)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started: float | None = None

    def _observe(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = None if REQUESTS.busy else time.process_time()
        elif self._started is not None:
            self.seconds += time.process_time() - self._started
            self._started = None

    def __enter__(self) -> IdleCollections:
        gc.callbacks.append(self._observe)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        gc.callbacks.remove(self._observe)
