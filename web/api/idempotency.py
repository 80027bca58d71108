"""``Idempotency-Key`` for creating POSTs: a repeat of the same request gets the first answer.

The key is scoped to the authenticated user (a bearer token's or the browser session's). A repeat
with a different body is refused (422); a repeat while the first is still running is told to
retry (409). Server errors are not stored, so the client may retry them with the same key.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request

from fleet.db import idempotency as keys
from fleet.db.engine import writing
from web.auth import request_user
from web.context import ctx
from web.errors import api_error

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Make a creating POST honour ``Idempotency-Key`` (place it right under the route)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not key or len(key) > MAX_KEY_LENGTH:
            raise api_error(
                400, f"{HEADER} must be 1–{MAX_KEY_LENGTH} characters", "bad_idempotency_key"
            )
        app = ctx()
        user = request_user()
        if user is None:
            return view(*args, **kwargs)  # the view's own auth check answers 401
        digest = hashlib.sha256(request.get_data()).hexdigest()
        with writing(app.engine) as conn:
            outcome, stored = keys.claim(
                conn,
                user_id=user.id,
                key=key,
                method=request.method,
                path=request.path,
                request_hash=digest,
                clock=app.clock,
            )
        if outcome is keys.Claim.MISMATCH:
            raise api_error(
                422, f"this {HEADER} was used for a different request", "idempotency_key_reused"
            )
        if outcome is keys.Claim.IN_PROGRESS:
            raise api_error(
                409,
                f"a request with this {HEADER} is still running; retry later",
                "idempotency_in_progress",
            )
        if outcome is keys.Claim.REPLAY:
            assert stored is not None
            replay = Response(stored.body, status=stored.status_code, mimetype="application/json")
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except Exception as exc:
            # Answer it the way the app would, so a 4xx is stored and replayed like a success.
            try:
                response = current_app.make_response(current_app.handle_user_exception(exc))
            except Exception:
                with writing(app.engine) as conn:
                    keys.release(conn, user_id=user.id, key=key)
                raise
        _store(user.id, key, response)
        return response

    return wrapper


def _store(user_id: str, key: str, response: Response) -> None:
    app = ctx()
    with writing(app.engine) as conn:
        if response.status_code >= 500:
            keys.release(conn, user_id=user_id, key=key)
        else:
            keys.store(
                conn,
                user_id=user_id,
                key=key,
                answer=keys.StoredAnswer(response.status_code, response.get_data(True)),
            )
