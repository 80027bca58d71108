"""Operations tasks for crews: rebalance, swap, charge, inspect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fleet.catalog import VehicleClass
from fleet.clock import require_aware
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.statemachine import Machine


class TaskKind(StrEnum):
    """What the crew is asked to do."""

    REBALANCE = "rebalance"
    SWAP = "swap"
    CHARGE = "charge"
    INSPECT = "inspect"


class TaskStatus(StrEnum):
    """A task's life."""

    OPEN = "open"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


_T = TaskStatus
TASK_MACHINE: Machine[TaskStatus] = Machine(
    "ops task status",
    {
        _T.OPEN: frozenset({_T.ASSIGNED, _T.CANCELLED}),
        _T.ASSIGNED: frozenset({_T.OPEN, _T.IN_PROGRESS, _T.CANCELLED}),
        _T.IN_PROGRESS: frozenset({_T.DONE, _T.FAILED}),
        _T.DONE: frozenset(),
        _T.FAILED: frozenset({_T.OPEN}),  # a failed task may be reopened
        _T.CANCELLED: frozenset(),
    },
)

PRIORITY_MIN, PRIORITY_MAX = 1, 5  # 1 is most urgent


@dataclass(frozen=True, slots=True)
class OpsTask:
    """A piece of field work on a vehicle or site."""

    id: str
    operator_id: str
    kind: TaskKind
    priority: int
    status: TaskStatus
    created_at: datetime
    vehicle_id: str | None = None
    site_id: str | None = None
    assignee_id: str | None = None
    note: str = ""
    plan_id: str | None = None
    shift_id: str | None = None
    sequence: int | None = None  # place in the van's route, from 1
    target: Position | None = None  # where the crew does it (a move's drop: where it leaves)
    arrive_at: datetime | None = None  # planned arrival
    reason: str = ""  # why the plan has it, in words
    pack_class: VehicleClass | None = None  # packs loaded at a station, of this class
    packs: int = 0
    pair_sequence: int | None = None  # a move's other half
    is_drop: bool = False  # a move's second half
    gain_trips: float = 0.0
    failure_reason: str | None = None
    version: int = 1

    def __post_init__(self) -> None:
        if not PRIORITY_MIN <= self.priority <= PRIORITY_MAX:
            msg = f"priority must be within {PRIORITY_MIN}–{PRIORITY_MAX}, got {self.priority}"
            raise InvalidValue(msg)
        if self.vehicle_id is None and self.site_id is None:
            msg = "a task concerns a vehicle or a site"
            raise InvalidValue(msg)
        require_aware("created_at", self.created_at)
        if self.packs < 0:
            msg = "a task loads a non-negative number of packs"
            raise InvalidValue(msg)
