"""``fleetops run``: Redis (embedded when ``REDIS_URL`` is unset), the web app, a worker and the
scheduler, as the Procfile's processes, until Ctrl-C.

A child that dies is started again after a back-off (1 s, doubling to 30 s; reset once it has
stayed up a minute), and the reason is logged; the others keep serving. A child that has never
stayed up since the run began and dies within seconds of each of five starts in a row is given
up on and the run ends with status 1 (a port taken, a broken setting: restarting cannot help);
one that has run before is restarted however often it dies (a Redis outage, the OOM killer).
The children die with the supervisor, however it dies (SIGHUP stops them in order; a SIGKILL
reaches them through Linux's parent-death signal). The embedded Redis comes back on its port
with its append-only file (``cli.redis_server``), so the others need not restart with it.

The state of every child is kept in ``var/run/processes.json`` (the ``processes`` check of
``/api/v1/health`` reads it; format in ``bootstrap.probes``). Each child gets its own process
group, so stopping or killing one reaches its children too (gunicorn's workers, rq's work
horse and scheduler) and nothing is left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import click

from cli.demo import DEMO_PASSWORD, DEMO_PEOPLE
from cli.redis_server import EmbeddedRedis, RedisUnavailable
from config.settings import Settings

STOP_GRACE_S = 8.0
#: First restart delay; it doubles with each death in a row, up to ``BACKOFF_MAX_S``.
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0
#: A child up this long has recovered: its next death starts the back-off again.
STABLE_AFTER_S = 60.0
#: A death this soon after a start is a failed start; ``GIVE_UP_AFTER`` in a row end the run.
#: Generous: gunicorn alone tries a taken port for 5 s after its imports, and on a loaded
#: machine (2 cores, tests beside it) that took over 10 s, so a web that never bound its port
#: counted as once up and was restarted for ever.
FAILED_START_S = 30.0
GIVE_UP_AFTER = 5
TICK_S = 0.2


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _kill_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


@dataclass(slots=True)
class Child:
    """One supervised process: how to start it, and what happened to it."""

    name: str
    spawn: Callable[[], subprocess.Popen[bytes]]
    process: subprocess.Popen[bytes] | None = None
    state: str = "down"
    restarts: int = 0
    deaths_in_row: int = 0
    failed_starts: int = 0
    started_at: float = 0.0
    since: str = field(default_factory=_now_iso)
    last_exit: int | None = None
    restart_at: float | None = None
    ever_up: bool = False  # stayed up FAILED_START_S once: its deaths are not a broken setting

    def start(self) -> None:
        """Start (or start again) the process."""
        self.process = self.spawn()
        self.state, self.since = "up", _now_iso()
        self.started_at, self.restart_at = time.monotonic(), None

    def died(self) -> int | None:
        """The exit status if the process has died since it was last seen up."""
        if self.state != "up" or self.process is None:
            return None
        return self.process.poll()

    def mark_down(self, status: int) -> float:
        """Record a death; the back-off before the next start, in seconds."""
        now = time.monotonic()
        up_for = now - self.started_at
        if up_for >= STABLE_AFTER_S:
            self.deaths_in_row = 0
        self.ever_up = self.ever_up or up_for >= FAILED_START_S
        self.failed_starts = self.failed_starts + 1 if up_for < FAILED_START_S else 0
        delay = min(BACKOFF_FIRST_S * 2**self.deaths_in_row, BACKOFF_MAX_S)
        self.deaths_in_row += 1
        self.state, self.since, self.last_exit = "down", _now_iso(), status
        self.restart_at = now + delay
        if self.process is not None:  # its group's stragglers: a horse mid-job, rq's scheduler
            _kill_group(self.process.pid, signal.SIGKILL)
        return delay

    def stop(self) -> None:
        """SIGTERM to the group, SIGKILL after ``STOP_GRACE_S``, then to any straggler."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                _kill_group(process.pid, signal.SIGKILL)
                process.wait()
            except ProcessLookupError:
                pass
        _kill_group(process.pid, signal.SIGKILL)

    def as_dict(self) -> dict[str, object]:
        """Its entry in the process-state file."""
        restart_in = None
        if self.restart_at is not None:
            restart_in = round(max(self.restart_at - time.monotonic(), 0.0), 1)
        return {
            "state": self.state,
            "pid": self.process.pid if self.process is not None else None,
            "restarts": self.restarts,
            "since": self.since,
            "last_exit": self.last_exit,
            "restart_in_s": restart_in,
        }


