"""Import a population grid (CBS 100 m squares): demand where people actually live.

A square belongs to the municipality when its centre lies inside the municipality's area
(the ``gemeente`` area a recipe creates). CBS suppresses figures under 5 (``-99997``):

* where the buurt's total is known from another source, the buurt's residents not in its
  known squares are spread evenly over its suppressed squares (never below 0, never 5 or
  more per square);
* otherwise each suppressed square counts ``SUPPRESSED_ESTIMATE`` = 2.5 residents, the
  middle of the 1-4 CBS hides (a square with nobody is not in the file at all).

Estimated squares are marked and counted in the summary.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import select

from placemaker.areas.models import Area, AreaIndicator, PopulationCell
from placemaker.extensions import db
from placemaker.geo import SRID
from placemaker.imports.common import (
    ImportFailed,
    ImportReport,
    Progress,
    check_lengths,
    no_progress,
)
from placemaker.imports.mapping import DEFAULT_MISSING, Missing, parse_number
from placemaker.imports.readers import Table, text_of

SUPPRESSED_ESTIMATE = Decimal("2.5")
SUPPRESSED_MARKERS = ("-99997",)
PLACES = Decimal("0.01")


def import_population_cells(
    table: Table,
    *,
    gemeente: str,
    id_field: str,
    population_field: str,
    source: str,
    progress: Progress = no_progress,
) -> ImportReport:
    report = ImportReport(f"population cells from {table.path.name}")
    table.require([id_field, population_field])
    if table.geometries is None:
        raise ImportFailed(f"{table.path.name}: a population grid needs geometry")
    town = db.session.scalar(select(Area).where(Area.code == gemeente))
    if town is None:
        raise ImportFailed(f"no area {gemeente}: load the gemeente step first")
    buurten = _leaves_of(town)
    tree = shapely.STRtree([g for _, g in buurten])
    outside, known, suppressed = 0, [], []
    missing = tuple(m for m in DEFAULT_MISSING if m not in SUPPRESSED_MARKERS)
    for index, row in enumerate(progress(table.rows, len(table.rows), "checking squares")):
        ref = table.ref(index)
        geom = table.geometries[index]
        centre = shapely.centroid(geom) if geom is not None else None
        hits = tree.query(centre, predicate="within") if centre is not None else []
        if len(hits) == 0:
            outside += 1
            continue
        buurt_id = buurten[hits[0]][0]
        cell_id = text_of(row.get(id_field))
        if cell_id is None:
            report.error(ref, f"no id in {id_field!r}")
            continue
        if not check_lengths(report, ref, PopulationCell, {"cell_id": cell_id}):
            continue
        raw = row.get(population_field)
        if text_of(raw) in SUPPRESSED_MARKERS:
            suppressed.append((ref, cell_id, centre, buurt_id))
            continue
        try:
            known.append((ref, cell_id, centre, buurt_id, parse_number(raw, missing)))
        except Missing:
            report.skip(ref, f"{population_field}: no value")
        except ValueError as exc:
            report.error(ref, f"{population_field}: {exc}")
    if outside:
        report.note(f"{outside} squares", f"centre outside {gemeente}")
    cells = [(cell_id, centre, value, False) for _, cell_id, centre, _, value in known]
    cells += _estimates(known, suppressed, source, report)
    seen: set[str] = set()
    for cell_id, *_ in cells:
        if cell_id in seen:
            report.error(cell_id, f"square {cell_id} given twice")
        seen.add(cell_id)
    if not report.ok:
        return report
    _write(cells, gemeente, source, report)
    return report


def _leaves_of(town: Area) -> list[tuple[int, Any]]:
    """The smallest areas under the municipality, with their geometry."""
    rows = db.session.execute(
        select(Area.id, Area.geom).where(Area.id.in_(_leaf_ids(town.id)))
    ).all()
    return [(area_id, to_shape(geom)) for area_id, geom in rows]


def _leaf_ids(root: int) -> list[int]:
    pairs = db.session.execute(select(Area.id, Area.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for area_id, parent in pairs:
        children.setdefault(parent, []).append(area_id)
    leaves, stack = [], [root]
    while stack:
        node = stack.pop()
        if children.get(node):
            stack += children[node]
        else:
            leaves.append(node)
    return leaves


def _estimates(known: list, suppressed: list, source: str, report: ImportReport) -> list:
    """Residents of suppressed squares: the buurt's remainder where known, else 2.5 each."""
    if not suppressed:
        return []
    buurt_ids = {s[3] for s in suppressed}
    totals = {}
    for area_id, value, src in db.session.execute(
        select(AreaIndicator.area_id, AreaIndicator.value, AreaIndicator.source)
        .where(AreaIndicator.area_id.in_(buurt_ids), AreaIndicator.indicator_code == "population")
        .order_by(AreaIndicator.year)
    ):
        if src != source:
            totals[area_id] = value
    out = []
    for buurt_id in buurt_ids:
        squares = [s for s in suppressed if s[3] == buurt_id]
        each = SUPPRESSED_ESTIMATE
        if buurt_id in totals:
            rest = totals[buurt_id] - sum(k[4] for k in known if k[3] == buurt_id)
            each = min(max(rest / len(squares), Decimal(0)), Decimal(4))
            reason = "suppressed (-99997): the buurt's remainder spread over it"
        else:
            reason = (
                f"suppressed (-99997): estimated at {SUPPRESSED_ESTIMATE} residents "
                "(no buurt total from another source)"
            )
        for ref, cell_id, centre, _ in squares:
            report.note(ref, reason)
            out.append((cell_id, centre, each.quantize(PLACES), True))
    return out


def _write(cells: list, gemeente: str, source: str, report: ImportReport) -> None:
    existing = {
        c.cell_id: c
        for c in db.session.scalars(select(PopulationCell).where(PopulationCell.source == source))
    }
    for cell_id, centre, value, estimated in cells:
        value = Decimal(value).quantize(PLACES)
        current = existing.pop(cell_id, None)
        if current is None:
            db.session.add(
                PopulationCell(
                    gemeente=gemeente,
                    cell_id=cell_id,
                    source=source,
                    geom=from_shape(centre, srid=SRID),
                    population=value,
                    estimated=estimated,
                )
            )
            report.created += 1
        elif (current.population, current.estimated, current.gemeente) != (
            value,
            estimated,
            gemeente,
        ):
            current.population, current.estimated = value, estimated
            current.gemeente = gemeente
            report.updated += 1
        else:
            report.unchanged += 1
    for gone in existing.values():
        if gone.gemeente == gemeente:
            db.session.delete(gone)
            report.updated += 1
    db.session.flush()
