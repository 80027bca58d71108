"""A city profile: where the roads come from and what the operator has placed on them.

Profiles are plain data parsed from ``config/cities/*.toml``; geometry missing from a profile is
derived from the road graph by ``routing.city`` and checked against it there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fleet.carbon import EUROPEAN_FACTORS, CarbonFactors
from fleet.catalog import VehicleClass
from fleet.exceptions import InvalidValue
from fleet.geo import Area, Position
from fleet.pricing import Tariff
from fleet.sites import ParkingKind, SiteKind

#: The languages the pages are written in.
LANGUAGES = ("ko", "en")


@dataclass(frozen=True, slots=True)
class SyntheticSpec:
    """Parameters of a generated street network (see ``routing.synthetic``).

    The grid has ``blocks_x × blocks_y`` blocks of ``block_m`` metres; every ``arterial_every``-th
    street is a faster arterial; ``missing_link_pct`` of local links are left out and
    ``oneway_pct`` of local streets are one-way (alternating directions).
    """

    seed: int = 7
    blocks_x: int = 14
    blocks_y: int = 14
    block_m: float = 110.0
    arterial_every: int = 4
    jitter_m: float = 12.0
    missing_link_pct: float = 8.0
    oneway_pct: float = 30.0
    origin: Position = field(default_factory=lambda: Position(37.4786, 126.8646))
    motorways: bool = False  # add a motorway and a motorroad (mode-filter tests)

    def __post_init__(self) -> None:
        if self.blocks_x < 2 or self.blocks_y < 2:
            msg = "a synthetic city needs at least 2×2 blocks"
            raise InvalidValue(msg)
        if self.block_m < 20:
            msg = f"block_m must be at least 20 m, got {self.block_m}"
            raise InvalidValue(msg)
        if self.arterial_every < 2:
            msg = "arterial_every must be at least 2"
            raise InvalidValue(msg)
        for name in ("missing_link_pct", "oneway_pct"):
            if not 0 <= getattr(self, name) <= 60:
                msg = f"{name} must be within 0–60"
                raise InvalidValue(msg)


@dataclass(frozen=True, slots=True)
class OsmSource:
    """Exactly one of: a local OSM file, a place name to download, a synthetic spec."""

    file: Path | None = None
    place: str | None = None
    synthetic: SyntheticSpec | None = None

    def __post_init__(self) -> None:
        given = [x for x in (self.file, self.place, self.synthetic) if x is not None]
        if len(given) != 1:
            msg = "an OSM source is exactly one of: file, place, synthetic"
            raise InvalidValue(msg)

    def describe(self) -> str:
        """One line for logs and ``graph info``."""
        if self.file is not None:
            return f"the local OSM file {self.file}"
        if self.place is not None:
            return f"OpenStreetMap, downloaded by the place name {self.place!r}"
        spec = self.synthetic
        assert spec is not None
        return (
            f"a synthetic street network (seed {spec.seed}, {spec.blocks_x}×{spec.blocks_y} "
            f"blocks of {spec.block_m:g} m)"
        )


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """A site named in a profile; ``position`` ``None`` means: place it on the roads."""

    kind: SiteKind
    name: str
    position: Position | None = None
    capacity: int = 0
    slots: int = 0
    chargers: int = 0
    charger_power_kw: float = 0.0
    parking_kind: ParkingKind | None = None


@dataclass(frozen=True, slots=True)
class DemandSpec:
    """Where a city's demand cells get their prior: a table of real station locations
    (``stations``, the latitude and longitude in columns ``lat_column`` and ``lon_column``
    from 0, tab-separated for ``.tsv``), else the bike network's junctions; and the cells'
    H3 resolution (9: about 0.1 km² a cell)."""

    stations: Path | None = None
    lat_column: int = 0
    lon_column: int = 1
    resolution: int = 9


#: Minutes a crew spends on site per task kind, unless the profile's ``[crews]`` says otherwise.
CREW_SERVICE_S = {"pickup_s": 120, "drop_s": 90, "swap_s": 180, "load_packs_s": 300}


@dataclass(frozen=True, slots=True)
class CityProfile:
    """Everything fleetops needs to know about a city to run in it."""

    name: str
    title: str
    timezone: str
    currency: str
    source: OsmSource
    fleet_mix: Mapping[VehicleClass, float]
    sites: tuple[SiteSpec, ...] = ()
    service_area: Area | None = None
    tariff: Tariff | None = None
    demand: DemandSpec = DemandSpec()
    #: seconds a crew spends per task kind (``CREW_SERVICE_S``'s keys), from ``[crews]``
    crew_service_s: Mapping[str, int] = field(default_factory=lambda: dict(CREW_SERVICE_S))
    #: the language pages open in (``ko`` or ``en``; people may switch): the city's own first
    language: str = "en"
    #: the city's car baseline and grid (``[carbon]``; docs/carbon.md): Europe's when unsaid
    carbon: CarbonFactors = EUROPEAN_FACTORS

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            msg = f"city {self.name!r}: language must be one of {', '.join(LANGUAGES)}"
            raise InvalidValue(msg)
        for key, value in self.crew_service_s.items():
            if key not in CREW_SERVICE_S or not 0 <= value <= 3600:
                msg = (
                    f"[crews] {key} = {value}: the keys are {', '.join(CREW_SERVICE_S)}, each "
                    "0-3600 seconds"
                )
                raise InvalidValue(msg)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"city {self.name!r}: unknown time zone {self.timezone!r}"
            raise InvalidValue(msg) from None
        if len(self.currency) != 3 or not self.currency.isupper():
            msg = f"city {self.name!r}: currency must be an ISO 4217 code, got {self.currency!r}"
            raise InvalidValue(msg)
        if not self.fleet_mix or any(share < 0 for share in self.fleet_mix.values()):
            msg = f"city {self.name!r}: fleet_mix needs non-negative shares"
            raise InvalidValue(msg)
        if sum(self.fleet_mix.values()) <= 0:
            msg = f"city {self.name!r}: fleet_mix shares must add up to more than zero"
            raise InvalidValue(msg)
        if self.tariff is not None and self.tariff.currency != self.currency:
            msg = (
                f"city {self.name!r}: the tariff is in {self.tariff.currency}, not {self.currency}"
            )
            raise InvalidValue(msg)
        for site in self.sites:
            area = self.service_area
            if site.position is not None and area is not None and not area.contains(site.position):
                msg = f"city {self.name!r}: site {site.name!r} is outside the service area"
                raise InvalidValue(msg)

    @property
    def zone(self) -> ZoneInfo:
        """The city's time zone."""
        return ZoneInfo(self.timezone)
