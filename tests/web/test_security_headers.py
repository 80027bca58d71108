"""Security headers: pages allow only this site's scripts and styles and no framing, tracking
links do not leak in a Referer, and no answer is sniffed into another type."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    parts = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


def _assert_page_headers(response) -> None:
    policy = _policy(response)
    assert policy.get("default-src") == "'self'", response.headers
    assert "'unsafe-inline'" not in policy.get("script-src", policy["default-src"])
    assert "'unsafe-inline'" not in policy.get("style-src", policy["default-src"])
    assert policy.get("frame-ancestors") == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_pages_carry_csp_frame_and_referrer_headers(client, world):
    for path in ("/login", "/api/docs", "/track/no-such-code"):
        _assert_page_headers(client.get(path))


def test_api_answers_are_not_sniffed_nor_framed_and_leak_no_referrer(client, world):
    for path in ("/api/v1/vehicles", "/api/v1/track/no-such-code", "/api/openapi.json"):
        response = client.get(path)
        assert response.mimetype == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert _policy(response).get("frame-ancestors") == "'none'"


def test_templates_hold_no_inline_script_or_style():
    """A CSP without 'unsafe-inline' would block them: scripts and styles live in web/static."""
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", text), template.name
