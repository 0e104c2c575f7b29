"""The OpenAPI document: valid OpenAPI 3.0, complete, and true (checked by schemathesis)."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from placemaker.extensions import db
from placemaker.ogc.registry import registry

DOCUMENTED_PREFIXES = ("/api/", "/ogc", "/exports/")
# Examples per operation and mode: enough to find what breaks, few enough for 2 cores.
EXAMPLES = 10


def test_document_is_valid_openapi_30(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    document = response.get_json()
    assert document["openapi"].startswith("3.0.")
    validate(document)  # raises on any violation of the OpenAPI 3.0 schema


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_every_route_is_documented(app, client):
    """Adding an /api/ route without describing it in the document fails here."""
    paths = client.get("/api/openapi.json").get_json()["paths"]
    with app.app_context():
        collection_ids = [c.id for c in registry(app).all()]
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(DOCUMENTED_PREFIXES) or rule.rule.startswith("/static"):
            continue
        path = _openapi_path(rule.rule)
        # OGC routes are documented once per collection, with the collection id filled in.
        candidates = (
            [path.replace("{collection_id}", cid) for cid in collection_ids]
            if "{collection_id}" in path
            else [path]
        )
        for candidate in candidates:
            candidate = candidate.replace("{feature_id}", "{featureId}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                if method.lower() not in paths.get(candidate, {}):
                    missing.append(f"{method} {candidate}")
    assert not missing, f"routes missing from /api/openapi.json: {missing}"


def test_docs_page_lists_every_operation(client):
    document = client.get("/api/openapi.json").get_json()
    page = client.get("/api/docs?lang=en")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for path, item in document["paths"].items():
        for method in item:
            assert f"{method.upper()} {path}" in html


# Checks left out, and why:
# - positive_data_acceptance: OpenAPI 3.0 cannot say that a bbox's minimum comes first or that
#   an interval starts before it ends (replaced by a narrower assertion below);
# - negative_data_rejection: a wrong-typed value (false for a list of kinds) becomes a valid
#   string once written into a URL, so "accepted invalid data" is a false alarm there.
EXCLUDED = {
    GenerationMode.POSITIVE: [positive_data_acceptance],
    GenerationMode.NEGATIVE: [negative_data_rejection],
}


# schemathesis' own pytest integration (from_fixture) does not run on pytest 9, and the
# document needs the app (collections depend on data): run one Hypothesis test per operation
# and mode inside a test instead, collecting every failure.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_keeps_its_document(app, mode, monkeypatch):
    """Generated requests get documented answers (status, media type, schema), never a 500."""
    # The document describes what a planner may ask; the caps and the limit on anonymous
    # analyses (GAPS_ANON_*) have their own tests in test_gaps_hardening.
    monkeypatch.setitem(app.config, "GAPS_ANON_MAX_P", 200)
    monkeypatch.setitem(app.config, "GAPS_ANON_MAX_RADIUS_M", 5000)
    monkeypatch.setitem(app.config, "GAPS_ANON_RATE_LIMIT", "100000 per minute")
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20

    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not operation.definition.raw.get("parameters"):
            continue  # nothing to get wrong
        # The gap analysis computes for seconds per request: fewer examples there.
        examples = EXAMPLES // 3 if operation.path.startswith("/api/gaps/") else EXAMPLES

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            # identity: the test transport does not unpack gzip as HTTP clients do.
            response = case.call_and_validate(
                headers={"Accept-Encoding": "identity"}, excluded_checks=EXCLUDED[mode]
            )
            # Instead of positive_data_acceptance: OpenAPI 3.0 cannot say that a bbox's
            # minimum comes first or that an interval starts before it ends, so only those
            # schema-valid values may still be refused.
            if mode is GenerationMode.POSITIVE and response.status_code == 400:
                assert set(case.query or {}) & {"bbox", "datetime"}, (
                    f"schema-valid request refused: {case.path} {case.query} {response.text[:300]}"
                )

        try:
            check()
        except Exception as exc:  # noqa: BLE001  (collect them all, report at the end)
            failures[operation.label] = str(exc)[:1500]
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())


def test_an_undescribed_route_is_missing_from_the_document():
    """Routes are described by the schema that parses them: a view without one is absent,
    which test_every_route_is_documented reports."""
    from tests.conftest import TEST_DATABASE_URL, make_test_app

    app = make_test_app(TEST_DATABASE_URL)
    app.add_url_rule("/api/undescribed", "undescribed", lambda: "{}")
    try:
        paths = app.test_client().get("/api/openapi.json").get_json()["paths"]
    finally:
        with app.app_context():
            db.engine.dispose()
    assert "/api/undescribed" not in paths and "/api/places" in paths
    parameters = {p["name"]: p for p in paths["/api/places"]["get"]["parameters"]}
    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 10000}
    assert parameters["status"]["schema"]["items"]["enum"] == [
        "planned",
        "under_construction",
        "active",
        "temporarily_closed",
        "gone",
    ]
