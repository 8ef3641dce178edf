"""Reads by id: one student asked for alone, and the naive baseline
(``create_app(settings, batching=False)``), from the simulators' own request counters.

It reads each student and each member of staff by id where the upstream offers that read
(Xporter ``/Students/{id}``, ``/Staff/{id}``), so its requests grow with the rows a query
shows; the batched gateway reads the school's lists once. ``schoolgraph bench`` compares the
two (README, Benchmarks).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from yarl import URL

from schoolgraph.app import create_app
from schoolgraph.config import Settings
from tests.conftest import Serve
from tests.graph.conftest import Gateway, global_id

GROUP = """
query ($id: ID!) {
  node(id: $id) {
    ... on Group {
      students { id forename surname }
      staff { id displayName email }
    }
  }
}
"""


async def _routes(gateway: Gateway) -> dict[str, int]:
    url = URL(gateway.simulators.urls["xporter"]) / "__sim" / "stats"
    async with gateway.http.get(url, params={"reset": "true"}) as response:
        stats: dict[str, Any] = await response.json()
    return {row["route"]: row["count"] for row in stats["routes"]}


async def _group_answer(serve: Serve, http: Any, *, batching: bool) -> tuple[Any, dict[str, int]]:
    app: web.Application = create_app(Settings(demo_scale="small"), batching=batching)
    gateway = Gateway(url=await serve(app), app=app, http=http)
    world = gateway.world
    school = next(s for s in world.schools.values() if s.system == "xporter")
    group = max(world.groups_of(school.id, type="class"), key=lambda g: (len(g.student_ids), g.id))
    await _routes(gateway)
    data = await gateway.data(
        GROUP, {"id": global_id("Group", f"xporter:{school.code}:{group.id}")}
    )
    return data["node"], await _routes(gateway)


async def test_without_batching_each_student_and_tutor_is_read_by_id(
    serve: Serve, http: Any
) -> None:
    naive, naive_routes = await _group_answer(serve, http, batching=False)
    batched, batched_routes = await _group_answer(serve, http, batching=True)

    by_id = "/api/v1/School/{estab}/Students/{id}"
    staff_by_id = "/api/v1/School/{estab}/Staff/{id}"
    assert len(naive["students"]) >= 5 and naive["staff"]
    assert naive_routes[by_id] == len(naive["students"])
    assert naive_routes[staff_by_id] == len(naive["staff"])
    assert by_id not in batched_routes and staff_by_id not in batched_routes
    # The same answer either way: a read by id is the list's row.
    assert naive == batched


async def test_one_student_is_read_by_id_not_out_of_the_school_list(gateway: Gateway) -> None:
    world = gateway.world
    school = next(s for s in world.schools.values() if s.system == "xporter")
    student = min(world.students_of(school.id), key=lambda s: s.id)
    await _routes(gateway)

    data: Any = await gateway.data(
        "query ($id: ID!) { node(id: $id) { ... on Student { forename } } }",
        {"id": global_id("Student", f"xporter:{school.code}:{student.id}")},
    )

    routes = await _routes(gateway)
    assert data["node"]["forename"]
    assert routes == {"/idaas/sts/STS/GetToken": 1, "/api/v1/School/{estab}/Students/{id}": 1}
