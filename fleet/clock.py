"""The injectable clock. Domain code never reads the wall clock directly."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current, timezone-aware time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The real clock, in UTC (present times in the city's zone at the edges)."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


@dataclass(slots=True)
class FixedClock:
    """A clock that stands still until moved; for tests and simulations."""

    at: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            msg = "FixedClock needs a timezone-aware datetime"
            raise ValueError(msg)

    def now(self) -> datetime:
        """The fixed instant."""
        return self.at

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward and return the new instant."""
        self.at += timedelta(seconds=seconds)
        return self.at


def require_aware(name: str, value: datetime) -> None:
    """Raise ``ValueError`` naming ``name`` when ``value`` has no timezone."""
    if value.tzinfo is None or value.utcoffset() is None:
        msg = f"{name} must be timezone-aware, got naive {value.isoformat()}"
        raise ValueError(msg)


def local_iso(at: datetime, zone: tzinfo) -> str:
    """``at`` as ISO 8601 in ``zone``; in UTC if the zone's offset would take it past the year
    9999 (a date stored by a version that did not bound dates still shows, never fails)."""
    try:
        return at.astimezone(zone).isoformat()
    except OverflowError:
        return at.astimezone(UTC).isoformat()
