"""Which work EV a reservation gets: the pure decision, on plain data.

An EV fits a slot when it is free for the whole slot and its charge — what it has now, plus what
its hub's charger adds while it is plugged in, minus the trips booked before — covers the planned
distance with the reserve margin, without making any later reservation of that EV fall short.
The charger counts only while the EV is plugged in: from when it was plugged in (status
``charging``) and after each return (staff plug it in when they bring it back). An EV standing
unplugged gains nothing before its next trip, however long the wait. Among the EVs that fit, the
one with the least energy to spare is chosen (best fit), keeping the fullest EVs for the longest
trips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fleet.catalog import VehicleType

#: Share of the charger's energy that reaches the battery (AC charging losses; an assumption).
CHARGE_EFFICIENCY = 0.9


@dataclass(frozen=True, slots=True)
class Slot:
    """A booked or wanted use of an EV."""

    start: datetime
    end: datetime
    planned_distance_m: int
    reservation_id: str | None = None


@dataclass(frozen=True, slots=True)
class EvState:
    """An EV as the decision sees it: its charge now and its booked slots."""

    vehicle_id: str
    soc_pct: float
    slots: tuple[Slot, ...]
    plugged_in_since: datetime | None = None  # charging at the hub since then (soc_pct then)


@dataclass(frozen=True, slots=True)
class Charging:
    """What an EV's timeline depends on besides its slots: the EV type, the hub's charger
    power and the reserve every trip keeps."""

    ev_type: VehicleType
    charger_kw: float
    reserve_pct: int


def trip_energy_wh(ev_type: VehicleType, distance_m: int) -> float:
    """Energy a planned trip uses."""
    return distance_m / 1000 * ev_type.energy_wh_per_km


def _charged_wh(charging: Charging, hours: float) -> float:
    return charging.charger_kw * 1000 * max(0.0, hours) * CHARGE_EFFICIENCY


def charge_pct_at(ev: EvState, at: datetime, charging: Charging) -> float:
    """The EV's charge at ``at`` before its next trip: its reading, plus what the charger added
    since it was plugged in (none if it is not), capped at full."""
    battery = charging.ev_type.battery_wh
    energy = ev.soc_pct / 100 * battery
    if ev.plugged_in_since is not None:
        energy += _charged_wh(charging, (at - ev.plugged_in_since).total_seconds() / 3600)
    return round(min(100.0, energy / battery * 100), 1)


def margin_wh(ev: EvState, wanted: Slot, now: datetime, charging: Charging) -> float | None:
    """Energy to spare at the wanted slot's start if it is added to the EV's timeline, or
    ``None`` when the EV is busy then or some slot (this or a later one) would fall short."""
    if any(s.start < wanted.end and wanted.start < s.end for s in ev.slots):
        return None
    kind = charging.ev_type
    energy = ev.soc_pct / 100 * kind.battery_wh
    plugged = ev.plugged_in_since  # when the charger last started adding energy, if it does
    spare: float | None = None
    for slot in sorted((*ev.slots, wanted), key=lambda s: s.start):
        if slot.end <= now:
            continue
        if plugged is not None:
            hours = (slot.start - plugged).total_seconds() / 3600
            energy = min(float(kind.battery_wh), energy + _charged_wh(charging, hours))
        used = trip_energy_wh(kind, slot.planned_distance_m)
        need = used * (100 + charging.reserve_pct) / 100
        if energy < need:
            return None
        if slot is wanted:
            spare = energy - need
        energy -= used
        plugged = max(now, slot.end)  # plugged in again when it comes back
    return spare


def choose_ev(
    evs: Sequence[EvState], wanted: Slot, now: datetime, charging: Charging
) -> str | None:
    """The best-fitting EV for the slot, or ``None``."""
    fits = [
        (m, ev.vehicle_id) for ev in evs if (m := margin_wh(ev, wanted, now, charging)) is not None
    ]
    return min(fits)[1] if fits else None
