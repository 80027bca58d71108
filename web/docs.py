"""``/api/docs``: the OpenAPI document rendered as a plain page (no CDN, no JavaScript)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

bp = Blueprint("docs", __name__)

_METHODS = ("get", "post", "put", "patch", "delete")


def _schema_name(ref: dict[str, Any] | None) -> str:
    if not ref:
        return ""
    if "$ref" in ref:
        return str(ref["$ref"]).rsplit("/", 1)[-1]
    if ref.get("type") == "array":
        return f"list of {_schema_name(ref.get('items'))}"
    return str(ref.get("type", "object"))


@bp.get("/api/docs")
def api_docs() -> str:
    spec: dict[str, Any] = current_app.spec  # type: ignore[attr-defined]
    operations = []
    for path, item in sorted(spec.get("paths", {}).items()):
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "secured": bool(op.get("security")),
                    "parameters": [
                        {"name": p["name"], "in": p["in"], "required": p.get("required", False)}
                        for p in op.get("parameters", [])
                    ],
                    "body": _schema_name(body.get("schema")),
                    "responses": {
                        code: r.get("description", "")
                        for code, r in op.get("responses", {}).items()
                    },
                }
            )
    schemas = spec.get("components", {}).get("schemas", {})
    return render_template(
        "api_docs.html", info=spec.get("info", {}), operations=operations, schemas=schemas
    )
