"""File-based gap analysis as a plain click command (attached to the Flask CLI elsewhere)."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from placemaker.gaps.bounds import solve_certified
from placemaker.gaps.coverage import StraightLineDistance, coverage_matrix, covered_mask
from placemaker.gaps.layers import (
    LayerError,
    read_demand,
    read_points,
    write_cells,
    write_suggestions,
)
from placemaker.gaps.solver import MCLPProblem

_PATH = click.Path(dir_okay=False, path_type=Path)


@click.command("gaps")
@click.option("--demand", type=_PATH, required=True, help="Demand points or areas (GeoJSON/CSV).")
@click.option(
    "--weight-field",
    default="population",
    show_default=True,
    help="Numeric field with the demand weight of each feature.",
)
@click.option(
    "--population-field",
    help="Numeric field with the residents of each feature, when the weight is not a "
    "head count (e.g. population x need). Without it, residents are reported only when "
    "the weight field is 'population'.",
)
@click.option("--places", type=_PATH, help="Existing places (GeoJSON/CSV); their demand is served.")
@click.option("--candidates", type=_PATH, required=True, help="Candidate sites (GeoJSON/CSV).")
@click.option(
    "--radius",
    type=click.FloatRange(min=0, min_open=True),
    default=400.0,
    show_default=True,
    help="Walking distance in metres a place serves.",
)
@click.option("--radius-field", help="Field of --places with a walking distance per place.")
@click.option(
    "--detour",
    type=click.FloatRange(min=1.0),
    default=1.3,
    show_default=True,
    help="Walking distance / straight-line distance.",
)
@click.option(
    "--p",
    "p",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Number of new sites to choose.",
)
@click.option(
    "--cell-size",
    type=click.FloatRange(min=1.0),
    default=100.0,
    show_default=True,
    help="Grid spacing in metres for demand polygons.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=_PATH, required=True, help="GeoJSON file for the suggested sites.")
@click.option("--cells-out", type=_PATH, help="Optional GeoJSON file with the demand cells.")
def gaps_command(
    demand: Path,
    weight_field: str,
    population_field: str | None,
    places: Path | None,
    candidates: Path,
    radius: float,
    radius_field: str | None,
    detour: float,
    p: int,
    cell_size: float,
    seed: int,
    out: Path,
    cells_out: Path | None,
) -> None:
    """Choose the P candidate sites that newly serve the most demand."""
    try:
        grid = read_demand(
            demand, weight_field, cell_size=cell_size, population_field=population_field
        )
        model = StraightLineDistance(detour=detour)
        covered = np.zeros(len(grid), dtype=bool)
        if places is not None:
            place_layer = read_points(places)
            radii = place_layer.numbers(radius_field, places) if radius_field else radius
            covered = covered_mask(coverage_matrix(place_layer.xy, radii, grid.xy, model))
        cand = read_points(candidates)
    except LayerError as exc:
        raise click.ClickException(str(exc)) from None

    cover = coverage_matrix(cand.xy, radius, grid.xy, model)
    problem = MCLPProblem.from_coverage(cover, grid.weight, grid.population, covered)
    result, certificate = solve_certified(problem, p, seed=seed)
    # Name what is reported: residents only when some field counts them.
    has_residents = population_field is not None or weight_field == "population"
    weight_name = (
        "residents" if weight_field == "population" and not population_field else "weighted need"
    )

    total_w = float(grid.weight.sum())
    served_w = float(grid.weight[covered].sum())
    props = []
    for rank, site in enumerate(result.selected):
        alt = result.alternatives[rank]
        props.append(
            {
                "rank": rank + 1,
                "candidate": site,
                **{f"candidate_{k}": v for k, v in cand.properties[site].items()},
                "gain_weight": round(result.gains[rank], 3),
                **(
                    {"gain_population": round(result.population_gains[rank], 3)}
                    if has_residents
                    else {}
                ),
                "exclusive_weight": round(result.exclusive[rank], 3),
                "alternative": alt,
                "alternative_gain": round(result.alternative_gains[rank], 3),
            }
        )
    write_suggestions(out, cand.xy[list(result.selected)], props)
    if cells_out is not None:
        after = covered | covered_mask(cover[list(result.selected)])
        write_cells(cells_out, grid, covered, after)

    def pct(part: float) -> str:
        return f"{100 * part / total_w:.1f} %" if total_w > 0 else "n/a"

    residents = (
        f", {float(grid.population.sum()):.1f} residents"
        if has_residents and weight_name != "residents"
        else ""
    )
    click.echo(f"demand: {len(grid)} cells, {weight_name} {total_w:.1f}{residents}")
    click.echo(f"served by existing places: {pct(served_w)} of {weight_name}")
    reached = (
        f", +{result.covered_population:.1f} residents"
        if has_residents and weight_name != "residents"
        else ""
    )
    click.echo(
        f"chosen {len(result.selected)} of {len(cand)} candidates (p={p}): "
        f"+{result.covered_weight:.1f} {weight_name} ({pct(result.covered_weight)}){reached}; "
        f"served after: {pct(served_w + result.covered_weight)}"
    )
    if certificate.proven_best:
        click.echo(
            f"proven best: no {p} candidates reach more than "
            f"{certificate.upper_bound:.1f} {weight_name}"
        )
    else:
        click.echo(
            f"within {100 * certificate.gap:.2f} % of the best possible: no {p} "
            f"candidates reach more than {certificate.upper_bound:.1f} {weight_name}"
        )
    if result.time_limit_hit:
        click.echo("note: the time limit cut the search short; another run may differ")
    if result.note:
        click.echo(f"note: {result.note}")
    for rank, site in enumerate(result.selected):
        alt = result.alternatives[rank]
        alt_text = (
            f"next best {alt} (+{result.alternative_gains[rank]:.1f})"
            if alt is not None
            else "no alternative"
        )
        site_residents = (
            f", +{result.population_gains[rank]:.1f} residents"
            if has_residents and weight_name != "residents"
            else ""
        )
        click.echo(
            f"  {rank + 1:>3}. candidate {site}: +{result.gains[rank]:.1f} {weight_name}"
            f"{site_residents}; {alt_text}"
        )
    click.echo(f"wrote {out}" + (f" and {cells_out}" if cells_out else ""))
