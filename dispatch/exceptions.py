"""Dispatch errors: why a request could not be served."""

from __future__ import annotations

from typing import Any

from fleet.exceptions import Conflict, FleetError, InvalidValue


class NoVehicleAvailable(FleetError, LookupError):
    """No vehicle fits the request; the message says what was missing."""


class DestinationUnreachable(InvalidValue):
    """No road of the vehicle's mode leads to the destination."""


class NotYourBooking(FleetError, PermissionError):
    """A rider acted on someone else's booking."""


class ParkingRefused(InvalidValue):
    """A trip may not end here; ``suggestion`` names the nearest allowed spot, if any."""

    def __init__(self, message: str, suggestion: dict[str, Any] | None = None) -> None:
        self.suggestion = suggestion
        super().__init__(message)


class OpenBookingExists(Conflict):
    """The rider already has a held or active booking; ``detail`` names it."""

    def __init__(self, message: str, booking_id: str) -> None:
        self.detail = {"open_booking_id": booking_id}
        super().__init__(message)


class TooManySignIns(FleetError, PermissionError):
    """Too many wrong passwords for a username or from an address: ``retry_after_s`` until
    sign-in is open to them again."""

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        #: The wait in whole minutes (at least one), for people.
        self.minutes = max(round(retry_after_s / 60), 1)
        super().__init__(
            "too many wrong passwords for this username or from this address: try again in "
            f"{self.minutes} min"
        )


class SampleRefused(InvalidValue):
    """A sample of a telemetry batch cannot be stored, so none of the batch is: ``detail``
    names the sample (its place in the batch and its id) and the ``problem``."""

    def __init__(self, message: str, index: int, sample_id: str, problem: str) -> None:
        self.detail = {"index": index, "sample_id": sample_id, "problem": problem}
        super().__init__(message)
