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


@pytest.mark.parametrize(
    "args", [["init-db"], ["seed-demo"], ["worker", "--burst"], ["web"], ["run"]]
)
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


@pytest.mark.parametrize("args", [["worker", "--burst"], ["scheduler", "--once"], ["web"], ["run"]])
def test_a_redis_that_does_not_answer_is_one_line(args, tmp_path, cache_dir):
    port = free_port()
    env = _env(tmp_path, cache_dir, REDIS_URL=f"redis://:{PASSWORD}@127.0.0.1:{port}/0")
    result = _start(args, env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{port}" in lines[0] and "REDIS_URL" in lines[0]
    assert PASSWORD not in result.stderr + result.stdout


def test_a_sqlite_file_that_cannot_be_made_is_one_line(tmp_path, cache_dir):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    env = _env(tmp_path, cache_dir, DATABASE_URL=f"sqlite:///{blocked}/fleetops.db")
    result = _start(["init-db"], env)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "DATABASE_URL" in result.stderr


def test_urls_are_shown_with_their_password_masked():
    from cli.common import masked_redis_url
    from fleet.db.engine import masked_url

    assert masked_url("postgres://u:pw@h:5432/d") == "postgresql+psycopg://u:***@h:5432/d"
    assert masked_url("sqlite:///var/x.db") == "sqlite:///var/x.db"
    assert masked_redis_url("redis://:pw@h:6379/0") == "redis://:***@h:6379/0"
    assert masked_redis_url("redis://user:pw@h/1") == "redis://user:***@h/1"
    assert masked_redis_url("redis://h:6379") == "redis://h:6379"
