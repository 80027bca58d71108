"""An operator's NGSI-LD export: read the fleet once, build its entities (the same list the file
export, the HTTP export and the push to a context broker send), and the city's road-surface
index as road segments when the caller hands its routers in."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from dispatch.opendata.ngsi_context import ENTITY_TYPES, Contexts
from dispatch.opendata.ngsi_entities import fleet_entities
from dispatch.opendata.ngsi_roads import TYPE as ROAD_TYPE
from dispatch.opendata.ngsi_roads import road_entities
from dispatch.ops.surface_map import surface_map
from fleet.catalog import Catalog
from fleet.clock import Clock
from fleet.db.engine import Engine, reading, writing
from fleet.db.ngsi import read_fleet
from fleet.db.stock import charge_docked
from fleet.exceptions import InvalidValue
from routing.routers import CityRouters


def check_types(types: Collection[str]) -> frozenset[str]:
    """``types`` if each is an entity type of the export, else ``InvalidValue`` naming them."""
    unknown = sorted(set(types) - set(ENTITY_TYPES))
    if unknown:
        msg = f"unknown entity type {', '.join(unknown)}; types: {', '.join(ENTITY_TYPES)}"
        raise InvalidValue(msg)
    return frozenset(types)


def export_entities(
    engine: Engine,
    clock: Clock,
    catalog: Catalog,
    operator_id: str,
    contexts: Contexts,
    types: Collection[str] = (),
    *,
    routers: CityRouters | None = None,
    city: str = "city",
) -> list[dict[str, Any]]:
    """The operator's entities (of ``types`` only, when any are named), each with its
    ``@context``; with ``routers``, also the road-surface index of ``city`` on their bike
    network (the city's, the same in every operator's export). Raises ``NotFound`` for an
    unknown operator, ``InvalidValue`` for an unknown type."""
    wanted = check_types(types)
    now = clock.now()
    # A docked pack charges from when it was docked: bring the cabinets' packs up to now first,
    # as every reader of stock does (fleet.db.stock), so "charged" means charged now.
    with writing(engine) as conn:
        charge_docked(conn, operator_id, now, catalog)
    with reading(engine) as conn:
        snapshot = read_fleet(conn, operator_id, now)
    entities = fleet_entities(snapshot, contexts)
    if routers is not None and (not wanted or ROAD_TYPE in wanted):
        entities += road_entities(city, surface_map(engine, routers), contexts)
    if wanted:
        entities = [e for e in entities if e["type"] in wanted]
    return entities


#: Entities per page when a caller names no ``limit``, and the most it may name (NGSI-LD leaves
#: both to the implementation; Orion-LD's are 20 and 1000, ours answer 100 ≈ 100 kB a page).
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class EntityPage:
    """``entities[offset : offset + limit]`` of the export ordered by type, then id, and
    ``total``: how many there are in all (of the types asked for)."""

    entities: list[dict[str, Any]]
    total: int
    offset: int
    limit: int

    def __post_init__(self) -> None:
        if self.offset < 0 or not 0 <= self.limit <= MAX_LIMIT:
            msg = f"a page needs offset >= 0 and 0 <= limit <= {MAX_LIMIT}"
            raise InvalidValue(msg)

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts, ``None`` on the last page (or a count-only page)."""
        end = self.offset + self.limit
        return end if self.limit and end < self.total else None

    @property
    def prev_offset(self) -> int | None:
        """Where the page before starts, ``None`` on the first page (or a count-only page)."""
        return max(0, self.offset - self.limit) if self.limit and self.offset else None


def page_of(entities: list[dict[str, Any]], offset: int, limit: int) -> EntityPage:
    """The page at ``offset`` of at most ``limit`` entities, ordered by type then id: an order
    that does not depend on how the export was built, so pages of an unchanged fleet neither
    repeat nor skip an entity (ids are unique within a type)."""
    ordered = sorted(entities, key=lambda e: (e["type"], e["id"]))
    return EntityPage(ordered[offset : offset + limit], len(ordered), offset, limit)


def export_page(
    engine: Engine,
    clock: Clock,
    catalog: Catalog,
    operator_id: str,
    contexts: Contexts,
    types: Collection[str] = (),
    *,
    offset: int = 0,
    limit: int = DEFAULT_LIMIT,
    routers: CityRouters | None = None,
    city: str = "city",
) -> EntityPage:
    """One page of ``export_entities`` (NGSI-LD's ``offset`` and ``limit``). The export is
    built whole and sliced: a parking station's counts need every vehicle, so a page cannot be
    read alone; building is O(n) and the sort O(n log n), once per request."""
    found = export_entities(
        engine, clock, catalog, operator_id, contexts, types, routers=routers, city=city
    )
    return page_of(found, offset, limit)
