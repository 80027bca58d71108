"""Security headers on every answer.

Pages may load scripts, styles and images from this site only (no inline script or style: the
templates have none, and a test keeps it so) and may not be framed (clickjacking). No answer
sends a Referer onwards, so a tracking link (``/track/<token>``) never leaks to another site
from its page, and no answer may be sniffed into another type than it declares.
"""

from __future__ import annotations

from flask import Flask, Response

#: What a page may load: this site's own files.
PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
#: Anything that is not a page (JSON) loads nothing and is framed nowhere.
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"

_ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _secure(response: Response) -> Response:
    for name, value in _ALWAYS.items():
        response.headers.setdefault(name, value)
    policy = PAGE_POLICY if response.mimetype == "text/html" else OTHER_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    return response


def install(app: Flask) -> None:
    """Add the headers to every answer of ``app``."""
    app.after_request(_secure)
