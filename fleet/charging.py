"""How a pack charges in a swap station: constant power to :data:`TAPER_PCT`, half that power
above it (the constant-voltage taper of lithium-ion charging). Pure arithmetic on the catalog's
figures; the station's packs are brought up to date with it whenever they are read for a plan
or a swap (``fleet.db.stock``)."""

from __future__ import annotations

from datetime import datetime

from fleet.catalog import VehicleType
from fleet.clock import require_aware

#: Above this charge a pack charges at half power.
TAPER_PCT = 80.0


def pct_per_hour(kind: VehicleType) -> float:
    """Percent of a pack of ``kind`` charged per hour at full power (0 if it has no charger)."""
    return kind.pack_charger_w / kind.battery_wh * 100 if kind.pack_charger_w else 0.0


def charged_soc(soc_pct: float, since: datetime, now: datetime, kind: VehicleType) -> float:
    """The charge of a pack docked at ``soc_pct`` at ``since``, at ``now`` (never above 100,
    never below where it started; a clock that went back charges nothing)."""
    require_aware("since", since)
    require_aware("now", now)
    hours = max((now - since).total_seconds(), 0.0) / 3600
    rate = pct_per_hour(kind)
    if rate <= 0 or hours <= 0 or soc_pct >= 100:
        return soc_pct
    soc = soc_pct
    if soc < TAPER_PCT:
        to_taper_h = (TAPER_PCT - soc) / rate
        if hours <= to_taper_h:
            return soc + rate * hours
        soc, hours = TAPER_PCT, hours - to_taper_h
    return min(100.0, soc + rate / 2 * hours)


def hours_to(soc_pct: float, target_pct: float, kind: VehicleType) -> float:
    """Hours a docked pack needs from ``soc_pct`` to ``target_pct`` (``inf`` without charger)."""
    rate = pct_per_hour(kind)
    if target_pct <= soc_pct:
        return 0.0
    if rate <= 0:
        return float("inf")
    below = max(0.0, min(target_pct, TAPER_PCT) - soc_pct) / rate
    above = max(0.0, target_pct - max(soc_pct, TAPER_PCT)) / (rate / 2)
    return below + above
