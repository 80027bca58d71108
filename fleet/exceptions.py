"""Domain errors. Each subclasses the builtin it refines, so callers may catch either."""

from __future__ import annotations


class FleetError(Exception):
    """Base of every fleet domain error."""


class InvalidValue(FleetError, ValueError):
    """A domain value is out of range or malformed (SoC outside 0–100, empty name, ...)."""


class UnknownVehicleClass(InvalidValue):
    """The vehicle class is not in the catalog."""


class IllegalTransition(FleetError, ValueError):
    """A state machine was asked for a transition it does not allow."""

    def __init__(self, machine: str, current: str, target: str, allowed: frozenset[str]) -> None:
        self.machine, self.current, self.target = machine, current, target
        options = ", ".join(sorted(allowed)) or "none (terminal state)"
        super().__init__(
            f"{machine} cannot go from {current!r} to {target!r}; from {current!r} it may go to: "
            f"{options}"
        )


class OutsideServiceArea(InvalidValue):
    """A position lies outside the operator's service area."""

    def __init__(self, lat: float, lon: float, detail: str = "", what: str = "position") -> None:
        self.lat, self.lon = lat, lon
        extra = f" ({detail})" if detail else ""
        super().__init__(f"{what} ({lat:.6f}, {lon:.6f}) is outside the service area{extra}")


class NotFound(FleetError, LookupError):
    """No such record (or not visible to this operator)."""


class Conflict(FleetError, RuntimeError):
    """The write clashes with what is stored (duplicate key, concurrent change)."""


class ChangedMeanwhile(Conflict):
    """A row changed between being read and being written over: the write was refused so
    nothing is lost; read again and retry."""


class Unreachable(FleetError, ConnectionError):
    """A service the platform runs on (the database) does not answer; the message names it
    (password masked) and why."""
