"""Where new ids, tokens and codes come from: injected like the clock.

The platform runs on :class:`RandomIds`. A simulation or a test that must leave the same database
twice runs on :class:`SeededIds`, whose values are predictable by design: never serve real users
with it.
"""

from __future__ import annotations

import random
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Protocol


class Ids(Protocol):
    """A source of row ids, unguessable tokens and short codes."""

    def new_id(self) -> str:
        """A fresh row id (36 characters, the uuid4 text form)."""
        ...

    def token(self, nbytes: int = 16) -> str:
        """An unguessable URL-safe token of ``nbytes`` random bytes."""
        ...

    def code(self, digits: int) -> str:
        """A numeric code of ``digits`` digits (a proof code read out at the door)."""
        ...

    def salt(self) -> bytes:
        """16 random bytes for a password hash."""
        ...


class RandomIds:
    """Ids from the operating system's randomness (uuid4, ``secrets``)."""

    def new_id(self) -> str:
        """A random uuid4."""
        return str(uuid.uuid4())

    def token(self, nbytes: int = 16) -> str:
        """``secrets.token_urlsafe``."""
        return secrets.token_urlsafe(nbytes)

    def code(self, digits: int) -> str:
        """A uniformly random code."""
        return f"{secrets.randbelow(10**digits):0{digits}d}"

    def salt(self) -> bytes:
        """``secrets.token_bytes(16)``."""
        return secrets.token_bytes(16)


@dataclass(slots=True)
class SeededIds:
    """Ids from a seeded generator: the same seed gives the same sequence (simulations, tests)."""

    seed: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def new_id(self) -> str:
        """A uuid4-shaped id drawn from the seeded generator."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def token(self, nbytes: int = 16) -> str:
        """A token drawn from the seeded generator."""
        return self._rng.randbytes(nbytes).hex()

    def code(self, digits: int) -> str:
        """A code drawn from the seeded generator."""
        return f"{self._rng.randrange(10**digits):0{digits}d}"

    def salt(self) -> bytes:
        """16 bytes drawn from the seeded generator."""
        return self._rng.randbytes(16)
