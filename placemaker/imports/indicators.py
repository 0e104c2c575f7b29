"""Import indicator values and cohesion scores from CSV files keyed by area code."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select

from placemaker.areas.models import Area, AreaIndicator, CohesionScore, Indicator
from placemaker.extensions import db
from placemaker.imports.common import (
    ImportFailed,
    ImportReport,
    Progress,
    no_progress,
    read_csv,
    text_value,
)


@dataclass(frozen=True)
class RowKeys:
    """How rows find their area and year.

    ``match`` is "code" (the area's own code) or "alt_code" (another register's, e.g. CBS).
    Either ``year`` is fixed for the whole file, or ``year_field`` names the column.
    """

    key_field: str
    match: str = "code"
    year: int | None = None
    year_field: str | None = None

    def columns(self) -> list[str]:
        return [self.key_field] + ([self.year_field] if self.year_field else [])


def _area_lookup(keys: RowKeys) -> dict[str, Area]:
    if keys.match not in ("code", "alt_code"):
        raise ImportFailed(f"match must be 'code' or 'alt_code', not {keys.match!r}")
    if (keys.year is None) == (keys.year_field is None):
        raise ImportFailed("give either a fixed year or a year column, not both or neither")
    areas = db.session.scalars(select(Area))
    return {getattr(a, keys.match): a for a in areas if getattr(a, keys.match)}


def _number(text: str | None, ref: str, column: str, report: ImportReport) -> Decimal | None:
    """A decimal from a cell; empty cells are missing values, garbage is an error."""
    text = text_value(text)
    if text is None:
        return None
    # A lone decimal comma ("5,2") is how Dutch spreadsheets write 5.2.
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        report.error(ref, f"{column}: {text!r} is not a number")
        return None
    if not value.is_finite():
        report.error(ref, f"{column}: {text!r} is not a number")
        return None
    return value


def _row_year(row: Mapping[str, str], keys: RowKeys, ref: str, report: ImportReport) -> int | None:
    if keys.year is not None:
        return keys.year
    text = text_value(row.get(keys.year_field or ""))
    if text is None or not text.isdigit():
        report.error(ref, f"{keys.year_field}: {text!r} is not a year")
        return None
    return int(text)


def _rows_by_area(rows: list[dict[str, str]], keys: RowKeys, areas: dict[str, Area],
                  report: ImportReport, progress: Progress
                  ) -> Iterator[tuple[str, str | None, Area, int, dict[str, str]]]:
    """Each row with its area and year; rows of unknown areas are reported as skipped."""
    for index, row in enumerate(progress(rows, len(rows), "checking rows")):
        ref = f"line {index + 2}"
        key = text_value(row.get(keys.key_field))
        area = areas.get(key or "")
        if area is None:
            report.skip(ref, f"unknown area {keys.match} {key!r}")
            continue
        year = _row_year(row, keys, ref, report)
        if year is not None:
            yield ref, key, area, year, row


def import_indicators_file(path: str | Path, keys: RowKeys, columns: Mapping[str, str], *,
                           source: str, progress: Progress = no_progress) -> ImportReport:
    """``columns`` maps CSV column names to indicator codes."""
    rows = read_csv(path, [*keys.columns(), *columns])
    report = ImportReport(f"indicators from {Path(path).name}")
    known = set(db.session.scalars(select(Indicator.code)))
    for column, code in columns.items():
        if code not in known:
            raise ImportFailed(
                f"column {column!r} maps to unknown indicator {code!r} "
                f"(known: {', '.join(sorted(known))})"
            )
    areas = _area_lookup(keys)
    existing = {
        (v.area_id, v.indicator_code, v.year, v.source): v
        for v in db.session.scalars(select(AreaIndicator).where(AreaIndicator.source == source))
    }
    pending: dict[tuple[int, str, int, str], tuple[str, Decimal]] = {}
    for ref, key, area, year, row in _rows_by_area(rows, keys, areas, report, progress):
        for column, code in columns.items():
            value = _number(row.get(column), ref, column, report)
            if value is None:
                continue
            identity = (area.id, code, year, source)
            if identity in pending and pending[identity][1] != value:
                report.error(ref, f"{key} {year} {column} given twice with different values")
            pending[identity] = (ref, value)
    if not report.ok:
        return report
    for identity, (_ref, value) in pending.items():
        current = existing.get(identity)
        if current is None:
            area_id, code, year, src = identity
            db.session.add(
                AreaIndicator(area_id=area_id, indicator_code=code, year=year, value=value,
                              source=src)
            )
            report.created += 1
        elif current.value != value:
            current.value = value
            report.updated += 1
        else:
            report.unchanged += 1
    db.session.flush()
    return report


@dataclass(frozen=True)
class CohesionColumns:
    """Which columns hold the score and, optionally, the assessed and wanted ladder rungs."""

    score: str | None = None
    rung_assessed: str | None = None
    rung_wanted: str | None = None
    scale_min: Decimal = Decimal(1)
    scale_max: Decimal = Decimal(10)

    def present(self) -> list[str]:
        return [c for c in (self.score, self.rung_assessed, self.rung_wanted) if c]


def import_cohesion_file(path: str | Path, keys: RowKeys, columns: CohesionColumns, *,
                         source: str, progress: Progress = no_progress) -> ImportReport:
    if not columns.present():
        raise ImportFailed("name at least one of the score, assessed-rung or wanted-rung columns")
    rows = read_csv(path, [*keys.columns(), *columns.present()])
    report = ImportReport(f"cohesion scores from {Path(path).name}")
    areas = _area_lookup(keys)
    existing = {
        (c.area_id, c.year): c
        for c in db.session.scalars(select(CohesionScore).where(CohesionScore.source == source))
    }
    pending: dict[tuple[int, int], dict] = {}
    for ref, _key, area, year, row in _rows_by_area(rows, keys, areas, report, progress):
        values = _cohesion_values(row, columns, ref, report)
        if values is None:
            continue
        pending[(area.id, year)] = values
    if not report.ok:
        return report
    for (area_id, year), values in pending.items():
        current = existing.get((area_id, year))
        if current is None:
            db.session.add(CohesionScore(area_id=area_id, year=year, source=source, **values))
            report.created += 1
        elif any(getattr(current, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            report.updated += 1
        else:
            report.unchanged += 1
    db.session.flush()
    return report


def _cohesion_values(row: Mapping[str, str], columns: CohesionColumns, ref: str,
                     report: ImportReport) -> dict | None:
    errors_before = len(report.errors)
    score = _number(row.get(columns.score), ref, columns.score, report) if columns.score else None
    rungs = {}
    for name in ("rung_assessed", "rung_wanted"):
        column = getattr(columns, name)
        value = _number(row.get(column), ref, column, report) if column else None
        if value is not None and (value != int(value) or not 1 <= value <= 6):
            report.error(ref, f"{column}: {value} is not a rung of the ladder (1 to 6)")
            value = None
        rungs[name] = int(value) if value is not None else None
    if score is not None and not columns.scale_min <= score <= columns.scale_max:
        report.error(
            ref, f"{columns.score}: {score} lies outside the scale "
            f"{columns.scale_min}-{columns.scale_max}"
        )
    if len(report.errors) > errors_before:
        return None
    if score is None and rungs["rung_assessed"] is None and rungs["rung_wanted"] is None:
        return None  # nothing measured in this row
    return {
        "score": score,
        "scale_min": columns.scale_min,
        "scale_max": columns.scale_max,
        **rungs,
    }
