"""Abuse limits and bad input: each answered with a clear message, nothing lost or leaked."""

from __future__ import annotations

import csv
import io

from tests.test_proposals import QUIET, new_client  # noqa: F401  (fixtures)
from tests.test_proposals import _fresh_limits  # noqa: F401  (fixture)
from tests.test_proposals_web import propose

FORMULA = '=HYPERLINK("http://evil.example","klik") hier graag een bankje in de schaduw'


def test_proposals_csv_is_formula_escaped(app):
    resident = new_client(app)
    assert propose(resident, reason=FORMULA).status_code == 303
    response = resident.get("/exports/proposals.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    reasons = [r.get("reason") for r in rows if (r.get("reason") or "").endswith("schaduw")]
    assert reasons == ["'" + FORMULA]


def test_refused_proposals_do_not_count_and_the_429_page_keeps_the_text(app, monkeypatch):
    monkeypatch.setitem(app.config, "PROPOSAL_RATE_LIMIT", "2 per minute")
    resident = new_client(app)
    for _ in range(3):  # refused forms: nothing received, nothing counted
        assert propose(resident, lat="91").status_code == 400
    assert propose(resident).status_code == 303
    assert propose(resident, lon=str(QUIET[0] + 0.001)).status_code == 303
    reason = "Een derde plek: hier staat nog niets, maar er wonen veel mensen in de buurt."
    refused = propose(resident, lon=str(QUIET[0] + 0.002), reason=reason)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "U hebt in korte tijd veel voorstellen verstuurd." in html
    assert reason in html and 'name="submission_key"' in html


def test_proxy_fix_is_configured_through_the_environment():
    from tests.conftest import TEST_DATABASE_URL, make_test_app

    seen = []
    for hops in (0, 1):
        proxied = make_test_app(TEST_DATABASE_URL, PROXY_FIX_FOR=hops)
        proxied.add_url_rule("/_whoami", "whoami", lambda: seen.append(
            __import__("flask").request.remote_addr) or "")
        proxied.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.7"},
                                  environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen == ["10.0.0.1", "203.0.113.7"]
