"""The observability variables: read, checked, and named in their errors."""

from __future__ import annotations

import pytest

from schoolgraph.config import Secret, Settings, UpstreamKind, load_settings
from schoolgraph.errors import ConfigError


def test_the_defaults() -> None:
    settings = load_settings({})

    assert settings.metrics_token is None
    assert settings.otel_enabled is False
    assert settings.ready_requires is None


def test_every_observability_variable_is_read() -> None:
    settings = load_settings(
        {
            "SCHOOLGRAPH_METRICS_TOKEN": " scrape-me ",
            "SCHOOLGRAPH_OTEL_ENABLED": "true",
            "SCHOOLGRAPH_READY_REQUIRES": "tass, tanda",
        }
    )

    assert settings == Settings(
        metrics_token=Secret("scrape-me"),
        otel_enabled=True,
        ready_requires=(UpstreamKind.TASS, UpstreamKind.TANDA),
    )
    assert "scrape-me" not in repr(settings)


def test_an_empty_ready_requires_requires_nothing() -> None:
    assert load_settings({"SCHOOLGRAPH_READY_REQUIRES": ""}).ready_requires == ()


TASS_ONLY = {
    "SCHOOLGRAPH_TASS_URL": "http://127.0.0.1:1",
    "SCHOOLGRAPH_TASS_COMPANIES": "01",
    "SCHOOLGRAPH_TASS_CLIENT_KEY": "key",
    "SCHOOLGRAPH_TASS_CLIENT_SECRET": "secret",
}


def test_ready_requires_may_name_a_configured_upstream() -> None:
    environ = {"SCHOOLGRAPH_READY_REQUIRES": "tass"} | TASS_ONLY

    assert load_settings(environ).ready_requires == (UpstreamKind.TASS,)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SCHOOLGRAPH_READY_REQUIRES": "moodle"}, "SCHOOLGRAPH_READY_REQUIRES must be one of"),
        ({"SCHOOLGRAPH_READY_REQUIRES": "tass,tass"}, "names tass twice"),
        (
            {"SCHOOLGRAPH_READY_REQUIRES": "tanda"} | TASS_ONLY,
            "SCHOOLGRAPH_READY_REQUIRES names tanda, which is not configured",
        ),
        ({"SCHOOLGRAPH_OTEL_ENABLED": "sometimes"}, "SCHOOLGRAPH_OTEL_ENABLED"),
        ({"SCHOOLGRAPH_METRICS_TOKEN": "  "}, "SCHOOLGRAPH_METRICS_TOKEN is empty"),
    ],
)
def test_an_unusable_value_names_its_key(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ)
