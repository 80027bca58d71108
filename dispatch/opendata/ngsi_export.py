"""An operator's NGSI-LD export: read the fleet once, build its entities (the same list the file
export, the HTTP export and the push to a context broker send)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from dispatch.opendata.ngsi_context import ENTITY_TYPES, Contexts
from dispatch.opendata.ngsi_entities import fleet_entities
from fleet.catalog import Catalog
from fleet.clock import Clock
from fleet.db.engine import Engine, reading, writing
from fleet.db.ngsi import read_fleet
from fleet.db.stock import charge_docked
from fleet.exceptions import InvalidValue


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
) -> list[dict[str, Any]]:
    """The operator's entities (of ``types`` only, when any are named), each with its
    ``@context``. Raises ``NotFound`` for an unknown operator, ``InvalidValue`` for an
    unknown type."""
    wanted = check_types(types)
    now = clock.now()
    # A docked pack charges from when it was docked: bring the cabinets' packs up to now first,
    # as every reader of stock does (fleet.db.stock), so "charged" means charged now.
    with writing(engine) as conn:
        charge_docked(conn, operator_id, now, catalog)
    with reading(engine) as conn:
        snapshot = read_fleet(conn, operator_id, now)
    entities = fleet_entities(snapshot, contexts)
    if wanted:
        entities = [e for e in entities if e["type"] in wanted]
    return entities
