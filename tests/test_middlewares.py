"""Request ids: sane caller ids are kept, anything else is replaced."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from schoolgraph.middlewares import error_for_status, request_id_from

SANE = re.compile(r"[A-Za-z0-9._-]{1,128}")


@given(st.text(alphabet="abcXYZ019._-", min_size=1, max_size=128))
def test_a_sane_request_id_is_kept(header: str) -> None:
    assert request_id_from(header) == header


@given(st.one_of(st.none(), st.text()))
def test_the_request_id_is_always_sane(header: str | None) -> None:
    request_id = request_id_from(header)

    assert SANE.fullmatch(request_id)
    if header is None or not SANE.fullmatch(header):
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)


def test_generated_request_ids_differ() -> None:
    assert request_id_from(None) != request_id_from(None)


def test_library_statuses_map_into_the_error_tree_as_sentences() -> None:
    assert error_for_status(405, "Nope").to_extensions() == {"code": "METHOD_NOT_ALLOWED"}
    assert error_for_status(400, "Unsupported content type").message == "Unsupported content type."
    assert error_for_status(418, "Teapot.").code == "BAD_REQUEST"
