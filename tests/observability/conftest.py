"""Demo gateways on loopback for the observability tests, and a reader of their /metrics."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from yarl import URL

from schoolgraph.app import create_app
from schoolgraph.config import Settings
from tests.conftest import Serve
from tests.graph.conftest import Gateway

Observe = Callable[..., Awaitable[Gateway]]

BASE = Settings(demo_scale="small", rate_limit=0)


@pytest.fixture
async def observed(serve: Serve, http: aiohttp.ClientSession) -> Observe:
    """``await observed(**settings)``: a small demo gateway on loopback, settings changed."""

    async def start(**changes: Any) -> Gateway:
        app = create_app(dataclasses.replace(BASE, **changes))
        return Gateway(url=await serve(app), app=app, http=http)

    return start


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(http: aiohttp.ClientSession, url: URL) -> tuple[str, Samples]:
    """``GET /metrics``: its text, and every sample parsed by prometheus_client's parser."""
    async with http.get(url / "metrics") as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name, frozenset(sample.labels.items())] = sample.value
    return text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample ``name{labels}``; 0 when it has not been counted yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n == name and wanted <= have)
