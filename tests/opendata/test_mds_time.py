"""The time parameters of /mds/events/recent, on their own (pure: no app, no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dispatch.opendata.mds_exceptions import MdsParamError
from dispatch.opendata.mds_time import recent_window

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


@pytest.mark.parametrize(
    ("start", "end", "param"),
    [
        (NOW_MS // 1000 - 3600, NOW_MS // 1000, "start_time"),  # both in seconds
        (NOW_MS - 3_600_000, NOW_MS // 1000, "end_time"),  # the end alone in seconds
    ],
)
def test_seconds_for_milliseconds_are_named_as_such(start, end, param):
    """A client that sends UNIX seconds is told so, not that the range is two weeks old."""
    with pytest.raises(MdsParamError, match="looks like seconds") as caught:
        recent_window(str(start), str(end), NOW)
    assert caught.value.param == param
    assert str(NOW_MS) in str(caught.value)


def test_milliseconds_pass():
    settled = NOW_MS - 30_000  # the newest end it answers (mds_time.SETTLE)
    start, end = recent_window(str(settled - 3_600_000), str(settled), NOW)
    assert (end - start).total_seconds() == 3600


def test_an_end_not_yet_settled_is_refused():
    with pytest.raises(MdsParamError, match="30 s") as caught:
        recent_window(str(NOW_MS - 3_600_000), str(NOW_MS - 29_999), NOW)
    assert caught.value.param == "end_time"
