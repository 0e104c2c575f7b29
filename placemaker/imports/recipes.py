"""Recipes: a municipality's open data described in a TOML file, loaded with one command.

A recipe names the municipality (CBS code), its sources (file relative to the data
directory, publisher, licence, year, URL) and the import steps with their field mappings.
:func:`load_recipe` checks every step first (files, columns, kinds), then runs each step as
its own transaction, and records the sources that were imported (the credit lines come from
them). Running it again creates and updates nothing. See README "Write a recipe".
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from placemaker.areas.models import DataSource
from placemaker.extensions import db
from placemaker.imports.addresses import import_addresses_file
from placemaker.imports.areas import AreaMapping, import_areas
from placemaker.imports.common import ImportFailed, ImportReport, Progress, no_progress
from placemaker.imports.indicators import (
    CohesionColumns,
    RowKeys,
    import_cohesion,
    import_indicators,
)
from placemaker.imports.layers import derive_water_layer, import_layer
from placemaker.imports.mapping import DEFAULT_MISSING, ValueSpec
from placemaker.imports.places import PlaceMapping, import_places
from placemaker.imports.population import import_population_cells
from placemaker.imports.readers import Table, read_table, text_of

STEP_KINDS = (
    "areas",
    "indicators",
    "cohesion",
    "places",
    "layer",
    "water",
    "population_grid",
    "addresses",
)
READ_OPTIONS = ("layer", "sheet", "member", "crs")


@dataclass
class Recipe:
    path: Path
    gemeente: str
    name: str
    sources: dict[str, dict[str, Any]]
    steps: list[dict[str, Any]]
    tables: dict[tuple, Table] = field(default_factory=dict)


def read_recipe(path: str | Path, data_dir: Path) -> Recipe:
    """Parse and check a recipe without writing: sources exist, steps name known things.

    :raises ImportFailed: with every problem found, one per line.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ImportFailed(f"{path}: no such recipe") from None
    except tomllib.TOMLDecodeError as exc:
        raise ImportFailed(f"{path}: not valid TOML ({exc})") from None
    town = data.get("municipality") or {}
    problems = [f"[municipality] needs {k}" for k in ("code", "name") if not town.get(k)]
    sources = {s.get("id"): s for s in data.get("sources", [])}
    for sid, source in sources.items():
        for key in ("id", "file", "publisher"):
            if not source.get(key):
                problems.append(f"source {sid!r} needs {key}")
        if source.get("file") and not (data_dir / source["file"]).is_file():
            problems.append(
                f"source {sid!r}: {data_dir / source['file']} is missing "
                "(set PLACEMAKER_DATA_DIR or --data-dir)"
            )
    steps = data.get("steps", [])
    for number, step in enumerate(steps, start=1):
        if step.get("kind") not in STEP_KINDS:
            problems.append(f"step {number}: kind must be one of {', '.join(STEP_KINDS)}")
        elif step["kind"] != "water" and step.get("source") not in sources:
            problems.append(f"step {number}: unknown source {step.get('source')!r}")
    if problems:
        raise ImportFailed(f"{path.name}:\n  " + "\n  ".join(problems))
    recipe = Recipe(path, town["code"], town["name"], sources, steps)
    for number, step in enumerate(steps, start=1):
        if step["kind"] in ("water", "addresses"):  # no table: derived, or a BAG GeoPackage
            continue
        table = _table(recipe, step, data_dir)
        needed = [c for c in _columns(step, table) if c]
        missing = [c for c in needed if c not in table.columns]
        if missing:
            problems.append(
                f"step {number} ({step.get('title', step['kind'])}): column "
                f"{', '.join(map(repr, missing))} not in {table.path.name}"
            )
    if problems:
        raise ImportFailed(f"{path.name}:\n  " + "\n  ".join(problems))
    return recipe


def _table(recipe: Recipe, step: dict[str, Any], data_dir: Path) -> Table:
    source = recipe.sources[step["source"]]
    options = {k: step.get(k, source.get(k)) for k in READ_OPTIONS}
    key = (source["file"], *options.values())
    if key not in recipe.tables:
        recipe.tables[key] = read_table(
            data_dir / source["file"], **{k: v for k, v in options.items() if v}
        )
    return recipe.tables[key]


def _columns(step: dict[str, Any], table: Table) -> list[str]:
    kind = step["kind"]
    where = [*step.get("where", {}), *step.get("where_empty", [])]
    if kind == "areas":
        return [
            step.get("code"),
            step.get("name"),
            step.get("alt_code"),
            *step.get("parents", []),
            *where,
        ]
    if kind in ("indicators", "cohesion"):
        exprs = (
            step.get("values", {})
            if kind == "indicators"
            else {k: step[k] for k in ("score", "rung_assessed", "rung_wanted") if step.get(k)}
        )
        specs = [ValueSpec(t, v if isinstance(v, str) else v["expr"]) for t, v in exprs.items()]
        return [
            step.get("key"),
            step.get("year_field"),
            *where,
            *(c for s in specs for c in s.columns(table.columns)),
        ]
    if kind == "places":
        return [step.get("id"), step.get("name"), step.get("category"), *where]
    if kind == "population_grid":
        return [step.get("id", ""), step.get("population", "")]
    return [step.get("name_field", ""), *where]


