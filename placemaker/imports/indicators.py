"""Import indicator values and cohesion scores from tables keyed by area code.

Any file :func:`~placemaker.imports.readers.read_table` reads (CSV, XLSX, GeoJSON,
GeoPackage, zips). Values come through :class:`~placemaker.imports.mapping.ValueSpec`
(columns or derived, with units and missing markers); a repeated key is an error unless the
keys say how to combine it; rows naming several areas are split by a weight or refused; a
run that would lose more than ``max_loss`` of a counted total fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from placemaker.areas.models import Area, AreaIndicator, CohesionScore, Indicator
from placemaker.extensions import db
from placemaker.imports.common import ImportFailed, ImportReport, Progress, no_progress
from placemaker.imports.mapping import (
    DUPLICATE_POLICIES,
    SPLIT_POLICIES,
    Collected,
    Missing,
    ValueSpec,
    check_policy,
    check_unit,
    split_codes,
    split_weights,
)
from placemaker.imports.readers import Table, read_table, text_of

# Numeric(14, 4) and Numeric(10, 4): compare what will be stored, not what was read.
VALUE_PLACES = Decimal("0.0001")
COUNT_UNITS = ("persons", "count")


@dataclass(frozen=True)
class RowKeys:
    """How rows find their area and year, and what to do with the awkward ones.

    ``match`` is "code" (the area's own code) or "alt_code" (another register's, e.g. CBS).
    Either ``year`` is fixed for the whole file, or ``year_field`` names the column.
    ``where`` keeps only rows whose columns hold these values (one or a list),
    ``key_prefix`` only keys that start with it (a national file read for one
    municipality); the others are counted
    as not selected. ``on_duplicate``: error | sum | mean | max | first. ``split``: the
    separator of rows naming several areas, ``split_by``: error | population | land_area
    | equal. ``max_loss``: the share of a counted total (population) that rows of unknown
    areas may take away before the run fails.
    """

    key_field: str
    match: str = "code"
    year: int | None = None
    year_field: str | None = None
    where: Mapping[str, str] = field(default_factory=dict)
    key_prefix: str | None = None
    on_duplicate: str = "error"
    split: str | None = None
    split_by: str = "error"
    max_loss: float = 0.0

    def columns(self) -> list[str]:
        return [self.key_field, *([self.year_field] if self.year_field else []), *self.where]

    def check(self) -> None:
        if self.match not in ("code", "alt_code"):
            raise ImportFailed(f"match must be 'code' or 'alt_code', not {self.match!r}")
        if (self.year is None) == (self.year_field is None):
            raise ImportFailed("give either a fixed year or a year column, not both or neither")
        check_policy("on_duplicate", self.on_duplicate, DUPLICATE_POLICIES)
        check_policy("split_by", self.split_by, SPLIT_POLICIES)
        if not 0 <= self.max_loss <= 1:
            raise ImportFailed("max_loss is a share between 0 and 1")


def _area_lookup(keys: RowKeys) -> dict[str, Area]:
    return {
        getattr(a, keys.match): a
        for a in db.session.scalars(select(Area))
        if getattr(a, keys.match)
    }


def _weights(policy: str, areas: dict[str, Area]) -> dict[str, float]:
    """Split weights by area key: the latest population, or the area in m²."""
    if policy == "population":
        rows = db.session.execute(
            select(AreaIndicator.area_id, AreaIndicator.value)
            .where(AreaIndicator.indicator_code == "population")
            .order_by(AreaIndicator.area_id, AreaIndicator.year)
        )
        by_id = {area_id: float(value) for area_id, value in rows}
    elif policy == "land_area":
        by_id = dict(
            db.session.execute(select(Area.id, func.ST_Area(func.Geography(Area.geom)))).all()
        )
    else:
        return {}
    return {key: by_id[a.id] for key, a in areas.items() if a.id in by_id}


@dataclass
class _Gathered:
    collected: Collected
    counted_total: dict[str, Decimal]
    lost: dict[str, Decimal]
    # every value read per target, with its row: for the unit checks
    raw: dict[str, list[tuple[str, Decimal]]] = field(default_factory=dict)


def _gather(
    table: Table,
    keys: RowKeys,
    specs: Sequence[ValueSpec],
    report: ImportReport,
    progress: Progress,
    count_targets: set[str],
) -> _Gathered:
    """Read every selected row into values per (area id, year, target)."""
    keys.check()
    table.require([*keys.columns(), *(c for s in specs for c in s.columns(table.columns))])
    areas = _area_lookup(keys)
    weights = _weights(keys.split_by, areas) if keys.split else {}
    gathered = _Gathered(Collected(keys.on_duplicate), {}, {})
    raw = gathered.raw = {s.target: [] for s in specs}
    not_selected = 0
    for index, row in enumerate(progress(table.rows, len(table.rows), "checking rows")):
        ref = table.ref(index)
        key = text_of(row.get(keys.key_field))
        if any(text_of(row.get(c)) not in _allowed(v) for c, v in keys.where.items()) or (
            keys.key_prefix and not (key or "").startswith(keys.key_prefix)
        ):
            not_selected += 1
            continue
        values: dict[str, Decimal] = {}
        for spec in specs:
            try:
                values[spec.target] = spec.evaluate(row, table.columns)
            except Missing:
                report.note(ref, f"{spec.expr}: no value (missing marker)")
            except ValueError as exc:
                report.error(ref, f"{spec.expr}: {exc}")
        codes = split_codes(key or "", keys.split)
        unknown = [c for c in codes if c not in areas]
        if key is None or unknown:
            named = ", ".join(repr(c) for c in unknown) if unknown else repr(key)
            report.skip(ref, f"unknown area {keys.match} {named}")
            for target in count_targets & values.keys():
                gathered.lost[target] = gathered.lost.get(target, Decimal(0)) + values[target]
        for target in count_targets & values.keys():
            gathered.counted_total[target] = (
                gathered.counted_total.get(target, Decimal(0)) + values[target]
            )
        if key is None or unknown:
            continue
        year = _row_year(row, keys, ref, report)
        if year is None:
            continue
        shares: list[float] = [1.0]
        if len(codes) > 1:
            split = (
                split_weights(codes, keys.split_by, weights) if keys.split_by != "error" else None
            )
            if split is None:
                report.error(
                    ref,
                    f"names several areas ({key}); set split_by = population, "
                    "land_area or equal to share it out"
                    if keys.split_by == "error"
                    else f"names several areas ({key}) and not all have a {keys.split_by}",
                )
                continue
            shares = split
        for target, value in values.items():
            raw[target].append((ref, value))
            for code, share in zip(codes, shares, strict=True):
                part = value * Decimal(str(share)) if target in count_targets else value
                gathered.collected.add((areas[code].id, year, target), ref, part)
    if not_selected:
        report.note(f"{not_selected} rows", "not selected (where / key_prefix)")
    return gathered


def _allowed(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _row_year(row: Mapping[str, Any], keys: RowKeys, ref: str, report: ImportReport) -> int | None:
    if keys.year is not None:
        return keys.year
    text = text_of(row.get(keys.year_field or ""))
    if text is None or not text.isdigit():
        report.error(ref, f"{keys.year_field}: {text!r} is not a year")
        return None
    return int(text)


def _check_loss(gathered: _Gathered, keys: RowKeys, report: ImportReport) -> None:
    for target, lost in gathered.lost.items():
        total = gathered.counted_total.get(target) or Decimal(0)
        if total and lost / total > Decimal(str(keys.max_loss)):
            report.error(
                target,
                f"rows of unknown areas hold {lost:,.0f} of {total:,.0f} "
                f"({100 * lost / total:.1f} %); fix the codes or allow it "
                f"with max_loss = {float(lost / total):.3f}",
            )


def as_specs(columns: Mapping[str, str] | Sequence[ValueSpec]) -> list[ValueSpec]:
    """``{column: indicator}`` (the command line's form) or specs, as specs."""
    if isinstance(columns, Mapping):
        return [ValueSpec(code, column) for column, code in columns.items()]
    return list(columns)


def import_indicators_file(
    path: str | Path,
    keys: RowKeys,
    columns: Mapping[str, str] | Sequence[ValueSpec],
    *,
    source: str,
    progress: Progress = no_progress,
    **read: Any,
) -> ImportReport:
    """``columns`` maps file columns to indicator codes, or is a list of value specs."""
    return import_indicators(
        read_table(path, **read), keys, as_specs(columns), source=source, progress=progress
    )


def import_indicators(
    table: Table,
    keys: RowKeys,
    specs: Sequence[ValueSpec],
    *,
    source: str,
    progress: Progress = no_progress,
) -> ImportReport:
    report = ImportReport(f"indicators from {table.path.name}")
    units = dict(db.session.execute(select(Indicator.code, Indicator.unit)).all())
    for spec in specs:
        if spec.target not in units:
            raise ImportFailed(
                f"{spec.expr!r} maps to unknown indicator {spec.target!r} "
                f"(known: {', '.join(sorted(units))}; see flask indicators)"
            )
    counts = {s.target for s in specs if units[s.target] in COUNT_UNITS or s.unit == "count"}
    gathered = _gather(table, keys, specs, report, progress, counts)
    factors = {
        s.target: check_unit(s, gathered.raw[s.target], report, units[s.target]) for s in specs
    }
    _check_loss(gathered, keys, report)
    values = gathered.collected.resolve(report, lambda k: f"{k[2]} of area #{k[0]} in {k[1]}")
    if not report.ok:
        return report
    existing = {
        (v.area_id, v.year, v.indicator_code): v
        for v in db.session.scalars(select(AreaIndicator).where(AreaIndicator.source == source))
    }
    for identity, value in values.items():
        value = (value * factors[identity[2]]).quantize(VALUE_PLACES)
        current = existing.get(identity)
        if current is None:
            area_id, year, code = identity
            db.session.add(
                AreaIndicator(
                    area_id=area_id, indicator_code=code, year=year, value=value, source=source
                )
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
    """Which columns hold the score and the ladder rungs, and what the score means.

    ``scale_min``/``scale_max`` is the score's range; ``higher_is_better`` its direction;
    ``reference`` the value that means "average" (BBGA: none, Leefbaarometer ``soc``: 0,
    a 0-200 index: 100) with ``reference_label`` saying average of what.
    """

    score: str | None = None
    rung_assessed: str | None = None
    rung_wanted: str | None = None
    scale_min: Decimal = Decimal(1)
    scale_max: Decimal = Decimal(10)
    higher_is_better: bool = True
    reference: Decimal | None = None
    reference_label: str | None = None

    def specs(self) -> list[ValueSpec]:
        return [
            ValueSpec(name, column)
            for name, column in (
                ("score", self.score),
                ("rung_assessed", self.rung_assessed),
                ("rung_wanted", self.rung_wanted),
            )
            if column
        ]


def import_cohesion_file(
    path: str | Path,
    keys: RowKeys,
    columns: CohesionColumns,
    *,
    source: str,
    progress: Progress = no_progress,
    **read: Any,
) -> ImportReport:
    return import_cohesion(
        read_table(path, **read), keys, columns, source=source, progress=progress
    )


def import_cohesion(
    table: Table,
    keys: RowKeys,
    columns: CohesionColumns,
    *,
    source: str,
    progress: Progress = no_progress,
) -> ImportReport:
    if not columns.specs():
        raise ImportFailed("name at least one of the score, assessed-rung or wanted-rung columns")
    if not columns.scale_min < columns.scale_max:
        raise ImportFailed("the scale's minimum must be below its maximum")
    report = ImportReport(f"cohesion scores from {table.path.name}")
    gathered = _gather(table, keys, columns.specs(), report, progress, set())
    for target, entries in gathered.raw.items():
        for ref, value in entries:
            _check_cohesion(target, value, columns, ref, report)
    values = gathered.collected.resolve(report, lambda k: f"{k[2]} of area #{k[0]} in {k[1]}")
    pending: dict[tuple[int, int], dict[str, Any]] = {}
    for (area_id, year, target), value in values.items():
        pending.setdefault((area_id, year), {})[target] = value
    if not report.ok:
        return report
    existing = {
        (c.area_id, c.year): c
        for c in db.session.scalars(select(CohesionScore).where(CohesionScore.source == source))
    }
    meaning = {
        "scale_min": columns.scale_min,
        "scale_max": columns.scale_max,
        "higher_is_better": columns.higher_is_better,
        "reference": columns.reference,
        "reference_label": columns.reference_label,
    }
    for (area_id, year), found in pending.items():
        rungs = {
            k: int(found[k]) if found.get(k) is not None else None
            for k in ("rung_assessed", "rung_wanted")
        }
        row = {"score": found.get("score"), **rungs, **meaning}
        row = {k: _stored(v) for k, v in row.items()}
        current = existing.get((area_id, year))
        if current is None:
            db.session.add(CohesionScore(area_id=area_id, year=year, source=source, **row))
            report.created += 1
        elif any(_stored(getattr(current, k)) != v for k, v in row.items()):
            for k, v in row.items():
                setattr(current, k, v)
            report.updated += 1
        else:
            report.unchanged += 1
    db.session.flush()
    return report


def _stored(value: Any) -> Any:
    """A value as the database keeps it: decimals to four places."""
    return value.quantize(VALUE_PLACES) if isinstance(value, Decimal) else value


def _check_cohesion(
    target: str, value: Decimal, columns: CohesionColumns, ref: str, report: ImportReport
) -> None:
    column = getattr(columns, target)
    if target != "score":
        if value != int(value) or not 1 <= value <= 6:
            report.error(ref, f"{column}: {value} is not a rung of the ladder (1 to 6)")
    elif not columns.scale_min <= value <= columns.scale_max:
        report.error(
            ref,
            f"{column}: {value} lies outside the declared range "
            f"{columns.scale_min} to {columns.scale_max}",
        )
