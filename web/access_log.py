"""gunicorn's access log without tracking codes (``fleetops web`` runs gunicorn with
``--logger-class web.access_log.TrackingCodesMasked``).

A tracking code (``/track/<code>``, ``/api/v1/track/<code>``) lets whoever holds it follow a
customer's parcel, so it is a secret the log must not keep: the request line, the path, a
Referer and any header or variable that holds one is written with the code replaced.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from web.log_masks import mask_tracking_codes


class TrackingCodesMasked(Logger):
    """gunicorn's logger, whose access-log atoms hold no tracking code."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {
            key: mask_tracking_codes(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
