"""A manager calls off a crew task of an approved plan before the crew starts it."""

from __future__ import annotations

from typing import Any

from dispatch.ops import crew_tasks
from web.api import api
from web.api.plans import TaskOut, task_out
from web.auth import MANAGERS, api_auth, current_user
from web.context import ctx


class CancelledTask(TaskOut):
    """A task as it stands after its cancellation (its own class: apispec names each once)."""


@api.post("/ops/tasks/<ops_task_id>/cancel")
@api.auth_required(api_auth, roles=MANAGERS)
@api.output(CancelledTask)
@api.doc(
    summary="Call off an approved task the crew has not started (managers): the other half of "
    "its move goes with it, reserved packs are released, a picked-up vehicle goes back in service",
    responses={
        401: "no valid token",
        403: "not a manager",
        404: "no such task",
        409: "the task is not assigned (a proposal's, started, done, failed, cancelled), or its "
        "move's pick-up is under way",
    },
)
def cancel_task(ops_task_id: str) -> dict[str, Any]:
    return task_out(crew_tasks.cancel(ctx().crews, current_user(), ops_task_id))
