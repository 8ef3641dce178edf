"""Which keys name credentials, however often and however long."""

from __future__ import annotations

import pytest

from schoolgraph.audit.redaction import REDACTED, is_secret_key, redact


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("accessToken", True),
        ("client_secret", True),
        ("apiKey", True),
        ("link", True),
        ("sha256Hash", False),
        ("persistedQuery", False),
        ("keyword", False),
        ("id", False),
        ("__typename", False),
        ("x" * 100 + "Token", True),  # past the remembered length
        ("x" * 100 + "Name", False),
    ],
)
def test_a_key_is_secret_when_one_of_its_words_names_a_credential(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret
    assert is_secret_key(key) is secret  # asked again: the same answer


def test_keys_past_what_is_remembered_are_still_read() -> None:
    keys = [f"field{n}Password" if n % 3 == 0 else f"field{n}" for n in range(10_000)]
    assert [is_secret_key(key) for key in keys] == [n % 3 == 0 for n in range(10_000)]


def test_redact_replaces_secret_values_and_keeps_the_rest() -> None:
    representations = [{"__typename": "Staff", "id": f"xporter:1:{n}"} for n in range(500)]
    value = {"representations": representations, "auth": {"apiKey": "k", "n": 1, "ok": True}}

    assert redact(value) == {
        "representations": representations,
        "auth": {"apiKey": REDACTED, "n": 1, "ok": True},
    }
