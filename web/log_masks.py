"""Secrets that reach a log line through a URL, masked: tracking codes.

A tracking code (``/track/<code>``, ``/api/v1/track/<code>``) lets whoever holds it follow a
customer's parcel. gunicorn's access log masks it (``web.access_log``); so does the app's own
log, which names the path of a request that failed (Flask's "Exception on <path>").
"""

from __future__ import annotations

import logging
import re

_TRACKING_CODE = re.compile(r"(/track/)[^/?#\s\"']+")
#: What a tracking code is written as.
MASK = "[code]"


def mask_tracking_codes(text: str) -> str:
    """``text`` with every tracking code in a tracking path replaced by :data:`MASK`."""
    return _TRACKING_CODE.sub(rf"\g<1>{MASK}", text)


class TrackingCodeFilter(logging.Filter):
    """Mask tracking codes in a record's message and arguments (the record is kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_tracking_codes(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                mask_tracking_codes(a) if isinstance(a, str) else a for a in record.args
            )
        return True
