"""``fleetops run``: Redis (embedded when ``REDIS_URL`` is unset), the web app, a worker and the
scheduler, as the Procfile's processes, until Ctrl-C. Each child gets its own process group so
stopping reaches its children too (gunicorn's workers, rq's work horses) and nothing is left
behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from types import FrameType

import click

from cli.demo import DEMO_PASSWORD, DEMO_PEOPLE
from cli.redis_server import EmbeddedRedis, RedisUnavailable
from config.settings import Settings

STOP_GRACE_S = 8.0


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env=env, start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # stragglers of the group (a work horse mid-job)


def run_platform(settings: Settings) -> int:
    """Run until interrupted; the exit status of the run."""
    env = dict(os.environ)
    embedded: EmbeddedRedis | None = None
    if settings.redis_url is None:
        try:
            embedded = EmbeddedRedis(settings.var_dir / "redis").start()
        except RedisUnavailable as exc:
            raise click.ClickException(str(exc)) from None
        env["REDIS_URL"] = embedded.url
        click.echo(f"redis: embedded server at {embedded.url}", err=True)
    # Children must share one secret so sessions survive across gunicorn workers.
    env.setdefault("SECRET_KEY", settings.secret_key)
    fleetops = [sys.executable, "-m", "cli.main"]
    children = {
        "web": _spawn([*fleetops, "web"], env),
        "worker": _spawn([*fleetops, "worker"], env),
        "scheduler": _spawn([*fleetops, "scheduler"], env),
    }
    stopping = False

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    url = f"http://{settings.host}:{settings.port}/"
    first_of_role: dict[str, str] = {}
    for username, _display, role, _company in DEMO_PEOPLE:
        first_of_role.setdefault(str(role), username)
    logins = ", ".join(f"{user} ({role})" for role, user in first_of_role.items())
    click.echo(f"demo logins, password {DEMO_PASSWORD!r}: {logins}")
    click.echo(f"fleetops is running at {url}  (Ctrl-C stops everything)")
    sys.stdout.flush()
    status = 0
    try:
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    click.echo(f"{name} exited with status {child.returncode}; stopping", err=True)
                    stopping, status = True, 1
            time.sleep(0.2)
    finally:
        for child in (children["scheduler"], children["worker"], children["web"]):
            _stop(child)
        if embedded is not None:
            embedded.stop()
        click.echo("stopped", err=True)
    return status
