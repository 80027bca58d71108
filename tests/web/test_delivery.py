"""Delivery jobs through the API on the seeded demo: post, insert, track, route, refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.web.test_bookings import available, login, snapshot


@pytest.fixture
def demo_client(demo):
    """A test client of the demo app."""
    return demo[0].test_client()


def window(clock, start_h: float, end_h: float) -> dict[str, str]:
    return {
        "start": (clock.now() + timedelta(hours=start_h)).isoformat(),
        "end": (clock.now() + timedelta(hours=end_h)).isoformat(),
    }


def job(client, clock, **over):
    bikes = available(client, "e_bike")
    body = {
        "pickup": {"lat": bikes[0]["lat"], "lon": bikes[0]["lon"]},
        "dropoff": {"lat": bikes[-1]["lat"], "lon": bikes[-1]["lon"]},
        "pickup_window": window(clock, 0, 1),
        "dropoff_window": window(clock, 0, 2),
        "parcel_l": 20,
    }
    return {**body, **over}


def test_a_posted_job_is_planned_and_tracked(demo_client, clock):
    merchant = login(demo_client, "merchant1")
    r = demo_client.post("/api/v1/delivery-jobs", headers=merchant, json=job(demo_client, clock))
    assert r.status_code == 201, r.get_json()
    posted = r.get_json()
    assert posted["status"] == "assigned" and posted["courier_id"]
    assert len(posted["proof_code"]) == 6 and len(posted["tracking_url"]) > 30
    seen = demo_client.get(posted["tracking_api_url"]).get_json()
    assert seen["status"] == "assigned"
    assert seen["pickup_eta"] < seen["dropoff_eta"] <= seen["dropoff_window"][1]
    assert seen["dropoff_eta"].endswith("+09:00")
    # a second job joins some courier's plan; every plan keeps pickups before drop-offs
    second = demo_client.post(
        "/api/v1/delivery-jobs", headers=merchant, json=job(demo_client, clock, parcel_l=10)
    ).get_json()
    assert second["status"] == "assigned"
    for n in range(1, 6):
        route = demo_client.get(
            "/api/v1/couriers/me/route", headers=login(demo_client, f"courier{n}")
        ).get_json()
        kinds = {}
        for stop in route["stops"]:
            kinds.setdefault(stop["job_id"], []).append(stop["kind"])
        assert all(k == ["pickup", "dropoff"] for k in kinds.values())
        etas = [s["eta"] for s in route["stops"]]
        assert etas == sorted(etas)
        if route["stops"]:
            assert route["next_stop"] == route["stops"][0]


def test_bad_jobs_are_refused_and_store_nothing(demo_client, demo, clock):
    merchant = login(demo_client, "merchant1")
    engine = demo[0].extensions["fleetops"].engine
    state = snapshot(engine)
    cases = [
        ({"parcel_l": 500}, "larger than any courier's box"),
        ({"pickup_window": window(clock, -3, -2)}, "in the past"),
        (
            {"pickup_window": window(clock, 0.08, 1), "dropoff_window": window(clock, 0, 0.1)},
            "closes before the parcel can get there",
        ),
        ({"dropoff": {"lat": 37.0, "lon": 127.5}}, "the drop-off (37.000000, 127.500000)"),
    ]
    for change, words in cases:
        r = demo_client.post(
            "/api/v1/delivery-jobs", headers=merchant, json=job(demo_client, clock, **change)
        )
        assert r.status_code == 422, (change, r.get_json())
        assert words in r.get_json()["error"]["message"]
    r = demo_client.post(
        "/api/v1/delivery-jobs", headers=login(demo_client, "rider1"), json=job(demo_client, clock)
    )
    assert r.status_code == 403
    assert demo_client.get("/api/v1/track/not-a-real-code").status_code == 404
    assert snapshot(engine) == state


def test_an_impossible_job_comes_back_unassigned_with_the_reason(demo_client, clock):
    merchant = login(demo_client, "merchant1")
    clock.advance(8.9 * 3600)  # 17:54: every shift ends at 18:00
    r = demo_client.post(
        "/api/v1/delivery-jobs",
        headers=merchant,
        json=job(
            demo_client,
            clock,
            pickup_window=window(clock, 0.2, 1),
            dropoff_window=window(clock, 0, 2),
        ),
    )
    assert r.status_code == 201
    posted = r.get_json()
    assert posted["status"] == "unassigned" and "in time" in posted["reason"]
    seen = demo_client.get(posted["tracking_api_url"]).get_json()
    assert seen["status"] == "unassigned" and seen["pickup_eta"] is None


def courier_headers(client, courier_id, *, other: bool = False):
    """Headers of the demo courier with this user id (``other``: of a different courier)."""
    for n in range(1, 6):
        headers = login(client, f"courier{n}")
        mine = client.get("/api/v1/me", headers=headers).get_json()["id"] == courier_id
        if mine != other:
            return headers
    msg = "no demo courier fits"
    raise AssertionError(msg)


def test_courier_picks_up_and_delivers_with_the_proof_code(demo_client, demo, clock):
    merchant = login(demo_client, "merchant1")
    posted = demo_client.post(
        "/api/v1/delivery-jobs", headers=merchant, json=job(demo_client, clock)
    ).get_json()
    courier = courier_headers(demo_client, posted["courier_id"])
    other = next(
        login(demo_client, f"courier{n}")
        for n in range(1, 6)
        if login(demo_client, f"courier{n}") != courier
    )
    base = f"/api/v1/couriers/me/jobs/{posted['id']}"
    r = demo_client.post(f"{base}/picked-up", headers=other)
    assert r.status_code == 404 and "not in your plan" in r.get_json()["error"]["message"]
    assert demo_client.post(f"{base}/picked-up", headers=courier).status_code == 200
    assert demo_client.get(posted["tracking_api_url"]).get_json()["status"] == "picked_up"
    engine = demo[0].extensions["fleetops"].engine
    state = snapshot(engine)
    wrong = "000000" if posted["proof_code"] != "000000" else "111111"
    r = demo_client.post(f"{base}/delivered", headers=courier, json={"proof_code": wrong})
    assert r.status_code == 422 and "4 tries left" in r.get_json()["error"]["message"]
    after = snapshot(engine)  # nothing changed but the count of wrong tries
    assert {k: v for k, v in after.items() if k != "delivery_jobs"} == {
        k: v for k, v in state.items() if k != "delivery_jobs"
    }
    seen = demo_client.get(f"/api/v1/delivery-jobs/{posted['id']}", headers=merchant)
    assert seen.get_json()["status"] == "picked_up"
    clock.advance(20 * 60)
    r = demo_client.post(
        f"{base}/delivered", headers=courier, json={"proof_code": posted["proof_code"]}
    )
    assert r.status_code == 200 and r.get_json()["on_time"] is True
    assert demo_client.get(posted["tracking_api_url"]).get_json()["status"] == "delivered"
    again = demo_client.post(f"{base}/failed", headers=courier, json={"reason": "dog"})
    assert again.status_code == 409  # delivered is final


def test_a_failed_delivery_keeps_its_reason(demo_client, clock):
    merchant = login(demo_client, "merchant1")
    posted = demo_client.post(
        "/api/v1/delivery-jobs", headers=merchant, json=job(demo_client, clock)
    ).get_json()
    courier = courier_headers(demo_client, posted["courier_id"])
    base = f"/api/v1/couriers/me/jobs/{posted['id']}"
    early = demo_client.post(f"{base}/failed", headers=courier, json={"reason": "no answer"})
    assert early.status_code == 409  # not picked up yet
    demo_client.post(f"{base}/picked-up", headers=courier)
    r = demo_client.post(f"{base}/failed", headers=courier, json={"reason": "nobody home"})
    assert r.status_code == 200
    seen = demo_client.get(posted["tracking_api_url"]).get_json()
    assert seen["status"] == "returning" and seen["reason"] == "nobody home"


def test_merchants_list_their_jobs_and_managers_all(demo_client, clock):
    bakery, pharmacy = login(demo_client, "merchant1"), login(demo_client, "merchant2")
    first = demo_client.post(
        "/api/v1/delivery-jobs", headers=bakery, json=job(demo_client, clock)
    ).get_json()
    clock.advance(60)
    second = demo_client.post(
        "/api/v1/delivery-jobs", headers=bakery, json=job(demo_client, clock, parcel_l=5)
    ).get_json()
    theirs = demo_client.post(
        "/api/v1/delivery-jobs", headers=pharmacy, json=job(demo_client, clock)
    ).get_json()

    mine = demo_client.get("/api/v1/delivery-jobs", headers=bakery).get_json()
    assert [j["id"] for j in mine["data"]] == [second["id"], first["id"]]  # newest first
    assert mine["pagination"]["total"] == 2
    listed = mine["data"][1]
    assert listed["status"] == "assigned" and listed["courier_id"] == first["courier_id"]
    assert listed["pickup_eta"] < listed["dropoff_eta"] <= listed["dropoff_window"][1]
    assert listed["tracking_url"] == first["tracking_url"]
    paged = demo_client.get("/api/v1/delivery-jobs?per_page=1&page=2", headers=bakery)
    assert [j["id"] for j in paged.get_json()["data"]] == [first["id"]]
    none = demo_client.get("/api/v1/delivery-jobs?status=delivered", headers=bakery).get_json()
    assert none["data"] == [] and none["pagination"]["total"] == 0
    bad = demo_client.get("/api/v1/delivery-jobs?status=lost", headers=bakery)
    assert (
        bad.status_code == 422 and "unknown job status 'lost'" in bad.get_json()["error"]["message"]
    )

    manager = login(demo_client, "manager")
    everything = demo_client.get("/api/v1/delivery-jobs", headers=manager).get_json()
    assert {j["id"] for j in everything["data"]} == {first["id"], second["id"], theirs["id"]}
    one = demo_client.get(f"/api/v1/delivery-jobs/{theirs['id']}", headers=manager)
    assert one.status_code == 200 and one.get_json()["id"] == theirs["id"]
    hidden = demo_client.get(f"/api/v1/delivery-jobs/{theirs['id']}", headers=bakery)
    assert hidden.status_code == 404  # another merchant's job is not found
    courier = demo_client.get("/api/v1/delivery-jobs", headers=login(demo_client, "courier1"))
    assert courier.status_code == 403


def test_the_proof_code_locks_after_a_few_wrong_tries_and_the_merchant_reissues_it(
    demo_client, clock
):
    client = demo_client
    merchant = login(client, "merchant1")
    posted = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    posted = posted.get_json()
    assert len(posted["proof_code"]) == 6 and posted["proof_code"].isdigit()
    courier = courier_headers(client, posted["courier_id"])
    base = f"/api/v1/couriers/me/jobs/{posted['id']}"
    assert client.post(f"{base}/picked-up", headers=courier).status_code == 200
    wrong = "000000" if posted["proof_code"] != "000000" else "111111"
    for _ in range(5):
        r = client.post(f"{base}/delivered", headers=courier, json={"proof_code": wrong})
        assert r.status_code == 422
    assert "now locked until the merchant issues a new one" in r.get_json()["error"]["message"]
    r = client.post(f"{base}/delivered", headers=courier, json={"proof_code": posted["proof_code"]})
    assert r.status_code == 409 and "new code" in r.get_json()["error"]["message"]
    other = login(client, "merchant2")
    url = f"/api/v1/delivery-jobs/{posted['id']}/proof-code"
    assert client.post(url, headers=other).status_code == 404  # not theirs
    fresh = client.post(url, headers=merchant)
    assert fresh.status_code == 200, fresh.get_json()
    code = fresh.get_json()["proof_code"]
    assert code != posted["proof_code"] and len(code) == 6
    r = client.post(f"{base}/delivered", headers=courier, json={"proof_code": code})
    assert r.status_code == 200 and r.get_json()["status"] == "delivered"


def test_the_demo_seeded_in_the_evening_has_couriers_on_shift(engine, settings):
    from datetime import datetime

    from cli.demo import seed_demo
    from cli.main import prepare_city
    from fleet.catalog import DEFAULT_CATALOG
    from fleet.clock import FixedClock
    from fleet.db.engine import writing
    from fleet.ids import RandomIds
    from web import create_app

    evening = FixedClock(datetime.fromisoformat("2026-03-02T21:30:00+09:00"))
    prepared = prepare_city(settings, "synthetic")
    with writing(engine) as conn:
        seed_demo(
            conn,
            profile=prepared.profile,
            layout=prepared.layout,
            graphs=prepared.graphs,
            n_vehicles=60,
            clock=evening,
            ids=RandomIds(),
            catalog=DEFAULT_CATALOG,
            seed=3,
        )
    client = create_app(settings, engine=engine, clock=evening).test_client()
    posted = client.post(
        "/api/v1/delivery-jobs", headers=login(client, "merchant1"), json=job(client, evening)
    ).get_json()
    assert posted["status"] == "assigned", posted


def test_the_route_gives_the_road_to_each_stop(demo_client, clock):
    """Each stop carries the moped's road from the stop before (from the moped for the first),
    ending where the stop is (snapped to the nearest road)."""
    merchant = login(demo_client, "merchant1")
    posted = demo_client.post(
        "/api/v1/delivery-jobs", headers=merchant, json=job(demo_client, clock)
    ).get_json()
    courier = courier_headers(demo_client, posted["courier_id"])
    stops = demo_client.get("/api/v1/couriers/me/route", headers=courier).get_json()["stops"]
    assert stops
    for before, stop in zip([None, *stops], stops, strict=False):
        road = stop["route"]
        assert road["type"] == "LineString" and len(road["coordinates"]) > 1, stop
        assert stop["distance_m"] > 0 and stop["duration_s"] > 0
        end_lon, end_lat = road["coordinates"][-1]
        assert abs(end_lat - stop["lat"]) < 0.003 and abs(end_lon - stop["lon"]) < 0.003
        if before is not None:
            start_lon, start_lat = road["coordinates"][0]
            assert abs(start_lat - before["lat"]) < 0.003
            assert abs(start_lon - before["lon"]) < 0.003