def _selected(table: Table, step: dict[str, Any]) -> tuple[list[int], int]:
    """Rows a geometry step keeps (``where``, ``where_empty``), and how many it leaves out."""
    where = step.get("where", {})
    empty = step.get("where_empty", [])
    keep = []
    for index, row in enumerate(table.rows):
        if all(text_of(row.get(c)) in _as_list(v) for c, v in where.items()) and all(
            text_of(row.get(c)) is None for c in empty
        ):
            keep.append(index)
    return keep, len(table.rows) - len(keep)


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _features(
    table: Table, step: dict[str, Any], extra: Callable[[dict], dict] | None = None
) -> tuple[list[dict[str, Any]], int]:
    keep, left_out = _selected(table, step)
    features = table.features()
    out = []
    for index in keep:
        feature = features[index]
        if extra is not None:
            feature["properties"] = {**feature["properties"], **extra(feature["properties"])}
        out.append(feature)
    return out, left_out


def _run_step(
    recipe: Recipe, step: dict[str, Any], data_dir: Path, progress: Progress
) -> ImportReport:
    kind = step["kind"]
    if kind == "water":
        return derive_water_layer(
            step["name"],
            area_level=step.get("area_level", "buurt"),
            land_level=step.get("land_level", "gebied"),
        )
    if kind == "addresses":
        return import_addresses_file(
            data_dir / recipe.sources[step["source"]]["file"], progress=progress
        )
    table = _table(recipe, step, data_dir)
    label = _label(recipe, step)
    if kind == "areas":
        report = _areas_step(table, step, label, data_dir, progress)
    elif kind == "indicators":
        specs = [_spec(target, value) for target, value in step["values"].items()]
        report = import_indicators(table, _keys(step), specs, source=label, progress=progress)
    elif kind == "cohesion":
        report = import_cohesion(
            table, _keys(step), _cohesion_columns(step), source=label, progress=progress
        )
    elif kind == "places":
        report = _places_step(table, step, label, progress)
    elif kind == "population_grid":
        report = import_population_cells(
            table,
            gemeente=recipe.gemeente,
            id_field=step["id"],
            population_field=step["population"],
            source=label,
            progress=progress,
        )
    else:
        features, left_out = _features(table, step)
        report = import_layer(
            features,
            step["name"],
            step.get("role", "exclude"),
            name_field=step.get("name_field"),
            source=label,
            progress=progress,
        )
        _note_left_out(report, left_out)
    if step.get("title"):
        report.what = f"{step['title']}: {report.what}"
    return report


def _note_left_out(report: ImportReport, left_out: int) -> None:
    if left_out:
        report.note(f"{left_out} rows", "not selected (where / where_empty)")


def _areas_step(
    table: Table, step: dict[str, Any], label: str, data_dir: Path, progress: Progress
) -> ImportReport:
    prefix, parent_prefix = step.get("code_prefix", ""), step.get("parent_prefix", "")
    parent_value = step.get("parent")

    def extra(props: dict) -> dict:
        out = {}
        code = step.get("code_value") or text_of(props.get(step["code"]))
        out["_code"] = f"{prefix}{code}" if code else None
        if parent_value:
            out["_parent"] = parent_value
        else:
            parent = next(
                (text_of(props.get(f)) for f in step.get("parents", []) if text_of(props.get(f))),
                None,
            )
            out["_parent"] = f"{parent_prefix}{parent}" if parent else None
        return out

    features, left_out = _features(table, step, extra)
    names = _names(step, data_dir)
    mapping = AreaMapping(
        step["level"],
        "_code",
        step.get("name"),
        ("_parent",),
        step.get("alt_code"),
        step.get("dissolve", False),
        names,
    )
    if step.get("name_value"):
        mapping = AreaMapping(
            step["level"],
            "_code",
            None,
            ("_parent",),
            step.get("alt_code"),
            step.get("dissolve", False),
            {f["properties"]["_code"]: step["name_value"] for f in features},
        )
    report = import_areas(features, mapping, source=label, progress=progress)
    _note_left_out(report, left_out)
    return report


