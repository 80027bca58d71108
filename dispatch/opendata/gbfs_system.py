"""The GBFS files about the system and how to find the others: system_information, the
discovery file ``gbfs``, ``gbfs_versions`` and v3's ``manifest`` of every operator; and
:func:`build`, which writes any file of either version whole. Pure: where a file lives is
asked of the ``Links`` the caller hands in."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from dispatch.opendata import gbfs_fleet, gbfs_rules
from dispatch.opendata.gbfs_format import FILES, Version, envelope, text
from dispatch.opendata.gbfs_snapshot import FeedSetup, Snapshot
from fleet.exceptions import NotFound
from fleet.identity import Operator


class Links(Protocol):
    """The absolute URL of an operator's file of a version (``manifest``: the operator is
    ignored)."""

    def __call__(self, version: Version, operator_id: str, name: str) -> str: ...


def system_id(operator: Operator) -> str:
    """The operator's system id: stable for its life, recognisably fleetops'."""
    return f"fleetops-{operator.id}"


def system_information(
    snapshot: Snapshot, setup: FeedSetup, version: Version, links: Links
) -> dict[str, Any]:
    """``system_information``: who runs the system, in which language and time zone, open
    around the clock, and whom to write about the feed."""
    operator, lang = snapshot.operator, setup.language
    data: dict[str, Any] = {
        "system_id": system_id(operator),
        "name": text(version, lang, operator.name),
        "operator": text(version, lang, operator.name),
        "timezone": setup.timezone,
        "feed_contact_email": setup.contact_email,
    }
    if version is Version.V2:
        data["language"] = lang
    else:
        data["languages"] = [lang]
        data["opening_hours"] = "24/7"
        data["manifest_url"] = links(version, operator.id, "manifest")
    return data


def discovery(
    operator: Operator, setup: FeedSetup, version: Version, links: Links
) -> dict[str, Any]:
    """``gbfs``: every file of the operator's feed of this version."""
    feeds = [{"name": name, "url": links(version, operator.id, name)} for name in FILES[version]]
    if version is Version.V2:
        return {setup.language: {"feeds": feeds}}
    return {"feeds": feeds}


def versions(operator: Operator, links: Links) -> dict[str, Any]:
    """``gbfs_versions``: the operator's discovery file of each version, oldest first."""
    return {
        "versions": [
            {"version": str(v), "url": links(v, operator.id, "gbfs")}
            for v in (Version.V2, Version.V3)
        ]
    }


def manifest(
    operators: Sequence[Operator], links: Links, now: datetime, zone: ZoneInfo
) -> dict[str, Any]:
    """v3's ``manifest``: every operator's discovery files, the default operator first."""
    datasets = [
        {
            "system_id": system_id(op),
            "versions": [
                {"version": str(v), "url": links(v, op.id, "gbfs")}
                for v in (Version.V2, Version.V3)
            ],
        }
        for op in operators
    ]
    return envelope(Version.V3, "manifest", {"datasets": datasets}, now, zone)


_Builder = Callable[[Snapshot, FeedSetup, Version], dict[str, Any]]

#: The files computed from the snapshot alone, by name (both versions' names).
_DATA: Mapping[str, _Builder] = {
    "vehicle_types": gbfs_fleet.vehicle_types,
    "vehicle_status": gbfs_fleet.vehicle_status,
    "free_bike_status": gbfs_fleet.vehicle_status,
    "station_information": gbfs_fleet.station_information,
    "station_status": gbfs_fleet.station_status,
    "geofencing_zones": gbfs_rules.geofencing_zones,
    "system_alerts": gbfs_rules.system_alerts,
    "system_pricing_plans": gbfs_rules.pricing_plans,
}


def check_file(version: Version, name: str) -> None:
    """Raise ``NotFound`` naming the files there are unless ``name`` is one of the version's."""
    if name not in FILES[version]:
        known = ", ".join(f"{n}.json" for n in FILES[version])
        msg = f"GBFS {version} has no file {name!r}; its files are: {known}"
        raise NotFound(msg)


def build(
    name: str, snapshot: Snapshot, setup: FeedSetup, version: Version, links: Links
) -> dict[str, Any]:
    """The whole file ``name`` of the version for the snapshot's operator.

    Raises
    ------
    NotFound
        The version has no such file.
    """
    check_file(version, name)
    if name == "gbfs":
        data = discovery(snapshot.operator, setup, version, links)
    elif name == "gbfs_versions":
        data = versions(snapshot.operator, links)
    elif name == "system_information":
        data = system_information(snapshot, setup, version, links)
    else:
        data = _DATA[name](snapshot, setup, version)
    return envelope(version, name, data, snapshot.now, setup.zone)
