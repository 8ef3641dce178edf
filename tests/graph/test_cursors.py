"""Cursors are sealed: they show nothing of the row, cannot be made up or altered, and open
only on the kind of list that issued them, under the key that sealed them."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from schoolgraph.graph.arguments import BadUserInputError
from schoolgraph.graph.connections import decode_cursor
from schoolgraph.graph.cursors import open_cursor, seal_cursor, use_cursor_secret
from tests.graph.conftest import Gateway

KEY = ("søren", "ann", "xporter:7109606:150001")


@pytest.fixture
def fresh_key() -> Iterator[None]:
    """Each test seals under its own random key, and leaves a random one behind."""
    use_cursor_secret(None)
    yield
    use_cursor_secret(None)


def _raw(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def test_a_cursor_opens_to_its_key_and_shows_none_of_it(fresh_key: None) -> None:
    cursor = seal_cursor("Student", KEY)

    assert open_cursor("Student", cursor) == KEY
    assert seal_cursor("Student", KEY) == cursor  # the same row, the same cursor
    raw = _raw(cursor)
    assert b"ann" not in raw and "søren".encode() not in raw and b"150001" not in raw


def test_a_cursor_of_another_kind_of_list_or_altered_or_made_up_is_refused(
    fresh_key: None,
) -> None:
    cursor = seal_cursor("Student", KEY)
    flipped = bytearray(_raw(cursor))
    flipped[-1] ^= 1
    altered = base64.urlsafe_b64encode(bytes(flipped)).decode().rstrip("=")
    plain = base64.urlsafe_b64encode(b'["c1","adams","a","x:1:2"]').decode().rstrip("=")

    for kind, bad in (("Group", cursor), ("Student", altered), ("Student", plain)):
        assert open_cursor(kind, bad) is None
        with pytest.raises(BadUserInputError, match="not a cursor from this list"):
            decode_cursor(kind, bad)
    for bad in ("", "abc", "%%%", "AQ"):
        assert open_cursor("Student", bad) is None


def test_replicas_sharing_a_secret_open_each_others_cursors(fresh_key: None) -> None:
    use_cursor_secret("a secret every replica is given")
    cursor = seal_cursor("Staff", KEY)
    use_cursor_secret(None)  # another process, with no secret set
    refused = open_cursor("Staff", cursor)
    use_cursor_secret("a secret every replica is given")  # a replica with the secret

    assert refused is None
    assert open_cursor("Staff", cursor) == KEY


async def test_paging_students_shows_no_names_and_a_groups_cursor_is_refused(
    gateway: Gateway,
) -> None:
    data = await gateway.data(
        """
        {
          students(first: 3) { pageInfo { endCursor } edges { cursor node { surname } } }
          groups(first: 1) { pageInfo { endCursor } }
        }
        """
    )
    students, groups = data["students"], data["groups"]
    surnames = [edge["node"]["surname"].casefold() for edge in students["edges"]]
    cursors = [edge["cursor"] for edge in students["edges"]]

    assert all(name.encode() not in _raw(c) for name, c in zip(surnames, cursors, strict=True))
    body = await gateway.post(
        "query ($after: String) { students(first: 2, after: $after) { totalCount } }",
        {"after": groups["pageInfo"]["endCursor"]},
    )
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    follow = await gateway.data(
        "query ($after: String) { students(first: 1, after: $after) { edges { cursor } } }",
        {"after": cursors[1]},
    )
    assert follow["students"]["edges"] == [{"cursor": cursors[2]}]
