"""The accounts' settings: anonymous access by mode, the database path, tokens, SMTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from schoolgraph.accounts.cli import with_data_dir
from schoolgraph.config import Mode, Secret, Settings, load_settings
from schoolgraph.errors import ConfigError

UPSTREAM = {
    "SCHOOLGRAPH_TANDA_URL": "https://my.tanda.co",
    "SCHOOLGRAPH_TANDA_EMAIL": "api@school.example",
    "SCHOOLGRAPH_TANDA_PASSWORD": "tanda-password",
}


def test_the_demo_is_anonymous_and_upstream_mode_needs_tokens() -> None:
    assert load_settings({}).anonymous_allowed is True
    assert load_settings(UPSTREAM).anonymous_allowed is False
    assert load_settings({**UPSTREAM, "SCHOOLGRAPH_ANONYMOUS": "true"}).anonymous_allowed
    assert not load_settings({"SCHOOLGRAPH_ANONYMOUS": "no"}).anonymous_allowed
    assert Settings().anonymous_allowed and not Settings(mode=Mode.UPSTREAM).anonymous_allowed


def test_the_database_lives_in_the_data_folder_unless_named() -> None:
    assert Settings().accounts_db is None  # in memory: tests and embedded use
    assert with_data_dir(Settings()).accounts_db == (
        Path("~/.local/share/schoolgraph/accounts.sqlite3").expanduser()
    )
    settings = load_settings({"SCHOOLGRAPH_DATA_DIR": "/srv/schoolgraph"})
    assert settings.accounts_db == Path("/srv/schoolgraph/accounts.sqlite3")
    named = load_settings({"SCHOOLGRAPH_DATA_DIR": "/srv/sg", "SCHOOLGRAPH_DB_PATH": "/db/a.db"})
    assert named.accounts_db == Path("/db/a.db")
    assert with_data_dir(named).data_dir == Path("/srv/sg")


def test_tokens_last_15_minutes_unless_configured() -> None:
    assert Settings().token_ttl == 900.0
    assert load_settings({"SCHOOLGRAPH_TOKEN_TTL": "300"}).token_ttl == 300.0


def test_links_use_the_public_url_when_set() -> None:
    assert Settings(port=9000).link_base_url == "http://127.0.0.1:9000"
    public = load_settings({"SCHOOLGRAPH_PUBLIC_URL": "https://api.school.example/"})
    assert public.link_base_url == "https://api.school.example"


def test_smtp_settings_are_read_together() -> None:
    settings = load_settings(
        {
            "SCHOOLGRAPH_SMTP_HOST": "mail.school.example",
            "SCHOOLGRAPH_SMTP_PORT": "465",
            "SCHOOLGRAPH_SMTP_TLS": "TLS",
            "SCHOOLGRAPH_SMTP_USERNAME": "gateway",
            "SCHOOLGRAPH_SMTP_PASSWORD": "mail-secret",
            "SCHOOLGRAPH_SMTP_FROM": "it@school.example",
        }
    )

    assert (settings.smtp_host, settings.smtp_port, settings.smtp_tls) == (
        "mail.school.example",
        465,
        "tls",
    )
    assert settings.smtp_password == Secret("mail-secret")
    assert settings.smtp_from == "it@school.example"


@pytest.mark.parametrize(
    ("environ", "text"),
    [
        pytest.param(
            {"SCHOOLGRAPH_SMTP_USERNAME": "gateway"},
            "SCHOOLGRAPH_SMTP_USERNAME is set but SCHOOLGRAPH_SMTP_HOST is not",
            id="no-host",
        ),
        pytest.param(
            {"SCHOOLGRAPH_SMTP_HOST": "mail", "SCHOOLGRAPH_SMTP_PASSWORD": "x"},
            "SCHOOLGRAPH_SMTP_USERNAME is not",
            id="password-without-user",
        ),
        pytest.param({"SCHOOLGRAPH_TOKEN_TTL": "0"}, "above 0", id="ttl-zero"),
        pytest.param({"SCHOOLGRAPH_SMTP_TLS": "ssl"}, "one of starttls, tls, none", id="tls"),
        pytest.param({"SCHOOLGRAPH_DB_PATH": " "}, "is empty", id="empty-path"),
    ],
)
def test_bad_account_settings_name_the_key(environ: dict[str, str], text: str) -> None:
    with pytest.raises(ConfigError, match=text):
        load_settings(environ)


def test_the_smtp_password_is_never_shown() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"SCHOOLGRAPH_SMTP_PASSWORD": "hunter2-hunter2"})

    assert "hunter2" not in str(raised.value)