def die_with_parent() -> None:
    """In a child before it runs: on Linux, be sent SIGTERM when the supervisor dies, even by
    SIGKILL, so no child outlives it (elsewhere a no-op)."""
    if sys.platform != "linux":
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _write_state(path: Path, children: list[Child]) -> None:
    """Replace the state file atomically (a reader never sees half of it)."""
    body = {"supervisor_pid": os.getpid(), "children": {c.name: c.as_dict() for c in children}}
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(body, indent=1))
    os.replace(tmp, path)


def _redis_child(embedded: EmbeddedRedis) -> Child:
    def spawn() -> subprocess.Popen[bytes]:
        embedded.start()  # same port, same append-only file; waits until it answers
        assert embedded.process is not None
        return embedded.process

    return Child("redis", spawn)


def _describe(status: int) -> str:
    if status < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-status).name}"
    return f"exited with status {status}"


def run_platform(settings: Settings) -> int:
    """Run until interrupted; the exit status of the run."""
    env = dict(os.environ)
    run_dir = settings.var_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    state_path = settings.process_state or run_dir / "processes.json"
    env["FLEETOPS_PROCESS_STATE"] = str(state_path)
    children: list[Child] = []
    if settings.redis_url is None:
        embedded = EmbeddedRedis(settings.var_dir / "redis", persist=True, preexec=die_with_parent)
        children.append(_redis_child(embedded))
        try:
            children[0].start()
        except RedisUnavailable as exc:
            raise click.ClickException(str(exc)) from None
        env["REDIS_URL"] = embedded.url
        click.echo(f"redis: embedded server at {embedded.url} (in {embedded.workdir})", err=True)
    # Children must share one secret so sessions survive across gunicorn workers.
    env.setdefault("SECRET_KEY", settings.secret_key)
    fleetops = [sys.executable, "-m", "cli.main"]
    for name in ("web", "worker", "scheduler"):
        args = [*fleetops, name]
        child = Child(
            name,
            lambda a=args: subprocess.Popen(
                a, env=env, start_new_session=True, preexec_fn=die_with_parent
            ),
        )
        child.start()
        children.append(child)
    _write_state(state_path, children)
    stopping = False

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)
    url = f"http://{settings.host}:{settings.port}/"
    first_of_role: dict[str, str] = {}
    for username, _display, role, _company in DEMO_PEOPLE:
        first_of_role.setdefault(str(role), username)
    logins = ", ".join(f"{user} ({role})" for role, user in first_of_role.items())
    click.echo(f"demo logins, password {DEMO_PASSWORD!r}: {logins}")
    click.echo("web workers warming up (road networks, compiled kernels)…", err=True)
    sys.stdout.flush()
    probe = f"http://{_local_host(settings.host)}:{settings.port}/api/v1/health"
    announced = False

    def announce() -> None:
        nonlocal announced
        if not announced and _answers(probe):
            announced = True
            click.echo(f"fleetops is running at {url}  (Ctrl-C stops everything)")
            sys.stdout.flush()

    try:
        return _supervise(children, state_path, lambda: stopping, announce)
    finally:
        for child in reversed(children):  # scheduler, worker, web, then Redis
            child.stop()
        with contextlib.suppress(OSError):
            state_path.unlink()
        click.echo("stopped", err=True)


def _local_host(host: str) -> str:
    """Where this machine reaches a server bound to ``host``."""
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host


def _answers(url: str) -> bool:
    """Whether the web answers ``url`` at all (any HTTP status: 503 is an answer)."""
    try:
        with urllib.request.urlopen(url, timeout=1.0):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def _supervise(
    children: list[Child],
    state_path: Path,
    stopping: Callable[[], bool],
    each_tick: Callable[[], None] = lambda: None,
) -> int:
    """Restart what dies until ``stopping()``, calling ``each_tick`` between rounds; 0, or 1
    when a child would not start."""
    while not stopping():
        each_tick()
        changed = False
        for child in children:
            exit_status = child.died()
            if exit_status is not None:
                delay = child.mark_down(exit_status)
                _write_state(state_path, children)
                if child.failed_starts >= GIVE_UP_AFTER and not child.ever_up:
                    click.echo(
                        f"{child.name} {_describe(exit_status)} {child.failed_starts} times "
                        "in a row just after starting; giving up and stopping",
                        err=True,
                    )
                    return 1
                click.echo(
                    f"{child.name} {_describe(exit_status)}; restarting in {delay:.0f} s", err=True
                )
            elif child.state == "down" and (child.restart_at or 0) <= time.monotonic():
                try:
                    child.start()
                except RedisUnavailable as exc:
                    child.mark_down(1)
                    click.echo(f"{child.name} could not start: {exc}", err=True)
                else:
                    child.restarts += 1
                    click.echo(f"{child.name} restarted (restart {child.restarts})", err=True)
                changed = True
        if changed:
            _write_state(state_path, children)
        time.sleep(TICK_S)
    return 0
