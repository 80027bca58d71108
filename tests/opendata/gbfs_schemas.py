"""The official GBFS JSON schemas (../shared/data/schemas/gbfs, read in place), as one check
the GBFS tests share: each file against its version's schema, with the schema's own draft and
every format jsonschema checks, URIs included."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import FormatChecker
from jsonschema.validators import validator_for

from dispatch.opendata.gbfs_format import Version
from tests.conftest import need

SCHEMA_DIR = {Version.V3: "v3.0", Version.V2: "v2.3"}


def official_schemas(data_dir: Path) -> Callable[[Version, str, dict[str, Any]], None]:
    """``check(version, name, document)``, which fails naming the first problems; skips (fails
    under CI) without the schemas."""
    root = data_dir / "schemas" / "gbfs"
    need((root / "v3.0" / "gbfs.json").is_file(), f"GBFS schemas not found under {root}")
    return lambda version, name, doc: _check(root, version, name, doc)


def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


@cache
def _validator(root: Path, version: Version, name: str) -> Any:
    schema = json.loads((root / SCHEMA_DIR[version] / f"{name}.json").read_text())
    cls = validator_for(schema)
    cls.check_schema(schema)
    checker = FormatChecker()  # every format jsonschema knows; URIs too (no rfc3987 here)
    checker.checks("uri")(_uri)
    return cls(schema, format_checker=checker)


def _check(root: Path, version: Version, name: str, doc: dict[str, Any]) -> None:
    errors = sorted(_validator(root, version, name).iter_errors(doc), key=str)
    assert not errors, f"{version} {name}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]
    )