def _names(step: dict[str, Any], data_dir: Path) -> dict[str, str] | None:
    """Names by code from another table (``names_from``) or a function (``names_function``)."""
    if step.get("names_function"):
        module, _, name = step["names_function"].partition(":")
        return getattr(importlib.import_module(module), name)(data_dir)
    spec = step.get("names_from")
    if not spec:
        return None
    table = read_table(data_dir / spec["file"], **{k: spec[k] for k in READ_OPTIONS if spec.get(k)})
    names: dict[str, str] = {}
    for row in table.rows:
        code, name = text_of(row.get(spec["code"])), text_of(row.get(spec["name"]))
        if code and name:
            names[code] = name
    return names


def _label(recipe: Recipe, step: dict[str, Any]) -> str:
    """What a step's rows are credited to: its label, else its source's title or id."""
    source = recipe.sources[step["source"]]
    return step.get("label", source.get("title") or source["id"])


def _place_key(step: dict[str, Any], label: str) -> str:
    """The place.source of the places a step imports (the key re-imports match on)."""
    return step.get("place_source", label)


def _places_step(
    table: Table, step: dict[str, Any], label: str, progress: Progress
) -> ImportReport:
    kinds = step["kinds"]
    labels = step.get("names", {})
    name_field = step.get("name")

    def extra(props: dict) -> dict:
        category = text_of(props.get(step["category"]))
        own = text_of(props.get(name_field)) if name_field else None
        return {"_name": own or labels.get(category or "", category)}

    features, left_out = _features(table, step, extra)
    mapping = PlaceMapping(
        step["id"],
        "_name",
        step["category"],
        kinds,
        frozenset(step.get("skip", [])),
        tuple(step.get("address", [])),
        step.get("postcode"),
    )
    report = import_places(features, mapping, source=_place_key(step, label), progress=progress)
    _note_left_out(report, left_out)
    return report


def _spec(target: str, value: str | dict[str, Any]) -> ValueSpec:
    if isinstance(value, str):
        return ValueSpec(target, value)
    missing = tuple(value.get("missing", DEFAULT_MISSING))
    return ValueSpec(target, value["expr"], value.get("unit"), missing)


def _keys(step: dict[str, Any]) -> RowKeys:
    return RowKeys(
        step["key"],
        step.get("match", "code"),
        step.get("year"),
        step.get("year_field"),
        step.get("where", {}),
        step.get("key_prefix"),
        step.get("on_duplicate", "error"),
        step.get("split"),
        step.get("split_by", "error"),
        float(step.get("max_loss", 0.0)),
    )


def _cohesion_columns(step: dict[str, Any]) -> CohesionColumns:
    low, high = step.get("range", [1, 10])
    reference = step.get("reference")
    return CohesionColumns(
        step.get("score"),
        step.get("rung_assessed"),
        step.get("rung_wanted"),
        Decimal(str(low)),
        Decimal(str(high)),
        step.get("direction", "higher_is_better") == "higher_is_better",
        Decimal(str(reference)) if reference is not None else None,
        step.get("reference_label"),
    )


def load_recipe(
    path: str | Path,
    data_dir: Path,
    *,
    progress: Progress = no_progress,
    echo: Callable[[str], None] = lambda line: None,
) -> list[ImportReport]:
    """Check the recipe, then run each step in its own transaction; stop at the first error.

    Committed steps stay (each is whole); the failing one is rolled back. Returns the reports.
    """
    recipe = read_recipe(path, data_dir)
    reports = []
    for number, step in enumerate(recipe.steps, start=1):
        echo(f"[{number}/{len(recipe.steps)}] {step.get('title', step['kind'])}")
        try:
            report = _run_step(recipe, step, data_dir, progress)
        except ImportFailed:
            db.session.rollback()
            raise
        reports.append(report)
        if not report.ok:
            db.session.rollback()
            return reports
        db.session.commit()
    reports.append(record_sources(recipe))
    db.session.commit()
    return reports


def record_sources(recipe: Recipe) -> ImportReport:
    """Keep what was imported (publisher, licence, year, URL) for the credit lines."""
    report = ImportReport("sources")
    existing = {
        s.name: s
        for s in db.session.scalars(
            select(DataSource).where(DataSource.gemeente == recipe.gemeente)
        )
    }
    place_keys = {
        step["source"]: _place_key(step, _label(recipe, step))
        for step in recipe.steps
        if step["kind"] == "places"
    }
    for sid, source in recipe.sources.items():
        values = {
            "publisher": source["publisher"],
            "title": source.get("title"),
            "licence": source.get("licence"),
            "year": source.get("year"),
            "url": source.get("url"),
            "recipe": recipe.path.name,
            "place_source": place_keys.get(sid),
        }
        current = existing.get(sid)
        if current is None:
            db.session.add(DataSource(name=sid, gemeente=recipe.gemeente, **values))
            report.created += 1
        elif any(getattr(current, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            report.updated += 1
        else:
            report.unchanged += 1
    db.session.flush()
    return report
