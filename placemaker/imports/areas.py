"""Import areas of one level from a GeoJSON file with a field mapping."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import select

from placemaker.areas.models import Area, AreaLevel
from placemaker.extensions import db
from placemaker.geo import SRID, GeometryError, as_multipolygon, parse_area_geometry
from placemaker.imports.common import (
    ImportFailed,
    ImportReport,
    Progress,
    check_lengths,
    feature_ref,
    no_progress,
    require_properties,
    text_value,
)
from placemaker.imports.readers import read_features


@dataclass(frozen=True)
class AreaMapping:
    """Which properties hold what. ``parent_fields`` are tried in order (first non-empty)."""

    level: str
    code_field: str
    name_field: str | None = None
    parent_fields: Sequence[str] = ()
    alt_code_field: str | None = None
    # Group features by code and union their geometry (wijken from buurten, for instance).
    dissolve: bool = False
    # Names by code, for levels whose file has no name column.
    names: Mapping[str, str] | None = None


@dataclass
class _Row:
    ref: str
    code: str
    name: str
    parent_code: str | None
    alt_code: str | None
    geom: Any


def import_areas_file(
    path: str | Path,
    mapping: AreaMapping,
    *,
    source: str | None = None,
    progress: Progress = no_progress,
    **read: Any,
) -> ImportReport:
    """Areas from GeoJSON, GeoPackage or a zipped Shapefile in any declared CRS (``read``:
    crs, layer, member)."""
    features = read_features(path, **read)
    require_properties(
        features,
        [mapping.code_field, mapping.name_field, mapping.alt_code_field, *mapping.parent_fields],
        path,
    )
    return import_areas(features, mapping, source=source or Path(path).name, progress=progress)


def import_areas(
    features: list[dict[str, Any]],
    mapping: AreaMapping,
    *,
    source: str,
    progress: Progress = no_progress,
) -> ImportReport:
    """Validate every feature, then create or update the areas. Writes nothing on errors."""
    report = ImportReport(f"areas ({mapping.level})")
    level = db.session.get(AreaLevel, mapping.level)
    if level is None:
        levels = ", ".join(db.session.scalars(select(AreaLevel.code).order_by(AreaLevel.rank)))
        raise ImportFailed(f"unknown area level {mapping.level!r} (levels: {levels})")

    rows = _validated_rows(features, mapping, report, progress)
    if mapping.dissolve:
        rows = _dissolve(rows)
    else:
        _check_unique_codes(rows, report)

    existing = {a.code: a for a in db.session.scalars(select(Area))}
    parents = _resolve_parents(rows, existing, level, report)
    for row in rows:
        other = existing.get(row.code)
        if other is not None and other.level_code != mapping.level:
            report.error(row.ref, f"code {row.code} is already a {other.level_code}")
    if not report.ok:
        return report

    for row in progress(rows, len(rows), "writing areas"):
        _upsert(row, existing.get(row.code), parents.get(row.code), mapping.level, source, report)
    db.session.flush()
    return report


def _validated_rows(
    features: list[dict[str, Any]], mapping: AreaMapping, report: ImportReport, progress: Progress
) -> list[_Row]:
    rows = []
    for index, feature in enumerate(progress(features, len(features), "checking areas")):
        props = feature.get("properties") or {}
        ref = feature_ref(feature, index, mapping.code_field)
        code = text_value(props.get(mapping.code_field))
        if code is None:
            report.error(ref, f"no code in {mapping.code_field!r}")
            continue
        try:
            geom, repair_note = parse_area_geometry(feature.get("geometry"))
        except GeometryError as exc:
            report.error(ref, str(exc))
            continue
        if repair_note:
            report.note(ref, repair_note)
        name = text_value(props.get(mapping.name_field)) if mapping.name_field else None
        if name is None and mapping.names:
            name = mapping.names.get(code)
        parent_code = next(
            (text_value(props.get(f)) for f in mapping.parent_fields if text_value(props.get(f))),
            None,
        )
        alt_code = text_value(props.get(mapping.alt_code_field)) if mapping.alt_code_field else None
        if not check_lengths(report, ref, Area, {"code": code, "name": name, "alt_code": alt_code}):
            continue
        rows.append(_Row(ref, code, name or code, parent_code, alt_code, geom))
    return rows


def _check_unique_codes(rows: list[_Row], report: ImportReport) -> None:
    seen: dict[str, str] = {}
    for row in rows:
        if row.code in seen:
            report.error(row.ref, f"duplicate code {row.code} (also {seen[row.code]})")
        seen.setdefault(row.code, row.ref)


def _dissolve(rows: list[_Row]) -> list[_Row]:
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        groups.setdefault(row.code, []).append(row)
    dissolved = []
    for code, members in groups.items():
        first = members[0]
        geom = as_multipolygon(shapely.union_all([m.geom for m in members]))
        # Members may disagree on the parent (a field left empty on some); take the commonest.
        parent_votes = [m.parent_code for m in members if m.parent_code]
        parent = max(set(parent_votes), key=parent_votes.count) if parent_votes else None
        dissolved.append(_Row(f"code {code}", code, first.name, parent, first.alt_code, geom))
    return dissolved


def _resolve_parents(
    rows: list[_Row], existing: dict[str, Area], level: AreaLevel, report: ImportReport
) -> dict[str, Area]:
    parents: dict[str, Area] = {}
    for row in rows:
        if row.parent_code is None:
            continue
        parent = existing.get(row.parent_code)
        if parent is None:
            report.error(row.ref, f"unknown parent code {row.parent_code}")
        elif parent.level.rank >= level.rank:
            report.error(
                row.ref, f"parent {row.parent_code} is a {parent.level_code}, not a larger level"
            )
        else:
            parents[row.code] = parent
    return parents


def _upsert(
    row: _Row, area: Area | None, parent: Area | None, level: str, source: str, report: ImportReport
) -> None:
    parent_id = parent.id if parent is not None else None
    if area is None:
        db.session.add(
            Area(
                code=row.code,
                alt_code=row.alt_code,
                name=row.name,
                level_code=level,
                parent_id=parent_id,
                geom=from_shape(row.geom, srid=SRID),
                source=source,
            )
        )
        report.created += 1
        return
    same_geom = to_shape(area.geom).equals_exact(row.geom, 1e-9)
    if (area.name, area.alt_code, area.parent_id, area.source) == (
        row.name,
        row.alt_code,
        parent_id,
        source,
    ) and same_geom:
        report.unchanged += 1
        return
    area.name, area.alt_code = row.name, row.alt_code
    area.parent_id, area.source = parent_id, source
    if not same_geom:
        area.geom = from_shape(row.geom, srid=SRID)
    report.updated += 1
