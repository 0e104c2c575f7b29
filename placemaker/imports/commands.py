"""Command-line importers: areas, indicators, cohesion, places, layers and addresses from
files, each checked whole before one transaction writes it."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy import select

from placemaker.areas.models import Indicator
from placemaker.extensions import db
from placemaker.imports.addresses import import_addresses_file
from placemaker.imports.areas import AreaMapping, import_areas_file
from placemaker.imports.common import ImportFailed, ImportReport
from placemaker.imports.indicators import (
    CohesionColumns,
    RowKeys,
    import_cohesion_file,
    import_indicators_file,
)
from placemaker.imports.layers import import_layer_file
from placemaker.imports.mapping import ValueSpec
from placemaker.imports.places import PlaceMapping, import_places_file

T = TypeVar("T")


def click_progress(items: Iterable[T], total: int, label: str) -> Iterable[T]:
    """A progress bar on stderr for long files; short ones pass silently."""
    if total < 200:
        yield from items
        return
    with click.progressbar(items, length=total, label=label, file=sys.stderr) as bar:
        yield from bar


def run_import(work: Callable[[], ImportReport | list[ImportReport]]) -> None:
    """Run importers as one transaction: commit when all went well, else roll back and fail."""
    try:
        result = work()
    except ImportFailed as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc}\nNothing was imported.") from None
    reports = result if isinstance(result, list) else [result]
    for report in reports:
        for line in report.summary_lines():
            click.echo(line)
    if all(r.ok for r in reports):
        db.session.commit()
        return
    db.session.rollback()
    raise click.ClickException("errors found; nothing was imported (the run was rolled back).")


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        left, sep, right = value.partition("=")
        if not sep or not left or not right:
            raise click.BadParameter(f"{value!r}: write {what} as SOURCE=TARGET")
        pairs[left] = right
    return pairs


def _names_file(path: str | None) -> dict[str, str] | None:
    if not path:
        return None
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


@click.command("import-areas")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--level", required=True, help="Area level: stadsdeel, gebied, wijk, buurt, …")
@click.option("--code-field", required=True, help="Property holding the area code.")
@click.option("--name-field", help="Property holding the name.")
@click.option(
    "--parent-field",
    "parent_fields",
    multiple=True,
    help="Property with the parent's code; repeat to give fallbacks in order.",
)
@click.option("--alt-code-field", help="Property with another register's code (CBS).")
@click.option("--dissolve", is_flag=True, help="Merge features that share a code.")
@click.option(
    "--names",
    "names_path",
    type=click.Path(dir_okay=False),
    help="CSV with columns code,name for files without names.",
)
@click.option("--source", help="Where the data comes from (default: the file name).")
@click.option("--crs", help="The file's CRS when it declares none, e.g. EPSG:28992.")
@click.option("--layer", help="Layer of a GeoPackage (default: the only one).")
def import_areas_command(
    path,
    level,
    code_field,
    name_field,
    parent_fields,
    alt_code_field,
    dissolve,
    names_path,
    source,
    crs,
    layer,
):
    """Import areas of one level from GeoJSON, GeoPackage or a zipped Shapefile (any CRS)."""
    mapping = AreaMapping(
        level,
        code_field,
        name_field,
        parent_fields,
        alt_code_field,
        dissolve,
        _names_file(names_path),
    )
    read = {k: v for k, v in (("crs", crs), ("layer", layer)) if v}
    run_import(
        lambda: import_areas_file(path, mapping, source=source, progress=click_progress, **read)
    )


def _row_keys(
    key_field: str,
    match: str,
    year: int | None,
    year_field: str | None,
    on_duplicate: str = "error",
    max_loss: float = 0.0,
    split: str | None = None,
    split_by: str = "error",
):
    if (year is None) == (year_field is None):
        raise click.UsageError("give either --year or --year-field")
    return RowKeys(
        key_field,
        match,
        year,
        year_field,
        on_duplicate=on_duplicate,
        max_loss=max_loss,
        split=split,
        split_by=split_by,
    )


def _key_options(command):
    """Options every keyed importer shares: repeated keys, lost totals, multi-code rows."""
    for option in reversed(
        [
            click.option(
                "--on-duplicate",
                type=click.Choice(["error", "sum", "mean", "max", "first"]),
                default="error",
                show_default=True,
                help="What a repeated area and year does: refuse, or combine.",
            ),
            click.option(
                "--max-loss",
                type=float,
                default=0.0,
                show_default=True,
                help="Share of a counted total (population) rows of unknown areas may "
                "take away before the run fails.",
            ),
            click.option("--split", help="Separator of rows naming several areas, e.g. ';'."),
            click.option(
                "--split-by",
                type=click.Choice(["error", "population", "land_area", "equal"]),
                default="error",
                show_default=True,
                help="How a row naming several areas is shared out (error: refuse).",
            ),
            click.option("--sheet", help="XLSX sheet (default: the first)."),
            click.option("--member", help="File inside a zip."),
        ]
    ):
        command = option(command)
    return command


def _specs(columns: tuple[str, ...]):
    """--column COLUMN_OR_EXPRESSION=indicator[:unit]."""
    specs = []
    for expr, target in _pairs(columns, "--column").items():
        code, _, unit = target.partition(":")
        specs.append(ValueSpec(code, expr, unit or None))
    return specs


def _read_options(sheet: str | None, member: str | None) -> dict:
    return {k: v for k, v in (("sheet", sheet), ("member", member)) if v}


@click.command("import-indicators")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--key-field", required=True, help="Column with the area code.")
@click.option(
    "--match",
    type=click.Choice(["code", "alt_code"]),
    default="code",
    show_default=True,
    help="Match the key against our code or the alternative code.",
)
@click.option("--year", type=int, help="The year of every value in the file.")
@click.option("--year-field", help="Column with the year of each row.")
@click.option(
    "--column",
    "columns",
    multiple=True,
    required=True,
    help="COLUMN=indicator_code[:unit], repeatable; the column may be an expression "
    "(a_65_oo / a_inw=share_65plus:fraction); units: percent, fraction, "
    "count, number. See `flask indicators` for the codes.",
)
@click.option("--source", required=True, help="Where the figures come from.")
@_key_options
def import_indicators_command(
    path,
    key_field,
    match,
    year,
    year_field,
    columns,
    source,
    on_duplicate,
    max_loss,
    split,
    split_by,
    sheet,
    member,
):
    """Import indicator values (population, 65+, …) from CSV, XLSX, GeoJSON or GeoPackage."""
    keys = _row_keys(key_field, match, year, year_field, on_duplicate, max_loss, split, split_by)
    specs = _specs(columns)
    run_import(
        lambda: import_indicators_file(
            path,
            keys,
            specs,
            source=source,
            progress=click_progress,
            **_read_options(sheet, member),
        )
    )


@click.command("indicators")
def indicators_command():
    """List the indicator codes importers accept, with their unit and meaning."""
    for indicator in db.session.scalars(select(Indicator).order_by(Indicator.code)):
        click.echo(
            f"{indicator.code:24} {indicator.unit:8} {indicator.name_en} ({indicator.name_nl})"
        )


@click.command("import-cohesion")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--key-field", required=True, help="Column with the area code.")
@click.option("--match", type=click.Choice(["code", "alt_code"]), default="code", show_default=True)
@click.option("--year", type=int)
@click.option("--year-field")
@click.option("--score-column", help="Column with the cohesion score.")
@click.option("--rung-column", help="Column with the assessed ladder rung (1-6).")
@click.option("--wanted-rung-column", help="Column with the rung residents want (1-6).")
@click.option(
    "--scale",
    default="1:10",
    show_default=True,
    help="The score's range, MIN:MAX (e.g. 0:200, -1:1; 1-10 works too).",
)
@click.option("--lower-is-better", is_flag=True, help="A higher score means less cohesion.")
@click.option(
    "--reference",
    type=float,
    help="The score that means average (100 on a 0-200 index, 0 for a deviation).",
)
@click.option("--reference-label", help="Average of what, e.g. 'city average 2014'.")
@click.option("--source", required=True)
@_key_options
def import_cohesion_command(
    path,
    key_field,
    match,
    year,
    year_field,
    score_column,
    rung_column,
    wanted_rung_column,
    scale,
    lower_is_better,
    reference,
    reference_label,
    source,
    on_duplicate,
    max_loss,
    split,
    split_by,
    sheet,
    member,
):
    """Import cohesion scores and ladder rungs from a table keyed by area code."""
    low, high = _scale(scale)
    columns = CohesionColumns(
        score_column,
        rung_column,
        wanted_rung_column,
        low,
        high,
        not lower_is_better,
        Decimal(str(reference)) if reference is not None else None,
        reference_label,
    )
    keys = _row_keys(key_field, match, year, year_field, on_duplicate, max_loss, split, split_by)
    run_import(
        lambda: import_cohesion_file(
            path,
            keys,
            columns,
            source=source,
            progress=click_progress,
            **_read_options(sheet, member),
        )
    )


def _scale(scale: str) -> tuple[Decimal, Decimal]:
    try:
        if ":" in scale:
            low, high = (Decimal(x) for x in scale.split(":"))
        else:
            low, high = (Decimal(x) for x in scale.split("-"))
    except Exception:
        raise click.BadParameter(f"{scale!r}: write the range as MIN:MAX, e.g. 1:10") from None
    return low, high


@click.command("import-places")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--source", required=True, help="Source name; re-imports update by source id.")
@click.option("--id-field", required=True)
@click.option("--name-field", required=True)
@click.option("--category-field", required=True)
@click.option("--kind", "kinds", multiple=True, help="CATEGORY=kind_code, repeatable.")
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(dir_okay=False),
    help='JSON file {"category": "kind_code", …}.',
)
@click.option("--skip", multiple=True, help="A category never to import, repeatable.")
@click.option("--address-field", "address_fields", multiple=True)
@click.option("--postcode-field")
def import_places_command(
    path,
    source,
    id_field,
    name_field,
    category_field,
    kinds,
    mapping_path,
    skip,
    address_fields,
    postcode_field,
):
    """Import places from GeoJSON points, mapping categories to place kinds."""
    kind_map = {}
    if mapping_path:
        kind_map.update(json.loads(Path(mapping_path).read_text(encoding="utf-8")))
    kind_map.update(_pairs(kinds, "--kind"))
    if not kind_map:
        raise click.UsageError("map at least one category with --kind or --mapping")
    mapping = PlaceMapping(
        id_field,
        name_field,
        category_field,
        kind_map,
        frozenset(skip),
        tuple(address_fields),
        postcode_field,
    )
    run_import(lambda: import_places_file(path, mapping, source=source, progress=click_progress))


@click.command("import-layer")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--name", required=True, help="The layer's name; an existing one is replaced.")
@click.option(
    "--role",
    type=click.Choice(["exclude", "candidates"]),
    required=True,
    help="exclude: nobody lives there and no site goes there; candidates: sites.",
)
@click.option("--name-field", help="Property with each feature's name.")
def import_layer_command(path, name, role, name_field):
    """Import a gap-analysis layer (parks, water, candidate sites) from GeoJSON."""
    run_import(
        lambda: import_layer_file(path, name, role, name_field=name_field, progress=click_progress)
    )


@click.command("import-addresses")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_addresses_command(path):
    """Add or update the addresses of a BAG GeoPackage (verblijfsobjecten, stand-, ligplaatsen)."""
    run_import(lambda: import_addresses_file(path, progress=click_progress))


IMPORT_COMMANDS = [
    import_areas_command,
    import_indicators_command,
    import_cohesion_command,
    indicators_command,
    import_places_command,
    import_layer_command,
    import_addresses_command,
]
