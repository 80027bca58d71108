"""The key sessions are signed with when ``SECRET_KEY`` is unset: made once per var dir.

Every gunicorn worker loads the settings on its own; a random key per process made a session
signed by one worker invalid in the others (37 of 40 sign-ins failed with four workers). So the
first process makes a key and keeps it in ``<var_dir>/secret_key`` (mode 0600), and every
process after reads it. Several workers starting at once cannot each make their own: the file
is written under a temporary name and linked into place, which only one of them can do.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path

from config.exceptions import SettingsError

log = logging.getLogger(__name__)

FILE_NAME = "secret_key"


def shared_secret_key(var_dir: Path) -> tuple[str, Path]:
    """The key kept in ``var_dir`` (made now if there is none yet), and its file.

    Raises
    ------
    SettingsError
        The file cannot be read or made: set ``SECRET_KEY`` instead.
    """
    path = var_dir / FILE_NAME
    try:
        return _read(path), path
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _cannot(path, exc) from None
    try:
        var_dir.mkdir(parents=True, exist_ok=True)
        made = _make(path)
        key = _read(path)
    except OSError as exc:
        raise _cannot(path, exc) from None
    if made:
        log.warning(
            "SECRET_KEY is unset: made a session key in %s (mode 0600), shared by every "
            "process on this var dir; set SECRET_KEY to choose your own",
            path,
        )
    return key, path


def _read(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if not key:
        msg = f"{path} is empty"
        raise OSError(msg)
    return key


def _make(path: Path) -> bool:
    """Make the key file unless another process did first; whether this one made it."""
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        os.link(tmp, path)  # fails if the file exists: the first link wins
        return True
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _cannot(path: Path, exc: OSError) -> SettingsError:
    msg = (
        f"auth.secret_key (SECRET_KEY) is unset and the shared key file {path} cannot be used "
        f"({exc.strerror or exc}): set SECRET_KEY, or make the var dir writable"
    )
    return SettingsError(msg)
