"""Pages over sorted rows: the order of an unchanged list is kept, a changed one re-sorted."""

from __future__ import annotations

from schoolgraph.graph.connections import SortedRows, SortKey, decode_cursor, paginate_sorted

Row = tuple[str, str]  # (id, name)


def _key(row: Row) -> SortKey:
    return (row[1].casefold(), row[0])


def _rows(*names: str, school: str = "a") -> dict[str, Row]:
    return {f"{school}:{n}": (f"{school}:{n}", name) for n, name in enumerate(names)}


def test_the_order_of_unchanged_lists_is_computed_once() -> None:
    order: SortedRows[Row] = SortedRows(_key)
    one, two = _rows("Cy", "ann", "Bo"), _rows("Al", "dee", school="b")

    first = order.of(["a", "b"], [one, two])

    assert [row[1] for _, row in first] == ["Al", "ann", "Bo", "Cy", "dee"]
    assert order.of(["a", "b"], [one, two]) is first
    assert order.of(["a"], [one]) is order.of(["a"], [one])


def test_a_new_list_for_a_slot_is_sorted_afresh() -> None:
    order: SortedRows[Row] = SortedRows(_key)
    old = _rows("Cy", "ann")
    before = order.of(["a"], [old])

    # An equal but new mapping (the directory's next snapshot) is not trusted to be the same.
    new = {**old, "a:9": ("a:9", "Abe")}
    after = order.of(["a"], [new])

    assert [row[1] for _, row in before] == ["ann", "Cy"]
    assert [row[1] for _, row in after] == ["Abe", "ann", "Cy"]
    assert order.of(["a", "b"], [new, {}]) == after


def test_a_page_holds_the_keys_its_cursors_are_made_of() -> None:
    keyed = SortedRows(_key).of(["a"], [_rows("d", "b", "c", "a")])

    page = paginate_sorted(keyed, kind="Row", node=lambda row: row[0], first=2, after=None)
    rest = paginate_sorted(
        keyed, kind="Row", node=lambda row: row[0], first=2, after=page.page_info.end_cursor
    )

    assert page.nodes == ["a:3", "a:1"] and rest.nodes == ["a:2", "a:0"]
    assert rest.keys == [key for key, _ in keyed[2:]]
    assert rest.page_info.start_cursor is not None and rest.page_info.end_cursor is not None
    assert decode_cursor("Row", rest.page_info.start_cursor) == rest.keys[0]
    assert decode_cursor("Row", rest.page_info.end_cursor) == rest.keys[-1]
    assert not rest.page_info.has_next_page and rest.page_info.has_previous_page
