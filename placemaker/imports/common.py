"""What every importer shares: reading files, the report, and the error that aborts a run."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from placemaker.errors import InvalidInput
from placemaker.geo import SRID, epsg
from placemaker.validation import check_depth, check_no_nul, feature_problem

T = TypeVar("T")
Progress = Callable[[Iterable[T], int, str], Iterable[T]]

# CRS names that mean WGS84 lon/lat, as GeoJSON files write them.
WGS84_NAMES = {"urn:ogc:def:crs:OGC:1.3:CRS84", f"urn:ogc:def:crs:EPSG::{SRID}", epsg(SRID)}


def no_progress(items: Iterable[T], total: int, label: str) -> Iterable[T]:
    return items


@dataclass
class ImportReport:
    """What a run did. ``errors`` abort the run; ``skipped`` are deliberate and reported."""

    what: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, ref: Any, reason: str) -> None:
        self.errors.append((str(ref), reason))

    def skip(self, ref: Any, reason: str) -> None:
        self.skipped.append((str(ref), reason))

    def note(self, ref: Any, reason: str) -> None:
        self.notes.append((str(ref), reason))

    def summary_lines(self, max_listed: int = 20) -> list[str]:
        lines = [
            f"{self.what}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped, {len(self.errors)} errors"
        ]
        for ref, reason in self.errors[:max_listed]:
            lines.append(f"  error: {ref}: {reason}")
        if len(self.errors) > max_listed:
            lines.append(f"  … and {len(self.errors) - max_listed} more errors")
        # Skips and notes repeat the same reason often: one line per reason, with examples.
        for title, rows in (("skipped", self.skipped), ("note", self.notes)):
            by_reason: dict[str, list[str]] = {}
            for ref, reason in rows:
                by_reason.setdefault(reason, []).append(ref)
            for reason, refs in sorted(by_reason.items(), key=lambda item: -len(item[1])):
                examples = ", ".join(refs[:3]) + (", …" if len(refs) > 3 else "")
                lines.append(f"  {title} {len(refs)}×: {reason} ({examples})")
        return lines


class ImportFailed(Exception):
    """The file cannot be imported at all (missing, unreadable, wrong columns, wrong CRS)."""


def read_geojson(path: str | Path) -> list[dict[str, Any]]:
    """The features of a GeoJSON FeatureCollection in WGS84.

    :raises ImportFailed: for a missing or unreadable file, or a CRS other than WGS84.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
        check_depth(text)
        data = json.loads(text, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFailed(f"{path}: not valid GeoJSON ({exc})") from None
    except InvalidInput as exc:
        raise ImportFailed(f"{path}: {exc.message}") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ImportFailed(f"{path}: expected a GeoJSON FeatureCollection")
    crs_name = (((data.get("crs") or {}).get("properties")) or {}).get("name")
    if crs_name and crs_name not in WGS84_NAMES:
        raise ImportFailed(
            f"{path}: coordinates are in {crs_name}; reproject to WGS84 (EPSG:4326), "
            "e.g. ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson"
        )
    features = data.get("features")
    if not isinstance(features, list):
        raise ImportFailed(f"{path}: the FeatureCollection has no features list")
    for index, feature in enumerate(features):
        why = feature_problem(feature)
        if why is None:
            try:
                check_no_nul(feature, "")
            except InvalidInput as exc:
                why = exc.message.strip()
        if why:
            ref = (
                feature_ref(feature, index)
                if isinstance(feature, dict)
                else f"feature #{index + 1}"
            )
            raise ImportFailed(f"{path}: {ref}: {why}")
    return features


def _no_constant(name: str) -> Any:
    # NaN and Infinity are no JSON; Python's parser takes them unless told otherwise.
    raise InvalidInput(f"{name} is not a number GeoJSON allows")


def require_properties(
    features: list[dict[str, Any]], fields: Iterable[str | None], path: str | Path
) -> None:
    """Refuse a file whose features lack a mapped property altogether."""
    present: set[str] = set()
    for feature in features:
        present.update((feature.get("properties") or {}).keys())
    missing = [f for f in fields if f and f not in present]
    if features and missing:
        raise ImportFailed(
            f"{path}: property {', '.join(map(repr, missing))} not found "
            f"(properties: {', '.join(sorted(present))})"
        )


def read_csv(path: str | Path, required: Iterable[str]) -> list[dict[str, str]]:
    """Rows of a CSV file (comma or semicolon, UTF-8 with or without BOM).

    :raises ImportFailed: for a missing file or a missing column.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed(f"{path}: not UTF-8 text") from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(text.splitlines(), delimiter=delimiter)
    columns = reader.fieldnames or []
    missing = [c for c in required if c not in columns]
    if missing:
        raise ImportFailed(
            f"{path}: column {', '.join(map(repr, missing))} not in file "
            f"(columns: {', '.join(columns)})"
        )
    return list(reader)


def feature_ref(feature: dict[str, Any], index: int, id_field: str | None = None) -> str:
    """How a report names a feature: its id field, else its GeoJSON id, else its number."""
    props = feature.get("properties") or {}
    if id_field and props.get(id_field) not in (None, ""):
        return f"feature {props[id_field]}"
    if feature.get("id") not in (None, ""):
        return f"feature {feature['id']}"
    return f"feature #{index + 1}"


def text_value(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def too_long(model: Any, values: dict[str, Any]) -> list[str]:
    """What does not fit its column of ``model`` (a mapped class): one message per field,
    naming the field, the value's length and the column's limit."""
    problems = []
    columns = model.__table__.columns
    for name, value in values.items():
        column = columns.get(name)
        limit = getattr(column.type, "length", None) if column is not None else None
        if limit and isinstance(value, str) and len(value) > limit:
            shown = value if len(value) <= 40 else value[:40] + "…"
            problems.append(
                f"{name} is {len(value)} characters long, the limit is {limit} ({shown!r})"
            )
    return problems


def check_lengths(report: ImportReport, ref: Any, model: Any, values: dict[str, Any]) -> bool:
    """Whether every text value fits its column; else each field that does not is an error
    naming the feature or row, instead of a database error when the run writes."""
    problems = too_long(model, values)
    for problem in problems:
        report.error(ref, problem)
    return not problems
