"""Read gap-analysis inputs from files and write results, for the command line.

Inputs are GeoJSON (EPSG:4326, RFC 7946) or CSV with either ``lon``/``lat`` columns or
a ``wkt`` column, also in EPSG:4326. They are projected to EPSG:28992 (RD New, metres)
for the analysis; results are written back as GeoJSON in EPSG:4326.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from placemaker.gaps.grid import DemandGrid, build_demand_grid
from placemaker.geo import NL_BBOX, RD_SRID, SRID, epsg

__all__ = [
    "NL_BBOX",
    "LayerError",
    "PointLayer",
    "read_demand",
    "read_points",
    "to_lonlat",
    "to_rd",
    "write_cells",
    "write_geojson",
    "write_suggestions",
]


LON_COLUMNS = ("lon", "lng", "longitude", "x")
LAT_COLUMNS = ("lat", "latitude", "y")
WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom")

_TO_RD = Transformer.from_crs(epsg(SRID), epsg(RD_SRID), always_xy=True)
_TO_WGS84 = Transformer.from_crs(epsg(RD_SRID), epsg(SRID), always_xy=True)


class LayerError(ValueError):
    """An input file that cannot be used, with a message fit for the user."""


@dataclass(frozen=True)
class PointLayer:
    """Points in RD New metres with their original properties."""

    xy: np.ndarray
    properties: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.xy.shape[0])

    def numbers(self, name: str, path: Path | str = "") -> np.ndarray:
        """A numeric property of every feature; :raises LayerError: if missing/invalid."""
        return _numbers(self.properties, name, path)


@dataclass(frozen=True)
class _Features:
    geoms: list[BaseGeometry]
    properties: list[dict[str, Any]]


def _numbers(properties: Sequence[dict[str, Any]], name: str, path: Path | str) -> np.ndarray:
    out = np.empty(len(properties))
    for n, props in enumerate(properties):
        if name not in props:
            known = ", ".join(sorted(props)) or "none"
            raise LayerError(f"{path}: feature {n + 1} has no field {name!r} (fields: {known})")
        try:
            value = float(props[name])
        except (TypeError, ValueError):
            raise LayerError(
                f"{path}: feature {n + 1}: {name}={props[name]!r} is not a number"
            ) from None
        if not math.isfinite(value) or value < 0:
            raise LayerError(f"{path}: feature {n + 1}: {name} must be a number >= 0")
        out[n] = value
    return out


def _read_geojson(path: Path) -> _Features:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LayerError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    crs = data.get("crs") if isinstance(data, dict) else None
    if crs:
        name = str(crs.get("properties", {}).get("name", ""))
        if not any(code in name for code in (str(SRID), "CRS84")):
            raise LayerError(f"{path}: coordinates must be WGS 84 lon/lat (EPSG:4326), got {name}")
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features") or []
    elif isinstance(data, dict) and data.get("type") == "Feature":
        features = [data]
    elif isinstance(data, dict) and "coordinates" in data:
        features = [{"type": "Feature", "geometry": data, "properties": {}}]
    else:
        raise LayerError(f"{path}: expected a GeoJSON FeatureCollection, Feature or geometry")
    geoms, props = [], []
    for n, feature in enumerate(features):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not geometry:
            raise LayerError(f"{path}: feature {n + 1} has no geometry")
        try:
            geom = shape(geometry)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise LayerError(f"{path}: feature {n + 1} has an invalid geometry ({exc})") from None
        geoms.append(geom)
        props.append(dict(feature.get("properties") or {}))
    return _Features(geoms, props)


def _pick(columns: Sequence[str], options: Sequence[str]) -> str | None:
    lower = {c.lower().strip(): c for c in columns}
    return next((lower[o] for o in options if o in lower), None)


def _read_csv(path: Path) -> _Features:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        rows = list(reader)
    lon, lat, wkt = _pick(columns, LON_COLUMNS), _pick(columns, LAT_COLUMNS), None
    if lon is None or lat is None:
        wkt = _pick(columns, WKT_COLUMNS)
        if wkt is None:
            raise LayerError(
                f"{path}: no geometry: need lon and lat columns or a wkt column "
                f"(columns: {', '.join(columns) or 'none'})"
            )
    geoms, props = [], []
    for n, row in enumerate(rows, start=2):  # line 1 is the header
        try:
            if wkt is not None:
                geom = shapely.from_wkt(row[wkt])
            else:
                geom = shapely.Point(float(row[lon]), float(row[lat]))
        except (TypeError, ValueError, shapely.errors.GEOSException):
            raise LayerError(f"{path}: line {n}: cannot read the geometry") from None
        if geom is None or geom.is_empty:
            raise LayerError(f"{path}: line {n}: empty geometry")
        geoms.append(geom)
        props.append({k: v for k, v in row.items() if k not in (lon, lat, wkt)})
    return _Features(geoms, props)


def _read(path: Path | str) -> _Features:
    path = Path(path)
    if not path.is_file():
        raise LayerError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        features = _read_geojson(path)
    elif suffix == ".csv":
        features = _read_csv(path)
    else:
        raise LayerError(f"{path}: unsupported format {suffix!r} (use .geojson or .csv)")
    if not features.geoms:
        raise LayerError(f"{path}: no features")
    _check_bbox(path, features.geoms)
    return features


def _check_bbox(path: Path, geoms: Sequence[BaseGeometry]) -> None:
    """Reject coordinates outside the Netherlands; hint at swapped lon/lat."""
    bounds = shapely.bounds(np.asarray(geoms, dtype=object))
    lon_min, lat_min, lon_max, lat_max = NL_BBOX
    inside = (
        (bounds[:, 0] >= lon_min)
        & (bounds[:, 2] <= lon_max)
        & (bounds[:, 1] >= lat_min)
        & (bounds[:, 3] <= lat_max)
    )
    if inside.all():
        return
    n = int(np.flatnonzero(~inside)[0])
    x, y = bounds[n, 0], bounds[n, 1]
    hint = ""
    if lon_min <= y <= lon_max and lat_min <= x <= lat_max:
        hint = " (lon and lat look swapped)"
    elif abs(x) > 180 or abs(y) > 90:
        hint = " (projected coordinates? files must be lon/lat, EPSG:4326)"
    raise LayerError(
        f"{path}: feature {n + 1} lies outside the Netherlands "
        f"(lon {lon_min}..{lon_max}, lat {lat_min}..{lat_max}): {x:.5f}, {y:.5f}{hint}"
    )


def _project(geoms: Sequence[BaseGeometry]) -> np.ndarray:
    arr = np.asarray(geoms, dtype=object)
    return shapely.transform(arr, lambda xy: np.column_stack(_TO_RD.transform(xy[:, 0], xy[:, 1])))


def read_points(path: Path | str) -> PointLayer:
    """Places or candidates as points in metres (polygons become a point on their surface)."""
    features = _read(path)
    geoms = _project(features.geoms)
    points = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
    xy = shapely.get_coordinates(points.astype(object))
    return PointLayer(xy=xy.reshape(-1, 2), properties=features.properties)


def read_demand(
    path: Path | str,
    weight_field: str,
    cell_size: float = 100.0,
    population_field: str | None = None,
) -> DemandGrid:
    """Demand from points (one cell each) or polygons (spread over grid cells).

    Without ``population_field`` the weight field is used both as population and as
    weighted need (need 1). With it, residents come from that field and the weight of a
    feature is spread over its cells in proportion to them (need = weight / residents).

    :raises LayerError: when a polygon has weight but no residents to carry it.
    """
    features = _read(path)
    weights = _numbers(features.properties, weight_field, path)
    population = (
        _numbers(features.properties, population_field, path) if population_field else weights
    )
    geoms = _project(features.geoms)
    is_point = shapely.get_type_id(geoms) == 0
    if is_point.all():
        xy = shapely.get_coordinates(geoms)
        return DemandGrid(
            x=xy[:, 0].copy(),
            y=xy[:, 1].copy(),
            population=population.copy(),
            weight=weights.copy(),
            area=np.arange(len(weights), dtype=np.int64),
            area_keys=tuple(range(len(weights))),
            cell_size=float(cell_size),
        )
    if is_point.any():
        raise LayerError(f"{path}: mix of points and polygons; use one kind of demand")
    stranded = np.flatnonzero((population == 0) & (weights > 0))
    if len(stranded):
        raise LayerError(
            f"{path}: {len(stranded)} areas have {weight_field} but no {population_field} "
            f"to spread it over (first: feature {stranded[0] + 1})"
        )
    need = np.divide(weights, population, out=np.zeros_like(weights), where=population > 0)
    areas = [
        (n, geom, float(pop), float(k))
        for n, (geom, pop, k) in enumerate(zip(geoms, population, need, strict=True))
    ]
    return build_demand_grid(areas, cell_size=cell_size)


def to_rd(lonlat: np.ndarray) -> np.ndarray:
    """Lon/lat to RD New metres, as an ``(n, 2)`` array."""
    lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    x, y = _TO_RD.transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


def to_lonlat(xy: np.ndarray) -> np.ndarray:
    """RD New metres to lon/lat, as an ``(n, 2)`` array."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    lon, lat = _TO_WGS84.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def write_geojson(
    path: Path | str, geoms_lonlat: Sequence[BaseGeometry], properties: Sequence[dict]
) -> None:
    """Write a FeatureCollection (coordinates rounded to 7 decimals, ~1 cm)."""
    features = [
        {
            "type": "Feature",
            "geometry": mapping(shapely.set_precision(g, 1e-7)),
            "properties": props,
        }
        for g, props in zip(geoms_lonlat, properties, strict=True)
    ]
    Path(path).write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )


def write_suggestions(
    path: Path | str, xy: np.ndarray, properties: Sequence[dict[str, Any]]
) -> None:
    """Suggested sites (points in metres) with their explanation properties."""
    lonlat = to_lonlat(xy)
    write_geojson(path, list(shapely.points(lonlat)), properties)


def write_cells(
    path: Path | str, grid: DemandGrid, covered_before: np.ndarray, covered_after: np.ndarray
) -> None:
    """Demand cells as squares with population, weight and coverage before/after."""
    half = grid.cell_size / 2
    boxes = shapely.box(grid.x - half, grid.y - half, grid.x + half, grid.y + half)
    boxes = shapely.transform(
        boxes, lambda xy: np.column_stack(_TO_WGS84.transform(xy[:, 0], xy[:, 1]))
    )
    props = [
        {
            "population": round(float(grid.population[n]), 3),
            "weight": round(float(grid.weight[n]), 3),
            "covered_before": bool(covered_before[n]),
            "covered_after": bool(covered_after[n]),
        }
        for n in range(len(grid))
    ]
    write_geojson(path, list(boxes), props)
