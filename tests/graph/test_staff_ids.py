"""A Staff id handed out before the identity merge changed still finds the person: through
``node``, ``nodes`` and ``_entities``, out of one read of everyone, and only for callers who
may see them.

Tanda is changed through the Tanda simulator's own API (``PUT /api/v2/users/{id}`` as an
admin with the ``cost`` scope that writing ``employee_id`` needs), and the gateway is then
told as Tanda's ``user.updated`` webhook tells it: the users it keeps are evicted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from schoolgraph.accounts import Grant
from schoolgraph.accounts.models import roles_for
from schoolgraph.app import RUNTIME, create_app
from schoolgraph.config import Settings
from schoolgraph.graph.extensions.permissions import grantable_types
from schoolgraph.graph.schema import build_schema
from schoolgraph.simulators.dataset import TandaUser, World
from schoolgraph.simulators.stack import SimulatorStack
from tests.accounts.harness import FAST, ApiUser, Harness, start_harness
from tests.conftest import Serve
from tests.graph.conftest import Gateway, Start, global_id
from tests.simulators.test_tanda import admin_token, bearer

Ask = Callable[[str, Mapping[str, Any]], Awaitable[Any]]
"""Runs a query that must answer without errors; its ``data``."""

PERSON = "id domainId sources { system }"
BY_ID = f"""
query ($id: ID!, $ids: [ID!]!, $representations: [_Any!]!) {{
  node(id: $id) {{ ... on Staff {{ {PERSON} }} }}
  nodes(ids: $ids) {{ ... on Staff {{ {PERSON} }} }}
  _entities(representations: $representations) {{ ... on Staff {{ {PERSON} }} }}
}}
"""
EVERYONE = "{ staff(first: 500) { nodes { domainId staffCode matchRule sources { system } } } }"
GONE = "tanda:1:999999"
"""The id of a Tanda user who does not exist."""


@dataclass(frozen=True)
class Pair:
    """A Tanda-only worker, and the Xporter staff member with no Tanda user the test makes
    them the same person as (by setting the worker's ``employee_id`` to the staff code)."""

    user: TandaUser
    tanda_id: str
    mis_id: str
    staff_code: str

    @property
    def school_id(self) -> str:
        return self.mis_id.rsplit(":", 1)[0]


def person(domain_id: str, *systems: str) -> dict[str, Any]:
    """How :func:`by_id` shows the person with ``domain_id``, merged from ``systems``."""
    return {"id": global_id("Staff", domain_id), "domainId": domain_id, "systems": list(systems)}


def everywhere(*people: dict[str, Any] | None) -> dict[str, Any]:
    """What :func:`by_id` answers when the ids asked for find ``people``, in order."""
    return {"node": people[0], "nodes": list(people), "_entities": list(people)}


async def by_id(ask: Ask, *domain_ids: str) -> dict[str, Any]:
    """``node`` of the first id, ``nodes`` and ``_entities`` of them all, each person shown
    as :func:`person` shows them."""
    ids = [global_id("Staff", i) for i in domain_ids]
    data = await ask(
        BY_ID,
        {
            "id": ids[0],
            "ids": ids,
            "representations": [{"__typename": "Staff", "id": i} for i in ids],
        },
    )

    def shown(answer: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if answer is None:
            return None
        systems = [ref["system"] for ref in answer["sources"]]
        return {"id": answer["id"], "domainId": answer["domainId"], "systems": systems}

    return {
        "node": shown(data["node"]),
        "nodes": [shown(n) for n in data["nodes"]],
        "_entities": [shown(e) for e in data["_entities"]],
    }


async def unmerged_pairs(ask: Ask, world: World, count: int) -> list[Pair]:
    """``count`` Tanda-only workers, each with an Xporter staff member who has no Tanda user
    and a staff code no one else has (no other school's staff, no Tanda employee id)."""
    people = (await ask(EVERYONE, {}))["staff"]["nodes"]
    taken = Counter(p["staffCode"] for p in people if p["staffCode"])
    taken.update(u.employee_id for u in world.tanda_users.values() if u.employee_id)
    mis = [
        p
        for p in people
        if [ref["system"] for ref in p["sources"]] == ["XPORTER"] and taken[p["staffCode"]] == 1
    ]
    tanda_only = {p["domainId"] for p in people if p["domainId"].startswith("tanda:")}
    organisation = next(iter(world.organisation.values())).id
    users = [
        user
        for _, user in sorted(world.tanda_users.items())
        if f"tanda:{organisation}:{user.id}" in tanda_only and not user.is_admin
    ]
    assert len(mis) >= count and len(users) >= count, "the demo world has them"
    return [
        Pair(user, f"tanda:{organisation}:{user.id}", p["domainId"], p["staffCode"])
        for user, p in zip(users[:count], mis[:count], strict=True)
    ]


def simulators_of(app: web.Application) -> SimulatorStack:
    stack = app[RUNTIME].simulators
    assert stack is not None
    return stack


def hear_of_user_changes(app: web.Application) -> None:
    """Evict the gateway's Tanda users, as Tanda's ``user.updated`` webhook makes it do."""
    tanda = app[RUNTIME].tanda
    assert tanda is not None
    tanda.invalidate_topic("user.updated")


async def put_user(
    http: aiohttp.ClientSession, app: web.Application, user: TandaUser, **changes: Any
) -> None:
    """Change a Tanda user through the Tanda simulator's API; the gateway hears of it."""
    simulators = simulators_of(app)
    base = simulators.urls["tanda"]
    token = await admin_token(http, base, simulators.world)
    url = f"{base}/api/v2/users/{user.id}"
    async with http.put(url, json=changes, headers=bearer(token)) as response:
        assert response.status == 200, await response.text()
    hear_of_user_changes(app)


async def users_read(gateway: Gateway) -> int:
    """Requests the gateway made for Tanda's users since the last call (counters reset)."""
    url = f"{gateway.simulators.urls['tanda']}/__sim/stats"
    async with gateway.http.get(url, params={"reset": "true"}) as response:
        stats = await response.json()
    return sum(row["count"] for row in stats["routes"] if row["route"].startswith("/api/v2/users"))


async def test_a_tanda_only_workers_id_finds_them_once_merged(gateway: Gateway) -> None:
    first, second = await unmerged_pairs(gateway.data, gateway.world, 2)
    before = await by_id(gateway.data, first.tanda_id, second.tanda_id, GONE)

    for pair in (first, second):
        await put_user(gateway.http, gateway.app, pair.user, employee_id=pair.staff_code)
    await users_read(gateway)
    after = await by_id(gateway.data, first.tanda_id, second.tanda_id, GONE, first.mis_id)
    reads = await users_read(gateway)
    hear_of_user_changes(gateway.app)
    await gateway.data("{ staff(first: 1) { totalCount } }")  # one read of everyone

    assert before == everywhere(
        person(first.tanda_id, "TANDA"), person(second.tanda_id, "TANDA"), None
    )
    merged = [person(pair.mis_id, "XPORTER", "TANDA") for pair in (first, second)]
    assert after == everywhere(*merged, None, merged[0])
    assert reads == await users_read(gateway) > 0, "every id, old or not, out of one read"


async def test_a_merged_person_split_again_is_found_by_both_ids(gateway: Gateway) -> None:
    (pair,) = await unmerged_pairs(gateway.data, gateway.world, 1)
    await put_user(gateway.http, gateway.app, pair.user, employee_id=pair.staff_code)

    merged_by_tanda_id = await by_id(gateway.data, pair.tanda_id, pair.mis_id)
    # No key and no email left to match them by.
    await put_user(gateway.http, gateway.app, pair.user, employee_id=None, email=None)
    split = await by_id(gateway.data, pair.tanda_id, pair.mis_id)

    merged = person(pair.mis_id, "XPORTER", "TANDA")
    assert merged_by_tanda_id == everywhere(merged, merged)
    assert split == everywhere(person(pair.tanda_id, "TANDA"), person(pair.mis_id, "XPORTER"))


async def test_ids_of_one_identity_setting_find_the_person_under_another(
    gateway: Gateway, start_gateway: Start
) -> None:
    """The same world under the default merge and with merging off: a person's ids, as either
    gateway hands them out, find them under the other."""
    people = (await gateway.data(EVERYONE))["staff"]["nodes"]
    merged = next(p for p in people if p["matchRule"] == "employee_id=staff_code")
    user = next(
        u for u in gateway.world.tanda_users.values() if u.employee_id == merged["staffCode"]
    )
    mis_id, tanda_id = merged["domainId"], f"tanda:1:{user.id}"
    apart = await start_gateway(
        Settings(demo_scale="small", identity_keys=(), identity_email=False)
    )

    assert await by_id(gateway.data, tanda_id, mis_id) == everywhere(
        person(mis_id, "XPORTER", "TANDA"), person(mis_id, "XPORTER", "TANDA")
    )
    assert await by_id(apart.data, tanda_id, mis_id) == everywhere(
        person(tanda_id, "TANDA"), person(mis_id, "XPORTER")
    )


async def test_without_batching_an_old_id_finds_the_person_too(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    """The naive baseline (``batching=False``) reads each person by id, not out of a read
    of everyone; an old id finds them there as well."""
    app = create_app(Settings(demo_scale="small"), batching=False)
    gateway = Gateway(url=await serve(app), app=app, http=http)
    (pair,) = await unmerged_pairs(gateway.data, gateway.world, 1)
    await put_user(http, app, pair.user, employee_id=pair.staff_code)

    merged = person(pair.mis_id, "XPORTER", "TANDA")
    assert await by_id(gateway.data, pair.tanda_id, GONE) == everywhere(merged, None)


def read_everything() -> list[Grant]:
    return [
        Grant(name, read=True, role=next(iter(roles_for(name)), None))
        for name in grantable_types(build_schema())
    ]


def asking(harness: Harness, user: ApiUser) -> Ask:
    async def ask(query: str, variables: Mapping[str, Any]) -> Any:
        body = await harness.graphql(query, variables, user=user)
        assert "errors" not in body, body["errors"]
        return body["data"]

    return ask


async def test_an_old_id_finds_only_people_the_caller_may_see(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    harness = await start_harness(
        serve, http, Settings(demo_scale="small", anonymous=False), cost=FAST
    )
    world = simulators_of(harness.app).world
    grants = read_everything()
    everyone = asking(harness, await harness.provision("everyone", schools=["*"], grants=grants))
    (pair,) = await unmerged_pairs(everyone, world, 1)
    other = next(
        s["domainId"]
        for s in (await everyone("{ schools { domainId } }", {}))["schools"]
        if s["domainId"] != pair.school_id
    )
    accounts = {
        name: asking(harness, await harness.provision(name, schools=schools, grants=grants))
        for name, schools in (
            ("school", [pair.school_id]),
            ("school+tanda", [pair.school_id, "tanda"]),
            ("other+tanda", [other, "tanda"]),
        )
    }
    worker, merged = person(pair.tanda_id, "TANDA"), person(pair.mis_id, "XPORTER", "TANDA")
    before = {name: await by_id(ask, pair.tanda_id) for name, ask in accounts.items()}

    await put_user(http, harness.app, pair.user, employee_id=pair.staff_code)
    after = {name: await by_id(ask, pair.tanda_id) for name, ask in accounts.items()}

    assert before == {
        "school": everywhere(None),  # no workforce side: a Tanda-only worker is not theirs
        "school+tanda": everywhere(worker),
        "other+tanda": everywhere(worker),
    }
    assert after == {
        "school": everywhere(merged),  # their school's staff member now, as `staff` lists
        "school+tanda": everywhere(merged),
        "other+tanda": everywhere(None),  # another school's: as absent as any of its staff
    }
