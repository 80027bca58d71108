"""The web's planner threads run the work handed to them at a lower CPU priority."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from web import planners


def test_planning_runs_on_a_lower_priority_thread_and_hands_back_results_and_errors():
    base = os.getpriority(os.PRIO_PROCESS, 0)
    where = planners.plan(
        lambda: (threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, 0))
    )
    assert where[0].startswith("planner")
    if sys.platform == "linux":  # per-thread niceness is Linux's
        assert where[1] == min(base + planners.PLANNER_NICE, 19)
    assert os.getpriority(os.PRIO_PROCESS, 0) == base  # the request thread is untouched

    def fails() -> None:
        msg = "no courier"
        raise LookupError(msg)

    with pytest.raises(LookupError, match="no courier"):
        planners.plan(fails)
