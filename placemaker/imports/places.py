"""Import places from a GeoJSON file, mapping the file's categories to place kinds."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from placemaker.errors import InvalidInput
from placemaker.extensions import db
from placemaker.geo import GeometryError, parse_point
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
from placemaker.places.models import Place, PlaceKind
from placemaker.places.service import Actor, create_place, update_place


@dataclass(frozen=True)
class PlaceMapping:
    id_field: str
    name_field: str
    category_field: str
    # File category -> place kind code. Categories not listed are skipped and reported.
    kinds: Mapping[str, str]
    # Categories that must never be imported (shelters, care sites: sensitive addresses).
    skip: Collection[str] = field(default_factory=frozenset)
    address_fields: tuple[str, ...] = ()
    postcode_field: str | None = None
    description_field: str | None = None


def import_places_file(
    path: str | Path,
    mapping: PlaceMapping,
    *,
    source: str,
    progress: Progress = no_progress,
    **read: Any,
) -> ImportReport:
    features = read_features(path, **read)
    require_properties(
        features, [mapping.id_field, mapping.name_field, mapping.category_field], path
    )
    return import_places(features, mapping, source=source, progress=progress)


def import_places(
    features: list[dict[str, Any]],
    mapping: PlaceMapping,
    *,
    source: str,
    progress: Progress = no_progress,
) -> ImportReport:
    report = ImportReport(f"places from {source}")
    known_kinds = set(db.session.scalars(select(PlaceKind.code)))
    wrong = sorted({k for k in mapping.kinds.values() if k not in known_kinds})
    if wrong:
        raise ImportFailed(
            f"the category mapping names unknown place kind(s) {', '.join(map(repr, wrong))} "
            f"(known: {', '.join(sorted(known_kinds))})"
        )
    overlap = sorted(set(mapping.kinds) & set(mapping.skip))
    if overlap:
        raise ImportFailed(f"categories both mapped and skipped: {', '.join(overlap)}")

    rows = _validated_rows(features, mapping, report, progress)
    if not report.ok:
        return report

    existing = {
        p.source_id: p for p in db.session.scalars(select(Place).where(Place.source == source))
    }
    actor = Actor(f"import {source}")
    for source_id, values, ref in progress(rows, len(rows), "writing places"):
        place = existing.get(source_id)
        try:
            if place is None:
                create_place(values, actor, source=source, source_id=source_id)
                report.created += 1
            elif update_place(place, values, actor):
                report.updated += 1
            else:
                report.unchanged += 1
        except InvalidInput as exc:  # checked above; kept so nothing slips through silently
            report.error(ref, exc.message)
    return report


def _validated_rows(
    features: list[dict[str, Any]], mapping: PlaceMapping, report: ImportReport, progress: Progress
) -> list[tuple[str, dict[str, Any], str]]:
    rows: list[tuple[str, dict[str, Any], str]] = []
    seen: dict[str, str] = {}
    for index, feature in enumerate(progress(features, len(features), "checking places")):
        props = feature.get("properties") or {}
        ref = feature_ref(feature, index, mapping.id_field)
        category = text_value(props.get(mapping.category_field))
        if category in mapping.skip:
            report.skip(ref, f"category {category!r} is on the skip list")
            continue
        kind = mapping.kinds.get(category or "")
        if kind is None:
            report.skip(ref, f"category {category!r} is not mapped to a place kind")
            continue
        source_id = text_value(props.get(mapping.id_field))
        if source_id is None:
            report.error(ref, f"no id in {mapping.id_field!r}")
            continue
        if source_id in seen:
            report.error(ref, f"duplicate id {source_id} (also {seen[source_id]})")
            continue
        seen[source_id] = ref
        name = text_value(props.get(mapping.name_field))
        if name is None:
            report.error(ref, f"no name in {mapping.name_field!r}")
            continue
        try:
            point = parse_point(feature.get("geometry"))
        except GeometryError as exc:
            report.error(ref, str(exc))
            continue
        address = " ".join(filter(None, (text_value(props.get(f)) for f in mapping.address_fields)))
        values = {
            "name": name,
            "kind_code": kind,
            "lon": point.x,
            "lat": point.y,
            "address": address or None,
        }
        if mapping.postcode_field:
            values["postcode"] = text_value(props.get(mapping.postcode_field))
        if mapping.description_field:
            values["description"] = text_value(props.get(mapping.description_field))
        if not check_lengths(report, ref, Place, {**values, "source_id": source_id}):
            continue
        rows.append((source_id, values, ref))
    return rows
