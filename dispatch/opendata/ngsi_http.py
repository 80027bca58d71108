"""The HTTP under the NGSI-LD push (``ngsi_push``), standard library only: an opener that
follows no redirect and cuts a request at its deadline.

urllib's ``timeout`` bounds each socket operation, not the request: a broker (or a proxy before
it) that sends its answer a byte at a time, each within the timeout, held a push until rq killed
the job after ``JOB_TIMEOUT_S``. Here a timer shuts the connection when the request's time is
up, and :class:`Deadline` remembers that it did, so the caller reports a timeout rather than
whatever the cut-short answer looked like."""

from __future__ import annotations

import http.client
import socket
import threading
import urllib.request
from contextlib import suppress
from typing import Any


class Deadline:
    """A request's time limit: armed on its connection's socket once connected, ``expired``
    once it cut that socket."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._timers: list[threading.Timer] = []

    def arm(self, sock: socket.socket) -> None:
        """Shut ``sock`` down (both ways) when the time is up, unless disarmed first."""

        def cut() -> None:
            self.expired = True
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(self.seconds, cut)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def disarm(self) -> None:
        """The request is over: cut nothing."""
        for timer in self._timers:
            timer.cancel()


def _connection_class(base: type[http.client.HTTPConnection], deadline: Deadline) -> Any:
    class _Armed(base):  # type: ignore[valid-type,misc]
        def connect(self) -> None:
            super().connect()
            deadline.arm(self.sock)

    return _Armed


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Follow no redirect: urllib would resend an upsert as a GET without its body (301-303) to
    whatever host ``Location`` names, and a 2xx there would count as the batch taken. The 3xx
    is then an ``HTTPError`` like any other status."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _Http(urllib.request.HTTPHandler):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_connection_class(http.client.HTTPConnection, self.deadline), req)


class _Https(urllib.request.HTTPSHandler):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> Any:
        armed = _connection_class(http.client.HTTPSConnection, self.deadline)
        return self.do_open(armed, req, context=self._context)  # type: ignore[attr-defined]


def opener(deadline: Deadline) -> urllib.request.OpenerDirector:
    """An opener whose requests follow no redirect and end at ``deadline``."""
    return urllib.request.build_opener(_NoRedirect, _Http(deadline), _Https(deadline))
