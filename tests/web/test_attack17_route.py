"""Attack on ``GET /api/v1/ride-route`` (issue 17), on SQLite and PostgreSQL: hostile queries
answer 4xx in the one error shape, and a route does not hash the whole bike network again (every
request re-hashed the ``repr`` of every edge to compare it with the stored index's network)."""

from __future__ import annotations

import hashlib

from dispatch.ops import surface
from tests.web.test_bookings import available, login

URL = "/api/v1/ride-route"


def _ends(client) -> dict[str, float]:
    bikes = available(client, "e_bike")
    a, b = bikes[0], bikes[-1]
    return {"from_lat": a["lat"], "from_lon": a["lon"], "to_lat": b["lat"], "to_lon": b["lon"]}


def test_hostile_queries_answer_4xx_in_the_error_shape(demo):
    client = demo[0].test_client()
    rider = login(client, "rider1")
    ends = _ends(client)
    for wrong in (
        {**ends, "to_lat": "nan"},
        {**ends, "to_lon": "inf"},
        {**ends, "to_lat": "1e400"},
        {**ends, "to_lat": "abc"},
        {**ends, "from_lat": 0.0, "from_lon": 0.0},
        {**ends, "vehicle_class": ""},
        {**ends, "vehicle_class": "E_BIKE"},
        {**ends, "vehicle_class": "work_ev"},
        {k: v for k, v in ends.items() if k != "from_lat"},
    ):
        r = client.get(URL, query_string=wrong, headers=rider)
        assert r.status_code == 422, (wrong, r.get_json())
        assert set(r.get_json()["error"]) == {"status", "code", "message", "detail"}
    same = {**ends, "to_lat": ends["from_lat"], "to_lon": ends["from_lon"]}
    r = client.get(URL, query_string=same, headers=rider)
    assert r.status_code == 200 and r.get_json()["properties"]["distance_m"] == 0
    assert client.get(URL, query_string=ends).status_code == 401
    for who in ("gateway", "city", "crew1"):
        assert client.get(URL, query_string=ends, headers=login(client, who)).status_code == 403


def test_routes_do_not_hash_the_network_each_time(demo, monkeypatch):
    client = demo[0].test_client()
    rider = login(client, "rider1")
    ends = _ends(client)
    platform = demo[0].extensions["fleetops"]
    surface.refresh(platform.engine, platform.clock, platform.routers)  # a stored index to compare
    hashed: list[int] = []

    class Counting:
        @staticmethod
        def sha256(data: bytes = b""):
            hashed.append(1)
            return hashlib.sha256(data)

    monkeypatch.setattr(surface, "hashlib", Counting)
    for _ in range(3):
        r = client.get(URL, query_string=ends, headers=rider)
        assert r.status_code == 200, r.get_json()
    assert len(hashed) <= 1
