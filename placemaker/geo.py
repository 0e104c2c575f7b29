"""Spatial rules used everywhere: SRIDs, the Netherlands' extent, validation, GeoJSON in/out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import shapely
from geoalchemy2 import WKBElement
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from sqlalchemy import func

SRID = 4326  # what we store: WGS84 lon/lat (RFC 7946 axis order)
RD_SRID = 28992  # Amersfoort / RD New: metres, for distances and the gap grid

# Generous WGS84 box around the Netherlands incl. the Wadden and the coast (lon, lat).
NL_BBOX = (3.2, 50.7, 7.3, 53.6)
# Where RD New coordinates of the Netherlands fall (x, y in metres).
RD_BBOX = (-7000.0, 289000.0, 300000.0, 629000.0)

# A repair by MakeValid is accepted when the area changes by less than this share.
SAFE_REPAIR_AREA_CHANGE = 0.01


class GeometryError(ValueError):
    """A geometry a user gave us cannot be stored; the message says why, in plain words."""


def in_netherlands(lon: float, lat: float) -> bool:
    """Whether a WGS84 coordinate lies within the Netherlands' bounding box."""
    min_lon, min_lat, max_lon, max_lat = NL_BBOX
    return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


def _looks_like_rd(x: float, y: float) -> bool:
    min_x, min_y, max_x, max_y = RD_BBOX
    return min_x <= x <= max_x and min_y <= y <= max_y


def check_coordinates(coords: Iterable[Sequence[float]]) -> None:
    """Refuse coordinates outside the Netherlands, naming RD New when that is the likely cause.

    :raises GeometryError: with a message meant for the person who supplied the data.
    """
    for coord in coords:
        lon, lat = float(coord[0]), float(coord[1])
        if in_netherlands(lon, lat):
            continue
        if _looks_like_rd(lon, lat):
            raise GeometryError(
                f"coordinates ({lon:g}, {lat:g}) look like RD New (EPSG:28992) metres, "
                "not WGS84 degrees: reproject the file to EPSG:4326 (lon, lat)"
            )
        if in_netherlands(lat, lon):
            raise GeometryError(
                f"coordinates ({lon:g}, {lat:g}) have latitude and longitude swapped: "
                "GeoJSON wants (lon, lat)"
            )
        raise GeometryError(f"coordinates ({lon:g}, {lat:g}) lie outside the Netherlands")


def all_coordinates(geom: BaseGeometry) -> list[tuple[float, float]]:
    return [tuple(c) for c in shapely.get_coordinates(geom).tolist()]


def point_from_lonlat(lon: float, lat: float) -> WKBElement:
    """A stored point from WGS84 lon/lat, refused outside the Netherlands."""
    if not all(map(_finite, (lon, lat))):
        raise GeometryError("longitude and latitude must be numbers")
    check_coordinates([(lon, lat)])
    return from_shape(Point(lon, lat), srid=SRID)


def _finite(value: Any) -> bool:
    try:
        return float(value) == float(value) and abs(float(value)) != float("inf")
    except (TypeError, ValueError):
        return False


def read_geometry(obj: dict[str, Any] | None) -> BaseGeometry:
    """A shapely geometry from a GeoJSON geometry object, or a GeometryError saying why not."""
    if not obj:
        raise GeometryError("feature has no geometry")
    try:
        return shape(obj)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise GeometryError(f"geometry cannot be read: {exc}") from None


def parse_area_geometry(obj: dict[str, Any] | None) -> tuple[MultiPolygon, str | None]:
    """Validate a GeoJSON (Multi)Polygon for an area, repairing it where that is safe.

    :returns: the geometry as a MultiPolygon and a note when it was repaired.
    :raises GeometryError: when it is missing, of the wrong type, outside the Netherlands,
        or invalid beyond a safe repair.
    """
    geom = read_geometry(obj)
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise GeometryError(f"expected a Polygon or MultiPolygon, got a {geom.geom_type}")
    if geom.is_empty:
        raise GeometryError("geometry is empty")
    check_coordinates(all_coordinates(geom))
    note = None
    if not geom.is_valid:
        reason = explain_validity(geom)
        repaired = polygonal_part(shapely.make_valid(geom))
        change = abs(repaired.area - abs(_signed_area(geom))) / max(repaired.area, 1e-18)
        if repaired.is_empty or change > SAFE_REPAIR_AREA_CHANGE:
            raise GeometryError(f"invalid polygon ({reason}) that cannot be repaired safely")
        geom, note = repaired, f"repaired invalid polygon ({reason})"
    return as_multipolygon(geom), note


def _signed_area(geom: BaseGeometry) -> float:
    # The area a human drew: the shell's area minus its holes, whatever the self-crossings.
    polys = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    total = 0.0
    for poly in polys:
        total += Polygon(poly.exterior).area - sum(Polygon(r).area for r in poly.interiors)
    return total


def polygonal_part(geom: BaseGeometry) -> BaseGeometry:
    """Only the polygons of a (possibly mixed) geometry: MakeValid can add stray lines."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else Polygon()


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    return MultiPolygon([g for g in geom.geoms if isinstance(g, Polygon)])


def parse_point(obj: dict[str, Any] | None) -> Point:
    """Validate a GeoJSON Point inside the Netherlands."""
    geom = read_geometry(obj)
    if geom.geom_type != "Point" or geom.is_empty:
        raise GeometryError(f"expected a Point, got a {geom.geom_type}")
    check_coordinates([(geom.x, geom.y)])
    return geom


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """Parse ``minlon,minlat,maxlon,maxlat``.

    :raises ValueError: with a message fit for an API error.
    """
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError("bbox needs four numbers: min_lon,min_lat,max_lon,max_lat")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise ValueError("bbox needs four numbers: min_lon,min_lat,max_lon,max_lat") from None
    if not all(map(_finite, (min_lon, min_lat, max_lon, max_lat))):
        raise ValueError("bbox values must be finite numbers")
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise ValueError("bbox longitudes must lie between -180 and 180")
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise ValueError("bbox latitudes must lie between -90 and 90")
    if min_lon > max_lon or min_lat > max_lat:
        raise ValueError("bbox must be min_lon,min_lat,max_lon,max_lat with min <= max")
    return min_lon, min_lat, max_lon, max_lat


def bbox_envelope(bbox: Sequence[float]):
    """An SQL envelope for a WGS84 bbox, to combine with ``ST_Intersects``."""
    return func.ST_MakeEnvelope(*bbox, SRID)


def point_sql(lon: Any, lat: Any):
    """An SQL point from WGS84 lon/lat: numbers, or columns (one point per row)."""
    return func.ST_SetSRID(func.ST_MakePoint(lon, lat), SRID)


def to_rd_sql(geom: Any):
    """A stored geometry in RD New metres, for distances, buffers and simplifying."""
    return func.ST_Transform(geom, RD_SRID)


def from_rd_sql(geom: Any):
    """An RD New geometry back in the stored WGS84."""
    return func.ST_Transform(geom, SRID)


def epsg(srid: int) -> str:
    """``EPSG:<srid>``, as pyproj and GDAL name a reference system."""
    return f"EPSG:{srid}"
