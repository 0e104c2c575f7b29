"""The planners' page takes away what is on screen (CSV, GeoPackage, a printable report of the
map's own parameters), and a comparison of unlike scenarios says so (issue 13, item 7)."""

from __future__ import annotations

import csv
import io

import pytest
import shapely
from pyogrio.raw import read

from tests.test_planners_page import PLANNER, map_options, save, text_of

QUERY = "p=2&area=DX09&kind=bench"


def _api(client, query: str) -> dict:
    response = client.get(f"/api/gaps/suggestions?{query}")
    assert response.status_code == 200, text_of(response)
    return response.get_json()


def test_csv_holds_the_suggestions_for_the_maps_parameters_not_the_last_scenario(client, login):
    login(PLANNER)
    save(client, "Vijf plekken", {"p": "5", "area": "DX09"})
    response = client.get(f"/planners/suggestions.csv?{QUERY}")
    assert response.status_code == 200, text_of(response)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="gap_suggestions.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(text_of(response))))
    expected = _api(client, QUERY)["features"]
    assert [int(r["rank"]) for r in rows] == [1, 2]
    for row, site in zip(rows, expected, strict=True):
        assert float(row["new_residents_reached"]) == site["properties"]["new_residents_reached"]
        assert row["area_code"] == site["properties"]["area"]["code"]
        assert row["scenario"] == ""
        assert '"kind": "bench"' in row["parameters"] and '"p": 2' in row["parameters"]


def test_geopackage_holds_the_same_sites(client, login, tmp_path):
    login(PLANNER)
    response = client.get(f"/planners/suggestions.gpkg?{QUERY}")
    assert response.status_code == 200, text_of(response)
    assert response.mimetype == "application/geopackage+sqlite3"
    path = tmp_path / "s.gpkg"
    path.write_bytes(response.data)
    meta, _fids, geometry, columns = read(path)
    expected = _api(client, QUERY)["features"]
    assert list(columns[list(meta["fields"]).index("rank")]) == [1, 2]
    points = shapely.from_wkb(geometry)
    for point, site in zip(points, expected, strict=True):
        assert [round(point.x, 6), round(point.y, 6)] == site["geometry"]["coordinates"]


def test_the_printable_report_lists_the_sites_and_links_the_files(client, login):
    login(PLANNER)
    html = text_of(client.get(f"/planners/report?{QUERY}&lang=en"))
    body = html.split('<table class="gaps-report-table">')[1]
    assert body.count('<th scope="row">') == 2
    result = _api(client, QUERY)
    reached = f"{result['new_residents_reached']:,.0f}"
    assert f"Together the 2 sites reach {reached} residents" in html
    assert "/planners/suggestions.csv?p=2&amp;kind=bench&amp;area=DX09" in html
    assert "/planners/suggestions.gpkg?p=2&amp;kind=bench&amp;area=DX09" in html
    assert "<td>Bench</td>" in html  # the kind, in words, among the parameters


def test_bad_parameters_and_formats_get_a_clear_answer(client, login):
    bad = client.get("/planners/suggestions.csv?p=0")
    assert bad.status_code == 400 and "p must lie between" in text_of(bad)
    # the public analysis has its limits here too
    assert client.get("/planners/report?p=40").status_code == 400
    assert client.get("/planners/suggestions.xlsx?p=2").status_code == 404


def test_the_page_offers_the_downloads_of_the_map(client):
    html = text_of(client.get("/planners"))
    assert 'id="gaps-exports"' in html and 'data-export="gpkg"' in html
    urls = map_options(html)["urls"]
    assert urls["exports"] == {
        "csv": "/planners/suggestions.csv",
        "gpkg": "/planners/suggestions.gpkg",
    }
    assert urls["report"] == "/planners/report"


@pytest.mark.parametrize(
    ("b_params", "fields"),
    [
        ({"p": "2", "area": "DX09", "kind": "bench"}, ["kind", "radius_m"]),
        ({"p": "2", "area": "DX09", "radius": "600"}, ["radius_m"]),
        ({"p": "2", "area": "DX09", "catchment": "network"}, ["catchment"]),
        ({"p": "3", "area": "DX09"}, []),
    ],
)
def test_comparing_unlike_scenarios_warns(client, login, b_params, fields):
    login(PLANNER)
    a = save(client, "Alle soorten", {"p": "2", "area": "DX09"})
    b = save(client, "Anders", b_params)
    api = client.get(f"/api/gaps/scenarios/compare?a={a['id']}&b={b['id']}").get_json()
    assert [w["field"] for w in api["warnings"]] == fields
    html = text_of(client.get(f"/planners/compare?a={a['id']}&b={b['id']}&lang=en"))
    if not fields:
        assert "gaps-compare-warnings" not in html
        return
    assert "Careful: these scenarios answer different questions." in html
    for w in api["warnings"]:
        assert f'<li data-field="{w["field"]}">' in html
    if "kind" in fields:
        assert api["warnings"][0]["a"] == "all kinds" and api["warnings"][0]["b"] == "bench"
        assert "The kind of place differs (A: All kinds, B: Bench)" in html
    if fields == ["radius_m"]:
        assert api["warnings"][0]["b"] == 600
        assert "B: 600 m" in html
