"""Importers on the real Amsterdam files and on broken ones: what a user sees, and that a
failed run writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from placemaker.areas.models import Area, AreaIndicator, CohesionScore
from placemaker.demo import load_demo
from placemaker.extensions import db
from placemaker.places.models import Place, PlaceChange


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def square(lon: float, lat: float, size: float = 0.002) -> list:
    return [
        [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    ]


def area_feature(code: str, coords: list, parent: str | None = "F86", kind="Polygon") -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": f"Buurt {code}", "parent": parent},
        "geometry": {"type": kind, "coordinates": coords},
    }


def test_demo_loaded_the_real_files(app_ctx):
    levels = dict(
        db.session.execute(select(Area.level_code, func.count()).group_by(Area.level_code)).all()
    )
    assert levels == {"gemeente": 1, "stadsdeel": 9, "gebied": 23, "wijk": 107, "buurt": 500}
    assert count(Place) == 436
    assert count(CohesionScore) > 100
    f86a = db.session.scalar(select(Area).where(Area.code == "F86a"))
    assert (f86a.name, f86a.parent.code, f86a.parent.parent.code) == (
        "Overtoomse Veld Noord",
        "F86",
        "DX09",
    )
    assert f86a.parent.name == "Overtoomse Veld"


def test_sensitive_addresses_are_never_imported(app_ctx, data_dir):
    features = json.loads((data_dir / "maatschappelijke_voorzieningen.geojson").read_text())
    sensitive = {
        f["properties"]["MVZN_ID"]
        for f in features["features"]
        if f["properties"]["Categorie"] in ("Opvanglocatie", "Behandel-/woonlocatie")
    }
    assert len(sensitive) == 109
    assert count(Place, Place.source_id.in_(sensitive)) == 0


def test_reimport_of_the_demo_changes_nothing(app_ctx):
    before = (count(Area), count(Place), count(AreaIndicator), count(PlaceChange))
    reports = load_demo()
    assert all(r.ok for r in reports)
    assert sum(r.created + r.updated for r in reports) == 0
    assert (count(Area), count(Place), count(AreaIndicator), count(PlaceChange)) == before


def test_import_areas_cli_creates_then_updates(runner, tmp_path):
    path = write_geojson(tmp_path / "b.geojson", [area_feature("F86z", square(4.84, 52.36))])
    args = [
        "import-areas",
        str(path),
        "--level",
        "buurt",
        "--code-field",
        "code",
        "--name-field",
        "name",
        "--parent-field",
        "parent",
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "areas (buurt): 1 created, 0 updated, 0 unchanged" in result.output
    write_geojson(path, [area_feature("F86z", square(4.841, 52.36))])
    result = runner.invoke(args=args)
    assert "0 created, 1 updated, 0 unchanged" in result.output
    again = runner.invoke(args=args).output
    assert again.startswith("areas (buurt): 0 created, 0 updated, 1 unchanged")


# A file with one good feature and one bad one: the error names the feature, and the good
# feature is not written either.
BROKEN_AREAS = {
    "rd_coordinates": (
        area_feature(
            "F86y", [[[120000, 486000], [120200, 486000], [120200, 486200], [120000, 486000]]]
        ),
        "error: feature F86y: coordinates (120000, 486000) look like RD New (EPSG:28992) "
        "metres, not WGS84 degrees: reproject the file to EPSG:4326 (lon, lat)",
    ),
    "outside_nl": (
        area_feature("F86y", square(13.4, 52.5)),
        "error: feature F86y: coordinates (13.4, 52.5) lie outside the Netherlands",
    ),
    "swapped_axes": (
        area_feature("F86y", [[[52.36, 4.84], [52.362, 4.84], [52.362, 4.842], [52.36, 4.84]]]),
        "error: feature F86y: coordinates (52.36, 4.84) have latitude and longitude swapped",
    ),
    "unrepairable_bowtie": (
        # A figure eight whose halves are equal: MakeValid keeps both, but the area a
        # person drew (zero, signed) differs wholly from the result.
        area_feature(
            "F86y",
            [[[4.84, 52.36], [4.842, 52.362], [4.842, 52.36], [4.84, 52.362], [4.84, 52.36]]],
        ),
        "error: feature F86y: invalid polygon (Self-intersection",
    ),
    "point_not_polygon": (
        area_feature("F86y", [4.84, 52.36], kind="Point"),
        "error: feature F86y: expected a Polygon or MultiPolygon, got a Point",
    ),
    "unknown_parent": (
        area_feature("F86y", square(4.85, 52.36), parent="Q99"),
        "error: feature F86y: unknown parent code Q99",
    ),
    "duplicate_code": (
        area_feature("F86x", square(4.85, 52.36)),
        "error: feature F86x: duplicate code F86x (also feature F86x)",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_AREAS))
def test_broken_area_files_are_refused_whole(runner, tmp_path, app, case):
    bad, message = BROKEN_AREAS[case]
    good = area_feature("F86x", square(4.843, 52.361))
    path = write_geojson(tmp_path / "bad.geojson", [good, bad])
    result = runner.invoke(
        args=[
            "import-areas",
            str(path),
            "--level",
            "buurt",
            "--code-field",
            "code",
            "--name-field",
            "name",
            "--parent-field",
            "parent",
        ]
    )
    assert result.exit_code == 1
    assert message in result.output
    assert "errors found; nothing was imported" in result.output
    with app.app_context():
        assert count(Area, Area.code.in_(["F86x", "F86y"])) == 0


def test_slightly_invalid_polygon_is_repaired_and_noted(runner, tmp_path, app):
    # A ring with a tiny spike back along an edge: repairable without changing the area.
    ring = [
        [4.84, 52.36],
        [4.842, 52.36],
        [4.842, 52.362],
        [4.841, 52.362],
        [4.841, 52.3625],
        [4.841, 52.362],
        [4.84, 52.362],
        [4.84, 52.36],
    ]
    path = write_geojson(tmp_path / "repair.geojson", [area_feature("F86w", [ring])])
    result = runner.invoke(
        args=[
            "import-areas",
            str(path),
            "--level",
            "buurt",
            "--code-field",
            "code",
            "--parent-field",
            "parent",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "note 1×: repaired invalid polygon" in result.output
    with app.app_context():
        area = db.session.scalar(select(Area).where(Area.code == "F86w"))
        assert db.session.scalar(func.ST_IsValid(area.geom))


def test_file_in_rd_crs_is_reprojected(runner, tmp_path, app):
    path = tmp_path / "rd.geojson"
    x, y = 117500, 486500  # Overtoomse Veld in RD New metres
    ring = [[x, y], [x + 100, y], [x + 100, y + 100], [x, y + 100], [x, y]]
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "F86q", "parent": "F86"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    result = runner.invoke(
        args=[
            "import-areas",
            str(path),
            "--level",
            "buurt",
            "--code-field",
            "code",
            "--parent-field",
            "parent",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "areas (buurt): 1 created" in result.output
    with app.app_context():
        area = db.session.scalar(select(Area).where(Area.code == "F86q"))
        centre = db.session.execute(
            select(func.ST_X(func.ST_Centroid(area.geom)), func.ST_Y(func.ST_Centroid(area.geom)))
        ).one()
        assert 4.82 < centre[0] < 4.86 and 52.35 < centre[1] < 52.38
        db.session.delete(area)
        db.session.commit()


def test_missing_property_is_named(runner, tmp_path):
    path = write_geojson(tmp_path / "b.geojson", [area_feature("F86v", square(4.84, 52.36))])
    result = runner.invoke(
        args=["import-areas", str(path), "--level", "buurt", "--code-field", "Buurtcode"]
    )
    assert result.exit_code == 1
    assert "property 'Buurtcode' not found (properties: code, name, parent)" in result.output
    assert "Nothing was imported." in result.output


def test_unknown_level(runner, tmp_path):
    path = write_geojson(tmp_path / "b.geojson", [area_feature("F86v", square(4.84, 52.36))])
    result = runner.invoke(
        args=["import-areas", str(path), "--level", "street", "--code-field", "code"]
    )
    assert (
        "unknown area level 'street' (levels: gemeente, stadsdeel, gebied, wijk, buurt)"
        in result.output
    )


def test_indicators_missing_column_and_bad_number(runner, tmp_path, app):
    path = tmp_path / "ind.csv"
    path.write_text("code;inwoners\nF86a;7000\nF86b;veel\n")
    missing = runner.invoke(
        args=[
            "import-indicators",
            str(path),
            "--key-field",
            "buurt",
            "--year",
            "2022",
            "--column",
            "inwoners=population",
            "--source",
            "test",
        ]
    )
    assert missing.exit_code == 1
    assert "column 'buurt' not in file (columns: code, inwoners)" in missing.output
    bad = runner.invoke(
        args=[
            "import-indicators",
            str(path),
            "--key-field",
            "code",
            "--year",
            "2022",
            "--column",
            "inwoners=population",
            "--source",
            "test",
        ]
    )
    assert bad.exit_code == 1
    assert "error: line 3: inwoners: 'veel' is not a number" in bad.output
    with app.app_context():
        assert count(AreaIndicator, AreaIndicator.source == "test") == 0


def test_indicators_unknown_codes_are_reported_and_rest_imported(runner, tmp_path, app):
    path = tmp_path / "ind.csv"
    path.write_text("code,inwoners\nF86a,7000\nXX1,5\n")
    args = [
        "import-indicators",
        str(path),
        "--key-field",
        "code",
        "--year",
        "2022",
        "--column",
        "inwoners=population",
        "--source",
        "test",
    ]
    # 5 of 7,005 residents would be lost: refused unless allowed
    refused = runner.invoke(args=args)
    assert refused.exit_code == 1
    assert "rows of unknown areas hold 5 of 7,005 (0.1 %)" in refused.output
    result = runner.invoke(args=[*args, "--max-loss", "0.001"])
    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated, 0 unchanged, 1 skipped" in result.output
    assert "skipped 1×: unknown area code 'XX1' (line 3)" in result.output


def test_cohesion_rungs_and_scale_checked(runner, tmp_path, app):
    path = tmp_path / "coh.csv"
    path.write_text("code,jaar,score,trede,gewenst\nF86a,2023,6.1,5,3\nF86b,2023,11,7,3\n")
    args = [
        "import-cohesion",
        str(path),
        "--key-field",
        "code",
        "--year-field",
        "jaar",
        "--score-column",
        "score",
        "--rung-column",
        "trede",
        "--wanted-rung-column",
        "gewenst",
        "--source",
        "gesprekken",
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "error: line 3: trede: 7 is not a rung of the ladder (1 to 6)" in result.output
    assert "error: line 3: score: 11 lies outside the declared range 1 to 10" in result.output
    path.write_text("code,jaar,score,trede,gewenst\nF86a,2023,6.1,5,3\n")
    assert runner.invoke(args=args).exit_code == 0
    with app.app_context():
        score = db.session.scalar(select(CohesionScore).where(CohesionScore.source == "gesprekken"))
        assert (float(score.score), score.rung_assessed, score.rung_wanted) == (6.1, 5, 3)


def place_feature(ident: str, category: str, coords=(4.85, 52.37), name="Buurtkamer Test"):
    return {
        "type": "Feature",
        "properties": {"id": ident, "naam": name, "cat": category},
        "geometry": {"type": "Point", "coordinates": list(coords)},
    }


def places_args(path: Path, *extra: str) -> list[str]:
    return [
        "import-places",
        str(path),
        "--source",
        "testbron",
        "--id-field",
        "id",
        "--name-field",
        "naam",
        "--category-field",
        "cat",
        "--kind",
        "Buurtkamer=buurtkamer",
        "--skip",
        "Opvanglocatie",
        *extra,
    ]


def test_import_places_maps_skips_and_is_idempotent(runner, tmp_path, app):
    path = write_geojson(
        tmp_path / "p.geojson",
        [
            place_feature("1", "Buurtkamer"),
            place_feature("2", "Opvanglocatie"),
            place_feature("3", "School"),
        ],
    )
    result = runner.invoke(args=places_args(path))
    assert result.exit_code == 0, result.output
    assert "places from testbron: 1 created, 0 updated, 0 unchanged, 2 skipped" in result.output
    assert "skipped 1×: category 'Opvanglocatie' is on the skip list (feature 2)" in result.output
    assert "category 'School' is not mapped to a place kind" in result.output
    assert "1 unchanged" in runner.invoke(args=places_args(path)).output
    write_geojson(path, [place_feature("1", "Buurtkamer", name="Buurtkamer Nieuw")])
    assert "0 created, 1 updated" in runner.invoke(args=places_args(path)).output
    with app.app_context():
        place = db.session.scalar(select(Place).where(Place.source == "testbron"))
        assert [c.action for c in place.changes] == ["created", "updated"]
        assert place.changes[1].old_values == {"name": "Buurtkamer Test"}
        assert place.changes[1].actor == "import testbron"


def test_import_places_wrong_kind_and_bad_points(runner, tmp_path, app):
    path = write_geojson(tmp_path / "p.geojson", [place_feature("1", "Buurtkamer")])
    wrong = runner.invoke(args=places_args(path, "--kind", "Bank=benchh"))
    assert wrong.exit_code == 1
    assert "the category mapping names unknown place kind(s) 'benchh'" in wrong.output
    write_geojson(
        path,
        [
            place_feature("1", "Buurtkamer"),
            place_feature("2", "Buurtkamer", coords=(121000, 487000)),
            place_feature("3", "Buurtkamer", coords=(2.35, 48.85)),
            place_feature("1", "Buurtkamer"),
        ],
    )
    bad = runner.invoke(args=places_args(path))
    assert bad.exit_code == 1
    assert "error: feature 2: coordinates (121000, 487000) look like RD New" in bad.output
    assert "error: feature 3: coordinates (2.35, 48.85) lie outside the Netherlands" in bad.output
    assert "error: feature 1: duplicate id 1 (also feature 1)" in bad.output
    with app.app_context():
        assert count(Place, Place.source == "testbron") == 0


def test_missing_file(runner, tmp_path):
    result = runner.invoke(args=places_args(tmp_path / "nope.geojson"))
    assert result.exit_code == 1
    assert "nope.geojson: no such file" in result.output
