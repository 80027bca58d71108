"""Password hashing with scrypt (stdlib), in a self-describing format.

``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``; verification is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1
_DKLEN = 32
MIN_LENGTH = 8
#: Longer than any passphrase; scrypt of a megabyte would be work an attacker chooses.
MAX_LENGTH = 1024


def check_password(password: str) -> None:
    """Refuse a password too short to guess slowly: at least ``MIN_LENGTH`` characters that
    are not spaces (eight spaces are one keystroke held down), at most ``MAX_LENGTH``.

    Raises
    ------
    ValueError
        Saying what the password lacks.
    """
    if sum(not ch.isspace() for ch in password) < MIN_LENGTH:
        msg = f"a password needs at least {MIN_LENGTH} characters other than spaces"
        raise ValueError(msg)
    if len(password) > MAX_LENGTH:
        msg = f"a password has at most {MAX_LENGTH} characters"
        raise ValueError(msg)


#: A hash no password is known to match, in the current parameters: sign-in verifies against it
#: when the username is unknown, so an unknown name costs the same work as a wrong password and
#: answer times do not tell which usernames exist. (A literal: computing it would cost a hash
#: at import or on first use; tests check its parameters are the current ones.)
DUMMY_HASH = (
    "scrypt$16384$8$1$000102030405060708090a0b0c0d0e0f$"
    "3838e7bf53035666be08b06a593d762092c22d6fc606e4f60733e137dc3b7259"
)


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A salted scrypt hash of ``password`` (a fresh random salt unless one is given)."""
    check_password(password)
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(),
        salt=bytes.fromhex(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=len(digest) // 2,
    )
    return hmac.compare_digest(candidate.hex(), digest)
