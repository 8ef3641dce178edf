"""The seed's key flow over HTTP: the link shows the key once, three failures lock it, it
expires, and a new key is the seed's delete-then-generate."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from yarl import URL

from schoolgraph.accounts.errors import AccountInputError, KeyExistsError
from schoolgraph.accounts.models import (
    ACTION_DELETED,
    ACTION_EXPIRED,
    ACTION_GENERATED,
    ACTION_VERIFIED,
    STATUS_ACCESSED,
    STATUS_EXPIRED,
    STATUS_LOCKED,
    STATUS_NONE,
    STATUS_PENDING,
)
from schoolgraph.accounts.outbox import EMAIL_SUBJECT
from schoolgraph.audit.web import AUDIT
from tests.accounts.conftest import SERVICE
from tests.accounts.harness import ADMIN, PASSPHRASE, Harness

WRONG = "not the passphrase at all"


async def history(harness: Harness, code: str) -> list[str]:
    return [line.action for line in (await harness.service.key_status(code)).history]


async def test_a_new_account_has_no_key(harness: Harness) -> None:
    code = await harness.create("Acme Timetables")

    status = await harness.service.key_status(code)

    assert status.message == STATUS_NONE
    assert (status.link_expires_at, status.history) == (None, ())


async def test_generating_emails_the_seed_text_with_a_link_that_shows_the_key_once(
    harness: Harness,
) -> None:
    code = await harness.create("Acme Timetables", schools=["xporter:7109606", "tanda"])
    link = await harness.generate(code, hours=6)

    [email] = harness.outbox.sent
    assert (email.to, email.subject) == ("acme.timetables@partner.example", EMAIL_SUBJECT)
    assert email.body.splitlines() == [
        "Hi Acme Timetables",
        "Below is a link to view your key and secret for the schoolgraph API for:",
        "Tanda (the workforce side), xporter:7109606",
        "Please note that for security reasons, you will only be able to view your key and "
        "secret once. Please store the Key and Secret securely and contact the school if you "
        "require new credentials.",
        f"Link: {link}",
    ]
    assert PASSPHRASE not in email.body
    status = await harness.service.key_status(code)
    assert status.message == STATUS_PENDING
    assert status.link_expires_at == harness.clock.now + timedelta(hours=6)

    page = await harness.get_json(link, status=200)
    assert page["userName"] == "Acme Timetables"
    assert page["attemptsLeft"] == 3

    shown = await harness.post_json(link, {"passphrase": PASSPHRASE}, status=200)
    assert shown["key"].startswith("sgk_") and shown["secret"].startswith("sgs_")

    again = await harness.post_json(link, {"passphrase": PASSPHRASE}, status=410)
    assert again["errors"][0]["extensions"]["code"] == "LINK_GONE"
    await harness.get_json(link, status=410)
    assert (await harness.service.key_status(code)).message == STATUS_ACCESSED
    assert await history(harness, code) == [ACTION_GENERATED, ACTION_VERIFIED]


async def test_the_link_page_is_html_for_a_browser(harness: Harness) -> None:
    link = await harness.generate(await harness.create("Acme"))

    async with harness.http.get(link, headers={"Accept": "text/html"}) as response:
        page = await response.text()
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-store"
    assert "type='password' name='passphrase'" in page
    # The style sheet is CSS, not a template's doubled braces: long secrets wrap.
    assert "code{font-size:1.1em;word-break:break-all}" in page and "{{" not in page

    async with harness.http.post(link, data={"passphrase": PASSPHRASE}) as response:
        shown = await response.text()
        assert response.status == 200
    assert "Your key and secret" in shown and "sgs_" in shown


async def test_wrong_passphrases_count_down_and_the_third_locks_the_link(
    harness: Harness,
) -> None:
    code = await harness.create("Acme")
    link = await harness.generate(code)

    first = await harness.post_json(link, {"passphrase": WRONG}, status=401)
    second = await harness.post_json(link, {"passphrase": WRONG}, status=401)
    third = await harness.post_json(link, {"passphrase": WRONG}, status=403)

    assert [e["errors"][0]["extensions"] for e in (first, second)] == [
        {"code": "WRONG_PASSPHRASE", "attemptsLeft": 2},
        {"code": "WRONG_PASSPHRASE", "attemptsLeft": 1},
    ]
    assert third["errors"][0]["extensions"]["code"] == "LINK_LOCKED"
    assert third["errors"][0]["message"].startswith(STATUS_LOCKED)
    # Locked means locked: the right passphrase no longer opens it.
    await harness.post_json(link, {"passphrase": PASSPHRASE}, status=403)
    assert (await harness.service.key_status(code)).message == STATUS_LOCKED
    store_key = await harness.service.store.key(code)
    assert store_key is not None and store_key.sealed_secret is None


async def test_the_link_dies_at_its_expiry_and_the_history_says_when(harness: Harness) -> None:
    code = await harness.create("Acme")
    link = await harness.generate(code, hours=6)
    expiry = harness.clock.now + timedelta(hours=6)

    harness.clock.advance(hours=5, minutes=59)
    await harness.get_json(link, status=200)
    harness.clock.advance(minutes=1)
    gone = await harness.post_json(link, {"passphrase": PASSPHRASE}, status=410)

    assert gone["errors"][0]["message"].startswith(STATUS_EXPIRED)
    status = await harness.service.key_status(code)
    assert status.message == STATUS_EXPIRED
    assert [(line.action, line.at) for line in status.history][-1] == (ACTION_EXPIRED, expiry)
    # Read again later, the expiry is logged once, at the expiry time.
    harness.clock.advance(days=2)
    assert await history(harness, code) == [ACTION_GENERATED, ACTION_EXPIRED]


async def test_regenerating_is_delete_then_generate_and_the_old_link_stops(
    harness: Harness,
) -> None:
    code = await harness.create("Acme", grants=SERVICE)
    old_link = await harness.generate(code)
    old = await harness.post_json(old_link, {"passphrase": PASSPHRASE}, status=200)
    old_token = (await harness.token(old["key"], old["secret"]))["access_token"]

    with pytest.raises(KeyExistsError):
        await harness.generate(code)
    await harness.service.delete_key(ADMIN, code)
    assert (await harness.service.key_status(code)).message == STATUS_NONE
    harness.clock.advance(minutes=2)
    new_link = await harness.generate(code)

    await harness.get_json(old_link, status=404)
    await harness.token(old["key"], old["secret"], status=401)
    body = await harness.graphql(
        "{ service { name } }", headers={"Authorization": f"Bearer {old_token}"}, status=401
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    new = await harness.post_json(new_link, {"passphrase": PASSPHRASE}, status=200)
    assert new["key"] != old["key"]
    await harness.token(new["key"], new["secret"])
    assert await history(harness, code) == [
        ACTION_GENERATED,
        ACTION_VERIFIED,
        ACTION_DELETED,
        ACTION_GENERATED,
        ACTION_VERIFIED,
    ]


@pytest.mark.parametrize(
    ("passphrase", "hours", "field"),
    [
        pytest.param("fourteen chars", 6, "passphrase", id="passphrase-14-characters"),
        pytest.param(PASSPHRASE, 5, "linkExpiryHours", id="expiry-not-an-option"),
    ],
)
async def test_generating_needs_a_15_character_passphrase_and_a_listed_expiry(
    harness: Harness, passphrase: str, hours: int, field: str
) -> None:
    code = await harness.create("Acme")

    with pytest.raises(AccountInputError) as raised:
        await harness.service.generate_key(
            ADMIN, code, passphrase=passphrase, link_expiry_hours=hours
        )

    assert raised.value.field == field
    assert harness.outbox.sent == []
    assert (await harness.service.key_status(code)).message == STATUS_NONE


async def test_a_made_up_link_is_not_found(harness: Harness) -> None:
    await harness.generate(await harness.create("Acme"))

    body = await harness.get_json(harness.url / "keys" % {"link": "made-up"}, status=404)

    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_two_views_at_once_show_the_secret_to_one(harness: Harness) -> None:
    link = URL(await harness.generate(await harness.create("Acme")))

    async def view() -> int:
        async with harness.http.post(link, json={"passphrase": PASSPHRASE}) as response:
            return response.status

    statuses = sorted(await asyncio.gather(view(), view(), view()))

    assert statuses == [200, 410, 410]


async def test_a_refused_link_page_is_audited_with_its_code(harness: Harness) -> None:
    """A browser's wrong passphrase gets a page, not a JSON error: its audit record still
    carries the code and the message shown, never the passphrase."""
    link = await harness.generate(await harness.create("Acme"))

    async with harness.http.post(
        link, data={"passphrase": WRONG}, headers={"X-Request-Id": "keys-wrong-1"}
    ) as response:
        page = await response.text()
        assert response.status == 401
    assert "<html" in page.lower()
    audit = harness.app[AUDIT]
    await audit.flush()
    record = await audit.reader.record("keys-wrong-1")

    assert record is not None
    assert record.error_codes == ("WRONG_PASSPHRASE",)
    assert record.error_message is not None and record.error_message in page
    assert WRONG not in repr(record)
