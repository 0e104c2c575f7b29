"""Import analysis layers: polygons to leave out (parks, water) or candidate sites."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import shapely
from geoalchemy2.shape import from_shape
from sqlalchemy import delete, select, text

from placemaker.extensions import db
from placemaker.gaps.models import LAYER_ROLES, GapLayer, GapLayerFeature
from placemaker.geo import (
    SRID,
    GeometryError,
    all_coordinates,
    check_coordinates,
    parse_area_geometry,
    polygonal_part,
    read_geometry,
)
from placemaker.imports.common import (
    ImportFailed,
    ImportReport,
    Progress,
    check_lengths,
    feature_ref,
    no_progress,
    text_value,
)
from placemaker.imports.readers import read_features


def import_layer_file(
    path: str | Path,
    name: str,
    role: str,
    *,
    name_field: str | None = None,
    source: str | None = None,
    user_id: int | None = None,
    progress: Progress = no_progress,
) -> ImportReport:
    return import_layer(
        read_features(path),
        name,
        role,
        name_field=name_field,
        source=source or Path(path).name,
        user_id=user_id,
        progress=progress,
    )


def import_layer(
    features: list[dict[str, Any]],
    name: str,
    role: str,
    *,
    name_field: str | None = None,
    source: str | None = None,
    user_id: int | None = None,
    progress: Progress = no_progress,
) -> ImportReport:
    """Replace the layer called ``name`` with these features (validated first)."""
    if role not in LAYER_ROLES:
        raise ImportFailed(f"role must be one of {', '.join(LAYER_ROLES)}")
    report = ImportReport(f"layer {name}")
    if not check_lengths(report, "layer", GapLayer, {"name": name, "source": source}):
        return report
    rows = []
    for index, feature in enumerate(progress(features, len(features), "checking features")):
        ref = feature_ref(feature, index, name_field)
        try:
            geom = read_geometry(feature.get("geometry"))
            if geom.is_empty:
                raise GeometryError("geometry is empty")
            check_coordinates(all_coordinates(geom))
        except GeometryError as exc:
            report.error(ref, str(exc))
            continue
        if role == "exclude" and geom.geom_type not in ("Polygon", "MultiPolygon"):
            report.error(ref, f"a layer to leave out needs polygons, not a {geom.geom_type}")
            continue
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            # Areas' rule: repaired only when that changes the area by less than 1 %; flat
            # or two-point polygons have no area to keep and are refused.
            try:
                geom, repaired = parse_area_geometry(feature.get("geometry"))
            except GeometryError as exc:
                report.error(ref, str(exc))
                continue
            if geom.area <= 0:
                report.error(ref, "polygon has no area (flat, or fewer than three corners)")
                continue
            if repaired:
                report.note(ref, repaired)
        if not geom.is_valid:
            geom = (
                polygonal_part(shapely.make_valid(geom))
                if role == "exclude"
                else shapely.make_valid(geom)
            )
            report.note(ref, "repaired invalid geometry")
        props = feature.get("properties") or {}
        label = text_value(props.get(name_field)) if name_field else None
        if not check_lengths(report, ref, GapLayerFeature, {"name": label}):
            continue
        rows.append((label, geom, props))
    if not report.ok:
        return report
    layer = db.session.scalar(select(GapLayer).where(GapLayer.name == name))
    if layer is None:
        layer = GapLayer(name=name, role=role, source=source, created_by=user_id)
        db.session.add(layer)
        db.session.flush()
    else:
        layer.role, layer.source = role, source
        existing = db.session.scalar(
            text("SELECT count(*) FROM gap_layer_feature WHERE layer_id = :id"), {"id": layer.id}
        )
        if existing == len(rows) and _same_features(layer.id, rows):
            report.unchanged = len(rows)
            return report
        db.session.execute(delete(GapLayerFeature).where(GapLayerFeature.layer_id == layer.id))
        report.updated = existing
    db.session.add_all(
        GapLayerFeature(
            layer_id=layer.id,
            name=label,
            geom=from_shape(geom, srid=SRID),
            properties=_jsonable(props),
        )
        for label, geom, props in rows
    )
    report.created = len(rows)
    db.session.flush()
    return report


def _same_features(layer_id: int, rows: list) -> bool:
    stored = db.session.execute(
        text(
            "SELECT name, ST_AsBinary(geom) FROM gap_layer_feature WHERE layer_id = :id ORDER BY id"
        ),
        {"id": layer_id},
    ).all()
    return all(
        name == label and shapely.from_wkb(bytes(wkb)).equals_exact(geom, 1e-9)
        for (name, wkb), (label, geom, _props) in zip(stored, rows, strict=True)
    )


def _jsonable(props: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
        for k, v in props.items()
    }


WATER_SQL = """
    WITH land AS (
        SELECT ST_Union(geom) AS geom FROM area WHERE level_code = :land_level
    ), covered AS (
        SELECT ST_Union(a.geom) AS geom FROM area a
        JOIN area w ON w.id = a.parent_id
        WHERE a.level_code = :area_level AND w.parent_id IN (
            SELECT id FROM area WHERE level_code = :land_level)
    )
    SELECT (ST_Dump(ST_CollectionExtract(ST_Difference(covered.geom, land.geom), 3))).geom
    FROM land, covered
"""


def derive_water_layer(
    name: str, *, area_level: str = "buurt", land_level: str = "gebied", min_area_m2: float = 2000.0
) -> ImportReport:
    """Water as what the buurten cover and the land-only gebieden do not.

    Amsterdam's gebieden are drawn on land only, while its buurten include the water in
    them; their difference is the IJ, the Amstel and the canals, where nobody lives.
    """
    parts = (
        db.session.execute(text(WATER_SQL), {"land_level": land_level, "area_level": area_level})
        .scalars()
        .all()
    )
    features = []
    for index, wkb in enumerate(parts):
        geom = shapely.from_wkb(bytes.fromhex(wkb) if isinstance(wkb, str) else bytes(wkb))
        # slivers along shared edges are no water
        if _area_m2(geom) >= min_area_m2:
            features.append(
                {
                    "type": "Feature",
                    "properties": {"name": f"water {index + 1}"},
                    "geometry": shapely.geometry.mapping(geom),
                }
            )
    return import_layer(
        features,
        name,
        "exclude",
        name_field="name",
        source=f"{area_level} minus {land_level} (derived)",
    )


def _area_m2(geom) -> float:
    from pyproj import Geod

    return abs(Geod(ellps="WGS84").geometry_area_perimeter(geom)[0])
