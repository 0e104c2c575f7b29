"""Read the files municipalities and CBS publish: one table of rows, with geometry if any.

CSV (any delimiter, with or without BOM), XLSX (first sheet unless told), GeoJSON,
GeoPackage, Shapefile, and a zip holding one of those. Geometry comes back in WGS84
(EPSG:4326, lon/lat) whatever CRS the file declares; a file without a CRS whose coordinates
are not plausible lon/lat is refused with the option to set (``crs``).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import mapping as geojson_mapping

from placemaker.imports.common import ImportFailed, read_geojson

TABLE_SUFFIXES = (".csv", ".txt", ".tsv")
GEO_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb")
WGS84 = CRS.from_epsg(4326)


@dataclass
class Table:
    """Rows of a file as dicts; ``geometries`` (WGS84 shapely) when the file has them."""

    path: Path
    columns: list[str]
    rows: list[dict[str, Any]]
    geometries: list[Any] | None = None
    # How a report names row i: "line 2" for CSV (header is line 1), "row 2" for XLSX, ...
    ref_word: str = "line"
    ref_offset: int = 2
    notes: list[str] = field(default_factory=list)

    def ref(self, index: int) -> str:
        return f"{self.ref_word} {index + self.ref_offset}"

    def require(self, columns: list[str]) -> None:
        missing = [c for c in columns if c and c not in self.columns]
        if missing:
            raise ImportFailed(
                f"{self.path.name}: column {', '.join(map(repr, missing))} not in file "
                f"(columns: {', '.join(self.columns)})"
            )

    def features(self) -> list[dict[str, Any]]:
        """The rows as GeoJSON features (what the area, place and layer importers read)."""
        if self.geometries is None:
            raise ImportFailed(f"{self.path.name}: has no geometry")
        return [
            {
                "type": "Feature",
                "properties": row,
                "geometry": geojson_mapping(geom) if geom is not None else None,
            }
            for row, geom in zip(self.rows, self.geometries, strict=True)
        ]


def read_table(
    path: str | Path,
    *,
    layer: str | None = None,
    sheet: str | None = None,
    member: str | None = None,
    crs: str | None = None,
) -> Table:
    """Read any supported file. ``crs`` is for files that do not declare theirs.

    :raises ImportFailed: missing or unreadable file, unknown format, implausible coordinates.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _read_zip(path, member=member, layer=layer, crs=crs)
    if suffix in TABLE_SUFFIXES:
        return _read_csv_text(path, _decode(path.read_bytes(), path))
    if suffix == ".xlsx":
        return _read_xlsx(path, sheet)
    if suffix in GEO_SUFFIXES:
        return _read_geo(str(path), path, layer=layer, crs=crs)
    raise ImportFailed(
        f"{path.name}: unknown format {suffix!r} (read: CSV, XLSX, GeoJSON, GeoPackage, "
        "Shapefile, or a zip of one)"
    )


