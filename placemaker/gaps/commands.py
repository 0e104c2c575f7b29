"""``flask gaps …``: the gap analysis on the registry, and on files (``flask gaps files``)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from placemaker.errors import InvalidInput
from placemaker.extensions import db
from placemaker.gaps.cli import gaps_command
from placemaker.gaps.jobs import QUEUE, run_worker, warm_all
from placemaker.gaps.params import GapParams
from placemaker.gaps.results import coverage, suggestions
from placemaker.gaps.walknet import import_network

gaps_group = AppGroup("gaps", help="Gap analysis: where a new meeting spot helps most.")
gaps_group.add_command(gaps_command, "files")


def _params(options: dict[str, object]):
    args = {k: str(v) for k, v in options.items() if v not in (None, "")}
    try:
        return GapParams.from_args(args)
    except InvalidInput as exc:
        raise click.ClickException(exc.message) from None


_OPTIONS = [
    click.option("--p", "p", type=int, help="Number of new sites (default 10)."),
    click.option("--kind", help="Count and site places of this kind only."),
    click.option("--rung", type=int, help="Count places supporting this ladder rung only."),
    click.option("--radius", type=float, help="Walking distance of a new site in metres."),
    click.option("--candidates", help="grid (default), proposals or layer:<id>."),
    click.option("--area", help="Restrict to this area code."),
    click.option("--level", help="Report coverage at this level (default buurt)."),
    click.option(
        "--window",
        help="Opening-hours window: weekday_afternoons, evenings, "
        "weekend or week (default: every place counts).",
    ),
]


def _with_options(command):
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


@gaps_group.command("suggest")
@_with_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="GeoJSON file for the suggested sites and their explanation.",
)
def suggest_command(out: Path, **options):
    """Suggest new sites on the registry's data and write them as GeoJSON."""
    result = suggestions(_params(options))
    out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    click.echo(
        f"{len(result['features'])} sites reach {result['new_residents_reached']:.0f} "
        f"more residents ({result['candidates']} candidates); wrote {out}"
    )
    for feature in result["features"]:
        props = feature["properties"]
        area = props["area"]["name"] if props["area"] else "?"
        click.echo(
            f"  {props['rank']:>3}. {area}: +{props['new_residents_reached']:.0f} "
            f"residents, +{props['new_weighted_need_reached']:.0f} weighted need"
        )
    if result["note"]:
        click.echo(f"note: {result['note']}")
    click.echo(certificate_line(result["certificate"], result["search"]))


def certificate_line(certificate: dict, search: dict) -> str:
    """The answer's certificate for a terminal: proven best, or the gap to the bound."""
    if certificate["proven_best"]:
        text = (
            f"proven best: no other choice of sites reaches more than "
            f"{certificate['upper_bound']:.1f} weighted need"
        )
    else:
        text = (
            f"within {certificate['gap_percent']:.2f} % of the best possible "
            f"(upper bound {certificate['upper_bound']:.1f} weighted need)"
        )
    text += f"; {search['rounds']} rounds of local search, stopped: {search['stopped']}"
    if search["time_limit_hit"]:
        text += " (the time limit cut the search short: another run may differ)"
    return text


@gaps_group.command("coverage")
@_with_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file for the coverage per area.",
)
def coverage_command(out: Path | None, **options):
    """Coverage per area and per kind; warms the shared cache for the map and the API."""
    result = coverage(_params(options))
    total = result["total"]
    click.echo(
        f"{total['population_share']:.1%} of {total['population']:.0f} residents and "
        f"{total['weight_share']:.1%} of weighted need are within reach of a place"
    )
    if out:
        out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
        click.echo(f"wrote {out}")


@gaps_group.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool):
    """Run background analyses (big questions, warming after writes) from the shared queue."""
    click.echo(f"gap-analysis worker on queue {QUEUE}")
    run_worker(burst=burst)


@gaps_group.command("warm")
def warm_command():
    """Build the default analysis's model, reduced problem and bound for the current data."""
    info = warm_all()
    click.echo(
        f"warmed data version {info['data_version']}: {info['cells']} cells, "
        f"{info['candidates']} candidates, bound {info['upper_bound']:.1f} at p={info['p']}"
    )


@click.command("import-network")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_network_command(path: Path):
    """Load the walking network of an OpenStreetMap extract (.osm.pbf) for the analysis.

    Replaces any network stored before. Walkable ways: footways, paths, pedestrian and
    residential streets, steps, service roads, cycleways where pedestrians may go, ...;
    never motorways or trunk roads.
    """
    try:
        report = import_network(path)
    except RuntimeError as exc:  # pyosmium's error for a file it cannot read
        raise click.ClickException(f"{path}: {exc}") from None
    db.session.commit()
    click.echo(
        f"walking network: {report.nodes} nodes, {report.edges} segments from "
        f"{report.ways} walkable ways"
    )
    if report.skipped:
        click.echo(
            "left out (not walkable): "
            + ", ".join(f"{count} {kind}" for kind, count in sorted(report.skipped.items()))
        )
