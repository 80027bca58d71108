"""What the platform records as it runs: telemetry samples and the audit log."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fleet.clock import require_aware
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.vehicles import check_soc

#: The longest id a gateway may give a sample (the column's width).
MAX_SAMPLE_ID = 64


@dataclass(frozen=True, slots=True)
class TelemetrySample:
    """A vehicle's reported position, charge and speed at an instant; from a gateway also its
    own id of the sample (``sample_id``), the vertical acceleration RMS over the sample's window
    (``vibration_rms_ms2``) and the sound level (``noise_db``), each if measured."""

    vehicle_id: str
    at: datetime
    position: Position
    soc_pct: float
    speed_kph: float = 0.0
    sample_id: str | None = None
    vibration_rms_ms2: float | None = None
    noise_db: float | None = None

    def __post_init__(self) -> None:
        require_aware("at", self.at)
        object.__setattr__(self, "soc_pct", check_soc(self.soc_pct))
        for name in ("speed_kph", "vibration_rms_ms2", "noise_db"):
            value = getattr(self, name)
            if value is not None and not 0 <= value < math.inf:
                msg = f"{name} must be a finite number not below 0, got {value}"
                raise InvalidValue(msg)
        if self.sample_id is not None and not 0 < len(self.sample_id) <= MAX_SAMPLE_ID:
            msg = f"a sample id has 1 to {MAX_SAMPLE_ID} characters, got {len(self.sample_id)}"
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
