"""Which keys name credentials, however often and however long."""

from __future__ import annotations

import pytest

from schoolgraph.audit.redaction import (
    REDACTED,
    is_secret_key,
    redact,
    redact_message,
    redact_variables,
    redacted_document,
    text_secrets,
)


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


@pytest.mark.parametrize(
    ("query", "recorded"),
    [
        pytest.param(
            'query($p: String = "Default-Secret") { a(passphrase: $p) b(x: 1) }',
            f"query($p: String = {REDACTED}) {{ a(passphrase: $p) b(x: 1) }}",
            id="default-of-a-secret-variable",
        ),
        pytest.param(
            '{ a @auth(token: "Directive-Secret") { b(password: null) } }',
            f"{{ a @auth(token: {REDACTED}) {{ b(password: null) }} }}",
            id="directive-argument",
        ),
        pytest.param(
            '{ a(password: "Broken-Secret" b(x: "kept") }',
            f'{{ a(password: {REDACTED} b(x: "kept") }}',
            id="does-not-parse",
        ),
        pytest.param(
            '{ a(x: "kept") b(password: "Unterminated-Secret',
            f'{{ a(x: "kept") b(password:{REDACTED}',
            id="cannot-be-read-to-its-end",
        ),
    ],
)
def test_secret_literals_leave_the_query_text(query: str, recorded: str) -> None:
    assert redacted_document(query) == recorded


def test_a_broken_query_still_names_the_variables_it_binds_to_secrets() -> None:
    secrets = text_secrets("mutation($p: String!) { k(passphrase: $p, input: {key: [$q]}, n: $n")

    assert secrets.variables == {"p", "q"}
    assert redact_variables({"p": "a", "q": ["b"], "n": 1}, secrets) == {
        "p": REDACTED,
        "q": REDACTED,
        "n": 1,
    }


def test_a_message_loses_each_secret_it_quotes_and_keeps_the_rest() -> None:
    secrets = text_secrets("mutation($h: Int, $p: String) { k(linkHours: $h, passphrase: $p) }")
    message = 'Variable \'$h\' got 7 (one of 1, 72); \'say "hi"\' is "say \\"hi\\"".'

    redacted = redact_message(message, {"h": 7, "p": 'say "hi"'}, secrets)

    assert (
        redacted == f"Variable '$h' got {REDACTED} (one of 1, 72); '{REDACTED}' is \"{REDACTED}\"."
    )


def test_a_text_is_read_no_further_than_the_token_limit() -> None:
    """Past the query limits' token limit the text is not read (a 200,000-token document was
    read whole, for seconds, before the limits refused it): the rest is taken as secret."""
    head = 'mutation { k(passphrase: "one") '
    tail = " ".join(f'f{n}(passphrase: "s{n}")' for n in range(50_000)) + " }"

    secrets = text_secrets(head + tail, max_tokens=100)
    whole = text_secrets("mutation { k(passphrase: $p) }", max_tokens=100)

    assert "one" in secrets.values and "s1" in secrets.values
    assert "s49999" not in secrets.values and len(secrets.values) < 100
    start, end = secrets.spans[-1]
    assert end == len(head + tail) and start < 100 * len(' f99(passphrase: "s99")')
    assert whole.variables == {"p"}
