"""The routers of one city, one per mode, loaded from the cache on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fleet.city import OsmSource
from routing.engine import Router
from routing.load import load_network
from routing.modes import Mode
from routing.network import RoadNetwork

#: Asked on each use of a router: ``(version, edge → factor)`` when a mode's travel-time
#: penalties changed (the road-surface index, ``dispatch.ops.surface.StoredPenalties``), else
#: ``None``. It decides itself how often it looks.
PenaltySource = Callable[[Mode, RoadNetwork], tuple[str, dict[int, float]] | None]


@dataclass(slots=True)
class CityRouters:
    """Lazily loaded :class:`Router` per mode for one OSM source (thread-safe)."""

    source: OsmSource
    cache_dir: Path
    max_snap_distance_m: float
    penalty_source: PenaltySource | None = None
    _routers: dict[Mode, Router] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def loaded(self) -> list[Mode]:
        """The modes whose router is loaded already."""
        return list(self._routers)

    def router(self, mode: Mode) -> Router:
        """The router of ``mode`` (built or reloaded on first use), with the penalties its
        source last gave."""
        found = self._routers.get(mode)
        if found is None:
            with self._lock:
                found = self._routers.get(mode)
                if found is None:
                    network = load_network(self.source, mode, self.cache_dir)
                    found = Router(network, max_snap_distance_m=self.max_snap_distance_m)
                    self._routers[mode] = found
        if self.penalty_source is not None:
            changed = self.penalty_source(mode, found.network)
            if changed is not None:
                found.set_penalties(changed[1])
        return found
