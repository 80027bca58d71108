"""schemathesis over the whole OpenAPI document, in-process through the WSGI app.

:func:`fuzz` sends every operation of the document ``max_examples`` generated requests as one
caller and returns what the checks found, deduplicated, each with a curl line that reproduces
it. Generation is derandomised (Hypothesis' fixed seed, no example database), so a run finds the
same things every time. Used by tests/web/test_fuzz.py (small, in ``make test``) and the
benchmark ``python -m benchmarks fuzz`` (more examples).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from cli.demo import DEMO_PASSWORD, DEMO_PEOPLE


def _first_of_each_role() -> tuple[str, ...]:
    first: dict[str, str] = {}
    for username, _, role, _ in DEMO_PEOPLE:
        first.setdefault(str(role), username)
    return tuple(first.values())


#: The first demo login of every role the demo seeds, and ``None``: no credentials at all.
CALLERS: tuple[str | None, ...] = (None, *_first_of_each_role())


def no_server_error(ctx: CheckContext, response, case) -> bool | None:
    """No 5xx, except a 503 the operation documents (health names what is down with it)."""
    documented = case.operation.definition.raw.get("responses", {})
    if response.status_code == 503 and "503" in documented:
        return None
    return not_a_server_error(ctx, response, case)


#: What every answer must hold to: no server error, a documented status, the documented body.
CHECKS = [no_server_error, status_code_conformance, response_schema_conformance]


@dataclass(frozen=True, slots=True)
class Finding:
    """One kind of failure of one operation, as one caller saw it first."""

    operation: str
    caller: str
    failures: str
    curl: str

    def __str__(self) -> str:
        return f"{self.operation} as {self.caller}:\n{self.failures}\n    {self.curl}"


def bearer(client, username: str | None) -> dict[str, str]:
    """Headers signing ``username`` in with a fresh token (none for ``None``)."""
    if username is None:
        return {}
    body = {"username": username, "password": DEMO_PASSWORD}
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def fuzz(app, username: str | None, *, max_examples: int) -> list[Finding]:
    """Every operation of ``app``'s document, ``max_examples`` positive and a fifth as many
    negative requests each, as ``username``; what the checks found."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    headers = bearer(app.test_client(), username)
    found: dict[tuple[str, str], Finding] = {}
    modes = (
        (schemathesis.GenerationMode.POSITIVE, max_examples),
        (schemathesis.GenerationMode.NEGATIVE, max(1, max_examples // 5)),
    )
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in modes:
            _run(operation, mode, examples, headers, username or "anonymous", found)
    return list(found.values())


def _run(operation, mode, examples: int, headers, caller: str, found) -> None:
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: each finding is reported as met
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as exc:
            kinds = "\n".join(line for line in str(exc).splitlines() if line.startswith("- "))
            key = (operation.label, kinds)
            if key not in found:
                curl = case.as_curl_command(headers=headers)
                found[key] = Finding(operation.label, caller, _summary(exc), curl)

    # Unsatisfiable: nothing of this mode can be generated (no parameter to break, say).
    with contextlib.suppress(Unsatisfiable):
        check()


def _summary(exc: BaseException) -> str:
    """The failure lines and the answer, without schemathesis' reproduction notes."""
    text = str(exc).split("Reproduce with:")[0].strip()
    return "\n".join(f"    {line}" for line in text.splitlines() if line.strip())[:1200]
