"""Pages are built so that nothing from the log can become markup."""

from __future__ import annotations

import datetime

import pytest

from schoolgraph.audit.models import TimelineBucket
from schoolgraph.dashboard.chart import timeline_chart
from schoolgraph.dashboard.display import plural, timestamp
from schoolgraph.dashboard.markup import Html, el, escape, render
from tests.dashboard.reading import read_page


def test_text_children_and_attribute_values_are_escaped() -> None:
    built = el("a", "<b>bold</b> & co", href='x" onclick="alert(1)', title="it's")

    assert built == (
        '<a href="x&quot; onclick=&quot;alert(1)" title="it&#x27;s">'
        "&lt;b&gt;bold&lt;/b&gt; &amp; co</a>"
    )


def test_markup_stays_markup_once_and_is_never_escaped_twice() -> None:
    inner = el("em", "a < b")

    assert el("p", inner, " & ", escape("<i>")) == "<p><em>a &lt; b</em> &amp; &lt;i&gt;</p>"
    assert isinstance(render(inner), Html)


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param({"required": True}, "<input required>", id="true-is-bare"),
        pytest.param({"required": False, "value": None}, "<input>", id="false-and-none-left-out"),
        pytest.param(
            {"aria_label": "x", "for_": "y"}, '<input aria-label="x" for="y">', id="names"
        ),
    ],
)
def test_attribute_forms(attributes: dict[str, bool | str | None], expected: str) -> None:
    assert el("input", **attributes) == expected


def test_void_elements_take_no_children() -> None:
    with pytest.raises(ValueError, match="void element"):
        el("input", "text")


def test_children_flatten_and_none_and_false_vanish() -> None:
    assert el("ul", (el("li", n) for n in (1, 2)), None, False) == "<ul><li>1</li><li>2</li></ul>"


def test_times_are_the_seeds_format_in_utc() -> None:
    sydney = datetime.timezone(datetime.timedelta(hours=10))

    assert timestamp(datetime.datetime(2026, 3, 1, 9, 5, 7, tzinfo=sydney)) == "2026-02-28 23:05:07"
    assert timestamp(None) == "-"
    assert (plural(1, "error"), plural(1200, "request")) == ("1 error", "1,200 requests")


def test_the_chart_describes_itself_and_lists_its_figures() -> None:
    start = datetime.datetime(2026, 11, 23, 10, tzinfo=datetime.UTC)
    hour = datetime.timedelta(hours=1)
    buckets = [
        TimelineBucket(start, 4, 1),
        TimelineBucket(start + hour, 0, 0),
        TimelineBucket(start + 2 * hour, 10, 3),
    ]

    chart = timeline_chart(buckets, until=start + 3 * hour)

    assert '<desc id="timeline-desc">14 requests and 4 errors from 2026-11-23 10:00 to' in chart
    assert "<title>2026-11-23 12:00 to 13:00: 10 requests, 3 errors</title>" in chart
    assert 'aria-labelledby="timeline-title timeline-desc"' in chart
    figures = read_page(chart).table("Requests and errors over time")
    assert figures.rows == [
        ["2026-11-23 10:00 to 11:00", "4", "1"],
        ["2026-11-23 11:00 to 12:00", "0", "0"],
        ["2026-11-23 12:00 to 13:00", "10", "3"],
    ]
    # The tallest bar fills the plot; an empty bucket draws nothing.
    assert chart.count('height="0.0"') == 2
    assert 'height="182.0"' in chart
