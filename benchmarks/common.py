"""Shared pieces of the benchmarks: settings, where tables go, a small machine description."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from config.settings import PROJECT_ROOT, load_settings

OUT = PROJECT_ROOT / "docs" / "benchmarks"


def settings_for_bench() -> Any:
    """Settings from the environment (data dir, cache dir)."""
    return load_settings()


def machine() -> str:
    """One line about where the numbers were taken."""
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}"
    )


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def write(name: str, rows: list[dict[str, Any]], markdown: str) -> Path:
    """Write ``docs/benchmarks/<name>.json`` and ``.md``; return the markdown path."""
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    path = OUT / f"{name}.md"
    path.write_text(markdown, encoding="utf-8")
    return path


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    """A markdown table of ``rows`` with ``(key, header)`` columns."""
    head = "| " + " | ".join(h for _, h in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = []
    for r in rows:
        cells = []
        for key, _ in columns:
            v = r.get(key, "")
            cells.append(f"{v:.3f}" if isinstance(v, float) else str(v))
        body.append("| " + " | ".join(cells) + " |")
    return "\n".join([head, rule, *body]) + "\n"
