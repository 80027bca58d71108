"""How many wrong passwords sign-in takes: per username and per client address, within a window.

Failures are counted in a store every web worker shares (Redis, ``dispatch.queue.attempts``);
without Redis, in the process (``MemoryAttempts``: each worker then counts its own). A username
or an address with too many failures is refused before its password is checked, until its
window ends; a successful sign-in forgets its username's failures (not its address's, so one
account of their own does not let a guesser go on).
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from dispatch.exceptions import TooManySignIns
from fleet.identity import User


class Attempts(Protocol):
    """Failure counters that expire at the end of their window."""

    def count(self, key: str) -> tuple[int, int]:
        """The failures under ``key`` and the seconds until they are forgotten (0, 0: none)."""
        ...

    def add(self, key: str, window_s: int) -> None:
        """Count one failure under ``key``; a first failure starts a window of ``window_s``."""
        ...

    def clear(self, key: str) -> None:
        """Forget the failures under ``key``."""
        ...


@dataclass(slots=True)
class MemoryAttempts:
    """:class:`Attempts` in this process (a single worker, tests, a simulation)."""

    _counts: dict[str, tuple[int, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, key: str) -> tuple[int, int]:
        with self._lock:
            failures, until = self._counts.get(key, (0, 0.0))
            left = until - time.monotonic()
            return (failures, max(int(left + 0.999), 1)) if left > 0 else (0, 0)

    def add(self, key: str, window_s: int) -> None:
        now = time.monotonic()
        with self._lock:
            failures, until = self._counts.get(key, (0, 0.0))
            if until <= now:
                failures, until = 0, now + window_s
            self._counts[key] = (failures + 1, until)

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)


@dataclass(frozen=True, slots=True)
class SignInLimits:
    """Wrong passwords allowed per username and per client address within ``window_s``."""

    per_username: int = 10
    per_address: int = 100
    window_s: int = 900


def _keys(username: str, address: str | None) -> tuple[str, str | None]:
    # Hashed: a username is whatever the caller sent, and keys should stay short and plain.
    name = hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()[:32]
    user_key = f"fleetops:sign-in:user:{name}"
    return user_key, f"fleetops:sign-in:addr:{address}" if address else None


def refuse_if_limited(
    attempts: Attempts, limits: SignInLimits, username: str, address: str | None
) -> None:
    """Raise :class:`TooManySignIns` if ``username`` or ``address`` has used up its failures."""
    user_key, address_key = _keys(username, address)
    waits = []
    failures, left_s = attempts.count(user_key)
    if failures >= limits.per_username:
        waits.append(left_s)
    if address_key is not None:
        failures, left_s = attempts.count(address_key)
        if failures >= limits.per_address:
            waits.append(left_s)
    if waits:
        raise TooManySignIns(max(max(waits), 1))


def record(
    attempts: Attempts,
    limits: SignInLimits,
    username: str,
    address: str | None,
    user: User | None,
) -> None:
    """Count a failed sign-in (``user`` is ``None``), or forget the username's failures."""
    user_key, address_key = _keys(username, address)
    if user is not None:
        attempts.clear(user_key)
        return
    attempts.add(user_key, limits.window_s)
    if address_key is not None:
        attempts.add(address_key, limits.window_s)
