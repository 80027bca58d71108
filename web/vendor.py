"""Front-end libraries served from installed Python packages: no CDN at run time.

Leaflet comes from the XStatic-Leaflet wheel (``xstatic.pkg.leaflet``), which packs Leaflet's
own release files; ``/vendor/leaflet/<file>`` serves them. Anything Leaflet lacks (drawing a
closure, a vector base map, the charts) is our own small code in ``web/static/js``.
"""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from xstatic.pkg import leaflet

bp = Blueprint("vendor", __name__)
_DAY_S = 24 * 3600


@bp.get(f"/vendor/leaflet-{leaflet.VERSION}/<path:filename>")
def leaflet_file(filename: str) -> Response:
    """A file of Leaflet's release (versioned path: cached for a day)."""
    return send_from_directory(leaflet.BASE_DIR, filename, max_age=_DAY_S)


#: The path prefix templates link Leaflet under.
LEAFLET = f"/vendor/leaflet-{leaflet.VERSION}"
