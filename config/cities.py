"""City profiles: ``config/cities/<name>.toml`` parsed into :class:`fleet.city.CityProfile`."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from config.exceptions import SettingsError, UnknownCity
from fleet.carbon import EUROPEAN_FACTORS, CarbonFactors
from fleet.catalog import parse_vehicle_class
from fleet.city import CREW_SERVICE_S, CityProfile, DemandSpec, OsmSource, SiteSpec, SyntheticSpec
from fleet.exceptions import InvalidValue
from fleet.geo import Area, Position
from fleet.pricing import Tariff
from fleet.sites import ParkingKind, SiteKind

#: Attributes of sites a profile only counts ("swap_station = 4"): typical of the real thing.
SITE_DEFAULTS: dict[SiteKind, dict[str, Any]] = {
    SiteKind.DEPOT: {},
    SiteKind.SWAP_STATION: {"slots": 12},
    SiteKind.EV_HUB: {"chargers": 4, "charger_power_kw": 7.0, "capacity": 8},
    SiteKind.PARKING: {"capacity": 15, "parking_kind": ParkingKind.VIRTUAL},
}
_SITE_LABEL = {
    SiteKind.DEPOT: "Depot",
    SiteKind.SWAP_STATION: "Swap station",
    SiteKind.EV_HUB: "EV hub",
    SiteKind.PARKING: "Parking",
}


def available_cities() -> list[str]:
    """Names of the profiles shipped in ``config/cities``."""
    folder = resources.files("config").joinpath("cities")
    names = (p.name for p in folder.iterdir())
    return sorted(n.removesuffix(".toml") for n in names if n.endswith(".toml"))


def load_city(name: str, data_dir: Path) -> CityProfile:
    """Parse the profile ``name``; OSM file paths are resolved against ``data_dir``.

    Raises
    ------
    UnknownCity
        When no profile has that name (the message lists the known ones).
    SettingsError
        When the profile is malformed, naming the key.
    """
    if name not in available_cities():
        msg = f"unknown city {name!r}; known cities: {', '.join(available_cities())}"
        raise UnknownCity(msg)
    text = resources.files("config").joinpath("cities", f"{name}.toml").read_text("utf-8")
    try:
        return parse_city(tomllib.loads(text), data_dir)
    except (InvalidValue, KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, SettingsError):
            raise
        msg = f"city profile {name!r} is malformed: {exc}"
        raise SettingsError(msg) from exc


def parse_city(doc: dict[str, Any], data_dir: Path) -> CityProfile:
    """Build a profile from a parsed TOML document (see ``config/cities/*.toml``)."""
    osm = doc["osm"]
    if "file" in osm:
        source = OsmSource(file=(data_dir / osm["file"]).resolve())
    elif "place" in osm:
        source = OsmSource(place=str(osm["place"]))
    elif "synthetic" in osm:
        spec = dict(osm["synthetic"])
        if "origin" in spec:
            lat, lon = spec.pop("origin")
            spec["origin"] = Position(float(lat), float(lon))
        source = OsmSource(synthetic=SyntheticSpec(**spec))
    else:
        msg = "[osm] needs one of: file, place, synthetic"
        raise SettingsError(msg)

    sites: list[SiteSpec] = []
    for raw in doc.get("sites", []):
        kind = SiteKind(raw["kind"])
        attrs = {**SITE_DEFAULTS[kind], **{k: v for k, v in raw.items() if k not in _NOT_ATTRS}}
        if "parking_kind" in attrs:
            attrs["parking_kind"] = ParkingKind(attrs["parking_kind"])
        position = Position(float(raw["lat"]), float(raw["lon"])) if "lat" in raw else None
        sites.append(SiteSpec(kind=kind, name=str(raw["name"]), position=position, **attrs))
    for kind_name, count in doc.get("placement", {}).items():
        kind = SiteKind(kind_name)
        have = sum(1 for s in sites if s.kind is kind)
        for n in range(have + 1, int(count) + 1):
            label = f"{_SITE_LABEL[kind]} {n}"
            sites.append(SiteSpec(kind=kind, name=label, **SITE_DEFAULTS[kind]))

    tariff = None
    if "pricing" in doc:
        pricing = doc["pricing"]
        tariff = Tariff(
            currency=str(doc["currency"]),
            unlock_minor=int(pricing["unlock_minor"]),
            per_minute_minor={
                parse_vehicle_class(k): int(v) for k, v in pricing["per_minute_minor"].items()
            },
        )
    demand = DemandSpec()
    if "demand" in doc:
        raw = doc["demand"]
        stations = (data_dir / raw["stations"]).resolve() if "stations" in raw else None
        demand = DemandSpec(
            stations=stations,
            lat_column=int(raw.get("lat_column", 0)),
            lon_column=int(raw.get("lon_column", 1)),
            resolution=int(raw.get("cell_resolution", 9)),
        )
    area = None
    if "service_area" in doc:
        area = Area.from_ring(doc["service_area"]["ring"])
    return CityProfile(
        name=str(doc["name"]),
        title=str(doc["title"]),
        timezone=str(doc["timezone"]),
        currency=str(doc["currency"]),
        source=source,
        fleet_mix={parse_vehicle_class(k): float(v) for k, v in doc["fleet_mix"].items()},
        sites=tuple(sites),
        service_area=area,
        tariff=tariff,
        demand=demand,
        language=str(doc.get("language", "en")),
        crew_service_s={**CREW_SERVICE_S, **{k: int(v) for k, v in doc.get("crews", {}).items()}},
        carbon=_carbon(doc.get("carbon")),
    )


def _carbon(raw: dict[str, Any] | None) -> CarbonFactors:
    """The ``[carbon]`` section: ``car_g_per_km``, ``grid_g_per_kwh`` and optionally
    ``charging_efficiency_pct``; Europe's factors when there is none."""
    if raw is None:
        return EUROPEAN_FACTORS
    unknown = set(raw) - {"car_g_per_km", "grid_g_per_kwh", "charging_efficiency_pct"}
    if unknown:
        msg = f"[carbon] has unknown keys: {', '.join(sorted(unknown))}"
        raise SettingsError(msg)
    return CarbonFactors(
        car_g_per_km=int(raw["car_g_per_km"]),
        grid_g_per_kwh=int(raw["grid_g_per_kwh"]),
        charging_efficiency_pct=int(raw.get("charging_efficiency_pct", 90)),
    )


_NOT_ATTRS = frozenset({"kind", "name", "lat", "lon"})


DEFAULT_REAL_CITY = "seoul-mapo"


def resolve_city_name(
    requested: str | None, data_dir: Path, named_by: str = "FLEETOPS_CITY"
) -> tuple[str, str]:
    """The city to run and why: the requested one (``named_by`` says who asked for it: an
    option, a variable, a file's key), else seoul-mapo when its OSM file is present, else the
    synthetic city (which needs no data)."""
    if requested:
        if requested not in available_cities():
            known = ", ".join(available_cities())
            msg = f"unknown city {requested!r} ({named_by}); known cities: {known}"
            raise UnknownCity(msg)
        return requested, f"{named_by} names it"
    profile = load_city(DEFAULT_REAL_CITY, data_dir)
    if profile.source.file is not None and profile.source.file.exists():
        return DEFAULT_REAL_CITY, f"FLEETOPS_CITY is unset and {profile.source.file} is present"
    return "synthetic", (
        f"FLEETOPS_CITY is unset and the Seoul extract is not under {data_dir} "
        "(FLEETOPS_DATA_DIR); the synthetic city needs no data"
    )
