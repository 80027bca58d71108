"""Attack on the distance ridden (issue 17), on SQLite and PostgreSQL: a GPS jump of several
fixes in a row (a unit's fix stuck far off for a few seconds in an urban canyon, or a stale fix
from before the unlock) must not lengthen the ride nor flag it implausible."""

from __future__ import annotations

from datetime import timedelta

from fleet.geo import Position
from fleet.zones import ZoneKind, first_inside
from tests.web.test_ride_distance import (  # noqa: F401  (city is a fixture)
    _node,
    book_and_unlock,
    city,
    end,
    out_and_back,
    post_track,
)

#: Fixes in a row placed far off: more than the two a jump was tested with.
STUCK = 5


def _far(town, start: Position) -> Position:
    """The network's node farthest from ``start`` inside the service area."""
    net = town["router"].network
    areas = [z for z in town["zones"] if z.kind is ZoneKind.SERVICE_AREA]
    return max(
        (_node(net, i) for i in range(net.n_nodes) if first_inside(areas, _node(net, i))),
        key=start.distance_m,
    )


def _ride_stuck_at(town, clock, where: int) -> tuple[dict, float]:
    """The out-and-back ride with its fixes ``where`` to ``where + STUCK`` (1 Hz) far off."""
    samples, true_m = out_and_back(town)
    start = Position(samples[0][0], samples[0][1])
    far = _far(town, start)
    assert start.distance_m(far) > 1000
    stuck = [(far.lat, far.lon, t) for _la, _lo, t in samples[where : where + STUCK]]
    track = [*samples[:where], *stuck, *samples[where + STUCK :]]
    booking, unlocked = book_and_unlock(town, start)
    clock.advance(int(samples[-1][2]) + 5)
    post_track(town, booking["vehicle"]["id"], track, unlocked + timedelta(seconds=1), "j")
    return end(town, booking, start), true_m


def test_a_fix_stuck_far_off_for_seconds_mid_ride_does_not_lengthen_it(city, clock):  # noqa: F811
    samples, _true_m = out_and_back(city)
    done, true_m = _ride_stuck_at(city, clock, len(samples) // 3)
    d = done["receipt"]["distance_m"]
    assert done["ridden"]["method"] == "map_matched"
    assert done["receipt"]["implausible"] is False, done["receipt"]["flag"]
    assert abs(d - true_m) <= 0.05 * true_m, (d, true_m)


def test_a_stale_fix_at_unlock_does_not_lengthen_the_ride(city, clock):  # noqa: F811
    done, true_m = _ride_stuck_at(city, clock, 0)
    d = done["receipt"]["distance_m"]
    assert done["receipt"]["implausible"] is False, done["receipt"]["flag"]
    assert abs(d - true_m) <= 0.05 * true_m, (d, true_m)


def test_a_fix_stuck_far_off_as_the_ride_ends_does_not_lengthen_it(city, clock):  # noqa: F811
    samples, _true_m = out_and_back(city)
    done, true_m = _ride_stuck_at(city, clock, len(samples) - STUCK)
    d = done["receipt"]["distance_m"]
    assert done["receipt"]["implausible"] is False, done["receipt"]["flag"]
    assert abs(d - true_m) <= 0.05 * true_m, (d, true_m)
