"""schemathesis over the whole OpenAPI document as every demo role and anonymously, on the
seeded demo city, on PostgreSQL (the stricter of the two: integer widths, text): no server
error, only documented statuses, every answer as documented (issue 12). The small version of
``make bench``'s full-size fuzz (benchmarks/fuzz.py, docs/benchmarks/fuzz.md).

A failure lists each finding with a curl line that reproduces it.
"""

from __future__ import annotations

import pytest

from benchmarks.fuzz import CALLERS, fuzz
from cli.demo import DEMO_PEOPLE
from web import create_app

#: Generated requests per operation and caller: the whole run stays within a few minutes.
MAX_EXAMPLES = 10


def test_every_demo_role_is_a_caller():
    roles = {str(role) for username, _, role, _ in DEMO_PEOPLE if username in CALLERS}
    assert roles == {str(role) for _, _, role, _ in DEMO_PEOPLE}
    assert None in CALLERS


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
@pytest.mark.parametrize("username", CALLERS, ids=lambda u: u or "anonymous")
def test_the_api_keeps_its_document(demo, engine, settings, clock, redis_url, username):
    app = create_app(settings.with_overrides(redis_url=redis_url), engine=engine, clock=clock)
    report = fuzz(app, username, max_examples=MAX_EXAMPLES)
    assert report.requests > report.operations > 0  # it ran
    findings = "\n\n".join(map(str, report.findings))
    assert not report.findings, f"{len(report.findings)} findings:\n\n{findings}"
