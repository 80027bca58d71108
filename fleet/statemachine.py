"""A small, explicit transition table shared by every status machine of the domain."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from fleet.exceptions import IllegalTransition

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class Machine(Generic[S]):
    """The legal transitions of one status type.

    Parameters
    ----------
    name
        Shown in errors ("vehicle status cannot go from ...").
    table
        For each status, the statuses it may move to. Every status must be a key.
    """

    name: str
    table: Mapping[S, frozenset[S]]

    def __post_init__(self) -> None:
        statuses = set(self.table)
        for source, targets in self.table.items():
            if source in targets:
                msg = f"{self.name}: {source} lists itself as a transition"
                raise ValueError(msg)
            unknown = targets - statuses
            if unknown:
                msg = f"{self.name}: {source} leads to statuses without a row: {unknown}"
                raise ValueError(msg)

    def allowed(self, current: S) -> frozenset[S]:
        """Statuses reachable from ``current`` in one step."""
        return self.table[current]

    def can(self, current: S, target: S) -> bool:
        """Whether ``current → target`` is legal."""
        return target in self.table[current]

    def check(self, current: S, target: S) -> S:
        """Return ``target`` if ``current → target`` is legal, else raise ``IllegalTransition``."""
        if target not in self.table[current]:
            raise IllegalTransition(
                self.name, str(current), str(target), frozenset(map(str, self.table[current]))
            )
        return target

    def terminal(self) -> frozenset[S]:
        """Statuses with no way out."""
        return frozenset(s for s, targets in self.table.items() if not targets)
