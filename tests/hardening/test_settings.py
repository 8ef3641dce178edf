"""The hardening settings: read from ``SCHOOLGRAPH_*``, refused loudly when unusable."""

from __future__ import annotations

from pathlib import Path

import pytest

from schoolgraph.config import Settings, load_settings
from schoolgraph.errors import ConfigError


def test_the_defaults() -> None:
    settings = load_settings({})

    assert settings.request_timeout == 30.0
    assert (
        settings.max_query_depth,
        settings.max_query_aliases,
        settings.max_query_tokens,
        settings.max_query_cost,
    ) == (15, 30, 2000, 200_000)
    assert settings.persisted_queries and settings.allow_list_file is None
    assert (settings.rate_limit, settings.rate_limit_burst) == (600, 60)


def test_every_hardening_variable_is_read(tmp_path: Path) -> None:
    allow_list = tmp_path / "operations.json"

    settings = load_settings(
        {
            "SCHOOLGRAPH_REQUEST_TIMEOUT": "2.5",
            "SCHOOLGRAPH_MAX_QUERY_DEPTH": "8",
            "SCHOOLGRAPH_MAX_QUERY_ALIASES": "4",
            "SCHOOLGRAPH_MAX_QUERY_TOKENS": "500",
            "SCHOOLGRAPH_MAX_QUERY_COST": "1000",
            "SCHOOLGRAPH_PERSISTED_QUERIES": "false",
            "SCHOOLGRAPH_PERSISTED_QUERIES_MAX_BYTES": "4096",
            "SCHOOLGRAPH_ALLOW_LIST_FILE": str(allow_list),
            "SCHOOLGRAPH_RATE_LIMIT": "0",
            "SCHOOLGRAPH_RATE_LIMIT_BURST": "5",
        }
    )

    assert settings == Settings(
        request_timeout=2.5,
        max_query_depth=8,
        max_query_aliases=4,
        max_query_tokens=500,
        max_query_cost=1000,
        persisted_queries=False,
        persisted_queries_max_bytes=4096,
        allow_list_file=allow_list,
        rate_limit=0,
        rate_limit_burst=5,
    )


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("SCHOOLGRAPH_REQUEST_TIMEOUT", "0"),
        ("SCHOOLGRAPH_REQUEST_TIMEOUT", "soon"),
        ("SCHOOLGRAPH_MAX_QUERY_DEPTH", "0"),
        ("SCHOOLGRAPH_MAX_QUERY_ALIASES", "-1"),
        ("SCHOOLGRAPH_MAX_QUERY_TOKENS", "many"),
        ("SCHOOLGRAPH_MAX_QUERY_COST", "1.5"),
        ("SCHOOLGRAPH_PERSISTED_QUERIES", "maybe"),
        ("SCHOOLGRAPH_PERSISTED_QUERIES_MAX_BYTES", "0"),
        ("SCHOOLGRAPH_ALLOW_LIST_FILE", " "),
        ("SCHOOLGRAPH_RATE_LIMIT", "-5"),
        ("SCHOOLGRAPH_RATE_LIMIT_BURST", "0"),
    ],
)
def test_an_unusable_value_names_its_key(key: str, raw: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_settings({key: raw})