def _decode(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFailed(f"{path.name}: not UTF-8 or Windows-1252 text")


def _read_csv_text(path: Path, text: str) -> Table:
    lines = text.splitlines()
    if not lines:
        raise ImportFailed(f"{path.name}: the file is empty")
    first = lines[0]
    delimiter = max((";", ",", "\t", "|"), key=first.count)
    reader = csv.DictReader(lines, delimiter=delimiter)
    columns = [c.strip() for c in (reader.fieldnames or [])]
    reader.fieldnames = columns
    rows = [dict(row) for row in reader]
    return Table(path, columns, rows)


def _read_xlsx(path: Path, sheet: str | None) -> Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a broken file
        raise ImportFailed(f"{path.name}: not a readable XLSX file ({exc})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise ImportFailed(
                f"{path.name}: no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})"
            )
        ws = book[sheet] if sheet else book.worksheets[0]
        values = list(ws.iter_rows(values_only=True))
    finally:
        book.close()
    if not values:
        raise ImportFailed(f"{path.name}: the sheet is empty")
    columns = [str(c).strip() if c is not None else "" for c in values[0]]
    rows = [
        dict(zip(columns, row, strict=False))
        for row in values[1:]
        if any(v not in (None, "") for v in row)
    ]
    return Table(path, columns, rows, ref_word="row")


def _read_zip(path: Path, *, member: str | None, layer: str | None, crs: str | None) -> Table:
    with zipfile.ZipFile(path) as archive:
        names = [
            n for n in archive.namelist() if not n.startswith("__MACOSX/") and not n.endswith("/")
        ]
        if member is None:
            readable = [
                n for n in names if n.lower().endswith(TABLE_SUFFIXES + GEO_SUFFIXES + (".xlsx",))
            ]
            if len(readable) != 1:
                raise ImportFailed(
                    f"{path.name}: name the file to read inside the zip with 'member' "
                    f"(it holds: {', '.join(names)})"
                )
            member = readable[0]
        elif member not in names:
            raise ImportFailed(f"{path.name}: no {member!r} inside (it holds: {', '.join(names)})")
        lower = member.lower()
        if lower.endswith(TABLE_SUFFIXES):
            table = _read_csv_text(path, _decode(archive.read(member), path))
            table.path = Path(f"{path}/{member}")
            return table
        if lower.endswith(".xlsx"):
            raise ImportFailed(f"{path.name}: unzip the XLSX first")
    return _read_geo(f"/vsizip/{path}/{member}", path, layer=layer, crs=crs)


def _read_geo(source: str, path: Path, *, layer: str | None, crs: str | None) -> Table:
    from pyogrio.errors import DataLayerError, DataSourceError
    from pyogrio.raw import read

    try:
        meta, _fids, wkb, values = read(source, layer=layer)
    except (DataSourceError, DataLayerError) as exc:
        raise ImportFailed(f"{path.name}: cannot read ({exc})") from None
    columns = [str(c) for c in meta["fields"]]
    rows = [
        {c: _plain(v[i]) for c, v in zip(columns, values, strict=True)}
        for i in range(len(wkb) if wkb is not None else len(values[0]) if values else 0)
    ]
    if wkb is None:
        return Table(path, columns, rows, ref_word="feature", ref_offset=1)
    geoms = shapely.from_wkb(wkb)
    declared = crs or meta.get("crs")
    table = Table(path, columns, rows, list(geoms), ref_word="feature", ref_offset=1)
    table.geometries = list(to_wgs84(geoms, declared, path))
    return table


def to_wgs84(geoms: np.ndarray, declared: str | None, path: Path) -> np.ndarray:
    """Reproject to lon/lat, and refuse coordinates that are still not plausible lon/lat.

    GeoJSON readers assume WGS84 when a file says nothing, so a GeoJSON in RD New metres
    comes here as "EPSG:4326" and is caught by the check, which names the option to set.
    """
    if declared is not None:
        source = CRS.from_user_input(declared)
        if not source.equals(WGS84, ignore_axis_order=True):
            transformer = Transformer.from_crs(source, WGS84, always_xy=True)
            geoms = shapely.transform(
                geoms, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
            )
    present = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if len(present):
        bounds = shapely.total_bounds(present)
        if not np.all(np.isfinite(bounds)) or not (
            -180 <= bounds[0] <= bounds[2] <= 180 and -90 <= bounds[1] <= bounds[3] <= 90
        ):
            raise ImportFailed(
                f"{path.name}: the coordinates ({bounds[0]:.0f}, {bounds[1]:.0f} …) are not "
                f"longitude/latitude and the file declares {declared or 'no coordinate system'}"
                '; set crs = "EPSG:28992" (RD New) or the right EPSG code in the step '
                "(--crs on the command line)"
            )
    return geoms


def _plain(value: Any) -> Any:
    """numpy scalars and missing markers as plain Python values (None for NaN, NaT)."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        if isinstance(value, np.datetime64):
            return None if np.isnat(value) else str(value)
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return value
    return value


def text_of(value: Any) -> str | None:
    """A cell as trimmed text; floats that are whole numbers without ".0"."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def read_features(
    path: str | Path, *, crs: str | None = None, layer: str | None = None, member: str | None = None
) -> list[dict[str, Any]]:
    """GeoJSON features in WGS84 from any geometry file (GeoJSON, GeoPackage, zipped
    Shapefile), reprojected from the CRS it declares (or ``crs``).

    A GeoJSON in WGS84 is read as it is, so a coordinate that is wrong (RD metres passed off
    as degrees) is reported per feature by the importers.
    """
    path = Path(path)
    if path.suffix.lower() in (".geojson", ".json") and crs is None:
        try:
            return read_geojson(path)
        except ImportFailed as exc:
            if "coordinates are in" not in str(exc):  # another CRS than WGS84: reproject
                raise
    return read_table(path, crs=crs, layer=layer, member=member).features()
