"""Requests and errors over time as an inline SVG bar chart: no script, no external asset.

Screen readers get the chart's title and a description with the totals, a ``<title>`` per
bar pair, and the same figures as a table under it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from schoolgraph.audit.models import TimelineBucket
from schoolgraph.dashboard.display import count, plural
from schoolgraph.dashboard.markup import Html, el

__all__ = ["timeline_chart"]

_WIDTH, _HEIGHT = 720, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 8, 10, 28
_REQUESTS, _ERRORS, _AXIS = "#5b8def", "#d93025", "#5f6b7a"


def _label(start: datetime.datetime, end: datetime.datetime) -> str:
    return f"{start:%Y-%m-%d %H:%M} to {end:%H:%M}"


def _bucket_end(
    buckets: Sequence[TimelineBucket], index: int, until: datetime.datetime
) -> datetime.datetime:
    return buckets[index + 1].start if index + 1 < len(buckets) else until


def _bar(x: float, value: int, peak: int, colour: str, *, width: float) -> Html:
    height = (_HEIGHT - _TOP - _BOTTOM) * value / peak
    return el(
        "rect",
        x=f"{x:.1f}",
        y=f"{_HEIGHT - _BOTTOM - height:.1f}",
        width=f"{width:.1f}",
        height=f"{height:.1f}",
        fill=colour,
    )


def timeline_chart(
    buckets: Sequence[TimelineBucket], *, until: datetime.datetime, chart_id: str = "timeline"
) -> Html:
    """The chart and its data table; bars for requests (blue) and errors (red) per bucket."""
    total_requests = sum(bucket.requests for bucket in buckets)
    total_errors = sum(bucket.errors for bucket in buckets)
    title = "Requests and errors over time"
    if buckets:
        span = f"from {buckets[0].start:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC"
    else:
        span = "no period"
    description = f"{plural(total_requests, 'request')} and {plural(total_errors, 'error')} {span}."
    peak = max((bucket.requests for bucket in buckets), default=0) or 1
    plot_width = _WIDTH - _LEFT - _RIGHT
    plot_height = _HEIGHT - _TOP - _BOTTOM
    slot = plot_width / max(len(buckets), 1)
    bar = max(slot * 0.4, 1.0)
    bars = []
    labels = []
    for index, bucket in enumerate(buckets):
        x = _LEFT + index * slot + slot * 0.1
        end = _bucket_end(buckets, index, until)
        bars.append(
            el(
                "g",
                el(
                    "title",
                    f"{_label(bucket.start, end)}: {plural(bucket.requests, 'request')}, "
                    f"{plural(bucket.errors, 'error')}",
                ),
                _bar(x, bucket.requests, peak, _REQUESTS, width=bar),
                _bar(x + bar, bucket.errors, peak, _ERRORS, width=bar),
            )
        )
        if index % max(len(buckets) // 6, 1) == 0:
            labels.append(
                el(
                    "text",
                    f"{bucket.start:%H:%M}",
                    x=f"{x:.1f}",
                    y=str(_HEIGHT - 8),
                    font_size="11",
                    fill=_AXIS,
                )
            )
    axis = el(
        "g",
        el(
            "line",
            x1=str(_LEFT),
            y1=str(_TOP + plot_height),
            x2=str(_WIDTH - _RIGHT),
            y2=str(_TOP + plot_height),
            stroke=_AXIS,
        ),
        el(
            "line",
            x1=str(_LEFT),
            y1=str(_TOP),
            x2=str(_LEFT),
            y2=str(_TOP + plot_height),
            stroke=_AXIS,
        ),
        el(
            "text",
            count(peak),
            x=str(_LEFT - 6),
            y=str(_TOP + 10),
            font_size="11",
            fill=_AXIS,
            text_anchor="end",
        ),
        el(
            "text",
            "0",
            x=str(_LEFT - 6),
            y=str(_TOP + plot_height),
            font_size="11",
            fill=_AXIS,
            text_anchor="end",
        ),
        aria_hidden="true",
    )
    svg = el(
        "svg",
        el("title", title, id=f"{chart_id}-title"),
        el("desc", description, id=f"{chart_id}-desc"),
        axis,
        *bars,
        el("g", *labels, aria_hidden="true"),
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {_WIDTH} {_HEIGHT}",
        role="img",
        aria_labelledby=f"{chart_id}-title {chart_id}-desc",
    )
    legend = el(
        "ul",
        el("li", el("span", class_="swatch requests"), "Requests"),
        el("li", el("span", class_="swatch errors"), "Errors"),
        class_="legend",
    )
    rows = (
        el(
            "tr",
            el("th", _label(bucket.start, _bucket_end(buckets, index, until)), scope="row"),
            el("td", count(bucket.requests), class_="num"),
            el("td", count(bucket.errors), class_="num"),
        )
        for index, bucket in enumerate(buckets)
    )
    table = el(
        "details",
        el("summary", "The chart's figures"),
        el(
            "table",
            el("caption", f"{title}, {span}"),
            el(
                "thead",
                el(
                    "tr",
                    el("th", "Period (UTC)", scope="col"),
                    el("th", "Requests", scope="col", class_="num"),
                    el("th", "Errors", scope="col", class_="num"),
                ),
            ),
            el("tbody", rows),
        ),
    )
    return el("div", svg, legend, el("p", description), table, class_="chart")
