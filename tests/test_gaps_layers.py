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


def _grid_files(tmp_path: Path, decimals: int = 7):
    """An exact 100 m grid in RD New, written as lon/lat GeoJSON as a GIS would export it.

    Places and candidates sit on grid points, so many cells lie exactly 400 m from them.
    """
    from placemaker.gaps.layers import to_lonlat as rd_to_lonlat

    rng = np.random.default_rng(3)
    ix, iy = np.meshgrid(np.arange(30), np.arange(30))
    cells = np.column_stack([120_000 + 100.0 * ix.ravel(), 485_000 + 100.0 * iy.ravel()])
    population = rng.integers(1, 40, len(cells)).astype(float)
    need = rng.uniform(0.5, 2.0, len(cells)).round(2)
    places = cells[rng.choice(len(cells), 6, replace=False)]
    candidates = cells[rng.choice(len(cells), 80, replace=False)]

    def write(name, xy, props):
        lonlat = rd_to_lonlat(xy).round(decimals)
        return write_geojson(
            tmp_path / name,
            [
                feature({"type": "Point", "coordinates": [float(lon), float(lat)]}, **p)
                for (lon, lat), p in zip(lonlat, props, strict=True)
            ],
        )

    files = {
        "demand": write(
            "demand.geojson",
            cells,
            [
                {"residents": float(pop), "need": float(pop * k)}
                for pop, k in zip(population, need, strict=True)
            ],
        ),
        "places": write("places.geojson", places, [{} for _ in places]),
        "candidates": write("candidates.geojson", candidates, [{} for _ in candidates]),
    }
    return files, cells, population * need, population, places, candidates


def test_exact_grid_reproduces_the_reference_optimum(tmp_path):
    """Pairs exactly 400 m apart stay covered after the trip through longitude/latitude."""
    from placemaker.gaps.coverage import (
        StraightLineDistance,
        coverage_matrix,
        covered_mask,
    )
    from placemaker.gaps.exact import solve_exact
    from placemaker.gaps.solver import MCLPProblem

    files, cells, weight, population, places, candidates = _grid_files(tmp_path)
    crow = StraightLineDistance(1.0)
    # the reference: exact RD coordinates, integer arithmetic on the grid
    d2 = ((places[:, None, :] - cells[None, :, :]) ** 2).sum(-1)
    ref_covered = (d2 <= 400**2).any(0)
    assert ((d2 == 400**2).any(0) & ~(d2 < 400**2).any(0)).sum() > 0  # on the radius only
    assert np.array_equal(covered_mask(coverage_matrix(places, 400, cells, crow)), ref_covered)
    ref_cover = coverage_matrix(candidates, 400, cells, crow)
    reference = solve_exact(
        MCLPProblem.from_coverage(ref_cover, weight, population, ref_covered), 4, time_limit=60
    )
    assert reference.optimal

    out = tmp_path / "out.geojson"
    result = CliRunner().invoke(
        gaps_command,
        [
            "--demand",
            str(files["demand"]),
            "--weight-field",
            "need",
            "--population-field",
            "residents",
            "--places",
            str(files["places"]),
            "--candidates",
            str(files["candidates"]),
            "--radius",
            "400",
            "--detour",
            "1",
            "--p",
            "4",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    share = 100 * weight[ref_covered].sum() / weight.sum()
    assert f"served by existing places: {share:.1f} % of weighted need" in result.output
    assert f"+{reference.objective:.1f} weighted need" in result.output
    assert "proven best" in result.output
    props = [f["properties"] for f in json.loads(out.read_text())["features"]]
    assert sum(p["gain_weight"] for p in props) == pytest.approx(reference.objective, abs=0.01)
    # residents come from their own field, and are named as such
    gained = sum(p["gain_population"] for p in props)
    assert 0 < gained < sum(p["gain_weight"] for p in props) * 2
    assert f"{population.sum():.1f} residents" in result.output


def test_cli_names_weighted_need_without_residents(tmp_path):
    files, *_ = _grid_files(tmp_path)
    out = tmp_path / "out.geojson"
    result = CliRunner().invoke(
        gaps_command,
        [
            "--demand",
            str(files["demand"]),
            "--weight-field",
            "need",
            "--candidates",
            str(files["candidates"]),
            "--p",
            "2",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "weighted need" in result.output and "residents" not in result.output
    assert "gain_population" not in json.loads(out.read_text())["features"][0]["properties"]


def test_population_field_spreads_need_over_polygons(tmp_path):
    square = {
        "type": "Polygon",
        "coordinates": [
            [
                [LON, LAT],
                [LON + 0.006, LAT],
                [LON + 0.006, LAT + 0.004],
                [LON, LAT + 0.004],
                [LON, LAT],
            ]
        ],
    }
    path = write_geojson(tmp_path / "areas.geojson", [feature(square, residents=400, need=1000)])
    grid = read_demand(path, "need", population_field="residents")
    assert grid.population.sum() == pytest.approx(400)
    assert grid.weight.sum() == pytest.approx(1000)
    stranded = write_geojson(tmp_path / "bad.geojson", [feature(square, residents=0, need=10)])
    with pytest.raises(LayerError, match="no residents to spread"):
        read_demand(stranded, "need", population_field="residents")
