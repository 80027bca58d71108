"""The GBFS files about the rules of riding: geofencing_zones (the rule zones and closures),
system_alerts (closures) and system_pricing_plans (the city tariff). Pure: a
:class:`Snapshot` and its :class:`FeedSetup` in, a file's ``data`` out.

GBFS applies the first zone of the list that a place lies in, so the list runs from the
strictest rule to the mildest: closures, no-ride, no-parking, slow, then the service area;
outside every zone v3's global rule applies (no ride starts or ends outside the service area).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shapely.geometry import MultiPolygon, mapping
from shapely.geometry.polygon import orient

from dispatch.opendata.gbfs_fleet import TYPE_NAMES, plan_id
from dispatch.opendata.gbfs_format import Version, stamp, text
from dispatch.opendata.gbfs_snapshot import FeedSetup, Snapshot
from fleet.pricing import CURRENCY_EXPONENT
from fleet.zones import Zone, ZoneKind

#: (starting, ending, passing through) allowed, by zone kind, strictest first.
RULES: Mapping[ZoneKind, tuple[bool, bool, bool]] = {
    ZoneKind.HAZARD_CLOSURE: (False, False, False),
    ZoneKind.NO_RIDE: (False, False, False),
    ZoneKind.NO_PARKING: (True, False, True),
    ZoneKind.SLOW: (True, True, True),
    ZoneKind.SERVICE_AREA: (True, True, True),
}
_ORDER = {kind: n for n, kind in enumerate(RULES)}

#: Outside every zone (outside the service area): a ride may pass, not start or end.
OUTSIDE = (False, False, True)

_ALERT = {
    "en": ("Road closure: {name}", "No ride may start, end or pass through {name} while it "
           "is closed."),
    "ko": ("도로 통제: {name}", "{name} 통제 중에는 이 구역에서 탑승을 시작하거나 끝내거나 "
           "지나갈 수 없습니다."),
}  # fmt: skip

_PLAN = {
    "en": ("{vehicle}: pay per minute", "{unlock} {currency} to unlock, then {rate} "
           "{currency} for every started minute."),
    "ko": ("{vehicle}: 분당 요금", "잠금 해제 {unlock} {currency}, 이후 시작된 1분마다 "
           "{rate} {currency}."),
}  # fmt: skip


def _rule(version: Version, allowed: tuple[bool, bool, bool]) -> dict[str, Any]:
    start, end, through = allowed
    if version is Version.V2:
        return {"ride_allowed": start and end, "ride_through_allowed": through}
    return {"ride_start_allowed": start, "ride_end_allowed": end, "ride_through_allowed": through}


def _geometry(zone: Zone) -> dict[str, Any]:
    """The zone's area as a GeoJSON MultiPolygon, outer rings counter-clockwise."""
    geometry = zone.area.geometry
    parts = list(geometry.geoms) if isinstance(geometry, MultiPolygon) else [geometry]
    shape = MultiPolygon([orient(p, sign=1.0) for p in parts])
    coords = mapping(shape)["coordinates"]
    return {
        "type": "MultiPolygon",
        "coordinates": [
            [[[round(x, 7), round(y, 7)] for x, y in ring] for ring in polygon]
            for polygon in coords
        ],
    }


def shown_zones(snapshot: Snapshot) -> list[Zone]:
    """The zones the feed lists: those not over yet, strictest rule first (then by name)."""
    now = snapshot.now
    live = [z for z in snapshot.zones if z.active_until is None or z.active_until > now]
    live = [z for z in live if z.active_until is None or z.active_from != z.active_until]
    return sorted(live, key=lambda z: (_ORDER[z.kind], z.name, z.id))


def geofencing_zones(snapshot: Snapshot, setup: FeedSetup, version: Version) -> dict[str, Any]:
    """``geofencing_zones``: every rule zone and closure not over yet, in the order GBFS
    applies them (the first that holds a place wins); a closure or zone with a time window
    carries its start and end."""
    features = []
    for zone in shown_zones(snapshot):
        rule = _rule(version, RULES[zone.kind])
        if zone.kind is ZoneKind.SLOW and zone.speed_limit_kph is not None:
            rule["maximum_speed_kph"] = zone.speed_limit_kph
        properties: dict[str, Any] = {
            "name": text(version, setup.language, zone.name),
            "rules": [rule],
        }
        if zone.active_from is not None:
            properties["start"] = stamp(version, zone.active_from, setup.zone)
        if zone.active_until is not None:
            properties["end"] = stamp(version, zone.active_until, setup.zone)
        features.append({"type": "Feature", "properties": properties, "geometry": _geometry(zone)})
    data: dict[str, Any] = {"geofencing_zones": {"type": "FeatureCollection", "features": features}}
    if version is Version.V3:
        data["global_rules"] = [_rule(version, OUTSIDE)]
    return data


def system_alerts(snapshot: Snapshot, setup: FeedSetup, version: Version) -> dict[str, Any]:
    """``system_alerts``: one per hazard closure in force or to come, with its times."""
    summary, description = _ALERT.get(setup.language, _ALERT["en"])
    alerts = []
    for zone in shown_zones(snapshot):
        if zone.kind is not ZoneKind.HAZARD_CLOSURE:
            continue
        assert zone.active_from is not None and zone.active_until is not None
        alerts.append(
            {
                "alert_id": zone.id,
                "type": "other",
                "times": [
                    {
                        "start": stamp(version, zone.active_from, setup.zone),
                        "end": stamp(version, zone.active_until, setup.zone),
                    }
                ],
                "summary": text(version, setup.language, summary.format(name=zone.name)),
                "description": text(version, setup.language, description.format(name=zone.name)),
            }
        )
    return {"alerts": alerts}


def major(amount_minor: int, currency: str) -> int | float:
    """An amount in the currency's major unit (GBFS prices are decimals: 1000 KRW, 3.75 EUR)."""
    exponent = CURRENCY_EXPONENT[currency]
    return amount_minor if exponent == 0 else amount_minor / 10**exponent


def pricing_plans(snapshot: Snapshot, setup: FeedSetup, version: Version) -> dict[str, Any]:
    """``system_pricing_plans``: per class, the unlock fee as the plan's price and the price
    of every started minute, charged from the first (so a ride pays at least one minute).
    Prices include tax (Korean consumer prices include VAT)."""
    tariff = setup.tariff
    name, description = _PLAN.get(setup.language, _PLAN["en"])
    unlock = major(tariff.unlock_minor, tariff.currency)
    plans = []
    for cls in setup.classes:
        if cls not in tariff.per_minute_minor:
            continue
        rate = major(tariff.per_minute_minor[cls], tariff.currency)
        vehicle = TYPE_NAMES[cls].get(setup.language, TYPE_NAMES[cls]["en"])
        words = {"vehicle": vehicle, "unlock": unlock, "rate": rate, "currency": tariff.currency}
        plans.append(
            {
                "plan_id": plan_id(cls),
                "name": text(version, setup.language, name.format(**words)),
                "currency": tariff.currency,
                "price": unlock,
                "is_taxable": False,
                "description": text(version, setup.language, description.format(**words)),
                "per_min_pricing": [{"start": 0, "rate": rate, "interval": 1}],
            }
        )
    return {"plans": plans}
