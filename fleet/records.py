"""What the platform records as it runs: telemetry samples and the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fleet.clock import require_aware
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.vehicles import check_soc


@dataclass(frozen=True, slots=True)
class TelemetrySample:
    """A vehicle's reported position, charge and speed at an instant."""

    vehicle_id: str
    at: datetime
    position: Position
    soc_pct: float
    speed_kph: float = 0.0

    def __post_init__(self) -> None:
        require_aware("at", self.at)
        object.__setattr__(self, "soc_pct", check_soc(self.soc_pct))
        if self.speed_kph < 0:
            msg = f"speed_kph must not be negative, got {self.speed_kph}"
            raise InvalidValue(msg)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who changed what, when: one row per state change."""

    at: datetime
    operator_id: str
    actor_id: str | None  # None for the system (a job, the seeder)
    action: str  # e.g. "vehicle.create", "vehicle.status"
    entity: str  # table-like name: "vehicle", "booking", ...
    entity_id: str
    changes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_aware("at", self.at)
        if not self.action or not self.entity or not self.entity_id:
            msg = "an audit entry names its action, entity and entity id"
            raise InvalidValue(msg)
