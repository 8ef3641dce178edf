"""Settings from SCHOOLGRAPH_* variables: defaults, parsing, upstreams, secrets, loud failures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schoolgraph.config import (
    DEMO_SCALES,
    VARIABLES,
    LogFormat,
    Mode,
    Secret,
    Settings,
    TandaSettings,
    TassCompanySettings,
    TassSettings,
    XporterSchoolSettings,
    XporterSettings,
    load_settings,
)
from schoolgraph.errors import ConfigError
from schoolgraph.simulators.dataset import SCALES

ROOT = Path(__file__).resolve().parents[1]

TOKEN_KEY = "hOks5z+CEvST8P+sZ8jIIw=="  # 16 bytes, Base64
TANDA = {
    "SCHOOLGRAPH_TANDA_URL": "https://my.tanda.co/",
    "SCHOOLGRAPH_TANDA_EMAIL": "integration@school.example",
    "SCHOOLGRAPH_TANDA_PASSWORD": "tanda-password-81d2",
}
XPORTER = {
    "SCHOOLGRAPH_XPORTER_URL": "https://xporter.groupcall.com",
    "SCHOOLGRAPH_XPORTER_TOKEN_URL": "https://login.groupcall.com/idaas/sts/STS/GetToken",
    "SCHOOLGRAPH_XPORTER_RELYING_PARTY": "schoolgraph.example",
    "SCHOOLGRAPH_XPORTER_SCHOOLS": "7109606:school-secret-one, 7109607:school-secret-two",
}
TASS = {
    "SCHOOLGRAPH_TASS_URL": "https://tass.school.edu.au",
    "SCHOOLGRAPH_TASS_COMPANIES": "01,02:legacy",
    "SCHOOLGRAPH_TASS_CLIENT_KEY": "tass-client-key-55",
    "SCHOOLGRAPH_TASS_CLIENT_SECRET": "tass-client-secret-66",
    "SCHOOLGRAPH_TASS_LEGACY_APPCODE": "SCHOOLGRAPH",
    "SCHOOLGRAPH_TASS_LEGACY_TOKEN_KEY": TOKEN_KEY,
}
SECRETS = (
    "tanda-password-81d2",
    "school-secret-one",
    "school-secret-two",
    "tass-client-key-55",
    "tass-client-secret-66",
    TOKEN_KEY,
)


def test_an_empty_environment_gives_the_demo_defaults() -> None:
    settings = load_settings({"PATH": "/usr/bin", "HOME": "/root"})

    assert settings == Settings()
    assert settings.mode is Mode.DEMO
    assert (settings.tanda, settings.xporter, settings.tass) == (None, None, None)
    assert settings.identity_keys == ("staff_code", "payroll_number")
    assert settings.identity_email is True
    assert (settings.demo_scale, settings.demo_seed) == ("demo", 7)


def test_every_general_variable_is_read() -> None:
    settings = load_settings(
        {
            "SCHOOLGRAPH_HOST": "192.0.2.10",
            "SCHOOLGRAPH_PORT": "9001",
            "SCHOOLGRAPH_MODE": "DEMO",
            "SCHOOLGRAPH_LOG_LEVEL": "Debug",
            "SCHOOLGRAPH_LOG_FORMAT": "json",
            "SCHOOLGRAPH_SHUTDOWN_TIMEOUT": "2.5",
            "SCHOOLGRAPH_MAX_BODY_BYTES": "2048",
            "SCHOOLGRAPH_INTROSPECTION": "off",
            "SCHOOLGRAPH_IDENTITY_KEYS": "payroll_number",
            "SCHOOLGRAPH_IDENTITY_EMAIL": "no",
            "SCHOOLGRAPH_CACHE_MAX_BYTES": "1000000",
            "SCHOOLGRAPH_CACHE_MAX_ENTRIES": "50",
            "SCHOOLGRAPH_CACHE_STALE_SECONDS": "0",
            "SCHOOLGRAPH_DEMO_SCALE": "small",
            "SCHOOLGRAPH_DEMO_SEED": "-3",
        }
    )

    assert settings == Settings(
        host="192.0.2.10",
        port=9001,
        mode=Mode.DEMO,
        log_level="debug",
        log_format=LogFormat.JSON,
        shutdown_timeout=2.5,
        max_body_bytes=2048,
        introspection=False,
        identity_keys=("payroll_number",),
        identity_email=False,
        cache_max_bytes=1_000_000,
        cache_max_entries=50,
        cache_stale_seconds=0.0,
        demo_scale="small",
        demo_seed=-3,
    )


def test_all_three_upstreams_are_read_and_the_mode_follows() -> None:
    settings = load_settings(
        {**TANDA, "SCHOOLGRAPH_TANDA_ORGANISATION_ID": "42", **XPORTER, **TASS}
    )

    assert settings.mode is Mode.UPSTREAM
    assert settings.tanda == TandaSettings(
        base_url="https://my.tanda.co",
        email="integration@school.example",
        password=Secret("tanda-password-81d2"),
        organisation_id=42,
    )
    assert settings.tanda.grant == "password"
    assert settings.xporter == XporterSettings(
        base_url="https://xporter.groupcall.com",
        token_url="https://login.groupcall.com/idaas/sts/STS/GetToken",
        relying_party="schoolgraph.example",
        schools=(
            XporterSchoolSettings("7109606", Secret("school-secret-one")),
            XporterSchoolSettings("7109607", Secret("school-secret-two")),
        ),
        time_zone="Europe/London",
    )
    assert settings.tass == TassSettings(
        base_url="https://tass.school.edu.au",
        companies=(TassCompanySettings("01", "2026"), TassCompanySettings("02", "legacy")),
        client_key=Secret("tass-client-key-55"),
        client_secret=Secret("tass-client-secret-66"),
        legacy_appcode="SCHOOLGRAPH",
        legacy_token_key=Secret(TOKEN_KEY),
        legacy_version="3",
        time_zone="Australia/Brisbane",
    )
    assert [(u.kind.value, u.base_url) for u in settings.upstreams] == [
        ("tanda", "https://my.tanda.co"),
        ("xporter", "https://xporter.groupcall.com"),
        ("tass", "https://tass.school.edu.au"),
    ]


def test_any_subset_of_upstreams_may_be_configured() -> None:
    settings = load_settings(XPORTER)

    assert settings.mode is Mode.UPSTREAM
    assert settings.tanda is None
    assert settings.tass is None
    assert [u.base_url is not None for u in settings.upstreams] == [False, True, False]


def test_the_authorization_code_grant_with_a_refresh_token_file(tmp_path: Path) -> None:
    token_file = tmp_path / "tanda-refresh-token"
    token_file.write_text("refresh-token-from-authorising\n", encoding="utf-8")

    settings = load_settings(
        {
            "SCHOOLGRAPH_TANDA_URL": "https://my.workforce.com",
            "SCHOOLGRAPH_TANDA_CLIENT_ID": "app-id",
            "SCHOOLGRAPH_TANDA_CLIENT_SECRET": "app-secret",
            "SCHOOLGRAPH_TANDA_REDIRECT_URI": "https://gateway.school.example/oauth/tanda",
            "SCHOOLGRAPH_TANDA_REFRESH_TOKEN_FILE": str(token_file),
        }
    )

    assert settings.tanda is not None
    assert settings.tanda.grant == "authorization_code"
    assert settings.tanda.refresh_token == Secret("refresh-token-from-authorising")
    assert settings.tanda.refresh_token_file == token_file
    assert settings.tanda.client_secret == Secret("app-secret")


def test_a_secret_may_come_from_a_file(tmp_path: Path) -> None:
    schools = tmp_path / "xporter-schools"
    schools.write_text("7109606:school-secret-one\n7109607:school-secret-two\n\n", "utf-8")
    environ = {k: v for k, v in XPORTER.items() if k != "SCHOOLGRAPH_XPORTER_SCHOOLS"}

    settings = load_settings({**environ, "SCHOOLGRAPH_XPORTER_SCHOOLS_FILE": str(schools)})

    assert settings.xporter is not None
    assert [school.estab for school in settings.xporter.schools] == ["7109606", "7109607"]
    assert settings.xporter.schools[1].secret == Secret("school-secret-two")


def test_secrets_are_masked_in_the_settings_repr() -> None:
    settings = load_settings({**TANDA, **XPORTER, **TASS})

    shown = f"{settings!r} {settings!s}"
    for secret in SECRETS:
        assert secret not in shown
    assert "Secret('********')" in shown
    assert "integration@school.example" in shown  # a login, not a secret


def test_secrets_compare_by_value_and_reveal_only_on_request() -> None:
    secret = Secret("s3cret")

    assert secret == Secret("s3cret")
    assert secret != Secret("other")
    assert hash(secret) == hash(Secret("s3cret"))
    assert secret.reveal() == "s3cret"
    assert "s3cret" not in f"{secret} {secret!r}"


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
        ("SCHOOLGRAPH_IDENTITY_KEYS", "email", "one of staff_code, payroll_number"),
        ("SCHOOLGRAPH_IDENTITY_EMAIL", "perhaps", "one of true, 1, yes, on, false, 0, no, off"),
        ("SCHOOLGRAPH_CACHE_MAX_BYTES", "0", "a whole number of bytes, 1 or more"),
        ("SCHOOLGRAPH_CACHE_MAX_ENTRIES", "many", "a whole number of entries, 0 or more"),
        ("SCHOOLGRAPH_CACHE_STALE_SECONDS", "inf", "a number of seconds, 0 or more"),
        ("SCHOOLGRAPH_DEMO_SCALE", "huge", "one of small, demo, large"),
        ("SCHOOLGRAPH_DEMO_SEED", "seven", "an integer"),
        (
            "SCHOOLGRAPH_TANDA_URL",
            "my.tanda.co",
            "an http:// or https:// URL without a query",
        ),
        ("SCHOOLGRAPH_TANDA_EMAIL", "integration", "an email address"),
        ("SCHOOLGRAPH_TANDA_ORGANISATION_ID", "0", "a positive whole number (an id)"),
        ("SCHOOLGRAPH_XPORTER_TIME_ZONE", "GMT+1", "an IANA time zone such as Europe/London"),
        ("SCHOOLGRAPH_TASS_LEGACY_VERSION", "4", "one of 2, 3"),
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


def test_a_file_form_exists_only_for_secrets() -> None:
    with pytest.raises(ConfigError, match=r"^SCHOOLGRAPH_TANDA_URL_FILE is not a schoolgraph"):
        load_settings({"SCHOOLGRAPH_TANDA_URL_FILE": "/run/secrets/url"})


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        pytest.param(
            {"SCHOOLGRAPH_TANDA_EMAIL": "a@school.example"},
            "SCHOOLGRAPH_TANDA_EMAIL is set but SCHOOLGRAPH_TANDA_URL is not; set the URL to "
            "use Tanda, or unset SCHOOLGRAPH_TANDA_EMAIL.",
            id="credential-without-url",
        ),
        pytest.param(
            {"SCHOOLGRAPH_TANDA_URL": "https://my.tanda.co"},
            "SCHOOLGRAPH_TANDA_URL is set, so Tanda needs credentials: SCHOOLGRAPH_TANDA_EMAIL "
            "and SCHOOLGRAPH_TANDA_PASSWORD (password grant), or SCHOOLGRAPH_TANDA_CLIENT_ID, "
            "_CLIENT_SECRET, _REDIRECT_URI and _REFRESH_TOKEN (authorization-code grant).",
            id="tanda-without-grant",
        ),
        pytest.param(
            {k: v for k, v in TANDA.items() if k != "SCHOOLGRAPH_TANDA_PASSWORD"},
            "Tanda's password grant also needs SCHOOLGRAPH_TANDA_PASSWORD (or _FILE).",
            id="password-grant-without-password",
        ),
        pytest.param(
            {
                "SCHOOLGRAPH_TANDA_URL": "https://my.tanda.co",
                "SCHOOLGRAPH_TANDA_CLIENT_ID": "app",
                "SCHOOLGRAPH_TANDA_CLIENT_SECRET": "app-secret",
            },
            "Tanda's authorization-code grant also needs SCHOOLGRAPH_TANDA_REDIRECT_URI and "
            "SCHOOLGRAPH_TANDA_REFRESH_TOKEN (or _FILE).",
            id="code-grant-without-refresh-token",
        ),
        pytest.param(
            {**TANDA, "SCHOOLGRAPH_TANDA_CLIENT_ID": "app"},
            "Tanda takes one grant: the password grant (SCHOOLGRAPH_TANDA_EMAIL and "
            "SCHOOLGRAPH_TANDA_PASSWORD) or the authorization-code grant "
            "(SCHOOLGRAPH_TANDA_CLIENT_ID, _CLIENT_SECRET, _REDIRECT_URI and _REFRESH_TOKEN); "
            "SCHOOLGRAPH_TANDA_EMAIL, SCHOOLGRAPH_TANDA_PASSWORD, SCHOOLGRAPH_TANDA_CLIENT_ID "
            "are set.",
            id="two-grants",
        ),
        pytest.param(
            {"SCHOOLGRAPH_XPORTER_URL": "https://xporter.groupcall.com"},
            "SCHOOLGRAPH_XPORTER_URL is set, so Xporter also needs "
            "SCHOOLGRAPH_XPORTER_RELYING_PARTY and SCHOOLGRAPH_XPORTER_SCHOOLS (or _FILE).",
            id="xporter-without-app",
        ),
        pytest.param(
            {"SCHOOLGRAPH_TASS_URL": "https://tass.school.edu.au"},
            "SCHOOLGRAPH_TASS_URL is set, so TASS also needs SCHOOLGRAPH_TASS_COMPANIES.",
            id="tass-without-companies",
        ),
        pytest.param(
            {
                "SCHOOLGRAPH_TASS_URL": "https://tass.school.edu.au",
                "SCHOOLGRAPH_TASS_COMPANIES": "01,02",
                "SCHOOLGRAPH_TASS_CLIENT_KEY": "key",
            },
            "TASS on the 2026 API (for 01, 02) also needs SCHOOLGRAPH_TASS_CLIENT_SECRET "
            "(or _FILE).",
            id="tass-2026-without-secret",
        ),
        pytest.param(
            {
                "SCHOOLGRAPH_TASS_URL": "https://tass.school.edu.au",
                "SCHOOLGRAPH_TASS_COMPANIES": "01:legacy",
            },
            "TASS on the legacy API (for 01) also needs SCHOOLGRAPH_TASS_LEGACY_APPCODE and "
            "SCHOOLGRAPH_TASS_LEGACY_TOKEN_KEY (or _FILE).",
            id="tass-legacy-without-app",
        ),
        pytest.param(
            {**XPORTER, "SCHOOLGRAPH_MODE": "demo"},
            "SCHOOLGRAPH_MODE is demo, which starts its own simulators, but "
            "SCHOOLGRAPH_XPORTER_URL is set; unset SCHOOLGRAPH_MODE (or set it to upstream) to "
            "use the URLs.",
            id="demo-with-a-url",
        ),
        pytest.param(
            {"SCHOOLGRAPH_MODE": "upstream"},
            "SCHOOLGRAPH_MODE is upstream, but none of SCHOOLGRAPH_TANDA_URL, "
            "SCHOOLGRAPH_XPORTER_URL and SCHOOLGRAPH_TASS_URL is set.",
            id="upstream-without-urls",
        ),
    ],
)
def test_an_incomplete_configuration_names_what_is_missing(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(environ)

    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        pytest.param(
            "SCHOOLGRAPH_XPORTER_SCHOOLS",
            "7109606:school-secret-one,7109607 school-secret-two",
            "SCHOOLGRAPH_XPORTER_SCHOOLS entry 2 must be estab:secret, e.g. "
            "7109606:<school secret>.",
            id="schools-malformed",
        ),
        pytest.param(
            "SCHOOLGRAPH_XPORTER_SCHOOLS",
            "7109606:school-secret-one,7109606:school-secret-two",
            "SCHOOLGRAPH_XPORTER_SCHOOLS lists estab 7109606 twice.",
            id="schools-twice",
        ),
        pytest.param(
            "SCHOOLGRAPH_TASS_LEGACY_TOKEN_KEY",
            "tass-client-secret-66",
            "SCHOOLGRAPH_TASS_LEGACY_TOKEN_KEY must be the Base64 Token Key of TASS API Gateway "
            "Maintenance (16 bytes).",
            id="token-key",
        ),
        pytest.param(
            "SCHOOLGRAPH_TANDA_PASSWORD",
            "  ",
            "SCHOOLGRAPH_TANDA_PASSWORD is empty; give it the secret or unset it.",
            id="empty-password",
        ),
    ],
)
def test_a_bad_secret_is_named_by_its_key_never_shown(key: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({key: value})

    assert str(raised.value) == message
    for secret in SECRETS:
        assert secret not in str(raised.value)


def test_a_tass_company_names_its_api() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({**TASS, "SCHOOLGRAPH_TASS_COMPANIES": "01:soap"})

    assert str(raised.value) == (
        "SCHOOLGRAPH_TASS_COMPANIES gives company 01 the API 'soap'; use 01:2026 or 01:legacy."
    )


def test_a_secret_and_its_file_together_are_refused(tmp_path: Path) -> None:
    (tmp_path / "password").write_text("x", encoding="utf-8")

    with pytest.raises(ConfigError) as raised:
        load_settings({**TANDA, "SCHOOLGRAPH_TANDA_PASSWORD_FILE": str(tmp_path / "password")})

    assert str(raised.value) == (
        "Set SCHOOLGRAPH_TANDA_PASSWORD or SCHOOLGRAPH_TANDA_PASSWORD_FILE, not both."
    )


def test_an_unreadable_secret_file_names_its_key(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"

    with pytest.raises(ConfigError) as raised:
        load_settings({"SCHOOLGRAPH_TASS_CLIENT_SECRET_FILE": str(missing)})

    assert str(raised.value) == (
        f"SCHOOLGRAPH_TASS_CLIENT_SECRET_FILE names {str(missing)!r}, which cannot be read: "
        "No such file or directory."
    )


def test_an_empty_secret_file_variable_says_so() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"SCHOOLGRAPH_TANDA_PASSWORD_FILE": " "})

    assert str(raised.value) == (
        "SCHOOLGRAPH_TANDA_PASSWORD_FILE is empty; give the path of the file that holds the secret."
    )


def test_overrides_win_over_the_environment_and_none_leaves_it() -> None:
    environ = {"SCHOOLGRAPH_PORT": "9001", "SCHOOLGRAPH_HOST": "10.0.0.1"}

    settings = load_settings(environ, port=9999, host=None)

    assert settings.port == 9999
    assert settings.host == "10.0.0.1"


def test_an_override_of_an_unknown_setting_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unknown setting 'prot'"):
        load_settings({}, prot=1)


def test_variables_fill_every_setting_or_belong_to_an_upstream() -> None:
    fields = {variable.field for variable in VARIABLES if variable.field is not None}
    upstream = [variable.name for variable in VARIABLES if variable.field is None]

    assert fields == set(Settings.__dataclass_fields__) - {"tanda", "xporter", "tass"}
    assert all(name.split("_")[0] in ("tanda", "xporter", "tass") for name in upstream)
    assert len({variable.key for variable in VARIABLES}) == len(VARIABLES)


def test_the_demo_scales_are_the_simulators() -> None:
    assert DEMO_SCALES == SCALES


def test_the_readme_configuration_table_has_exactly_the_variables_in_order() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]

    keys = re.findall(r"^\| `(SCHOOLGRAPH_[A-Z_]+)` \|", section, re.MULTILINE)

    assert keys == [variable.key for variable in VARIABLES]
