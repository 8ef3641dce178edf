"""Global ids and cursors: opaque, URL-safe, round-tripping, and strict about what they accept."""

from __future__ import annotations

import base64

import pytest

from schoolgraph.graph.arguments import BadUserInputError
from schoolgraph.graph.ids import decode_global_id, decode_id_of, encode_global_id


def test_a_global_id_is_unpadded_base64url_of_the_type_and_domain_id() -> None:
    global_id = encode_global_id("Student", "xporter:7109606:150001")

    assert global_id == base64.urlsafe_b64encode(b"Student:xporter:7109606:150001").decode().rstrip(
        "="
    )
    assert decode_global_id(global_id) == ("Student", "xporter:7109606:150001")
    assert decode_id_of("Student", global_id) == "xporter:7109606:150001"
    assert not set(global_id) & set("+/=")


@pytest.mark.parametrize(
    "bad",
    ["", "not base64!", "U3R1ZGVudA", "Ol9zdHVkZW50", encode_global_id("Student", "x") + "=="],
    ids=["empty", "not-base64", "no-colon", "no-type", "padded"],
)
def test_ids_this_gateway_did_not_issue_are_refused_naming_the_argument(bad: str) -> None:
    with pytest.raises(BadUserInputError) as raised:
        decode_global_id(bad, field="staffIds")

    assert raised.value.to_extensions() == {"code": "BAD_USER_INPUT", "field": "staffIds"}
    assert "not a schoolgraph id" in raised.value.message


@pytest.mark.parametrize(
    ("type_name", "domain_id"),
    [
        ("Student", "x"),
        ("Student", "xporter:7109606"),
        ("Student", "sims:7109606:150001"),
        ("School", "xporter:7109606:150001"),
        ("School", "xporter:"),
    ],
    ids=["no-upstream", "school-shaped", "unknown-upstream", "school-with-native", "no-tenant"],
)
def test_ids_whose_domain_id_has_the_wrong_shape_are_refused(
    type_name: str, domain_id: str
) -> None:
    with pytest.raises(BadUserInputError, match="not a schoolgraph id"):
        decode_global_id(encode_global_id(type_name, domain_id))


def test_a_school_id_has_no_native_part_and_other_ids_have_one() -> None:
    assert decode_global_id(encode_global_id("School", "tass:01")) == ("School", "tass:01")
    # A native id may itself hold colons (TASS class ids do).
    group = "tass:01:class:2026:2:AR:10:X1"
    assert decode_id_of("Group", encode_global_id("Group", group)) == group


def test_an_id_of_another_type_is_refused() -> None:
    with pytest.raises(BadUserInputError, match="the id of a Group, not of a Student"):
        decode_id_of("Student", encode_global_id("Group", "tass:01:7A"))
