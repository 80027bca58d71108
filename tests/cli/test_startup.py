"""The README's run command, driven as a newcomer would: start, use, Ctrl-C, nothing left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from cli.redis_server import free_port
from config.cities import load_city
from routing.load import load_mode_graph
from routing.modes import Mode

ROOT = Path(__file__).resolve().parents[2]


def fleetops_command() -> list[str]:
    """The installed ``fleetops`` script beside this interpreter (what ``make run`` calls)."""
    script = Path(sys.executable).parent / "fleetops"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]


def clean_env(tmp_path: Path, cache_dir: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "DATABASE_URL", "FLEETOPS_CITY", "FLEETOPS_CONFIG")
    }
    env.update(
        FLEETOPS_VAR_DIR=str(tmp_path / "var"),
        FLEETOPS_CACHE_DIR=str(cache_dir),
        PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    return env


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def health_of(base: str) -> dict | None:
    """``/api/v1/health`` whatever its status (503 included), or ``None`` if the web is down."""
    try:
        return get_json(f"{base}/api/v1/health")
    except urllib.error.HTTPError as exc:
        return json.load(exc)
    except OSError:
        return None


def wait_healthy(base: str, timeout_s: float) -> dict:
    """Health once everything is up (the web binding, the worker loading its road network)."""
    deadline = time.monotonic() + timeout_s
    health = None
    while time.monotonic() < deadline:
        health = health_of(base)
        if health is not None and health["status"] == "ok":
            return health
        time.sleep(0.2)
    pytest.fail(f"not healthy within {timeout_s:.0f} s: {health}")


@pytest.mark.slow
@pytest.mark.shared_data
def test_run_starts_the_demo_city_and_ctrl_c_leaves_no_process(tmp_path, cache_dir, data_dir):
    port = free_port()
    process = subprocess.Popen(
        [*fleetops_command(), "run"],
        cwd=ROOT,
        env=clean_env(tmp_path, cache_dir, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 240
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                pytest.fail("fleetops run exited early:\n" + "".join(output))
            output.append(line)
            if "is running at" in line:
                break
        else:
            pytest.fail("fleetops run did not start in time:\n" + "".join(output))
        text = "".join(output)
        assert "city: seoul-mapo" in text and "redis: embedded server" in text
        try:  # said only once the web answers (a newcomer's first request waited 50 s)
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).close()
        except urllib.error.HTTPError as answered:
            assert answered.code == 503  # an answer all the same: not every process is up yet
        assert "fleetops-demo" in text  # the demo logins are printed

        base = f"http://127.0.0.1:{port}"
        health = wait_healthy(base, 180)
        assert health["checks"]["database"]["backend"] == "sqlite"
        assert set(health["checks"]["processes"]["children"]) == {
            "redis",
            "web",
            "worker",
            "scheduler",
        }
        vehicles = get_json(f"{base}/api/v1/vehicles?per_page=500")["data"]
        # what riders may book: no work EVs, no courier's moped on shift
        assert {v["vehicle_class"] for v in vehicles} == {"e_kickboard", "e_bike", "e_moped"}
        assert 100 <= len(vehicles) <= 190  # ~200 seeded, a few flat or in maintenance

        # every vehicle stands on a node of the city's road graphs
        profile = load_city("seoul-mapo", data_dir)
        nodes = set()
        for mode in (Mode.CAR, Mode.MOPED, Mode.BIKE):
            graph, _ = load_mode_graph(profile.source, mode, cache_dir)
            nodes |= {(round(d["y"], 7), round(d["x"], 7)) for _, d in graph.nodes(data=True)}
        assert all((round(v["lat"], 7), round(v["lon"], 7)) in nodes for v in vehicles)

        family = psutil.Process(process.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in family)
        assert "gunicorn" in names and "worker" in names and "redis-server" in names
        assert "scheduler" in names
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
        finally:
            process.stdout.close()
    _gone, alive = psutil.wait_procs(family, timeout=10)
    assert alive == [], f"left behind: {[p.pid for p in alive]}"


def test_unknown_city_is_a_message_and_a_nonzero_exit(tmp_path, cache_dir):
    env = clean_env(tmp_path, cache_dir, free_port())
    env["FLEETOPS_CITY"] = "atlantis"
    result = subprocess.run(
        [*fleetops_command(), "seed-demo"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "unknown city 'atlantis'" in result.stderr and "seoul-mapo" in result.stderr


def test_malformed_settings_are_a_message_and_a_nonzero_exit(tmp_path, cache_dir):
    env = clean_env(tmp_path, cache_dir, free_port())
    env["PORT"] = "not-a-port"
    result = subprocess.run(
        [*fleetops_command(), "init-db"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "server.port (from PORT)" in result.stderr


def test_worker_without_redis_says_how_to_get_one(tmp_path, cache_dir):
    result = subprocess.run(
        [*fleetops_command(), "worker", "--burst"],
        env=clean_env(tmp_path, cache_dir, free_port()),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "REDIS_URL is unset" in result.stderr


def test_web_on_a_taken_port_says_so_at_once(tmp_path, cache_dir):
    import socket

    port = free_port()
    with socket.socket() as taken:  # another program listens on the web's port
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = subprocess.run(
            [*fleetops_command(), "web"],
            env=clean_env(tmp_path, cache_dir, port),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "another program uses the port" in result.stderr and "Traceback" not in result.stderr


def test_seed_demo_on_the_synthetic_city(tmp_path, cache_dir):
    env = clean_env(tmp_path, cache_dir, free_port())
    env["FLEETOPS_CITY"] = "synthetic"
    result = subprocess.run(
        [*fleetops_command(), "seed-demo", "--vehicles", "40"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "16 e_kickboard, 12 e_bike, 8 e_moped, 4 work_ev" in result.stderr
    assert "city: synthetic (FLEETOPS_CITY names it)" in result.stderr


def test_graph_build_and_info_for_a_city(tmp_path, cache_dir):
    env = clean_env(tmp_path, cache_dir, free_port())
    env["FLEETOPS_CITY"] = "synthetic"
    built = subprocess.run(
        [*fleetops_command(), "graph", "build"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    assert "road networks of walk, bike, moped, car" in built.stdout
    info = subprocess.run(
        [*fleetops_command(), "graph", "info", "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert info.returncode == 0, info.stderr
    report = json.loads(info.stdout)
    assert [m["mode"] for m in report["modes"]] == ["walk", "bike", "moped", "car"]
    assert all(m["nodes"] > 100 and m["length_m"] > 10_000 for m in report["modes"])
    table = subprocess.run(
        [*fleetops_command(), "graph", "info"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "road km" in table.stdout and "dropped" in table.stdout


def test_graph_info_of_a_place_without_network_is_a_clear_error(tmp_path, cache_dir):
    env = clean_env(tmp_path, cache_dir, free_port())
    env.update(
        FLEETOPS_CITY="gwangmyeong",
        HTTPS_PROXY="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
    )
    result = subprocess.run(
        [*fleetops_command(), "graph", "info"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0 and "no network" in result.stderr
    assert "use an OSM file" in result.stderr
