"""``fleetops run`` keeps serving when its children die: each is killed with SIGKILL in turn
(the embedded Redis too), the health check names it down, it comes back, and a job queued before
Redis was killed runs after it came back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
from rq.job import Job, JobStatus

from cli.redis_server import free_port
from dispatch.queue import jobs
from dispatch.queue.connection import connect, queue
from tests.cli.test_startup import ROOT, clean_env, fleetops_command, health_of, wait_healthy

PASSWORD = "fleetops-demo"


def _post_json(url: str, body: dict, token: str | None = None) -> dict:
    import urllib.request

    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _get_json(url: str, token: str) -> dict:
    import urllib.request

    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _children(var: Path) -> dict[str, dict]:
    return json.loads((var / "run" / "processes.json").read_text())["children"]


def _seen_down_then_up(base: str, name: str, timeout_s: float) -> list[str]:
    """Poll health until ``name`` was seen down and then everything up; what was seen."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        health = health_of(base)
        if health is None:
            state = "unreachable"
        elif health["status"] == "ok":
            state = "ok"
        else:
            state = "down: " + ",".join(health["down"])
        if not seen or seen[-1] != state:
            seen.append(state)
        if state == "ok" and len(seen) > 1:
            return seen
        time.sleep(0.05)
    pytest.fail(f"{name}: not back within {timeout_s:.0f} s; seen {seen}")


@pytest.mark.slow
def test_each_child_killed_comes_back_and_queued_work_survives_redis(tmp_path, cache_dir):
    port = free_port()
    env = clean_env(tmp_path, cache_dir, port)
    env["FLEETOPS_CITY"] = "synthetic"
    var = tmp_path / "var"
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(
        [*fleetops_command(), "run", "--vehicles", "40"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, 240)
        token = _post_json(
            f"{base}/api/v1/auth/token", {"username": "manager", "password": PASSWORD}
        )["token"]
        operator_id = _get_json(f"{base}/api/v1/me", token)["operator_id"]
        redis_port = int((var / "redis" / "port").read_text())

        for name in ("worker", "scheduler", "web", "redis"):
            before = _children(var)[name]
            queued = None
            if name == "redis":
                connection = connect(f"redis://127.0.0.1:{redis_port}/0")
                queued = queue(connection, "operations").enqueue_in(
                    timedelta(seconds=2), jobs.fleet_snapshot, operator_id
                )
                connection.close()
            os.kill(before["pid"], signal.SIGKILL)
            seen = _seen_down_then_up(base, name, 180)
            assert any(s != "ok" for s in seen), seen
            if name != "web":  # with the web down there is no health to name it
                assert any(name in s for s in seen if s.startswith("down")), seen
            after = _children(var)[name]
            assert after["pid"] != before["pid"] and after["restarts"] == before["restarts"] + 1
            assert after["state"] == "up"
            if queued is not None:
                assert int((var / "redis" / "port").read_text()) == redis_port  # same port
                connection = connect(f"redis://127.0.0.1:{redis_port}/0")
                deadline = time.monotonic() + 180
                job = Job.fetch(queued.id, connection=connection)  # kept on disk through the kill
                while job.get_status(refresh=True) != JobStatus.FINISHED:
                    assert time.monotonic() < deadline, f"queued job is {job.get_status()}"
                    time.sleep(0.5)
                assert sum(job.return_value()["by_status"].values()) == 40
                connection.close()
        assert process.poll() is None  # the run itself never stopped
    finally:
        family = psutil.Process(process.pid).children(recursive=True)
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
        finally:
            log.close()
        _gone, alive = psutil.wait_procs(family, timeout=10)
        assert alive == [], f"left behind: {[p.pid for p in alive]}"
    text = (tmp_path / "run.log").read_text()
    for name in ("worker", "scheduler", "web", "redis"):
        assert f"{name} killed by SIGKILL; restarting in" in text
        assert f"{name} restarted (restart 1)" in text


@pytest.mark.slow
def test_a_child_that_cannot_start_is_given_up_on_and_the_run_says_why(tmp_path, cache_dir):
    import socket

    port = free_port()
    env = clean_env(tmp_path, cache_dir, port)
    env["FLEETOPS_CITY"] = "synthetic"
    with socket.socket() as taken:  # another program holds the web's port
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = subprocess.run(
            [*fleetops_command(), "run", "--vehicles", "8"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 1
    assert "web exited with status" in done.stderr
    assert "5 times in a row just after starting; giving up and stopping" in done.stderr
    assert "stopped" in done.stderr


@pytest.mark.slow
def test_children_die_with_the_supervisor_even_when_it_is_killed(tmp_path, cache_dir):
    port = free_port()
    env = clean_env(tmp_path, cache_dir, port)
    env["FLEETOPS_CITY"] = "synthetic"
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(
        [*fleetops_command(), "run", "--vehicles", "8"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", 240)
        supervisor = psutil.Process(process.pid)
        if supervisor.name() in ("make", "sh"):  # the run command's own process, if any
            supervisor = supervisor.children()[0]
        children = supervisor.children(recursive=True)
        assert len(children) >= 4  # redis, web (and its workers), worker, scheduler
        supervisor.kill()  # no chance to clean up: an OOM kill, a kill -9
        _gone, alive = psutil.wait_procs(children, timeout=30)
        assert alive == [], [" ".join(p.cmdline()) for p in alive]
    finally:
        log.close()
        for leftover in psutil.Process().children(recursive=True):
            leftover.kill()
        process.wait(30)  # reaped: the supervisor was this test's child
