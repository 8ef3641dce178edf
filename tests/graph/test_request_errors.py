"""Requests the gateway cannot run as sent: each a coded error, none logged as unexpected.

Found by sending the gateway what a client might (an audit of the API surface): several
operations and no name, a subscription over HTTP, an instant at the end of the calendar, a
bad date written in the document, broken federation representations, an argument refused
as the operation executes.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.graph.conftest import Gateway, global_id

SEVERAL = "query Schools { schools { name } } query Service { service { name } }"


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert len(body["errors"]) == 1, body["errors"]
    error: dict[str, Any] = body["errors"][0]
    return error


@pytest.fixture
def unexpected(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The gateway's ERROR log lines (an error masked as INTERNAL writes one)."""
    caplog.set_level(logging.ERROR, logger="schoolgraph")
    return caplog


def assert_nothing_unexpected(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def send(gateway: Gateway, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with gateway.http.post(gateway.url / "graphql", json=payload) as response:
        body: dict[str, Any] = await response.json()
        return response.status, body


@pytest.mark.parametrize(
    ("operation_name", "words"),
    [
        (None, "Must provide operation name if query contains multiple operations"),
        ("Neither", "Unknown operation named 'Neither'"),
    ],
    ids=["no-name", "unknown-name"],
)
async def test_a_document_of_several_operations_needs_the_name_of_one(
    gateway: Gateway, unexpected: pytest.LogCaptureFixture, operation_name: str | None, words: str
) -> None:
    payload: dict[str, Any] = {"query": SEVERAL}
    if operation_name is not None:
        payload["operationName"] = operation_name

    status, body = await send(gateway, payload)

    assert status == 400
    error = only_error(body)
    assert error["extensions"] == {"code": "OPERATION_RESOLUTION_FAILURE"}
    assert words in error["message"]
    assert body["data"] is None
    assert_nothing_unexpected(unexpected)


async def test_the_named_operation_of_several_runs(gateway: Gateway) -> None:
    status, body = await send(gateway, {"query": SEVERAL, "operationName": "Service"})

    assert status == 200
    assert body == {"data": {"service": {"name": "schoolgraph"}}}


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_subscription_over_http_is_sent_to_the_websocket(
    gateway: Gateway, unexpected: pytest.LogCaptureFixture, method: str
) -> None:
    query = "subscription { studentChanged { id } }"
    if method == "POST":
        status, body = await send(gateway, {"query": query})
    else:
        async with gateway.http.get(gateway.url / "graphql", params={"query": query}) as response:
            status, body = response.status, await response.json()

    assert status == 400
    error = only_error(body)
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert "WebSocket" in error["message"]
    assert_nothing_unexpected(unexpected)


@pytest.mark.parametrize(
    "instant",
    ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"],
    ids=["year-1", "year-9999"],
)
async def test_an_instant_outside_the_calendar_in_utc_is_refused(
    gateway: Gateway, unexpected: pytest.LogCaptureFixture, instant: str
) -> None:
    written = await gateway.post(
        f'{{ students(updatedSince: "{instant}") {{ totalCount }} }}', status=400
    )
    sent = await gateway.post(
        "query ($since: DateTime) { students(updatedSince: $since) { totalCount } }",
        {"since": instant},
        status=400,
    )

    for body, code in ((written, "GRAPHQL_VALIDATION_FAILED"), (sent, "BAD_USER_INPUT")):
        error = only_error(body)
        assert error["extensions"] == {"code": code}
        assert "between the years 1 and 9999" in error["message"]
    assert_nothing_unexpected(unexpected)


async def test_a_bad_date_written_in_the_document_is_located(gateway: Gateway) -> None:
    body = await gateway.post(
        '{\n  shifts(from: "2026-13-01", to: "2026-11-24") { totalCount }\n}', status=400
    )

    error = only_error(body)
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "ISO-8601 calendar dates" in error["message"] and "2026-13-01" in error["message"]
    assert error["locations"] == [{"line": 2, "column": 16}]


@pytest.mark.parametrize(
    ("representation", "words"),
    [
        ({"__typename": "Nope", "id": "x"}, "has __typename 'Nope', not one of the entity types"),
        ({"id": "x"}, "has no __typename"),
        ({"__typename": "Student"}, "needs the Student's id as a string, got None"),
        ({"__typename": "Student", "id": 5}, "needs the Student's id as a string, got 5"),
        ("x", "must be an object with __typename and id"),
        (
            {"__typename": "Lesson", "id": "x"},
            "has __typename 'Lesson', not one of the entity types",
        ),
    ],
    ids=["unknown-type", "no-type", "no-id", "number-id", "not-an-object", "keyless-type"],
)
async def test_a_broken_representation_is_bad_input_at_its_index(
    gateway: Gateway,
    unexpected: pytest.LogCaptureFixture,
    representation: object,
    words: str,
) -> None:
    staff = next(iter(gateway.world.staff.values()))
    school = gateway.world.schools[staff.school_id]
    good = {
        "__typename": "Staff",
        "id": global_id("Staff", f"{school.system}:{school.code}:{staff.id}"),
    }

    body = await gateway.post(
        "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Staff { id } } }",
        {"r": [good, representation, good]},
    )

    error = only_error(body)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "representations[1]"}
    assert error["path"] == ["_entities", 1]
    assert words in error["message"]
    assert body["data"]["_entities"] == [{"id": good["id"]}, None, {"id": good["id"]}]
    assert_nothing_unexpected(unexpected)


async def test_an_argument_refused_as_the_operation_executes_is_not_a_request_error(
    gateway: Gateway,
) -> None:
    # `nodes` cannot be null, so its refusal takes `data` with it; that is still an answer
    # of an operation that ran (HTTP 200), unlike a variable that did not fit (400).
    ids = [global_id("Student", f"xporter:1:{n}") for n in range(501)]

    body = await gateway.post("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})

    error = only_error(body)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["path"] == ["nodes"]
    assert body["data"] is None
