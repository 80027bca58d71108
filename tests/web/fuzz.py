"""schemathesis over the whole OpenAPI document, in-process through the WSGI app.

:func:`fuzz` runs schemathesis' phases over every operation of the document as one caller
(the schema's examples, the coverage of each bound it states and just past it, then
``max_examples`` fuzzed requests, positive and negative) and returns what the checks found,
deduplicated, each with a curl line that reproduces it. Generation is derandomised (a fixed
seed, no example database, no shrinking), so a run finds the same things every time.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import schemathesis
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.pytest.lazy import get_all_tests
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


def config(max_examples: int) -> schemathesis.Config:
    """Every phase that needs no links (examples, coverage of the schema's boundaries,
    fuzzing), positive and negative, derandomised with a fixed seed."""
    return schemathesis.Config.from_dict(
        {
            "seed": 12,
            "generation": {
                "mode": "all",
                "max-examples": max_examples,
                "deterministic": True,
                "no-shrink": True,
                "database": "none",
            },
            "phases": {"stateful": {"enabled": False}},
        }
    )


def fuzz(app, username: str | None, *, max_examples: int) -> list[Finding]:
    """Every operation of ``app``'s document as ``username``; what the checks found."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config(max_examples))
    headers = bearer(app.test_client(), username)
    caller = username or "anonymous"
    found: dict[tuple[str, str], Finding] = {}

    def check(case) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as exc:
            kinds = "\n".join(line for line in str(exc).splitlines() if line.startswith("- "))
            key = (case.operation.label, kinds)
            if key not in found:
                curl = case.as_curl_command(headers=headers)
                found[key] = Finding(case.operation.label, caller, _summary(exc), curl)

    for result in get_all_tests(schema=schema, test_func=check, settings=None, given_kwargs=None):
        _, test = result.ok()
        # Unsatisfiable: nothing of a mode can be generated (no parameter to break, say).
        with contextlib.suppress(Unsatisfiable):
            test()
    return list(found.values())


def _summary(exc: BaseException) -> str:
    """The failure lines and the answer, without schemathesis' reproduction notes."""
    text = str(exc).split("Reproduce with:")[0].strip()
    return "\n".join(f"    {line}" for line in text.splitlines() if line.strip())[:1200]
