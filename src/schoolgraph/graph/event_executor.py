"""``EventExecutor``: the gateway's executor, with a fresh memo for each subscription event.

graphql-core 3.3 executes each subscription event with a shallow copy of the subscription's
executor (``build_per_event_executor``), so every copy shares one memo of collected subfields
(``_relevant_sub_fields``) and of stream usages, keyed on the identity of lists that each event
builds afresh, and keeps those lists alive. A long-lived subscription thus grows by about a
kilobyte per event it delivers, without bound (measured in tests/live/test_backpressure.py).
Each event gets empty memos here, so what a subscription holds does not grow with its events.
"""

from __future__ import annotations

from typing import Any

from schoolgraph.graph.plain_fields import PLAIN_OBJECTS, PLAIN_PLANS, PlainFieldsExecutor

__all__ = ["EventExecutor"]

_PER_EXECUTION_MEMOS = ("_relevant_sub_fields", "_stream_usages", PLAIN_PLANS, PLAIN_OBJECTS)


class EventExecutor(PlainFieldsExecutor):
    """The executor of every operation: plain fields read directly
    (:mod:`schoolgraph.graph.plain_fields`), and a fresh memo for each subscription event."""

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        for name in _PER_EXECUTION_MEMOS:
            memo = getattr(self, name, None)
            if memo is not None:
                setattr(executor, name, type(memo)())
        return executor
