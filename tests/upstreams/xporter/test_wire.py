"""Wire shapes the simulator never sends but the real API might: a scripted fake upstream."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from schoolgraph.errors import UpstreamBadResponseError
from schoolgraph.upstreams.xporter import (
    SchoolAuthError,
    XporterClient,
    XporterConfig,
    XporterRequestError,
    XporterSchool,
    XporterTtls,
)

from .conftest import serve

ESTAB = "3281102"
SECRET = "b9aef7a6-3ee4-4935-98ff-6afe46447213"  # the doc's example secret (§1.2)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Fake:
    """What the fake Xporter answers: an STS body, and one handler for school data."""

    sts: Any = field(
        default_factory=lambda: {"token": "JhS0X.esMbPoHUOY=", "expires": "2099-04-17T09:34:46Z"}
    )
    sts_status: int = 200
    data: Handler | None = None
    queries: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
async def fake() -> AsyncIterator[tuple[Fake, XporterClient]]:
    script = Fake()

    async def sts(request: web.Request) -> web.Response:
        if isinstance(script.sts, str):
            return web.Response(text=script.sts, status=script.sts_status)
        return web.json_response(script.sts, status=script.sts_status)

    async def data(request: web.Request) -> web.StreamResponse:
        script.queries.append(dict(request.query))
        assert script.data is not None
        return await script.data(request)

    app = web.Application()
    app.router.add_post("/idaas/sts/STS/GetToken", sts)
    app.router.add_get("/api/v1/School/{estab}/{endpoint}", data)
    async with serve(app) as base:
        config = XporterConfig(base, "app.example.dev", (XporterSchool(ESTAB, SECRET),))
        async with XporterClient(config) as client:
            yield script, client


def _answer(body: Any, status: int = 200) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(body, status=status)

    return handler


async def test_an_http_200_error_envelope_is_an_error(fake: tuple[Fake, XporterClient]) -> None:
    script, client = fake
    script.data = _answer(
        {
            "Message": None,
            "ExceptionType": None,
            "ExceptionMessage": "Something went wrong",
            "InnerException": None,
        }
    )

    with pytest.raises(XporterRequestError) as caught:
        await client.students(ESTAB)

    assert caught.value.status == 200 and caught.value.code == "UPSTREAM_BAD_RESPONSE"
    assert (
        caught.value.message
        == f"Xporter refused Students for school {ESTAB}: Something went wrong."
    )
    assert script.queries[0]["httpstatuscodes"] == "true"


async def test_an_upstream_message_never_echoes_the_secret(
    fake: tuple[Fake, XporterClient],
) -> None:
    script, client = fake
    script.sts = {
        "token": None,
        "expires": "0001-01-01T00:00:00",
        "ExceptionMessage": f"Relying Party not found for secret {SECRET}",
    }

    with pytest.raises(SchoolAuthError) as caught:
        await client.staff(ESTAB)

    assert SECRET not in caught.value.message and "***" in caught.value.message


async def test_a_refusal_with_an_http_status_at_the_sts_is_read_from_its_body(
    fake: tuple[Fake, XporterClient],
) -> None:
    script, client = fake
    script.sts_status = 401
    script.sts = {
        "token": None,
        "ExceptionMessage": "Relying Party not found for estab or secret not correct",
    }

    with pytest.raises(SchoolAuthError, match=f"refused a token for school {ESTAB}"):
        await client.staff(ESTAB)


async def test_an_sts_answer_that_is_not_json_is_a_bad_response(
    fake: tuple[Fake, XporterClient],
) -> None:
    script, client = fake
    script.sts = "<html>Service Unavailable</html>"

    with pytest.raises(UpstreamBadResponseError, match="not valid JSON"):
        await client.staff(ESTAB)


async def test_a_token_without_a_readable_expiry_is_still_used(
    fake: tuple[Fake, XporterClient],
) -> None:
    script, client = fake
    script.sts = {"token": "abc", "Message": None}
    script.data = _answer({"Staff": [{"Id": "5"}]})

    assert [s.id for s in await client.staff(ESTAB)] == ["5"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"meta": []}, "without its 'Students' table"),
        ({"Students": {"Id": "1"}}, "'Students' table that is not a list of rows"),
        ({"Students": [{"Forename": "A"}]}, "Students row that has no 'Id'"),
        (["Students"], "something other than a JSON object"),
    ],
    ids=["no-table", "not-a-list", "no-id", "not-an-object"],
)
async def test_malformed_bodies_are_bad_responses(
    fake: tuple[Fake, XporterClient], body: Any, message: str
) -> None:
    script, client = fake
    script.data = _answer(body)

    with pytest.raises(UpstreamBadResponseError, match=message):
        await client.students(ESTAB)


async def test_paging_follows_the_upstreams_own_page_size(
    fake: tuple[Fake, XporterClient],
) -> None:
    script, client = fake

    async def pages(request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        rows = [{"Id": str(page * 10 + i)} for i in (1, 2)]
        return web.json_response(
            {
                "Staff": rows,
                "__pagination__": [
                    {
                        "PageSize": 2,
                        "PageNumber": page,
                        "PageCount": 3,
                        "RowCount": 6,
                        "NextPage": f"?page={page + 1}&pageSize=2",
                    }
                ],
            }
        )

    script.data = pages

    staff = await client.staff(ESTAB)

    assert [s.id for s in staff] == ["11", "12", "21", "22", "31", "32"]
    assert [(q.get("page"), q.get("pageSize")) for q in script.queries] == [
        (None, None),
        ("2", "2"),
        ("3", "2"),
    ]
    assert all(q["changedRows"] == "*" for q in script.queries)


async def test_the_groups_table_is_found_under_either_documented_name(
    fake: tuple[Fake, XporterClient],
) -> None:
    script, client = fake
    script.data = _answer({"Groups": [{"Id": "8811", "Type": "TeachingGrp"}]})

    groups = await client.groups(ESTAB)

    assert [(g.id, g.type) for g in groups] == [("8811", "teaching")]
    assert script.queries[0]["options"] == "includeMembersIds,includeSubjects"


async def test_without_a_change_set_token_every_refresh_is_a_full_read(
    fake: tuple[Fake, XporterClient],
) -> None:
    script, client = fake
    script.data = _answer({"Contacts": [{"Id": "1", "RowHash": "A"}]})
    config = dataclasses.replace(client.config, ttl=XporterTtls(contacts=0.0))

    async with XporterClient(config) as always_stale:
        first = await always_stale.contacts(ESTAB)
        second = await always_stale.contacts(ESTAB)

    assert [q["changedRows"] for q in script.queries] == ["*", "*"]
    assert second is first  # same hashes: the full read changed nothing
