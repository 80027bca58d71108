"""A web worker is warm before it answers (issue 11): the app gunicorn loads (``web.wsgi:build()``)
has every mode's road network loaded and the numba kernels compiled before its first request,
and the first requests of riders and merchants compile nothing more.

The check runs in a fresh interpreter, as a gunicorn worker does: in this one, earlier tests may
have compiled the kernels already. It asserts on state (what is loaded and compiled), never on
time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import seed_if_empty
from config.settings import ENV_KEYS, load_settings
from routing.modes import Mode

FIXED_TIME = "2026-03-02T09:00:00+09:00"

#: What a gunicorn worker does: build the app; then what its first requests do.
WORKER = """
import json, sys
import numba
from routing import ch, insertion_kernel, search

def compiled():
    return {
        f"{module.__name__}.{name}": len(fn.signatures)
        for module in (ch, insertion_kernel, search)
        for name, fn in vars(module).items()
        if isinstance(fn, numba.core.registry.CPUDispatcher)
    }

from web.wsgi import build
app = build()
platform = app.extensions["fleetops"]
after_build = compiled()
loaded = sorted(str(mode) for mode in platform.routers.loaded())

client = app.test_client()
def sign_in(username):
    r = client.post("/api/v1/auth/token", json={"username": username, "password": "fleetops-demo"})
    return {"Authorization": "Bearer " + r.get_json()["token"]}
bikes = client.get("/api/v1/vehicles?vehicle_class=e_bike&per_page=500").get_json()["data"]
near = client.get(f"/api/v1/vehicles?lat={bikes[0]['lat']}&lon={bikes[0]['lon']}&radius_m=800")
posted = client.post("/api/v1/delivery-jobs", headers=sign_in("merchant1"), json={
    "pickup": {"lat": bikes[0]["lat"], "lon": bikes[0]["lon"]},
    "dropoff": {"lat": bikes[-1]["lat"], "lon": bikes[-1]["lon"]},
    "pickup_window": {"start": "2026-03-02T09:00:00+09:00", "end": "2026-03-02T10:00:00+09:00"},
    "dropoff_window": {"start": "2026-03-02T09:00:00+09:00", "end": "2026-03-02T11:00:00+09:00"},
    "parcel_l": 20,
})
json.dump({
    "loaded": loaded,
    "after_build": after_build,
    "after_requests": compiled(),
    "statuses": [near.status_code, posted.status_code],
    "assigned": posted.get_json().get("status"),
}, sys.stdout)
"""


def worker_env(tmp_path: Path, cache_dir: Path) -> dict[str, str]:
    """The environment of a worker on the synthetic city, nothing inherited that configures
    fleetops (no DATABASE_URL, REDIS_URL, FLEETOPS_*)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ENV_KEYS and not k.startswith("FLEETOPS_")
    }
    return {
        **env,
        "FLEETOPS_VAR_DIR": str(tmp_path / "var"),
        "FLEETOPS_CACHE_DIR": str(cache_dir),
        "FLEETOPS_CITY": "synthetic",
        "FLEETOPS_FIXED_TIME": FIXED_TIME,
        "SECRET_KEY": "test-secret",
    }


@pytest.mark.slow
def test_a_web_worker_is_warm_before_its_first_request(tmp_path, cache_dir):
    env = worker_env(tmp_path, cache_dir)
    settings = load_settings(env)
    assert seed_if_empty(settings, "synthetic", 40, 0, only_if_empty=False)
    done = subprocess.run(
        [sys.executable, "-c", WORKER],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=500,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout)
    assert seen["statuses"] == [200, 201] and seen["assigned"] == "assigned", seen
    assert seen["loaded"] == sorted(str(mode) for mode in Mode)
    used = {name for name, n in seen["after_requests"].items() if n}
    assert {"routing.insertion_kernel.best_pair", "routing.search.bounded_dijkstra"} <= used
    assert seen["after_requests"] == seen["after_build"], "a request compiled a kernel"


def test_health_names_the_road_networks_this_worker_has_loaded(app, client):
    from bootstrap import warm_up

    cold = client.get("/api/v1/health").get_json()
    assert cold["routing"] == {"warm": False, "loaded": []}
    warm_up(app.extensions["fleetops"])
    warm = client.get("/api/v1/health").get_json()
    assert warm["routing"] == {"warm": True, "loaded": [str(mode) for mode in Mode]}
