"""Upserting entities to an NGSI-LD context broker: ``POST <broker>/ngsi-ld/v1/entityOperations/
upsert`` (ETSI GS CIM 009, batch entity upsert) in batches, each retried with back-off while the
broker is unreachable or answers 5xx / 429.

The upsert replaces each entity whole (the default ``options=replace``), so an attribute we no
longer send (a vehicle that left its station) is gone from the broker too, and sending the same
entities twice changes nothing. A batch the broker refuses, in full (4xx) or in part (207), or
that still fails after the last try, raises: the caller (an RQ job) fails and rq records why.
Standard library only (urllib, through ``ngsi_http``: no redirect followed, a request cut at
its timeout): the platform declares no HTTP client.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from dispatch.opendata.ngsi_http import Deadline, opener

UPSERT_PATH = "/ngsi-ld/v1/entityOperations/upsert"
#: The broker said every entity was created (201) or updated (204).
DONE = frozenset({201, 204})
#: Worth another try: the broker or something before it is busy or down for a moment.
TRANSIENT = frozenset({408, 425, 429, 500, 502, 503, 504})
#: How much of a broker's answer an error quotes.
QUOTE_CHARS = 300


class BrokerError(RuntimeError):
    """The broker did not take a batch."""


class BrokerUnavailable(BrokerError):
    """The broker could not be reached or answered that it is busy or broken (worth retrying)."""


class BrokerRefused(BrokerError):
    """The broker refused entities (trying the same again would not help)."""


@dataclass(frozen=True, slots=True)
class Broker:
    """Where and how to push: the broker's base URL (``http://orion:1026``), the tenant
    (``NGSILD-Tenant`` header; ``None``: the default tenant), the timeout of one request,
    entities per request, tries per batch and the wait before the second try (doubled for each
    further one)."""

    url: str
    tenant: str | None = None
    timeout_s: float = 10.0
    batch_size: int = 100
    attempts: int = 3
    backoff_s: float = 2.0

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            msg = f"the broker URL must start with http:// or https://, got {self.url!r}"
            raise ValueError(msg)
        if self.timeout_s <= 0 or self.batch_size <= 0 or self.attempts <= 0:
            msg = "timeout_s, batch_size and attempts must be positive"
            raise ValueError(msg)
        if self.backoff_s < 0:
            msg = f"backoff_s must not be negative, got {self.backoff_s}"
            raise ValueError(msg)

    @property
    def upsert_url(self) -> str:
        """The batch upsert endpoint."""
        return self.url.rstrip("/") + UPSERT_PATH

    def to_dict(self) -> dict[str, Any]:
        """As plain data (a job's argument)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Broker:
        """Back from :meth:`to_dict`."""
        return cls(**data)


def batches(entities: Sequence[dict[str, Any]], size: int) -> list[Sequence[dict[str, Any]]]:
    """``entities`` in runs of at most ``size``."""
    return [entities[i : i + size] for i in range(0, len(entities), size)]


def _quote(raw: bytes) -> str:
    return raw[:QUOTE_CHARS].decode("utf-8", "replace").strip()


def post_batch(broker: Broker, batch: Sequence[dict[str, Any]]) -> int:
    """Upsert one batch; the broker's status (201 or 204).

    Raises
    ------
    BrokerUnavailable
        No connection, a timeout, or a transient status (5xx, 429).
    BrokerRefused
        Any other status: a 4xx, a redirect (never followed), or 207 (some entities refused;
        the answer names them).
    """
    headers = {"Content-Type": "application/ld+json", "Accept": "application/json"}
    if broker.tenant:
        headers["NGSILD-Tenant"] = broker.tenant
    body = json.dumps(list(batch), ensure_ascii=False).encode()
    request = urllib.request.Request(broker.upsert_url, data=body, headers=headers, method="POST")
    deadline = Deadline(broker.timeout_s)
    try:
        with opener(deadline).open(request, timeout=broker.timeout_s) as answer:
            status, raw = int(answer.status), answer.read(QUOTE_CHARS)
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read(QUOTE_CHARS)
        if 300 <= status < 400 and not deadline.expired:
            where = str(exc.headers.get("Location", "nowhere"))[:QUOTE_CHARS]
            msg = (
                f"context broker at {broker.url} answered {status}, a redirect to {where}, to "
                "an upsert: redirects are not followed; set the broker URL to where it points"
            )
            raise BrokerRefused(msg) from None
    # refused, reset, DNS, timeout; HTTPException: an answer that is not HTTP
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason: object = getattr(exc, "reason", exc)
        if isinstance(exc, http.client.HTTPException):
            reason = f"not an HTTP answer: {exc!r:.{QUOTE_CHARS}}"
        if deadline.expired:
            reason = f"no whole answer within the timeout of {broker.timeout_s} s"
        msg = f"context broker at {broker.url} unreachable: {reason}"
        raise BrokerUnavailable(msg) from None
    finally:
        deadline.disarm()
    if deadline.expired:  # cut mid-answer: what was read is not the broker's whole answer
        msg = f"context broker at {broker.url} sent no whole answer within {broker.timeout_s} s"
        raise BrokerUnavailable(msg)
    if status in DONE:
        return status
    msg = f"context broker at {broker.url} answered {status} to an upsert: {_quote(raw)}"
    if status in TRANSIENT:
        raise BrokerUnavailable(msg)
    raise BrokerRefused(msg)


def upsert(
    broker: Broker,
    entities: Sequence[dict[str, Any]],
    *,
    progress: Callable[[int, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Upsert every entity, batch by batch; how many batches were sent. A batch is tried up to
    ``broker.attempts`` times while the broker is unavailable; ``progress(done, total)`` is
    called after each batch.

    Raises
    ------
    BrokerUnavailable
        A batch failed on its last try (the batches before it were taken).
    BrokerRefused
        The broker refused a batch.
    """
    runs = batches(entities, broker.batch_size)
    for done, batch in enumerate(runs, start=1):
        for attempt in range(broker.attempts):
            try:
                post_batch(broker, batch)
                break
            except BrokerUnavailable:
                if attempt + 1 == broker.attempts:
                    raise
                sleep(broker.backoff_s * 2**attempt)
        if progress is not None:
            progress(done, len(runs))
    return len(runs)
