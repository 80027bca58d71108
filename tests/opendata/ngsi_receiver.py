"""A context broker's batch upsert, as small as the push tests need: an HTTP server on a free
port of 127.0.0.1, in a thread, that keeps the entities it is sent by id (an upsert replaces
each whole) and can be told to fail its first requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cli.redis_server import free_port

UPSERT = "/ngsi-ld/v1/entityOperations/upsert"


class Receiver(ThreadingHTTPServer):
    """The server and what it saw: ``entities`` by id, every request's status and headers."""

    def __init__(self, port: int, *, fail_first: int = 0, fail_status: int = 500) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.fail_left = fail_first
        self.fail_status = fail_status
        self.entities: dict[str, dict[str, Any]] = {}
        self.statuses: list[int] = []
        self.headers_seen: list[dict[str, str]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        with self.lock:
            self.headers_seen.append(headers)
            if self.fail_left != 0:  # negative: fail for ever
                self.fail_left -= 1
                status, text = self.fail_status, b'{"title": "broker says no"}'
            elif path != UPSERT or headers.get("content-type") != "application/ld+json":
                status, text = 400, b'{"title": "not an upsert"}'
            else:
                batch = json.loads(body)
                new = [e["id"] for e in batch if e["id"] not in self.entities]
                self.entities.update({e["id"]: e for e in batch})
                status, text = (201, json.dumps(new).encode()) if new else (204, b"")
            self.statuses.append(status)
            return status, text


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}  # names are case-blind
        status, text = self.server.answer(self.path, headers, body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the tests assert on what it saw


@contextmanager
def receiving(**options: Any) -> Iterator[Receiver]:
    """A running receiver (``Receiver``'s options), shut down after."""
    server = Receiver(free_port(), **options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
