"""OGC API – Features under /ogc: documents, paging, filters, errors, HTML, and GDAL as client."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from placemaker.areas.models import Area
from placemaker.extensions import db
from placemaker.ogc.registry import Collection, Property, page_in_memory, registry
from placemaker.places.models import Place
from tests.conftest import TEST_DATABASE_URL
from tests.factories import scalar

GEOJSON = "application/geo+json"


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_json()


def rels(body) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in body["links"]}


def test_landing_page_links(client):
    response = client.get("/ogc")
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    links = rels(response.get_json())
    assert links["service-desc"].endswith("/api/openapi.json")
    assert links["conformance"].endswith("/ogc/conformance")
    assert links["data"].endswith("/ogc/collections")
    service_desc = next(lk for lk in response.get_json()["links"] if lk["rel"] == "service-desc")
    assert service_desc["type"] == "application/vnd.oai.openapi+json;version=3.0"


def test_conformance(client):
    classes = get_json(client, "/ogc/conformance")["conformsTo"]
    for name in ("core", "oas30", "html", "geojson"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{name}" in classes


def test_collections_with_extents(client):
    body = get_json(client, "/ogc/collections")
    by_id = {c["id"]: c for c in body["collections"]}
    assert {"places", "areas_stadsdeel", "areas_gebied", "areas_wijk", "areas_buurt"} <= set(by_id)
    places = by_id["places"]
    min_lon, min_lat, max_lon, max_lat = places["extent"]["spatial"]["bbox"][0]
    assert 4.7 < min_lon < max_lon < 5.1 and 52.2 < min_lat < max_lat < 52.5
    start, end = places["extent"]["temporal"]["interval"][0]
    assert start.endswith("Z") and end.endswith("Z") and start <= end
    assert "temporal" not in by_id["areas_buurt"]["extent"]
    assert {"items", "self", "enclosure"} <= {lk["rel"] for lk in places["links"]}
    one = get_json(client, "/ogc/collections/areas_wijk")
    assert one["id"] == "areas_wijk" and one["extent"]["spatial"]["bbox"]


def test_items_page(client, app):
    response = client.get("/ogc/collections/places/items")
    assert response.status_code == 200
    assert response.mimetype == GEOJSON
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    total = scalar(app, select(func.count(Place.id)))
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == total
    assert body["numberReturned"] == len(body["features"]) == 10  # the default limit
    assert "next" in rels(body) and "prev" not in rels(body)
    feature = body["features"][0]
    assert feature["geometry"]["type"] == "Point"
    assert feature["properties"]["updated_at"].endswith("Z")


def test_one_feature(client, make_place):
    place = make_place(name="Bankje bij de vijver")
    response = client.get(f"/ogc/collections/places/items/{place.id}")
    assert response.mimetype == GEOJSON
    feature = response.get_json()
    assert feature["id"] == place.id
    assert feature["properties"]["name"] == "Bankje bij de vijver"
    assert rels(feature)["collection"].endswith("/ogc/collections/places")


def test_paging_ten_thousand_places_returns_each_once(client, app):
    # One statement: 10,000 benches spread over Amsterdam, in this test's transaction.
    with app.app_context():
        db.session.execute(
            text(
                "INSERT INTO place (kind_code, name, geom, status, version) "
                "SELECT 'bench', 'Paging ' || n, ST_SetSRID(ST_MakePoint("
                "4.80 + (n % 100) * 0.002, 52.30 + (n / 100) * 0.001), 4326), "
                "'active', 1 FROM generate_series(1, 10000) AS n"
            )
        )
        db.session.commit()
        expected = set(db.session.scalars(select(Place.id)))
    assert len(expected) >= 10_000
    seen: list[int] = []
    url = "/ogc/collections/places/items?limit=1000"
    pages = 0
    while url:
        body = get_json(client, url.replace("http://localhost", ""))
        pages += 1
        assert body["numberMatched"] == len(expected)
        assert body["numberReturned"] == len(body["features"]) <= 1000
        seen += [f["id"] for f in body["features"]]
        url = rels(body).get("next")
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected
    assert pages == -(-len(expected) // 1000)
    # offset paging gives the same pages as the links
    page3 = get_json(client, "/ogc/collections/places/items?limit=1000&offset=2000")
    assert [f["id"] for f in page3["features"]] == seen[2000:3000]
    assert "prev" in rels(page3)


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        (
            "/ogc/collections/places/items?bbox=4.9,52.4,4.8,52.3",
            400,
            "bbox must be min_lon,min_lat,max_lon,max_lat with min <= max",
        ),
        (
            "/ogc/collections/places/items?bbox=4.8,95,4.9,96",
            400,
            "bbox latitudes must lie between -90 and 90",
        ),
        (
            "/ogc/collections/places/items?bbox=-200,52,4.9,53",
            400,
            "bbox longitudes must lie between -180 and 180",
        ),
        (
            "/ogc/collections/places/items?bbox=4.8,52.3,4.9",
            400,
            "bbox needs four numbers: min_lon,min_lat,max_lon,max_lat",
        ),
        ("/ogc/collections/places/items?limit=10001", 400, "limit must lie between 1 and 10000"),
        ("/ogc/collections/places/items?limit=0", 400, "limit must lie between 1 and 10000"),
        ("/ogc/collections/places/items?limit=ten", 400, "limit must be a whole number"),
        (
            "/ogc/collections/places/items?offset=-1",
            400,
            "offset must be a whole number of 0 or more",
        ),
        (
            "/ogc/collections/places/items?datetime=yesterday",
            400,
            "datetime 'yesterday' is not an RFC 3339 date or date-time "
            "(e.g. 2024-05-01 or 2024-05-01T12:00:00Z)",
        ),
        (
            "/ogc/collections/places/items?datetime=2024-02-01/2024-01-01",
            400,
            "datetime interval must start before it ends",
        ),
        (
            "/ogc/collections/places/items?status=open",
            400,
            "status must be one of planned, under_construction, active, temporarily_closed, gone",
        ),
        (
            "/ogc/collections/places/items?colour=red",
            400,
            "unknown query parameter 'colour' (allowed: address, bbox, condition, datetime, f, "
            "keeper, kind, lang, limit, name, offset, owner, postcode, source, status)",
        ),
        ("/ogc/collections/areas_buurt/items?datetime=2024-01-01", 400, None),
        ("/ogc/collections/places/items?f=xml", 400, None),
        ("/ogc/collections/nope", 404, "collection 'nope' does not exist"),
        ("/ogc/collections/nope/items", 404, "collection 'nope' does not exist"),
        (
            "/ogc/collections/places/items/999999999",
            404,
            "feature '999999999' does not exist in collection 'places'",
        ),
        (
            "/ogc/collections/places/items/abc",
            404,
            "feature 'abc' does not exist in collection 'places'",
        ),
        (
            "/ogc/collections/areas_buurt/items/DX09",
            404,
            "feature 'DX09' does not exist in collection 'areas_buurt'",
        ),
    ],
)
def test_errors(client, url, status, message):
    response = client.get(url)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message"}
    assert error["code"] == ("invalid_input" if status == 400 else "not_found")
    if message:
        assert error["message"] == message


def test_error_as_html_page_when_asked(client):
    response = client.get("/ogc/collections/nope?f=html")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_bbox_filters_and_allows_heights(client, make_place):
    inside = make_place(name="Binnen", lon=4.8500, lat=52.3600)
    outside = make_place(name="Buiten", lon=4.9500, lat=52.3900)
    for bbox in ("4.849,52.359,4.851,52.361", "4.849,52.359,-10,4.851,52.361,100"):
        body = get_json(client, f"/ogc/collections/places/items?bbox={bbox}&limit=100")
        ids = {f["id"] for f in body["features"]}
        assert inside.id in ids and outside.id not in ids
        assert body["numberMatched"] == len(ids)


def test_property_filters(client, app, make_place):
    make_place(name="Moestuin De Groene Hoek", kind_code="vegetable_garden")
    body = get_json(client, "/ogc/collections/places/items?kind=vegetable_garden&limit=1000")
    assert body["numberMatched"] == scalar(
        app, select(func.count()).where(Place.kind_code == "vegetable_garden")
    )
    assert {f["properties"]["kind"] for f in body["features"]} == {"vegetable_garden"}
    body = get_json(client, "/ogc/collections/places/items?name=Moestuin+De+Groene+Hoek")
    assert [f["properties"]["name"] for f in body["features"]] == ["Moestuin De Groene Hoek"]
    # areas: the buurten of gebied Slotervaart (DX09), filtered on a flattened ancestor
    body = get_json(client, "/ogc/collections/areas_buurt/items?gebied_code=DX09&limit=1000")
    dx09 = select(Area.id).where(Area.code == "DX09").scalar_subquery()
    expected = scalar(
        app,
        select(func.count(Area.id)).where(
            Area.level_code == "buurt",
            Area.parent_id.in_(select(Area.id).where(Area.parent_id == dx09)),
        ),
    )
    assert body["numberMatched"] == expected > 0
    body = get_json(client, "/ogc/collections/areas_buurt/items?cohesion_inherited=false")
    assert all(f["properties"]["cohesion_inherited"] is False for f in body["features"])


def test_datetime_filter(client, app, make_place):
    place = make_place(name="Nieuw bankje")
    everything = get_json(client, "/ogc/collections/places/items?datetime=../2999-01-01")
    in_future = get_json(client, "/ogc/collections/places/items?datetime=2999-01-01T00:00:00Z/..")
    assert in_future["numberMatched"] == 0
    assert everything["numberMatched"] == scalar(app, select(func.count(Place.id)))
    stamp = get_json(client, f"/ogc/collections/places/items/{place.id}")["properties"][
        "updated_at"
    ]
    instant = get_json(client, f"/ogc/collections/places/items?datetime={stamp[:10]}&limit=10000")
    assert place.id in {f["id"] for f in instant["features"]}


def test_area_properties_are_flat(client):
    """Overtoomse Veld Noord: the research neighbourhood's figures as simple columns."""
    feature = get_json(client, "/ogc/collections/areas_buurt/items/F86a")
    props = feature["properties"]
    assert all(not isinstance(v, (dict, list)) for v in props.values())
    assert props["name"] == "Overtoomse Veld Noord"
    assert props["population"] == 6210 and props["population_year"] == 2021
    assert (props["cohesion_score"], props["cohesion_year"]) == (5.2, 2017)
    assert props["cohesion_inherited"] is True and props["cohesion_from_area"] == "DX09"
    assert props["gebied_code"] == "DX09" and props["wijk_code"] == "F86"
    assert props["place_count"] >= 2
    for indicator in ("share_65plus", "share_minimum_income", "share_lonely"):
        assert indicator in props and f"{indicator}_year" in props


