"""The MDS 2.0 schemas of the shared data folder as validators, offline.

The models are YAML files that point at each other by relative ``$ref``; they are loaded into
a ``referencing`` registry under one made-up base URI (nothing is fetched), so
``models/event.yaml`` finds ``./data-types/uuid.yaml`` and ``reference/provider.yaml`` finds
``../models/vehicle.yaml`` the way a validator with the files beside it would.

Two repairs, both mechanical and both needed to validate anything at all:

* ``contains: [a, b, ...]`` (each mode's event ``if``) is a list where JSON Schema wants a
  schema; jsonschema crashes on it. It is read as meant: ``contains: {enum: [a, b, ...]}``.
* vehicle, trip and event end in ``oneOf`` the four modes. The modes overlap (a micromobility
  ``trip_end`` event is also a valid car-share, delivery-robot and passenger-service event, and
  a vehicle without mode-only fields fits three), so ``oneOf`` refuses every such item whatever
  the provider sends. MDS says a provider_id serves one mode, so the items are checked against
  the common model plus *their* mode: ``mode=`` narrows the ``oneOf`` to that mode's branch.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "https://mds.invalid/v2.0/"
MODES = ("car-share", "delivery-robots", "micromobility", "passenger-services")


def _repair(node: Any) -> Any:
    """``contains`` lists as ``enum`` schemas, everywhere in ``node``."""
    if isinstance(node, dict):
        fixed = {k: _repair(v) for k, v in node.items()}
        if isinstance(fixed.get("contains"), list):
            fixed["contains"] = {"enum": fixed["contains"]}
        return fixed
    if isinstance(node, list):
        return [_repair(v) for v in node]
    return node


def _narrow(node: Any, mode: str) -> Any:
    """Keep only ``mode``'s branch of a ``oneOf`` over the four modes."""
    if not isinstance(node, dict):
        return node
    narrowed = dict(node)
    if "allOf" in narrowed:
        parts = []
        for part in narrowed["allOf"]:
            branches = part.get("oneOf") if isinstance(part, dict) else None
            refs = [b.get("$ref", "") for b in branches or [] if isinstance(b, dict)]
            if branches and all("/modes/" in r for r in refs) and len(refs) == len(MODES):
                kept = [b for b in branches if f"/modes/{mode}/" in b["$ref"]]
                part = {**part, "oneOf": kept}
            parts.append(part)
        narrowed["allOf"] = parts
    return narrowed


@cache
def registry(root: Path, mode: str | None = "micromobility") -> Registry:
    """Every YAML file of ``root`` (the ``v2.0`` folder) as a resource under :data:`BASE`,
    repaired, and narrowed to ``mode`` unless it is ``None``."""
    resources: list[tuple[str, Resource[Any]]] = []
    for path in sorted(root.rglob("*.yaml")):
        contents = _repair(yaml.safe_load(path.read_text(encoding="utf-8")))
        if mode is not None:
            contents = _narrow(contents, mode)
        uri = BASE + path.relative_to(root).as_posix()
        resources.append((uri, DRAFT202012.create_resource(contents)))
    return Registry().with_resources(resources)


def validator(root: Path, ref: str, mode: str | None = "micromobility") -> Any:
    """A validator of the schema at ``ref`` (relative to the ``v2.0`` folder, with an optional
    JSON pointer), formats checked."""
    return jsonschema.Draft202012Validator(
        {"$ref": BASE + ref},
        registry=registry(root, mode),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def model(root: Path, name: str, mode: str | None = "micromobility") -> Any:
    """A validator of ``models/<name>.yaml``."""
    return validator(root, f"models/{name}.yaml", mode)


def envelope(root: Path, path: str, status: str = "200") -> Any:
    """A validator of the provider spec's response body for ``GET path`` answering ``status``."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    return validator(
        root,
        f"reference/provider.yaml#/paths/{pointer}/get/responses/{status}/content/"
        "application~1json/schema",
    )


def problems(checker: Any, instance: Any) -> list[str]:
    """Every way ``instance`` fails ``checker``, as readable lines (empty: it is valid)."""
    found = []
    for error in checker.iter_errors(instance):
        where = "/".join(str(p) for p in error.absolute_path)
        found.append(f"{where}: [{error.validator}] {error.message[-300:]}")
        found.extend(f"  {where}: {e.message[:200]}" for e in error.context or [])
    return found
