"""No secret, passphrase or token ever appears in a log line, an error, or the store."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from schoolgraph.accounts.service import Credentials, IssuedToken
from tests.accounts.conftest import SERVICE
from tests.accounts.harness import PASSPHRASE, Harness


def store_bytes(db: Path) -> bytes:
    """The database file and its WAL and shared-memory files, as they are on disk."""
    return b"".join(path.read_bytes() for path in db.parent.glob(db.name + "*") if path.is_file())


async def test_the_whole_flow_leaves_no_secret_behind(
    harness: Harness, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[Any] = []

    code = await harness.create("Acme", grants=SERVICE)
    link = await harness.generate(code)
    link_id = link.rsplit("=", 1)[1]
    answers.append(
        await harness.post_json(link, {"passphrase": "wrong, and long enough"}, status=401)
    )
    shown = await harness.post_json(link, {"passphrase": PASSPHRASE}, status=200)
    answers.append(await harness.post_json(link, {"passphrase": PASSPHRASE}, status=410))
    answers.append(await harness.token(shown["key"], shown["secret"] + "x", status=401))
    token = (await harness.token(shown["key"], shown["secret"]))["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    answers.append(await harness.graphql("{ service { name } }", headers=auth))
    answers.append(await harness.graphql("{ schools { name } }", headers=auth))
    answers.append(await harness.graphql("{ nope }", headers=auth, status=400))
    harness.clock.advance(hours=1)
    answers.append(await harness.graphql("{ service { name } }", headers=auth, status=401))

    secrets = {
        "secret": shown["secret"],
        "passphrase": PASSPHRASE,
        "token": token,
        "link id": link_id,
    }
    logged = caplog.text
    on_disk = store_bytes(db)
    said = repr(answers)
    for name, value in secrets.items():
        assert value not in logged, f"the {name} is in the log"
        assert value.encode() not in on_disk, f"the {name} is in the store"
        assert value not in said, f"the {name} is in an answer"
    assert "/keys" in logged  # the access log saw the link, without its id
    assert shown["key"].encode() in on_disk  # the key is an identifier, like a user name


def test_credentials_and_tokens_hide_their_secret_in_repr() -> None:
    assert "sgs_" not in repr(Credentials("sgk_key", "sgs_secret"))
    assert "sgt_" not in repr(IssuedToken("sgt_token", 900))
