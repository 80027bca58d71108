"""Rides of the past as demand sees them: when and where each started and ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fleet.geo import Position


@dataclass(frozen=True, slots=True)
class PastRide:
    """A ride of the past: its start and end times (timezone-aware) and positions."""

    started_at: datetime
    ended_at: datetime
    start: Position
    end: Position
