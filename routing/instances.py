"""Reading vehicle-routing benchmark instances: Solomon (VRPTW) and Li & Lim (PDPTW).

Formats as published (see ../shared/data/vrp and its PROVENANCE.md). Distances follow each
family's convention in ``vrp/bks.csv``: Solomon arcs are Euclidean truncated to one decimal;
Li & Lim arcs are Euclidean in double precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Family(StrEnum):
    """Benchmark families and their objective."""

    SOLOMON = "solomon"  # VRPTW: minimise total distance
    LILIM = "lilim"  # PDPTW: minimise vehicles, then distance


class InstanceError(ValueError):
    """An instance file that cannot be read."""


@dataclass(frozen=True, slots=True)
class Instance:
    """A benchmark instance. Node 0 is the depot; ``ids[i]`` is node i's id in the file."""

    name: str
    family: Family
    vehicles: int
    capacity: int
    x: tuple[float, ...]
    y: tuple[float, ...]
    demand: tuple[int, ...]
    ready: tuple[int, ...]
    due: tuple[int, ...]
    service: tuple[int, ...]
    ids: tuple[int, ...]
    #: (pickup node, delivery node) pairs (Li & Lim only).
    pairs: tuple[tuple[int, int], ...] = ()

    @property
    def n(self) -> int:
        """Number of nodes, depot included."""
        return len(self.x)

    def distance(self, i: int, j: int) -> float:
        """The family's arc length from node i to node j."""
        d = math.hypot(self.x[i] - self.x[j], self.y[i] - self.y[j])
        if self.family is Family.SOLOMON:
            return math.floor(d * 10) / 10
        return d


def read_instance(path: Path) -> Instance:
    """Read a Solomon or Li & Lim file (told apart by their layout).

    Raises
    ------
    InstanceError
        Naming what is wrong with the file.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"cannot read {path}: {exc.strerror or exc}"
        raise InstanceError(msg) from None
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    if not lines:
        msg = f"{path.name} is empty"
        raise InstanceError(msg)
    try:
        if len(lines) > 4 and lines[1] == ["VEHICLE"]:
            return _solomon(path, lines)
        if len(lines[0]) == 3 and all(len(row) == 9 for row in lines[1:]):
            return _lilim(path, lines)
    except (ValueError, IndexError) as exc:
        msg = f"{path.name} is not a valid instance: {exc}"
        raise InstanceError(msg) from None
    msg = f"{path.name} is neither a Solomon (VRPTW) nor a Li & Lim (PDPTW) instance"
    raise InstanceError(msg)


def _solomon(path: Path, lines: list[list[str]]) -> Instance:
    name = lines[0][0]
    vehicles, capacity = int(lines[3][0]), int(lines[3][1])
    rows = [row for row in lines[4:] if row[0].isdigit() and len(row) == 7]
    return Instance(
        name=name,
        family=Family.SOLOMON,
        vehicles=vehicles,
        capacity=capacity,
        x=tuple(float(r[1]) for r in rows),
        y=tuple(float(r[2]) for r in rows),
        demand=tuple(int(r[3]) for r in rows),
        ready=tuple(int(r[4]) for r in rows),
        due=tuple(int(r[5]) for r in rows),
        service=tuple(int(r[6]) for r in rows),
        ids=tuple(int(r[0]) for r in rows),
    )


def _lilim(path: Path, lines: list[list[str]]) -> Instance:
    vehicles, capacity = int(lines[0][0]), int(lines[0][1])
    rows = lines[1:]
    ids = [int(r[0]) for r in rows]
    if ids != list(range(len(rows))):
        msg = "node ids must run 0, 1, 2, ... with the depot first"
        raise ValueError(msg)
    pairs = []
    for i, r in enumerate(rows):
        pickup_of, delivery_of = int(r[7]), int(r[8])
        if i > 0 and pickup_of == 0:  # a pickup names its delivery
            if int(rows[delivery_of][7]) != i:
                msg = f"pickup {i} and delivery {delivery_of} do not name each other"
                raise ValueError(msg)
            pairs.append((i, delivery_of))
    return Instance(
        name=path.name.split(".")[0],
        family=Family.LILIM,
        vehicles=vehicles,
        capacity=capacity,
        x=tuple(float(r[1]) for r in rows),
        y=tuple(float(r[2]) for r in rows),
        demand=tuple(int(r[3]) for r in rows),
        ready=tuple(int(r[4]) for r in rows),
        due=tuple(int(r[5]) for r in rows),
        service=tuple(int(r[6]) for r in rows),
        ids=tuple(ids),
        pairs=tuple(pairs),
    )
