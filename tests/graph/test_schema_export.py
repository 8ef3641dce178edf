"""schema/schema.graphql is the reviewed SDL: it must match what the code builds."""

from __future__ import annotations

from pathlib import Path

from schoolgraph.graph.schema import export_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"
REGENERATE = "schoolgraph export-schema --output schema/schema.graphql"


def test_the_committed_schema_matches_the_code() -> None:
    assert SCHEMA_FILE.exists(), f"{SCHEMA_FILE} is missing; create it with `{REGENERATE}`."
    committed = SCHEMA_FILE.read_text(encoding="utf-8")

    assert committed == export_sdl(), (
        f"schema/schema.graphql is out of date with the code; regenerate it with `{REGENERATE}` "
        "and review the diff."
    )


def test_the_schema_is_a_federation_2_subgraph_with_the_service_query() -> None:
    sdl = export_sdl()

    assert "_service: _Service!" in sdl
    assert "service: Service!" in sdl
