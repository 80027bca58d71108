"""How GBFS v3.0 and v2.3 write the same things differently: the envelope every file shares,
times (RFC 3339 strings in v3, POSIX seconds in v2.3), texts (one string per language in v3,
a bare string in v2.3), and each file's ``ttl``. Plain values in, plain dicts out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from fleet.clock import require_aware


class Version(StrEnum):
    """The GBFS versions fleetops publishes."""

    V2 = "2.3"
    V3 = "3.0"


#: The path segment of each version (``/gbfs/v3/...``).
PATH_OF = {Version.V2: "v2", Version.V3: "v3"}

#: The files of each version, in the order discovery lists them (``manifest`` is v3's
#: list of every operator's discovery file and is not per operator).
FILES: Mapping[Version, tuple[str, ...]] = {
    Version.V3: (
        "gbfs",
        "gbfs_versions",
        "system_information",
        "vehicle_types",
        "station_information",
        "station_status",
        "vehicle_status",
        "system_pricing_plans",
        "system_alerts",
        "geofencing_zones",
    ),
    Version.V2: (
        "gbfs",
        "gbfs_versions",
        "system_information",
        "vehicle_types",
        "station_information",
        "station_status",
        "free_bike_status",
        "system_pricing_plans",
        "system_alerts",
        "geofencing_zones",
    ),
}

#: Seconds a consumer may keep each file: what moves with every ride (vehicles, stations,
#: closures and the zones they add) a minute, what a manager changes now and then five, what
#: changes with a release or a new tariff an hour.
TTL_S: Mapping[str, int] = {
    "vehicle_status": 60,
    "free_bike_status": 60,
    "station_status": 60,
    "system_alerts": 60,
    "geofencing_zones": 60,
    "station_information": 300,
    "system_information": 3600,
    "vehicle_types": 3600,
    "system_pricing_plans": 3600,
    "gbfs": 3600,
    "gbfs_versions": 3600,
    "manifest": 3600,
}


def stamp(version: Version, at: datetime, zone: ZoneInfo) -> int | str:
    """``at`` as the version writes a time: RFC 3339 in the city's offset (v3), or POSIX
    seconds (v2.3)."""
    require_aware("at", at)
    if version is Version.V2:
        return int(at.timestamp())
    return at.astimezone(zone).replace(microsecond=0).isoformat()


def text(version: Version, language: str, value: str) -> str | list[dict[str, str]]:
    """A text as the version writes it: localised (v3) or bare (v2.3)."""
    if version is Version.V2:
        return value
    return [{"text": value, "language": language}]


def envelope(
    version: Version, name: str, data: dict[str, Any], now: datetime, zone: ZoneInfo
) -> dict[str, Any]:
    """The whole file ``name``: its data in the header every GBFS file has. The data are read
    when the file is asked for, so ``last_updated`` is that moment."""
    return {
        "last_updated": stamp(version, now, zone),
        "ttl": TTL_S[name],
        "version": str(version),
        "data": data,
    }
