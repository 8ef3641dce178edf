"""The DateTime scalar writes instants in UTC, whatever their zone, and refuses naive ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from schoolgraph.graph.scalars import DateTimeDefinition, utc_text


def _write(value: object) -> object:
    serialize = DateTimeDefinition.serialize
    assert serialize is not None
    return serialize(value)


def test_an_instant_is_written_in_utc_from_any_zone_every_time() -> None:
    moment = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    sydney = moment.astimezone(ZoneInfo("Australia/Sydney"))
    for _ in range(2):  # written, then written again
        assert _write(moment) == _write(sydney) == "2026-03-02T08:30:00+00:00"
    assert _write(moment.astimezone(timezone(timedelta(hours=-5)))) == "2026-03-02T08:30:00+00:00"
    assert _write(moment + timedelta(seconds=1)) == "2026-03-02T08:30:01+00:00"


def test_twenty_thousand_instants_are_each_written_as_themselves() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(minutes=i) for i in range(20_000)]
    assert [_write(m) for m in moments] == [m.isoformat() for m in moments]


@pytest.mark.parametrize("value", [datetime(2026, 3, 2, 8, 30), "2026-03-02T08:30:00Z", 1])
def test_what_is_not_an_aware_datetime_is_refused(value: object) -> None:
    with pytest.raises(TypeError, match="time-zone-aware"):
        _write(value)


def test_instants_sort_by_their_utc_text_as_they_do_in_time() -> None:
    start = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    zones = [UTC, ZoneInfo("Australia/Sydney"), timezone(timedelta(hours=-5))]
    moments = [
        (start + timedelta(minutes=37 * i, microseconds=250_000 * (i % 2))).astimezone(zones[i % 3])
        for i in range(60)
    ]
    shuffled = moments[1::2] + moments[::2]

    assert sorted(shuffled, key=utc_text) == moments
    assert utc_text(moments[1]) == _write(moments[1]) == moments[1].astimezone(UTC).isoformat()
