"""Collections as files planners open directly: GeoJSON, CSV (plain and for Dutch Excel) and
GeoPackage. Plain functions: features and a property schema in, bytes out.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from placemaker.geo import SRID, epsg
from placemaker.ogc.registry import Collection, Feature, Property

# Excel keeps at most this many characters in a cell; longer text spills into the next rows.
EXCEL_CELL_MAX = 32_767
# Text starting with these is a formula to a spreadsheet (CSV injection): quote it there.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Format:
    key: str
    mimetype: str
    extension: str
    title: str


FORMATS = {
    "geojson": Format("geojson", "application/geo+json", "geojson", "GeoJSON"),
    "csv": Format("csv", "text/csv", "csv", "CSV (UTF-8, comma, decimal point)"),
    "csv-excel": Format(
        "csv-excel", "text/csv", "excel.csv", "CSV for Dutch Excel (semicolon, decimal comma, BOM)"
    ),
    "gpkg": Format("gpkg", "application/geopackage+sqlite3", "gpkg", "GeoPackage"),
}


def geojson_bytes(features: Sequence[Feature], **members: Any) -> bytes:
    body = {"type": "FeatureCollection", **members, "features": list(features)}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- CSV -------------------------------------------------------------------------------------


def csv_columns(collection: Collection) -> list[str]:
    """Property columns, then lon/lat (a point on the surface for areas) and, for shapes, WKT."""
    columns = [*collection.property_names, "lon", "lat"]
    if collection.geometry_type != "Point":
        columns.append("wkt")
    return columns


def _number_for_excel(value: float) -> str:
    # Dutch Excel reads "4.842" as 4842 (the dot groups thousands): write a decimal comma,
    # no grouping and no exponent.
    return np.format_float_positional(value, trim="-").replace(".", ",")


def _cell(value: Any, prop: Property | None, excel: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number_for_excel(value) if excel else repr(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if excel and prop is not None and prop.type == "date-time":
        # Excel recognises "2024-05-01 10:00:00" as a date in every locale.
        return text.replace("T", " ").removesuffix("Z")
    # Every variant: a plain .csv is opened in a spreadsheet just as often.
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def csv_bytes(collection: Collection, features: Sequence[Feature], *, excel: bool = False) -> bytes:
    """CSV in UTF-8. ``excel``: semicolons, decimal commas and a BOM for Dutch Excel.

    Text that a spreadsheet would run as a formula starts with an apostrophe (in both
    variants: CSV injection); in the Excel variant a WKT too long for one Excel cell is left
    empty (lon/lat remain).
    """
    columns = csv_columns(collection)
    props = {p.name: p for p in collection.properties}
    out = io.StringIO()
    if excel:
        out.write("\ufeff")
    writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow(columns)
    for feature in features:
        geom = shape(feature["geometry"]) if feature.get("geometry") else None
        point = None
        if geom is not None and not geom.is_empty:
            point = geom if geom.geom_type == "Point" else geom.representative_point()
        values: dict[str, Any] = dict(feature["properties"])
        values["lon"] = round(point.x, 7) if point is not None else None
        values["lat"] = round(point.y, 7) if point is not None else None
        if "wkt" in columns:
            wkt = shapely.to_wkt(geom, rounding_precision=7, trim=True) if geom else None
            values["wkt"] = None if excel and wkt and len(wkt) > EXCEL_CELL_MAX else wkt
        writer.writerow([_cell(values.get(c), props.get(c), excel) for c in columns])
    return out.getvalue().encode("utf-8")


# --- GeoPackage ------------------------------------------------------------------------------


def _field(prop: Property, values: list[Any]) -> tuple[np.ndarray, np.ndarray | None]:
    missing = np.array([v is None for v in values], dtype=bool)
    if prop.type == "integer":
        return np.array([0 if v is None else v for v in values], dtype="int64"), missing
    if prop.type == "number":
        return np.array([np.nan if v is None else v for v in values], dtype="float64"), None
    if prop.type == "boolean":
        return np.array([bool(v) for v in values], dtype=bool), missing
    if prop.type in ("date-time", "date"):
        return np.array(
            ["NaT" if v is None else str(v).removesuffix("Z") for v in values],
            dtype="datetime64[ms]",
        ), None
    return np.array([None if v is None else str(v) for v in values], dtype=object), None


def gpkg_bytes(collection: Collection, features: Sequence[Feature]) -> bytes:
    """A GeoPackage with one layer named after the collection, written by GDAL (pyogrio)."""
    from pyogrio.raw import write

    geometries = np.array(
        [shape(f["geometry"]) if f.get("geometry") else None for f in features], dtype=object
    )
    fields, masks, tz_offsets = [], [], {}
    for prop in collection.properties:
        data, mask = _field(prop, [f["properties"].get(prop.name) for f in features])
        fields.append(data)
        masks.append(mask)
        if prop.type == "date-time":
            # Our times are UTC: say so, so GDAL writes conformant GeoPackage date-times.
            tz_offsets[prop.name] = np.zeros(len(features), dtype="int64")
    buffer = io.BytesIO()
    write(
        buffer,
        shapely.to_wkb(geometries) if len(features) else np.array([], dtype=object),
        fields,
        list(collection.property_names),
        field_mask=masks,
        layer=collection.id,
        driver="GPKG",
        geometry_type=collection.geometry_type,
        crs=epsg(SRID),
        promote_to_multi=collection.geometry_type.startswith("Multi"),
        # GeoPackage 1.2 opens in every QGIS and GDAL still in use.
        dataset_options={"VERSION": "1.2"},
        layer_options={"IDENTIFIER": collection.title, "DESCRIPTION": collection.description},
        gdal_tz_offsets=tz_offsets or None,
    )
    return buffer.getvalue()
