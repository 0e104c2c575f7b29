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
