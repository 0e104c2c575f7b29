"""File inputs/outputs of the gap analysis and the file-based click command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from placemaker.gaps.cli import gaps_command
from placemaker.gaps.layers import LayerError, read_demand, read_points, to_lonlat

# Dam square, Amsterdam; 0.001 deg lat ~ 111 m, 0.001 deg lon ~ 68 m here
LON, LAT = 4.8924, 52.3731


def feature(geometry: dict, **props) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def point(dlon: float = 0.0, dlat: float = 0.0) -> dict:
    return {"type": "Point", "coordinates": [LON + dlon, LAT + dlat]}


def write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_read_points_projects_to_rd_new(tmp_path):
    path = write_geojson(tmp_path / "p.geojson", [feature(point(), name="Dam")])
    layer = read_points(path)
    x, y = layer.xy[0]
    assert 121_000 < x < 122_000 and 487_000 < y < 488_000  # RD New around the Dam
    assert layer.properties == [{"name": "Dam"}]
    assert np.allclose(to_lonlat(layer.xy), [[LON, LAT]])


def test_read_csv_lonlat_and_wkt(tmp_path):
    lonlat = tmp_path / "a.csv"
    lonlat.write_text(f"id,Lon,Lat\n1,{LON},{LAT}\n")
    wkt = tmp_path / "b.csv"
    wkt.write_text(f'id,wkt\n1,"POINT ({LON} {LAT})"\n')
    assert np.allclose(read_points(lonlat).xy, read_points(wkt).xy)
    assert read_points(lonlat).properties == [{"id": "1"}]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.geojson", None, "file not found"),
        ("nogeom.csv", "id,name\n1,x\n", "no geometry"),
        (
            "nogeom.geojson",
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "geometry": None, "properties": {}}],
            },
            "has no geometry",
        ),
        (
            "far.geojson",
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [13.4, 52.5]},
                "properties": {},
            },
            "outside the Netherlands",
        ),
        ("swapped.csv", f"lon,lat\n{LAT},{LON}\n", "swapped"),
        ("rd.csv", "lon,lat\n121000,487000\n", "projected coordinates"),
        ("bad.json", "{not json", "not valid JSON"),
        ("points.txt", "", "unsupported format"),
        ("empty.geojson", {"type": "FeatureCollection", "features": []}, "no features"),
    ],
)
def test_invalid_files(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(LayerError, match=message):
        read_points(path)


def test_demand_weight_field(tmp_path):
    path = write_geojson(tmp_path / "d.geojson", [feature(point(), residents=10)])
    with pytest.raises(LayerError, match="no field 'population'"):
        read_demand(path, "population")
    bad = write_geojson(tmp_path / "bad.geojson", [feature(point(), population="many")])
    with pytest.raises(LayerError, match="not a number"):
        read_demand(bad, "population")
    assert read_demand(path, "residents").population.tolist() == [10.0]


def test_demand_polygons_are_gridded(tmp_path):
    d = 0.003
    square = {
        "type": "Polygon",
        "coordinates": [
            [[LON, LAT], [LON + d, LAT], [LON + d, LAT + d], [LON, LAT + d], [LON, LAT]]
        ],
    }
    grid = read_demand(write_geojson(tmp_path / "a.geojson", [feature(square, pop=700)]), "pop")
    assert len(grid) > 3 and grid.population.sum() == pytest.approx(700)


def test_cli_end_to_end(tmp_path):
    # demand in two clusters ~1 km apart; one served already, two candidate sites
    demand = write_geojson(
        tmp_path / "demand.geojson",
        [feature(point(0, 0.0005 * k), population=10) for k in range(4)]
        + [feature(point(0.015, 0.0005 * k), population=20) for k in range(4)],
    )
    places = tmp_path / "places.csv"
    places.write_text(f"name,lon,lat,radius\nbench,{LON},{LAT + 0.001},300\n")
    candidates = tmp_path / "candidates.csv"
    candidates.write_text(
        f"name,lon,lat\nwest,{LON},{LAT + 0.001}\neast,{LON + 0.015},{LAT + 0.001}\n"
    )
    out, cells = tmp_path / "out.geojson", tmp_path / "cells.geojson"
    result = CliRunner().invoke(
        gaps_command,
        [
            "--demand",
            str(demand),
            "--places",
            str(places),
            "--radius-field",
            "radius",
            "--candidates",
            str(candidates),
            "--radius",
            "400",
            "--p",
            "5",
            "--out",
            str(out),
            "--cells-out",
            str(cells),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "served by existing places: 33.3 %" in result.output
    assert "only 1 of the requested 5" in result.output
    suggestions = json.loads(out.read_text())["features"]
    assert [f["properties"]["candidate_name"] for f in suggestions] == ["east"]
    assert suggestions[0]["properties"]["gain_population"] == 80
    lon, lat = suggestions[0]["geometry"]["coordinates"]
    assert lon == pytest.approx(LON + 0.015, abs=1e-6) and lat == pytest.approx(LAT + 0.001)
    cell_features = json.loads(cells.read_text())["features"]
    assert sum(f["properties"]["covered_after"] for f in cell_features) == 8


def test_cli_reports_bad_input(tmp_path):
    result = CliRunner().invoke(
        gaps_command,
        [
            "--demand",
            str(tmp_path / "nope.geojson"),
            "--candidates",
            str(tmp_path / "c.csv"),
            "--out",
            str(tmp_path / "o.geojson"),
        ],
    )
    assert result.exit_code != 0 and "file not found" in result.output
