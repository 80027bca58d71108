"""The time parameters of the MDS provider feeds: a UTC hour ``YYYY-MM-DDTHH`` for the hourly
feeds and a millisecond range for ``/events/recent``, checked against the provider spec's rules.
Pure: the caller passes the time now."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from dispatch.opendata.mds_exceptions import (
    HourNotOver,
    HourOutOfService,
    MdsMissingParam,
    MdsParamError,
)

HOUR = timedelta(hours=1)
#: How far back ``/events/recent`` reaches (the provider spec: "at most two weeks old").
RECENT_REACH = timedelta(weeks=2)
#: How long after a moment its events are settled: a change is logged with the time its
#: transaction began and becomes visible when it commits, so a range ending later than this
#: ago could be answered before a change inside it is visible, and a client that asks range
#: after range would never see it. Longer than any of the platform's writing transactions.
SETTLE = timedelta(seconds=30)
_HOUR_FORMAT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2})")
#: Timestamps beyond year 9999 cannot be dates; refuse them before converting.
_MAX_MS = 253_402_300_799_999
#: Below this (1973-03-03 in milliseconds) a timestamp is almost surely seconds sent by mistake:
#: every instant since then is a 10-digit number in seconds and a 12- or 13-digit one in ms.
_SECONDS_LIKE = 100_000_000_000


def parse_hour(text: str | None, param: str) -> datetime:
    """The start (UTC) of the hour ``text`` names as ``YYYY-MM-DDTHH``.

    Raises
    ------
    MdsMissingParam
        No ``text``.
    MdsParamError
        ``text`` is not such an hour.
    """
    if text is None or not text.strip():
        msg = f"{param} is required: the UTC hour as YYYY-MM-DDTHH, e.g. 2026-03-02T00"
        raise MdsMissingParam(msg, param=param)
    found = _HOUR_FORMAT.fullmatch(text.strip())
    try:
        if found is None:
            raise ValueError(text)
        year, month, day, hour = (int(g) for g in found.groups())
        return datetime(year, month, day, hour, tzinfo=UTC)
    except ValueError:
        msg = f"{param} must be a UTC hour as YYYY-MM-DDTHH (e.g. 2026-03-02T00), got {text!r}"
        raise MdsParamError(msg, param=param) from None


def check_hour(start: datetime, now: datetime, since: datetime, param: str) -> None:
    """Refuse an hour whose data cannot be complete.

    Raises
    ------
    HourOutOfService
        The hour has not begun, or it ended before the operator began (``since``).
    HourNotOver
        The hour has begun but is not over.
    """
    if start > now:
        now_utc = now.astimezone(UTC)
        msg = f"{param} {start:%Y-%m-%dT%H} is not in the past (now: {now_utc:%Y-%m-%dT%H:%M})"
        raise HourOutOfService(msg)
    if start + HOUR <= since:
        msg = f"{param} {start:%Y-%m-%dT%H} is before this provider began operating"
        raise HourOutOfService(msg)
    if start + HOUR + SETTLE > now:
        msg = (
            f"{param} {start:%Y-%m-%dT%H} is not over yet: ask again "
            f"{SETTLE.seconds} s after it ends, when its last changes have settled"
        )
        raise HourNotOver(msg)


def parse_ms(text: str | None, param: str) -> datetime:
    """The instant of a millisecond UNIX timestamp.

    Raises
    ------
    MdsMissingParam, MdsParamError
    """
    if text is None or not text.strip():
        msg = f"{param} is required: milliseconds since 1970-01-01 UTC"
        raise MdsMissingParam(msg, param=param)
    value = text.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 16 or int(value) > _MAX_MS:
        msg = f"{param} must be a whole number of milliseconds since 1970-01-01 UTC, got {text!r}"
        raise MdsParamError(msg, param=param)
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def recent_window(
    start_text: str | None, end_text: str | None, now: datetime
) -> tuple[datetime, datetime]:
    """The ``[start, end)`` range of ``/events/recent``: both given, start before end, start
    within the last :data:`RECENT_REACH`.

    Raises
    ------
    MdsMissingParam, MdsParamError
    """
    start, end = parse_ms(start_text, "start_time"), parse_ms(end_text, "end_time")
    for param, at in (("start_time", start), ("end_time", end)):
        if at.timestamp() * 1000 < _SECONDS_LIKE:
            msg = (
                f"{param} looks like seconds: MDS times are milliseconds since 1970-01-01 UTC "
                f"(now is {int(now.timestamp() * 1000)})"
            )
            raise MdsParamError(msg, param=param)
    if start >= end:
        msg = "start_time must be before end_time (the range is start_time <= t < end_time)"
        raise MdsParamError(msg, param="start_time")
    if start < now - RECENT_REACH:
        msg = (
            "start_time is more than two weeks in the past: /events/recent reaches back two "
            "weeks; older events are in /events/historical?event_time=YYYY-MM-DDTHH"
        )
        raise MdsParamError(msg, param="start_time")
    if start > now:
        msg = "start_time is in the future: there are no events yet"
        raise MdsParamError(msg, param="start_time")
    if end > now - SETTLE:
        msg = (
            f"end_time is less than {SETTLE.seconds} s ago: changes of the last "
            f"{SETTLE.seconds} s may still be committing and a range that ends there could "
            f"miss them for good; ask up to {SETTLE.seconds} s before now"
        )
        raise MdsParamError(msg, param="end_time")
    if end - start > RECENT_REACH:
        msg = "the range from start_time to end_time is longer than two weeks; ask in parts"
        raise MdsParamError(msg, param="end_time")
    return start, end
