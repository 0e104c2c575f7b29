"""Import BAG addresses (the national address register's GeoPackage export) into the index.

The register's export holds one layer per kind of object (verblijfsobjecten, standplaatsen,
ligplaatsen) with ``nummer_id``, ``straatnaam``, ``huisnummer``, ``huisletter``,
``toevoeging``, ``postcode`` and ``woonplaats``, in RD New (EPSG:28992) or any CRS GDAL knows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyogrio import list_layers
from pyogrio.raw import read
from pyproj import CRS, Transformer
from sqlalchemy import literal_column, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert

from placemaker.extensions import db
from placemaker.geo import in_netherlands
from placemaker.geocoding.models import Address
from placemaker.imports.common import (
    ImportFailed,
    ImportReport,
    Progress,
    no_progress,
    too_long,
)

LAYERS = {
    "verblijfsobjecten": "verblijfsobject",
    "standplaatsen": "standplaats",
    "ligplaatsen": "ligplaats",
}
FIELDS = (
    "nummer_id",
    "straatnaam",
    "huisnummer",
    "huisletter",
    "toevoeging",
    "postcode",
    "woonplaats",
)
POSTCODE_RE = re.compile(r"^\d{4}[A-Z]{2}$")
BATCH = 2000


def import_addresses_file(path: Path | str, progress: Progress = no_progress) -> ImportReport:
    """Add or update every address in the file; rows that cannot be used are skipped, counted.

    :raises ImportFailed: when the file cannot be read or holds none of the BAG layers.
    """
    path = Path(path)
    report = ImportReport(f"addresses from {path.name}")
    try:
        layers = [str(name) for name, _geom in list_layers(path)]
    except Exception as exc:  # GDAL says why in its own words
        raise ImportFailed(f"{path}: cannot be read as a GeoPackage ({exc})") from None
    wanted = [name for name in layers if name in LAYERS]
    if not wanted:
        raise ImportFailed(
            f"{path}: none of the layers {', '.join(LAYERS)} (found: {', '.join(layers) or 'none'})"
        )
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    for layer in wanted:
        for row in _layer_rows(path, layer, report, progress):
            if row["bag_id"] in seen:
                report.skip(row["bag_id"], "the same address twice in the file")
                continue
            seen.add(row["bag_id"])
            rows.append(row)
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        inserted = _upsert(batch)
        report.created += inserted.count(True)
        report.updated += inserted.count(False)
        report.unchanged += len(batch) - len(inserted)
    return report


def _layer_rows(path: Path, layer: str, report: ImportReport, progress: Progress):
    meta, _fids, geometry, columns = read(path, layer=layer, return_fids=False)
    names = list(meta["fields"])
    missing = [f for f in FIELDS if f not in names]
    if missing:
        raise ImportFailed(f"{path}: layer {layer} lacks the fields {', '.join(missing)}")
    values = {name: columns[names.index(name)] for name in FIELDS}
    xy = _points_wgs84(geometry, meta.get("crs"), path, layer)
    for i in progress(range(len(geometry)), len(geometry), layer):
        ref = f"{layer}:{values['nummer_id'][i]}"
        row = _row(values, i, xy[i], LAYERS[layer])
        if isinstance(row, str):
            report.skip(ref, row)
        else:
            yield row


def _points_wgs84(geometry, crs: str | None, path: Path, layer: str) -> np.ndarray:
    points = shapely.from_wkb(geometry)
    if points.size and not np.all(shapely.get_type_id(points[~shapely.is_missing(points)]) == 0):
        raise ImportFailed(f"{path}: layer {layer} holds geometries that are not points")
    xy = np.full((len(points), 2), np.nan)
    present = ~shapely.is_missing(points)
    xy[present] = shapely.get_coordinates(points[present])
    if not crs:
        raise ImportFailed(f"{path}: layer {layer} names no coordinate reference system")
    transformer = Transformer.from_crs(CRS.from_user_input(crs), "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def _text(values: dict[str, Any], field: str, i: int) -> str | None:
    value = values[field][i]
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _row(values: dict[str, Any], i: int, lonlat, kind: str) -> dict[str, Any] | str:
    """The row to store, or the reason it is skipped."""
    bag_id = _text(values, "nummer_id", i)
    street = _text(values, "straatnaam", i)
    if not bag_id:
        return "no nummer_id"
    if not street:
        return "no street name"
    try:
        number = int(values["huisnummer"][i])
    except (TypeError, ValueError):
        return "no house number"
    lon, lat = float(lonlat[0]), float(lonlat[1])
    if not (np.isfinite(lon) and np.isfinite(lat)):
        return "no location"
    if not in_netherlands(lon, lat):
        return "location outside the Netherlands"
    postcode = (_text(values, "postcode", i) or "").replace(" ", "").upper() or None
    if postcode and not POSTCODE_RE.match(postcode):
        postcode = None
    row = {
        "bag_id": bag_id,
        "street": street,
        "number": number,
        "letter": _text(values, "huisletter", i),
        "addition": _text(values, "toevoeging", i),
        "postcode": postcode,
        "city": _text(values, "woonplaats", i),
        "kind": kind,
        "geom": f"SRID=4326;POINT({lon:.7f} {lat:.7f})",
    }
    problems = too_long(Address, row)
    return "; ".join(problems) if problems else row


def _upsert(rows: list[dict[str, Any]]) -> list[bool]:
    """Insert new addresses, update changed ones; one flag per row written (True: new).

    Unchanged rows are not written at all, so they return nothing.
    """
    statement = pg_insert(Address).values(rows)
    columns = ("street", "number", "letter", "addition", "postcode", "city", "kind", "geom")
    table = Address.__table__
    changed = or_(*(table.c[c].is_distinct_from(statement.excluded[c]) for c in columns))
    # xmax is 0 for a row this statement inserted, the updating transaction's id otherwise.
    result: Any = db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[Address.bag_id],
            set_={c: statement.excluded[c] for c in columns},
            where=changed,
        ).returning(literal_column("xmax = 0"))
    )
    return [bool(flag) for (flag,) in result]
