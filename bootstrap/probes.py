"""The health probe of ``fleetops run``'s processes. The supervisor (``cli.supervisor``) keeps a
JSON file of its children; the web app it started reads it here, so ``/api/v1/health`` says at
once which child is down and when it comes back, before any heartbeat goes stale.

The file: ``{"supervisor_pid": int, "children": {name: {"state": "up" | "down", "pid": int,
"restarts": int, "since": ISO time, "last_exit": int | null, "restart_in_s": float | null}}}``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

Probe = Callable[[], dict[str, Any]]


def read_processes(path: Path) -> dict[str, Any] | None:
    """The supervisor's file, or ``None`` when there is none (or half-written: the supervisor
    replaces it atomically, so that only happens with a stranger's file)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def processes_check(path: Path) -> dict[str, Any]:
    """Up when the supervisor runs and every child of it is up; else names what is down."""
    data = read_processes(path)
    if data is None:
        return {"ok": False, "message": f"no process state at {path}"}
    if not _alive(data.get("supervisor_pid")):
        return {"ok": False, "message": "the supervisor (fleetops run) is not running"}
    children = data.get("children", {})
    down = sorted(name for name, child in children.items() if child.get("state") != "up")
    summary = {
        name: {k: child.get(k) for k in ("state", "restarts", "since", "restart_in_s")}
        for name, child in children.items()
    }
    if down:
        return {"ok": False, "message": f"down: {', '.join(down)}", "children": summary}
    return {"ok": True, "children": summary}


def process_probe(path: Path | None) -> dict[str, Probe]:
    """``{"processes": probe}`` under ``fleetops run``, else nothing."""
    if path is None:
        return {}
    return {"processes": lambda: processes_check(path)}
