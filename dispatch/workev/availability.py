"""Free slots before asking: for one hub and one day in the city's time, how many EVs are free
for each slot and charged enough for the trip, by the same decision a reservation uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dispatch.workev.choice import Slot, margin_wh
from dispatch.workev.reservations import HORIZON, EvService, evs_at, hub_by_id
from fleet.db.engine import reading
from fleet.exceptions import InvalidValue
from fleet.identity import User
from fleet.sites import Site

#: A day as the API takes it.
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: Slot lengths offered (minutes): each divides a day.
SLOT_MINUTES = (15, 30, 60, 120, 180, 240)


@dataclass(frozen=True, slots=True)
class FreeSlot:
    """A slot of the day and the EVs free and charged enough for all of it."""

    start: datetime
    end: datetime
    free_evs: int


def parse_day(value: str) -> date:
    """The day named ``value`` (``YYYY-MM-DD``), or ``InvalidValue`` saying so."""
    try:
        if not DAY.fullmatch(value):  # fromisoformat also takes 20261201 and 2026-W49-2
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        msg = f"date must be a day as YYYY-MM-DD, got {value!r}"
        raise InvalidValue(msg) from None


def free_slots(
    service: EvService,
    user: User,
    hub_id: str,
    day: date,
    *,
    slot_minutes: int = 60,
    planned_distance_m: int = 20_000,
) -> tuple[Site, list[FreeSlot]]:
    """The hub and, for each slot of ``day`` (in the city's zone) not yet over, how many of its
    EVs could be reserved for it with a trip of ``planned_distance_m``.

    Raises
    ------
    InvalidValue
        A day already past or more than a year ahead, a slot length not offered, or a trip
        outside what an EV can drive.
    NotFound
        No such hub.
    """
    now = service.clock.now()
    today = now.astimezone(service.zone).date()
    if not today <= day <= (now + HORIZON).astimezone(service.zone).date():
        msg = f"date must be from today ({today}) to a year ahead, got {day}"
        raise InvalidValue(msg)
    if slot_minutes not in SLOT_MINUTES:
        msg = f"slot_minutes must be one of {', '.join(map(str, SLOT_MINUTES))}"
        raise InvalidValue(msg)
    full_m = service.ev_type.range_full_m
    if not 0 < planned_distance_m <= full_m:
        msg = f"planned_distance_m must be from 1 to {full_m} (an EV's range on a full charge)"
        raise InvalidValue(msg)
    with reading(service.engine) as conn:
        hub = hub_by_id(conn, user.operator_id, hub_id)
        evs = evs_at(conn, user.operator_id, hub, lock=False)
    charging = service.charging(hub)
    midnight = datetime.combine(day, time(0), service.zone)
    slots = []
    for k in range(24 * 60 // slot_minutes):
        start = midnight + timedelta(minutes=k * slot_minutes)
        end = start + timedelta(minutes=slot_minutes)
        if end <= now:
            continue
        wanted = Slot(max(start, now), end, planned_distance_m)
        free = sum(margin_wh(ev, wanted, now, charging) is not None for ev in evs)
        slots.append(FreeSlot(start, end, free))
    return hub, slots
