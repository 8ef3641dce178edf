"""Settings from SCHOOLGRAPH_* variables: defaults, parsing, overrides, loud failures."""

from __future__ import annotations

import pytest

from schoolgraph.config import VARIABLES, LogFormat, Mode, Settings, load_settings
from schoolgraph.errors import ConfigError


def test_an_empty_environment_gives_the_defaults() -> None:
    settings = load_settings({"PATH": "/usr/bin", "HOME": "/root"})

    assert settings == Settings()
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.mode is Mode.DEMO
    assert settings.introspection is True


def test_every_variable_is_read() -> None:
    settings = load_settings(
        {
            "SCHOOLGRAPH_HOST": "192.0.2.10",
            "SCHOOLGRAPH_PORT": "9001",
            "SCHOOLGRAPH_MODE": "UPSTREAM",
            "SCHOOLGRAPH_LOG_LEVEL": "Debug",
            "SCHOOLGRAPH_LOG_FORMAT": "json",
            "SCHOOLGRAPH_SHUTDOWN_TIMEOUT": "2.5",
            "SCHOOLGRAPH_MAX_BODY_BYTES": "2048",
            "SCHOOLGRAPH_INTROSPECTION": "off",
        }
    )

    assert settings == Settings(
        host="192.0.2.10",
        port=9001,
        mode=Mode.UPSTREAM,
        log_level="debug",
        log_format=LogFormat.JSON,
        shutdown_timeout=2.5,
        max_body_bytes=2048,
        introspection=False,
    )


def test_overrides_win_over_the_environment_and_none_leaves_it() -> None:
    environ = {"SCHOOLGRAPH_PORT": "9001", "SCHOOLGRAPH_HOST": "10.0.0.1"}

    settings = load_settings(environ, port=9999, host=None)

    assert settings.port == 9999
    assert settings.host == "10.0.0.1"


def test_an_override_of_an_unknown_setting_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unknown setting 'prot'"):
        load_settings({}, prot=1)


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("SCHOOLGRAPH_PORT", "abc", "an integer between 0 and 65535"),
        ("SCHOOLGRAPH_PORT", "65536", "an integer between 0 and 65535"),
        ("SCHOOLGRAPH_PORT", "", "an integer between 0 and 65535"),
        ("SCHOOLGRAPH_HOST", " ", "a host name or IP address"),
        ("SCHOOLGRAPH_MODE", "live", "one of demo, upstream"),
        ("SCHOOLGRAPH_LOG_LEVEL", "loud", "one of debug, info, warning, error, critical"),
        ("SCHOOLGRAPH_LOG_FORMAT", "xml", "one of auto, json, text"),
        ("SCHOOLGRAPH_SHUTDOWN_TIMEOUT", "-1", "a number of seconds, 0 or more"),
        ("SCHOOLGRAPH_SHUTDOWN_TIMEOUT", "nan", "a number of seconds, 0 or more"),
        ("SCHOOLGRAPH_MAX_BODY_BYTES", "1.5", "a whole number of bytes, 1 or more"),
        ("SCHOOLGRAPH_INTROSPECTION", "maybe", "one of true, 1, yes, on, false, 0, no, off"),
    ],
)
def test_an_invalid_value_names_the_key_and_the_value(key: str, value: str, rule: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({key: value})

    assert str(raised.value) == f"{key} must be {rule}, got {value!r}."
    assert raised.value.code == "CONFIG_INVALID"


def test_an_unknown_schoolgraph_variable_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^SCHOOLGRAPH_PROT is not a schoolgraph setting; "):
        load_settings({"SCHOOLGRAPH_PROT": "8000"})


def test_variables_cover_every_setting_but_the_upstream_list() -> None:
    fields = {variable.field for variable in VARIABLES}

    assert fields == set(Settings.__dataclass_fields__) - {"upstreams"}
