"""Overlong codes, names, addresses and postcodes: every importer names the feature or row,
the field and its limit instead of failing at the database (issue 11, item 10)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from pyogrio.raw import write
from sqlalchemy import func, select

from placemaker.areas.models import Area, PopulationCell
from placemaker.extensions import db
from placemaker.gaps.models import GapLayer
from placemaker.geocoding.models import Address
from placemaker.imports.addresses import import_addresses_file
from placemaker.imports.areas import AreaMapping, import_areas
from placemaker.imports.common import ImportReport, check_lengths, too_long
from placemaker.imports.layers import import_layer
from placemaker.imports.places import PlaceMapping, import_places
from placemaker.imports.population import import_population_cells
from placemaker.imports.readers import Table
from placemaker.places.models import Place
from tests.test_imports import square


def _point(ident: str, **props) -> dict:
    return {
        "type": "Feature",
        "properties": {"id": ident, "naam": "Bankje", "cat": "Bank", **props},
        "geometry": {"type": "Point", "coordinates": [4.89, 52.37]},
    }


def test_the_helper_names_the_field_its_length_and_the_limit():
    assert too_long(Place, {"postcode": "1013AB", "name": "x" * 200, "lon": 4.9}) == []
    [problem] = too_long(Place, {"postcode": "1013 AB NLX"})
    assert problem == "postcode is 11 characters long, the limit is 10 ('1013 AB NLX')"
    report = ImportReport("test")
    assert not check_lengths(report, "feature 7", Place, {"name": "n" * 201})
    assert report.errors == [
        ("feature 7", "name is 201 characters long, the limit is 200 ('" + "n" * 40 + "…')")
    ]


def test_places_with_overlong_name_address_postcode_or_id_are_named(app_ctx):
    mapping = PlaceMapping(
        id_field="id",
        name_field="naam",
        category_field="cat",
        kinds={"Bank": "bench"},
        address_fields=("straat",),
        postcode_field="pc",
    )
    features = [
        _point("1", naam="B" * 201),
        _point("2", straat="S" * 201),
        _point("3", pc="1013 AB-X-Y"),
        _point("4" * 101),
        _point("5"),
    ]
    report = import_places(features, mapping, source="lengtetest")
    assert [(ref, reason.split(" (")[0]) for ref, reason in report.errors] == [
        ("feature 1", "name is 201 characters long, the limit is 200"),
        ("feature 2", "address is 201 characters long, the limit is 200"),
        ("feature 3", "postcode is 11 characters long, the limit is 10"),
        (f"feature {'4' * 101}", "source_id is 101 characters long, the limit is 100"),
    ]
    assert (
        db.session.scalar(
            select(func.count()).select_from(Place).where(Place.source == "lengtetest")
        )
        == 0
    )


def test_areas_with_overlong_code_or_name_are_named(app_ctx):
    features = [
        {
            "type": "Feature",
            "properties": {"code": "C" * 33, "naam": "Lang"},
            "geometry": {"type": "Polygon", "coordinates": square(4.80, 52.30)},
        },
        {
            "type": "Feature",
            "properties": {"code": "XB1", "naam": "N" * 201},
            "geometry": {"type": "Polygon", "coordinates": square(4.81, 52.30)},
        },
    ]
    report = import_areas(
        features,
        AreaMapping(level="buurt", code_field="code", name_field="naam"),
        source="lengtetest",
    )
    assert [(ref, reason.split(" (")[0]) for ref, reason in report.errors] == [
        (f"feature {'C' * 33}", "code is 33 characters long, the limit is 32"),
        ("feature XB1", "name is 201 characters long, the limit is 200"),
    ]
    assert db.session.scalar(select(Area).where(Area.code == "XB1")) is None


def test_layers_with_an_overlong_feature_or_layer_name_are_named(app_ctx):
    features = [
        {
            "type": "Feature",
            "properties": {"naam": "W" * 301},
            "geometry": {"type": "Polygon", "coordinates": square(4.80, 52.30)},
        }
    ]
    report = import_layer(features, "Lengtetest", "exclude", name_field="naam")
    assert [(ref, reason.split(" (")[0]) for ref, reason in report.errors] == [
        (f"feature {'W' * 301}", "name is 301 characters long, the limit is 300")
    ]
    report = import_layer(features[:0], "L" * 201, "exclude")
    assert [(ref, reason.split(" (")[0]) for ref, reason in report.errors] == [
        ("layer", "name is 201 characters long, the limit is 200")
    ]
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(GapLayer)
            .where(GapLayer.name.in_(["Lengtetest", "L" * 200]))
        )
        == 0
    )


def test_population_squares_with_an_overlong_id_are_named(app_ctx, tmp_path):
    buurt = db.session.scalar(select(Area).where(Area.level_code == "buurt").limit(1))
    gemeente = db.session.scalar(select(Area).where(Area.level_code == "gemeente").limit(1))
    inside = db.session.scalar(select(func.ST_AsText(func.ST_PointOnSurface(buurt.geom))))
    centre = shapely.from_wkt(inside)
    table = Table(
        path=tmp_path / "grid.csv",
        columns=["id", "inw"],
        rows=[{"id": "c" * 41, "inw": "10"}],
        geometries=[centre.buffer(0.0004, cap_style="square")],
    )
    report = import_population_cells(
        table, gemeente=gemeente.code, id_field="id", population_field="inw", source="lengtetest"
    )
    assert [(ref, reason.split(" (")[0]) for ref, reason in report.errors] == [
        ("line 2", "cell_id is 41 characters long, the limit is 40")
    ]
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(PopulationCell)
            .where(PopulationCell.source == "lengtetest")
        )
        == 0
    )


@pytest.mark.parametrize(
    ("field", "value", "limit"),
    [
        ("nummer_id", "0363200000" * 3, 20),
        ("straatnaam", "S" * 121, 120),
        ("woonplaats", "W" * 81, 80),
        ("toevoeging", "123456789", 8),
    ],
)
def test_addresses_with_an_overlong_field_are_skipped_with_the_reason(
    app_ctx, tmp_path: Path, field, value, limit
):
    path = tmp_path / "bag.gpkg"
    fields = [
        "nummer_id",
        "straatnaam",
        "huisnummer",
        "huisletter",
        "toevoeging",
        "postcode",
        "woonplaats",
    ]
    row = {
        "nummer_id": "0363200099999999",
        "straatnaam": "Proefstraat",
        "huisnummer": 3,
        "huisletter": None,
        "toevoeging": None,
        "postcode": "1013AB",
        "woonplaats": "Amsterdam",
        field: value,
    }
    columns = [np.array([row[f]], dtype=object if f != "huisnummer" else None) for f in fields]
    write(
        path,
        shapely.to_wkb(np.array([shapely.Point(121000, 489000)])),
        columns,
        fields,
        layer="verblijfsobjecten",
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:28992",
    )
    report = import_addresses_file(path)
    column = {
        "nummer_id": "bag_id",
        "straatnaam": "street",
        "woonplaats": "city",
        "toevoeging": "addition",
    }[field]
    assert report.created == 0 and report.errors == []
    [(ref, reason)] = report.skipped
    assert ref.startswith("verblijfsobjecten:")
    assert reason.startswith(f"{column} is {len(value)} characters long, the limit is {limit}")
    assert (
        db.session.scalar(
            select(func.count()).select_from(Address).where(Address.street == "Proefstraat")
        )
        == 0
    )
