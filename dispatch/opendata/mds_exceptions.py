"""What goes wrong asking the MDS provider feeds; ``web.opendata.mds`` answers each with the
status and MDS error body the provider spec gives it.

(Kept beside the MDS modules rather than in ``dispatch/exceptions.py`` while three open-data
feeds are written at once; each subclasses a builtin as the house's exceptions do.)"""

from __future__ import annotations


class MdsParamError(ValueError):
    """A query parameter is malformed or out of range (400 ``bad_param``)."""

    code = "bad_param"

    def __init__(self, message: str, *, param: str) -> None:
        super().__init__(message)
        self.param = param


class MdsMissingParam(MdsParamError):
    """A required query parameter is missing (400 ``missing_param``)."""

    code = "missing_param"


class HourNotOver(LookupError):
    """The hour asked for has begun but is not over: its data is not complete yet (202)."""


class HourOutOfService(LookupError):
    """The hour asked for has not begun, or the operator ran nothing then (404)."""
