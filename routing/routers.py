"""The routers of one city, one per mode, loaded from the cache on first use."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from fleet.city import OsmSource
from routing.engine import Router
from routing.load import load_network
from routing.modes import Mode


@dataclass(slots=True)
class CityRouters:
    """Lazily loaded :class:`Router` per mode for one OSM source (thread-safe)."""

    source: OsmSource
    cache_dir: Path
    max_snap_distance_m: float
    _routers: dict[Mode, Router] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def loaded(self) -> list[Mode]:
        """The modes whose router is loaded already."""
        return list(self._routers)

    def router(self, mode: Mode) -> Router:
        """The router of ``mode`` (built or reloaded on first use)."""
        found = self._routers.get(mode)
        if found is None:
            with self._lock:
                found = self._routers.get(mode)
                if found is None:
                    network = load_network(self.source, mode, self.cache_dir)
                    found = Router(network, max_snap_distance_m=self.max_snap_distance_m)
                    self._routers[mode] = found
        return found
