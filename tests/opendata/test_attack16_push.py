"""The NGSI-LD push against a broker that misbehaves: a redirect is never followed (urllib
turned a redirected POST into a GET, dropped the body and went to whatever host ``Location``
named; a 2xx there counted as the batch taken); an answer that drips in a byte at a time is cut
at the request's timeout; an answer that is not HTTP is "unavailable", like a reset."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cli.redis_server import free_port
from dispatch.opendata.ngsi_push import (
    Broker,
    BrokerRefused,
    BrokerUnavailable,
    post_batch,
    upsert,
)


class _Seen(ThreadingHTTPServer):
    def __init__(self, port: int, status: int, location: str | None) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.status, self.location = status, location
        self.requests: list[tuple[str, str, int]] = []


class _Handler(BaseHTTPRequestHandler):
    server: _Seen

    def _any(self) -> None:
        size = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(size)
        self.server.requests.append((self.command, self.path, size))
        self.send_response(self.server.status)
        if self.server.location:
            self.send_header("Location", self.server.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_HEAD = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _serving(status: int, location: str | None = None) -> Iterator[_Seen]:
    server = _Seen(free_port(), status, location)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _url(server: _Seen) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_refusal_naming_where_it_pointed_and_is_not_followed(code):
    with _serving(204) as elsewhere, _serving(code, _url(elsewhere) + "/sink") as broker:
        with pytest.raises(BrokerRefused) as caught:
            post_batch(Broker(_url(broker), attempts=1), [{"id": "urn:ngsi-ld:Vehicle:1"}])
        assert str(code) in str(caught.value) and "/sink" in str(caught.value)
        assert elsewhere.requests == []
        assert [r[0] for r in broker.requests] == ["POST"]


def test_a_redirected_push_never_counts_as_done():
    with _serving(204) as elsewhere, _serving(302, _url(elsewhere)) as broker:
        with pytest.raises(BrokerRefused):
            upsert(Broker(_url(broker), attempts=2, backoff_s=0), [{"id": "a"}, {"id": "b"}])
        assert elsewhere.requests == []


@contextmanager
def _raw_broker(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """A broker that reads the request and then writes ``answer`` on the bare socket."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(1 << 16)
            with suppress(OSError):
                answer(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()
        thread.join()


def _drip(conn: socket.socket) -> None:
    """A 204 whose headers come a byte at a time, each well within the socket's timeout: the
    request's timeout must bound the whole answer, not each read."""
    conn.sendall(b"HTTP/1.1 204 No Content\r\n")
    for _ in range(40):
        time.sleep(0.1)
        conn.sendall(b"X")
    conn.sendall(b": y\r\n\r\n")


def test_a_broker_dripping_its_answer_times_out_as_unavailable():
    with _raw_broker(_drip) as url, pytest.raises(BrokerUnavailable) as caught:
        post_batch(Broker(url, timeout_s=0.5, attempts=1), [{"id": "a"}])
    assert "0.5" in str(caught.value)


def test_a_broker_answering_no_http_is_unavailable_not_a_crash():
    not_http = _raw_broker(lambda c: c.sendall(b"SSH-2.0-OpenSSH\r\n\r\n"))
    with not_http as url, pytest.raises(BrokerUnavailable):
        post_batch(Broker(url, timeout_s=2, attempts=1), [{"id": "a"}])
