"""A database or a Redis that does not answer at start is one line saying what to check (the
URL with its password masked, and why), and a non-zero exit: not a traceback."""

from __future__ import annotations

import subprocess

import pytest

from cli.redis_server import free_port
from tests.cli.test_startup import ROOT, clean_env, fleetops_command

PASSWORD = "s3cret-pw"


def _start(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*fleetops_command(), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _env(tmp_path, cache_dir, **extra: str) -> dict[str, str]:
    env = clean_env(tmp_path, cache_dir, free_port())
    env.update(FLEETOPS_CITY="synthetic", SECRET_KEY="test-secret", **extra)
    return env


@pytest.mark.xfail(strict=True, reason="issue 12: the database down at start is a traceback")
@pytest.mark.parametrize("args", [["init-db"], ["seed-demo"], ["worker", "--burst"]])
def test_a_database_that_does_not_answer_is_one_line(args, tmp_path, cache_dir):
    port = free_port()
    url = f"postgresql://fleet:{PASSWORD}@127.0.0.1:{port}/fleetops"
    env = _env(tmp_path, cache_dir, DATABASE_URL=url, REDIS_URL="redis://127.0.0.1:6379/15")
    result = _start(args, env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{port}/fleetops" in lines[0] and "DATABASE_URL" in lines[0]
    assert PASSWORD not in result.stderr + result.stdout
    assert "refused" in lines[0].lower()


@pytest.mark.xfail(strict=True, reason="issue 12: Redis down at start is a traceback")
@pytest.mark.parametrize("args", [["worker", "--burst"], ["scheduler", "--once"]])
def test_a_redis_that_does_not_answer_is_one_line(args, tmp_path, cache_dir):
    port = free_port()
    env = _env(tmp_path, cache_dir, REDIS_URL=f"redis://:{PASSWORD}@127.0.0.1:{port}/0")
    result = _start(args, env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{port}" in lines[0] and "REDIS_URL" in lines[0]
    assert PASSWORD not in result.stderr + result.stdout
