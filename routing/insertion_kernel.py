"""The cheapest-insertion search as a compiled kernel (numba, no GIL held).

Trying a job's pickup and drop-off at every pair of positions of a plan, and driving each trial
through the plan's rules, is cubic in the plan's length: in Python it took seconds per post at
20 couriers of 50 stops each, and held the interpreter meanwhile (every other request of the
process waited). Here the same search runs on plain arrays, in the same order, with the same
tie-break (the first cheapest in pickup-then-drop-off order), so it picks the very insertion
the readable version in ``dispatch.couriers.insertion`` would.

A plan is described by int64 arrays of its stops (``place``, ``opens_us``, ``closes_us`` in
microseconds since the epoch, so that times compare exactly as datetimes do, ``load_l``, ``swap``
1 for a swap stop, ``range_after_m`` -1 for none) and the courier's state (an int64 vector: see
``STATE_*``; durations in seconds).
"""

from __future__ import annotations

import numba as nb
import numpy as np

#: Indices of the courier's state vector (int64).
STATE_PLACE = 0
STATE_NOW_US = 1
STATE_SHIFT_END_US = 2
STATE_CAPACITY_L = 3
STATE_ON_BOARD_L = 4
STATE_TRACK_CHARGE = 5  # 1: the battery's range bounds the plan
STATE_RANGE_M = 6
STATE_RESERVE_M = 7
STATE_SERVICE_S = 8
STATE_SWAP_S = 9
STATE_SIZE = 10
#: Microseconds in a second.
US = 1_000_000

#: What the kernel returns when nothing fits.
NONE = -1


@nb.njit(cache=True, nogil=True)
def _drive(
    i,
    j,
    place,
    opens_us,
    closes_us,
    load_l,
    swap,
    range_after_m,
    new_stop,
    durations,
    distances,
    state,
):
    """Driving seconds of the plan with the pickup (``new_stop[0]``) at ``i`` and the drop-off
    (``new_stop[1]``) at ``j`` (positions in the original plan, ``i <= j``), or -1 when a rule
    breaks."""
    n = place.shape[0]
    t = state[STATE_NOW_US]
    here = state[STATE_PLACE]
    load = state[STATE_ON_BOARD_L]
    charge = state[STATE_RANGE_M]
    track = state[STATE_TRACK_CHARGE] == 1 and distances.shape[0] > 0
    driving = np.int64(0)
    for m in range(n + 2):
        if m < i:
            s, extra = m, -1
        elif m == i:
            s, extra = -1, 0
        elif m <= j:
            s, extra = m - 1, -1
        elif m == j + 1:
            s, extra = -1, 1
        else:
            s, extra = m - 2, -1
        if extra >= 0:
            p, o, c = new_stop[extra, 0], new_stop[extra, 1], new_stop[extra, 2]
            ld, sw, after = new_stop[extra, 3], np.int64(0), np.int64(-1)
        else:
            p, o, c = place[s], opens_us[s], closes_us[s]
            ld, sw, after = load_l[s], swap[s], range_after_m[s]
        leg = durations[here, p]
        driving += leg
        if track:
            charge -= distances[here, p]
            if charge < (0 if sw == 1 else state[STATE_RESERVE_M]):
                return -1
        t = max(t + leg * US, o)
        if t > c:
            return -1
        load += ld
        if load < 0 or load > state[STATE_CAPACITY_L]:
            return -1
        if sw == 1:
            if track and after >= 0:
                charge = max(charge, after)
            driving += state[STATE_SWAP_S]
            t += state[STATE_SWAP_S] * US
        else:
            t += state[STATE_SERVICE_S] * US
        here = p
    if t > state[STATE_SHIFT_END_US]:
        return -1
    return driving


@nb.njit(cache=True, nogil=True)
def best_pair(
    place,
    opens_us,
    closes_us,
    load_l,
    swap,
    range_after_m,
    new_stop,
    durations,
    distances,
    state,
    earliest,
):
    """``(driving_s, i, j)`` of the cheapest feasible insertion with the pickup at ``i >=
    earliest`` and the drop-off at ``j >= i``, or ``(-1, -1, -1)``."""
    n = place.shape[0]
    best, best_i, best_j = np.int64(-1), -1, -1
    for i in range(earliest, n + 1):
        for j in range(i, n + 1):
            d = _drive(
                i,
                j,
                place,
                opens_us,
                closes_us,
                load_l,
                swap,
                range_after_m,
                new_stop,
                durations,
                distances,
                state,
            )
            if d >= 0 and (best < 0 or d < best):
                best, best_i, best_j = d, i, j
    return best, best_i, best_j


def warm() -> None:
    """Compile :func:`best_pair` (or load it from numba's cache) for the array types
    ``dispatch.couriers.insertion`` passes, so a merchant's first post does not pay for it."""
    column = np.zeros(0, dtype=np.int64)
    best_pair(
        column,
        column.copy(),
        column.copy(),
        column.copy(),
        column.copy(),
        column.copy(),
        np.zeros((2, 4), dtype=np.int64),
        np.zeros((2, 2), dtype=np.int64),
        np.zeros((2, 2), dtype=np.int64),
        np.zeros(STATE_SIZE, dtype=np.int64),
        0,
    )
