"""Which operation a request runs is decided under the query limits' token limit, and what is
kept of those decisions is bounded by bytes, not by count."""

from __future__ import annotations

from graphql import OperationType

from schoolgraph.graph import operations
from schoolgraph.graph.operations import KEPT_BYTES, choose_operation
from tests.graph.conftest import Gateway


def test_a_document_over_the_token_limit_is_not_parsed_past_it() -> None:
    """200,000 tokens parse as one query without a limit (six seconds of the event loop for
    500,000); under it the parser stops at the limit and the executor's limits refuse it."""
    huge = "{ " + "a " * 200_000 + "}"

    assert choose_operation(huge, None, max_tokens=2000) is None
    assert choose_operation("{ a b }", None, max_tokens=2000) is OperationType.QUERY
    assert choose_operation("{ a b }", None, max_tokens=3) is None


def test_what_is_kept_is_bounded_by_bytes() -> None:
    comment = "#" + "x" * 100_000
    for n in range(40):  # 4 MB of distinct documents
        assert choose_operation(f"query Q{n} {{ a }}\n{comment}", None, max_tokens=2000) is (
            OperationType.QUERY
        )

    kept = operations._kept  # the cache itself: its size is what the bound is about
    assert 0 < kept.currsize <= KEPT_BYTES
    assert len(kept) <= KEPT_BYTES // len(comment)
    longer = "{ a }\n#" + "y" * KEPT_BYTES
    assert choose_operation(longer, None, max_tokens=2000) is OperationType.QUERY
    assert (longer, 2000) not in kept


async def test_over_http_a_huge_document_is_refused_by_the_token_limit(gateway: Gateway) -> None:
    body = await gateway.post("{ " + "__typename " * 50_000 + "}", status=400)

    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_LIMIT_EXCEEDED"
    assert body.get("data") is None
