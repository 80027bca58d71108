"""The OpenAPI document is valid OpenAPI and lists exactly the API's routes (issue 12)."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from web import create_app

#: Methods Flask adds to every rule by itself; the document leaves them out.
IMPLICIT = {"HEAD", "OPTIONS"}


@pytest.fixture
def spec(settings, sqlite_engine, clock, redis_url):
    """The document the app serves (it does not depend on the database: SQLite only)."""
    app = create_app(
        settings.with_overrides(redis_url=redis_url), engine=sqlite_engine, clock=clock
    )
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    return app, response.get_json()


def routes(app) -> set[tuple[str, str]]:
    """(METHOD, /api/v1/path/{param}) of every API rule in Flask's url_map."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        found |= {(method, path) for method in rule.methods - IMPLICIT}
    return found


def documented(spec: dict) -> set[tuple[str, str]]:
    """(METHOD, path) of every operation in the document."""
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch", "head", "options", "trace")
    }


def test_the_document_is_valid_openapi(spec):
    _, document = spec
    validate(document)  # raises, naming the broken part, if it is not
    assert document["openapi"].startswith("3.")


def test_the_document_lists_exactly_the_api_routes_of_the_app(spec):
    app, document = spec
    served, listed = routes(app), documented(document)
    assert served, "no /api/v1/ route found in the url_map"
    missing = sorted(served - listed)
    extra = sorted(listed - served)
    assert not missing and not extra, (
        f"served but not documented: {missing}; documented but not served: {extra}"
    )


def test_route_conversion_takes_converters_and_plain_names():
    """The diff above is only as good as its <x> → {x} conversion."""
    from flask import Flask

    app = Flask(__name__)
    app.add_url_rule("/api/v1/a/<int:n>/b/<name>", "x", lambda n, name: "")
    assert routes(app) == {("GET", "/api/v1/a/{n}/b/{name}")}


def operations(document: dict):
    """(method, path, operation) of every operation of the document."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield method, path, operation


def test_every_operation_documents_the_answers_of_the_checks_before_its_view(spec):
    _, document = spec
    missing = [
        f"{method.upper()} {path}: {status}"
        for method, path, operation in operations(document)
        for status in ("400", *(("413", "415") if method in ("post", "put", "patch") else ()))
        if status not in operation["responses"]
    ]
    assert not missing, f"undocumented answers: {missing}"


def test_error_answers_are_documented_in_the_shape_they_are_sent(spec):
    from openapi_schema_validator import OAS31Validator

    app, document = spec
    client = app.test_client()
    answers = {
        ("get", "/api/v1/me", "401"): client.get("/api/v1/me"),
        ("post", "/api/v1/auth/token", "422"): client.post("/api/v1/auth/token", json={}),
        ("post", "/api/v1/auth/token", "415"): client.post("/api/v1/auth/token", data="x"),
    }
    for (method, path, status), response in answers.items():
        assert response.status_code == int(status)
        documented = document["paths"][path][method]["responses"][status]
        ref = documented["content"]["application/json"]["schema"]["$ref"]
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        OAS31Validator(schema).validate(response.get_json())
        # and the document does not also allow what is never sent
        assert not OAS31Validator(schema).is_valid({"message": "x", "detail": {}})


def test_health_is_documented_as_it_answers_when_something_is_down(spec):
    from openapi_schema_validator import OAS31Validator

    app, document = spec
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 503  # no worker or scheduler beats in this test
    documented = document["paths"]["/api/v1/health"]["get"]["responses"]
    for status in ("200", "503"):
        ref = documented[status]["content"]["application/json"]["schema"]["$ref"]
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        resolvable = {**schema, "components": document["components"]}
        OAS31Validator(resolvable).validate(response.get_json())


def test_every_operation_kept_to_some_roles_documents_403(spec):
    """A view limited to roles answers the others 403: the document says so (the full-size
    fuzz, signed in as each role, found two that did not)."""
    app, document = spec
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        if not getattr(app.view_functions[rule.endpoint], "_spec", {}).get("roles"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - IMPLICIT:
            if "403" not in document["paths"][path][method.lower()]["responses"]:
                missing.append(f"{method} {path}")
    assert not missing, missing