def test_queryables(client):
    body = get_json(client, "/ogc/collections/places/queryables")
    assert body["type"] == "object"
    assert body["properties"]["status"]["enum"][:5] == [
        "planned",
        "under_construction",
        "active",
        "temporarily_closed",
        "gone",
    ]
    assert set(body["properties"]) == {
        "name",
        "kind",
        "status",
        "address",
        "postcode",
        "source",
        "owner",
        "keeper",
        "condition",
    }


@pytest.mark.parametrize(
    "url",
    [
        "/ogc?f=html",
        "/ogc/conformance?f=html",
        "/ogc/collections?f=html",
        "/ogc/collections/places?f=html",
        "/ogc/collections/places/queryables?f=html",
        "/ogc/collections/areas_gebied/items?f=html",
    ],
)
def test_html_views(client, url):
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/html"


def test_browsers_get_html_by_accept_header(client):
    response = client.get("/ogc/collections", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.mimetype == "text/html"
    response = client.get("/ogc/collections", headers={"Accept": "application/json"})
    assert response.mimetype == "application/json"


def test_html_escapes_user_text(client, make_place):
    evil = "<img src=x onerror=alert(1)>"
    place = make_place(name=evil)
    for url in (
        f"/ogc/collections/places/items?f=html&name={evil}",
        f"/ogc/collections/places/items/{place.id}?f=html",
    ):
        html = client.get(url).get_data(as_text=True)
        assert evil not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_cors_preflight(client):
    response = client.options(
        "/ogc/collections/places/items",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers


# --- the registry, as other features use it -------------------------------------------------


def _toy_features():
    return [
        {
            "type": "Feature",
            "id": f"t{i}",
            "geometry": {"type": "Point", "coordinates": [4.8 + i / 100, 52.3]},
            "properties": {"label": f"toy {i}", "size": i, "when": f"2024-0{i}-01T00:00:00Z"},
        }
        for i in range(1, 6)
    ]


@pytest.fixture()
def toy_collection(app):
    """A collection registered the way proposals or gaps register theirs (removed after)."""
    features = _toy_features()
    collection = Collection(
        id="toys",
        title="Toys",
        description="A test collection",
        geometry_type="Point",
        properties=(
            Property("label", "string", queryable=True),
            Property("size", "integer", queryable=True),
            Property("when", "date-time"),
        ),
        items=lambda q: page_in_memory(features, q, temporal_property="when"),
        item=lambda fid: next((f for f in features if f["id"] == fid), None),
        temporal_property="when",
    )
    from placemaker.ogc.registry import register_collection

    register_collection(app, collection)
    yield collection
    del registry(app).fixed["toys"]


def test_a_registered_collection_is_served(client, toy_collection):
    assert "toys" in {c["id"] for c in get_json(client, "/ogc/collections")["collections"]}
    body = get_json(client, "/ogc/collections/toys/items?size=3")
    assert [f["id"] for f in body["features"]] == ["t3"]
    body = get_json(client, "/ogc/collections/toys/items?bbox=4.815,52.2,4.835,52.4")
    assert [f["id"] for f in body["features"]] == ["t2", "t3"]
    body = get_json(client, "/ogc/collections/toys/items?datetime=2024-02-15T00:00:00Z/2024-04-01")
    assert [f["id"] for f in body["features"]] == ["t3", "t4"]
    body = get_json(client, "/ogc/collections/toys/items?limit=2&offset=3")
    assert [f["id"] for f in body["features"]] == ["t4", "t5"] and body["numberMatched"] == 5
    assert get_json(client, "/ogc/collections/toys/items/t2")["properties"]["size"] == 2
    assert "/ogc/collections/toys/items" in get_json(client, "/api/openapi.json")["paths"]
    bad = client.get("/ogc/collections/toys/items?size=big")
    assert (bad.status_code, bad.get_json()["error"]["code"]) == (400, "invalid_input")


# --- a real GIS client: GDAL's OGC API – Features driver -------------------------------------


def _run(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def live_counts(live_server) -> dict[str, int]:
    """Feature counts straight from the live server's own database."""
    url = make_url(TEST_DATABASE_URL)
    engine = create_engine(url.set(database=f"{url.database}_live"))
    try:
        with engine.connect() as conn:
            counts = {"places": conn.scalar(text("SELECT count(*) FROM place"))}
            for level, count in conn.execute(
                text("SELECT level_code, count(*) FROM area GROUP BY level_code")
            ):
                counts[f"areas_{level}"] = count
            counts["proposals"] = conn.scalar(
                text("SELECT count(*) FROM proposal WHERE status <> 'hidden'")
            )
    finally:
        engine.dispose()
    # The gap analysis' collections are computed: count what the server says it serves.
    import json
    from urllib.request import urlopen

    with urlopen(f"{live_server}/ogc/collections") as response:
        ids = [c["id"] for c in json.load(response)["collections"]]
    for cid in ids:
        if cid.startswith("gap_"):
            with urlopen(f"{live_server}/ogc/collections/{cid}/items?limit=1") as response:
                counts[cid] = json.load(response)["numberMatched"]
    assert counts["gap_suggestions"] == 10
    assert counts["gap_coverage_buurt"] > 400
    return counts


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="needs gdal-bin (script/setup)")
def test_gdal_reads_every_collection(live_server, live_counts, tmp_path: Path, app):
    """ogrinfo lists the collections; ogr2ogr copies each into a GeoPackage, complete."""
    import pyogrio

    source = f"OAPIF:{live_server}/ogc"
    listing = _run("ogrinfo", "-ro", "-q", source)
    with app.app_context():
        collections = {c.id: c for c in registry(app).all() if c.public}
    for cid in collections:
        assert cid in listing, listing
    for cid, collection in collections.items():
        target = tmp_path / f"{cid}.gpkg"
        _run("ogr2ogr", "-f", "GPKG", str(target), source, cid, "-oo", "PAGE_SIZE=1000")
        info = pyogrio.read_info(target)
        assert info["features"] == live_counts[cid], cid
        fields = set(info["fields"])
        if info["features"]:  # GDAL reads the fields off the features; none, none to read
            assert set(collection.property_names) - {"id"} <= fields, (cid, fields)
    # the attributes arrive: Overtoomse Veld Noord in the buurten layer
    meta, _, _, data = pyogrio.raw.read(tmp_path / "areas_buurt.gpkg")
    columns = dict(zip(meta["fields"], data, strict=True))
    row = list(columns["code"]).index("F86a")
    assert columns["name"][row] == "Overtoomse Veld Noord"
    assert float(columns["cohesion_score"][row]) == 5.2
    assert int(columns["population"][row]) == 6210
    assert columns["gebied_code"][row] == "DX09"


def test_gap_and_proposal_collections(client):
    ids = {c["id"] for c in get_json(client, "/ogc/collections")["collections"]}
    assert {"proposals", "gap_suggestions", "gap_coverage_buurt", "gap_coverage_gebied"} <= ids
    coverage = get_json(client, "/ogc/collections/gap_coverage_gebied/items?code=DX09")
    assert coverage["numberMatched"] == 1
    props = coverage["features"][0]["properties"]
    assert props["name"] == "Slotervaart" and 0 < props["population_share"] <= 1
    assert coverage["features"][0]["geometry"]["type"] == "MultiPolygon"
    sites = get_json(client, "/ogc/collections/gap_suggestions/items?limit=100")
    assert sites["numberMatched"] == 10
    first = sites["features"][0]["properties"]
    assert first["rank"] == 1 and first["new_residents_reached"] > 0
    assert first["scenario"] is None and '"p": 10' in first["parameters"]
    # every exported suggestion carries its answer's certificate
    assert first["proven_best"] is True and first["gap_percent"] == 0
    assert (
        first["upper_bound"]
        >= sum(f["properties"]["new_weighted_need_reached"] for f in sites["features"]) - 0.1
    )
    proposals = get_json(client, "/ogc/collections/proposals/items")
    assert proposals["type"] == "FeatureCollection"
    paths = get_json(client, "/api/openapi.json")["paths"]
    assert "/ogc/collections/gap_suggestions/items" in paths


def test_proposal_collection_has_no_personal_data(client, make_proposal):
    make_proposal(
        lon=4.8392,
        lat=52.3671,
        reason="Een bankje bij de speeltuin",
        name="Ayse Yilmaz",
        email="ayse@example.org",
    )
    body = get_json(client, "/ogc/collections/proposals/items?kind=bench")
    assert body["numberMatched"] == 1
    props = body["features"][0]["properties"]
    assert props["reason"] == "Een bankje bij de speeltuin" and props["status"] == "submitted"
    text = json.dumps(body)
    assert "Ayse" not in text and "example.org" not in text
