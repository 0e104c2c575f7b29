"""Exports: GeoJSON, CSV, CSV for Dutch Excel and GeoPackage of every collection."""

from __future__ import annotations

import csv
import io

import pyogrio
import pytest
import shapely
from sqlalchemy import func, select

from placemaker.areas.models import Area
from placemaker.exports.writers import _number_for_excel, csv_bytes
from placemaker.extensions import db
from placemaker.ogc.registry import Collection, Property
from placemaker.places.models import Place


def download(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def place_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Place.id)))


def area_count(app, level: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Area.id)).where(Area.level_code == level))


def test_geojson(client, app):
    response = download(client, "/exports/places.geojson")
    assert response.mimetype == "application/geo+json"
    assert 'filename="places.geojson"' in response.headers["Content-Disposition"]
    body = response.get_json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == place_count(app)


def test_csv_has_lon_lat_and_utf8(client, app, make_place):
    place = make_place(name="Café ’t Hoekje, met komma", lon=4.8612345, lat=52.3712345)
    response = download(client, "/exports/places.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    data = response.get_data()
    assert not data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert len(rows) == place_count(app)
    row = next(r for r in rows if r["id"] == str(place.id))
    assert row["name"] == "Café ’t Hoekje, met komma"
    assert (float(row["lon"]), float(row["lat"])) == (4.8612345, 52.3712345)
    assert row["updated_at"].endswith("Z")


@pytest.mark.parametrize("path", ["/exports/places.csv", "/exports/places.excel.csv"])
@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_every_csv_variant_is_formula_escaped(client, make_place, path, name):
    place = make_place(name=name, lon=4.8612345, lat=52.3712345)
    data = download(client, path).get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data), delimiter=";" if "excel" in path else ","))
    row = next(r for r in rows if r["id"] == str(place.id))
    assert row["name"] == "'" + name


def test_csv_for_dutch_excel(client, make_place):
    place = make_place(
        name='=HYPERLINK("http://x")',
        lon=4.8612345,
        lat=52.3712345,
        description="Regel één; regel twee",
    )
    data = download(client, "/exports/places.excel.csv").get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM tells Excel it is UTF-8
    text = data.decode("utf-8-sig")
    header = text.split("\r\n", 1)[0]
    assert header.split(";")[:3] == ["id", "name", "kind"]
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    row = next(r for r in rows if r["id"] == str(place.id))
    assert (row["lon"], row["lat"]) == ("4,8612345", "52,3712345")  # decimal comma
    assert row["name"] == '\'=HYPERLINK("http://x")'  # no formula
    assert row["description"] == "Regel één; regel twee"
    assert "T" not in row["updated_at"] and not row["updated_at"].endswith("Z")


def test_area_csv_has_wkt(client, app):
    rows = list(
        csv.DictReader(
            io.StringIO(download(client, "/exports/areas_gebied.csv").get_data(as_text=True))
        )
    )
    assert len(rows) == area_count(app, "gebied")
    dx09 = next(r for r in rows if r["code"] == "DX09")
    shape = shapely.from_wkt(dx09["wkt"])
    assert shape.geom_type == "MultiPolygon" and shape.is_valid
    assert shape.contains(shapely.Point(float(dx09["lon"]), float(dx09["lat"])))
    assert dx09["cohesion_score"] and dx09["cohesion_inherited"] == "false"


@pytest.mark.parametrize(
    ("collection", "geometry_type"), [("places", "Point"), ("areas_buurt", "MultiPolygon")]
)
def test_geopackage(client, app, tmp_path, collection, geometry_type):
    response = download(client, f"/exports/{collection}.gpkg")
    assert response.mimetype == "application/geopackage+sqlite3"
    path = tmp_path / f"{collection}.gpkg"
    path.write_bytes(response.get_data())
    info = pyogrio.read_info(path)
    assert info["layer_name"] == collection
    assert info["crs"] == "EPSG:4326"
    assert info["geometry_type"] == geometry_type
    expected = place_count(app) if collection == "places" else area_count(app, "buurt")
    assert info["features"] == expected
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    if collection == "places":
        assert types["id"] == "int64" and types["updated_at"].startswith("datetime64")
    else:
        assert types["cohesion_score"] == "float64" and types["cohesion_inherited"] == "bool"


def test_exports_take_filters(client):
    rows = list(
        csv.DictReader(
            io.StringIO(
                download(client, "/exports/places.csv?kind=library&limit=3").get_data(as_text=True)
            )
        )
    )
    assert len(rows) == 3 and {r["kind"] for r in rows} == {"library"}


@pytest.mark.parametrize("url", ["/exports/places.xlsx", "/exports/nope.csv", "/exports/.csv"])
def test_unknown_export(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_page_as_file(client):
    response = download(client, "/ogc/collections/places/items?f=csv-excel&limit=5")
    assert 'filename="places-page.excel.csv"' in response.headers["Content-Disposition"]
    assert len(response.get_data().decode("utf-8-sig").strip().split("\r\n")) == 6


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (4.8421, "4,8421"),
        (52.0, "52"),
        (0.00001, "0,00001"),
        (-1.5, "-1,5"),
        (1234567.25, "1234567,25"),
    ],
)
def test_numbers_for_excel(value, text):
    assert _number_for_excel(value) == text


def test_long_wkt_is_left_out_for_excel_only():
    ring = [(4.8 + i * 1e-5, 52.3 + (i % 2) * 1e-5) for i in range(3000)]
    polygon = shapely.Polygon([*ring, (4.8, 52.4)])
    collection = Collection(
        id="big",
        title="Big",
        description="",
        geometry_type="Polygon",
        properties=(Property("name"),),
        items=lambda q: ([], 0),
        item=lambda fid: None,
    )
    features = [
        {
            "type": "Feature",
            "id": 1,
            "geometry": shapely.geometry.mapping(polygon),
            "properties": {"name": "groot"},
        }
    ]
    plain = list(csv.DictReader(io.StringIO(csv_bytes(collection, features).decode())))
    excel = list(
        csv.DictReader(
            io.StringIO(csv_bytes(collection, features, excel=True).decode("utf-8-sig")),
            delimiter=";",
        )
    )
    assert len(plain[0]["wkt"]) > 32_767
    assert excel[0]["wkt"] == "" and excel[0]["lon"]
