"""The bench leaves the collections an idle server runs out of a request's CPU."""

from __future__ import annotations

import gc

from schoolgraph.bench.idle_collections import IdleCollections
from schoolgraph.collector import REQUESTS


def test_only_the_collections_of_an_idle_server_are_counted() -> None:
    with IdleCollections() as idle:
        gc.collect()
    assert idle.seconds > 0
    REQUESTS.count += 1
    try:
        with IdleCollections() as busy:
            gc.collect()
    finally:
        REQUESTS.count -= 1
    assert busy.seconds == 0
    assert idle._observe not in gc.callbacks and busy._observe not in gc.callbacks
