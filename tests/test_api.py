"""The JSON API as planners and the map meet it."""

from __future__ import annotations

import pytest


def test_overtoomse_veld_noord(client):
    """The figures the research neighbourhood must show."""
    response = client.get("/api/areas/F86a")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    feature = response.get_json()
    props = feature["properties"]
    assert feature["type"] == "Feature" and feature["id"] == "F86a"
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert props["name"] == "Overtoomse Veld Noord"
    assert props["population"] == 6210
    assert props["population_year"] == 2021
    gebied = next(a for a in props["ancestors"] if a["level"] == "gebied")
    assert gebied == {"level": "gebied", "code": "DX09", "name": "Slotervaart"}
    cohesion = props["cohesion"]
    assert (cohesion["score"], cohesion["year"], cohesion["inherited"]) == (5.2, 2017, True)
    assert cohesion["from_area"]["code"] == "DX09"
    assert cohesion["scale"] == [1, 10]
    assert props["place_count"] >= 2  # OBA Postjesweg and BK Buurtkracht lie here


def test_areas_by_level(client):
    body = client.get("/api/areas?level=gebied").get_json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 23
    dx09 = next(f for f in body["features"] if f["id"] == "DX09")
    assert dx09["properties"]["cohesion"]["inherited"] is False
    assert dx09["properties"]["population"] == 41988  # BBGA 2018


def test_area_cohesion_for_a_year(client):
    props = client.get("/api/areas/F86a?year=2014").get_json()["properties"]
    assert (props["cohesion"]["score"], props["cohesion"]["year"]) == (4.8, 2014)


def test_wijk_population_is_the_sum_of_its_buurten(client):
    props = client.get("/api/areas/F86").get_json()["properties"]
    assert props["population"] == 6210 + 4410 + 980 + 840 + 715 + 1180
    assert len(props["children"]) == 6


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/api/areas/NOPE", 404, "area 'NOPE' does not exist"),
        (
            "/api/areas?level=straat",
            400,
            "unknown level 'straat' (levels: gemeente, stadsdeel, gebied, wijk, buurt)",
        ),
        (
            "/api/places?bbox=4.9,52.3,4.8",
            400,
            "bbox needs four numbers: min_lon,min_lat,max_lon,max_lat",
        ),
        (
            "/api/places?bbox=4.9,52.4,4.8,52.3",
            400,
            "bbox must be min_lon,min_lat,max_lon,max_lat with min <= max",
        ),
        ("/api/places?limit=0", 400, "limit must lie between 1 and 10000"),
        ("/api/places?limit=abc", 400, "limit must be a whole number"),
        (
            "/api/places?status=open",
            400,
            "status must be one of planned, under_construction, active, temporarily_closed, gone",
        ),
        ("/api/places/999999", 404, "place 999999 does not exist"),
    ],
)
def test_errors_are_json(client, url, status, message):
    response = client.get(url)
    assert response.status_code == status
    code = {400: "invalid_input", 404: "not_found"}[status]
    assert response.get_json() == {"error": {"code": code, "message": message}}


def test_places_paging_returns_each_once(client):
    seen: list[int] = []
    url = "/api/places?limit=100"
    while url:
        body = client.get(url).get_json()
        seen += [f["id"] for f in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nxt[0].replace("http://localhost", "") if nxt else None
    assert body["number_matched"] == 436
    assert len(seen) == len(set(seen)) == 436


def test_places_filters(client):
    body = client.get("/api/places?kind=library&limit=1000").get_json()
    assert body["number_matched"] == 26
    assert {f["properties"]["kind"] for f in body["features"]} == {"library"}
    # Overtoomse Veld: a street-level bbox around OBA Postjesweg
    near = client.get("/api/places?bbox=4.832,52.362,4.838,52.366").get_json()
    assert "OBA Postjesweg" in {f["properties"]["name"] for f in near["features"]}
    in_area = client.get("/api/places?area=F86a&limit=1000").get_json()
    assert {f["properties"]["name"] for f in in_area["features"]} >= {"OBA Postjesweg"}
    feature = near["features"][0]
    lon, lat = feature["geometry"]["coordinates"]
    assert 4.832 <= lon <= 4.838 and 52.362 <= lat <= 52.366
    assert set(feature["properties"]) >= {"id", "name", "kind", "status", "address"}


def test_place_detail_has_history(client):
    first = client.get("/api/places?limit=1").get_json()["features"][0]
    detail = client.get(f"/api/places/{first['id']}").get_json()
    assert detail["properties"]["history"][0]["action"] == "created"
    assert detail["properties"]["history"][0]["actor"] == "import maatschappelijke_voorzieningen"


def test_kinds(client):
    kinds = client.get("/api/kinds").get_json()["kinds"]
    bench = next(k for k in kinds if k["code"] == "bench")
    assert (
        bench["walking_distance_m"]
        < next(k for k in kinds if k["code"] == "community_centre")["walking_distance_m"]
    )


@pytest.mark.parametrize(
    ("q", "expected"),
    [("50%", {"50% korting"}), ("a_b", {"a_b"}), ("KORTING", {"50% korting", "500 korting"})],
)
def test_place_search_takes_wildcards_literally(client, make_place, q, expected):
    for name in ("50% korting", "500 korting", "a_b", "axb"):
        make_place(name=name)
    body = client.get("/api/places", query_string={"q": q, "limit": 1000}).get_json()
    assert {f["properties"]["name"] for f in body["features"]} == expected
