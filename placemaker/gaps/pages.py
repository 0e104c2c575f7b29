"""The planners' map: where a new meeting place helps most, and saved scenarios compared.

The page holds the controls and an empty folium map; ``static/js/gaps.js`` asks
``/api/gaps/…`` for coverage, need cells and suggestions with the controls' parameters.
``/planners/compare`` is the same comparison as the map's, as a printable table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from placemaker import maps
from placemaker.accounts.home import home_view
from placemaker.accounts.models import Role
from placemaker.areas import service as areas
from placemaker.areas.models import LADDER
from placemaker.areas.population import demand_sources, demand_warnings, levels_with_data
from placemaker.errors import NotFound
from placemaker.extensions import db
from placemaker.gaps.analysis import DEFAULT_DETOUR, NeedWeights
from placemaker.gaps.models import GapLayer
from placemaker.gaps.onscreen import (
    FILE_FORMATS,
    onscreen_features,
    onscreen_params,
    onscreen_result,
)
from placemaker.gaps.params import GapParams
from placemaker.gaps.scenarios import compare_scenarios, get_scenario, list_scenarios
from placemaker.gaps.walknet import has_network
from placemaker.i18n import current_language, in_language
from placemaker.ogc.views import file_response
from placemaker.pages import service as pages
from placemaker.places import service as places
from placemaker.tokens.access import current_reader

bp = Blueprint("planners", __name__)

# Levels the page reports coverage at; buurt is the finest, gebied the coarsest useful one.
LEVELS = ("buurt", "wijk", "gebied")
# The default is the first of these with areas in the chosen municipality: a city of buurten
# is a 1 MB download, wijken are a quarter of it; a town without wijken falls back to buurten.
DEFAULT_LEVELS = ("wijk", "gebied", "buurt")
DEFAULT_LEVEL = DEFAULT_LEVELS[0]
# Area geometries for the choropleth, simplified (metres): small enough, still recognisable.
SIMPLIFY_M = 20


@dataclass(frozen=True)
class WeightControl:
    arg: str  # query parameter of /api/gaps/…
    label: str
    help: str
    default: float
    minimum: float
    maximum: float
    step: float


def weight_controls() -> list[WeightControl]:
    """The need weights a planner may change, with the defaults the analysis uses."""
    defaults = NeedWeights()
    texts = {
        "w_cohesion": (_("Cohesion deficit"), _("How much a low cohesion score adds to need.")),
        "w_income": (_("Minimum income"), _("Weight of households on a minimum income.")),
        "w_lonely": (_("Loneliness"), _("Weight of residents who are (very) severely lonely.")),
        "w_65plus": (_("Aged 65 and over"), _("Weight of older residents.")),
        "target": (
            _("Cohesion target"),
            _("The score (1–10) below which cohesion counts as a deficit."),
        ),
        "floor": (_("Minimum need"), _("Nobody counts for less than this.")),
    }
    out = []
    for arg, attr in GapParams.WEIGHT_ARGS.items():
        label, help_text = texts[arg]
        out.append(
            WeightControl(
                arg=arg,
                label=label,
                help=help_text,
                default=getattr(defaults, attr),
                minimum=2.0 if arg == "target" else 0.0,
                maximum=10.0,
                step=0.5 if arg == "target" else 0.05,
            )
        )
    return out


def may_save(user: Any) -> bool:
    return bool(user.is_authenticated and user.role in (Role.planner, Role.admin))


def _text() -> dict[str, str]:
    """Every string gaps.js shows, translated here."""
    return {
        "legend": _("Legend"),
        "need_layer": _("Need not yet served (100 m cells)"),
        "need_title": _("Need not yet served, per 100 m cell"),
        "need_note": _(
            "Residents without a meeting place within walking distance, times the "
            "need weight of their area."
        ),
        "coverage_layer": _("Coverage per area"),
        "coverage_title": _("Residents with a meeting place within reach · %(level)s"),
        "suggestions_layer": _("Suggested sites"),
        "change_layer": _("Scenario comparison"),
        "change_title": _("Change in share of residents within reach, B compared with A"),
        "points": _("percentage points"),
        "no_change": _("no change"),
        "no_data": _("no data"),
        "source": _("Source"),
        "sources_need": _("population %(population)s; cohesion %(cohesion)s"),
        "stage_cells": _("need per cell"),
        "stage_coverage": _("coverage per area"),
        "stage_suggestions": _("suggested sites"),
        "computing": _("Computing: %(stages)s…"),
        "done": _("Done: %(count)s sites suggested."),
        "failed": _("The analysis could not be computed."),
        "network_failed": _("The server could not be reached. Try again later."),
        "summary": _(
            "Together the %(count)s sites reach %(reached)s residents who now have "
            "no meeting place within walking distance (%(weight)s weighted need)."
        ),
        "summary_before": _(
            "Now %(covered)s of %(residents)s residents (%(share)s) live "
            "within reach of a meeting place; with these sites %(after)s."
        ),
        # How the sites were found, in words (the solver's own names are internal).
        "methods": {
            "greedy": _("one site at a time, each time the one that adds most"),
            "greedy+swap": _("one site at a time, then improved by swapping sites"),
            "ils": _("improved by swapping sites from many different starting points"),
            "milp": _("exact optimisation (every combination considered)"),
        },
        "method_note": _(
            "Method: %(method)s, %(candidates)s candidate sites, new sites reach %(radius)s m."
        ),
        "proven_best": _("Proven best: no %(count)s sites reach more weighted need."),
        "within_gap": _(
            "Within %(gap)s of the best possible: no %(count)s sites reach more "
            "than %(bound)s weighted need."
        ),
        "time_limit_hit": _(
            "The search hit its time limit; this answer may differ on another run."
        ),
        "catchment_network": _(
            "Walking distances along the street network; %(cells)s cells "
            "outside it by the detour factor."
        ),
        "job_progress": _("Large question, computed in the background: %(status)s, %(percent)s"),
        "job_queued": _("waiting for a worker"),
        "job_started": _("computing"),
        "job_finished": _("done"),
        "rank": _("Site %(rank)s"),
        "reaches": _(
            "Reaches %(residents)s residents without a meeting place within walking "
            "distance (weighted need %(weight)s)."
        ),
        "exclusive": _("%(weight)s of that need no other suggested site reaches."),
        "cohesion": _("Social cohesion: %(score)s (%(year)s)"),
        "cohesion_inherited": _("Social cohesion: %(score)s (%(year)s, from %(area)s)"),
        "no_cohesion": _("Social cohesion: no score"),
        "rungs": _("Ladder: assessed %(assessed)s, wanted %(wanted)s"),
        "nearest": _("Nearest meeting places"),
        "nearest_item": _("%(kind)s %(name)s: %(distance)s m (about %(walking)s m on foot)"),
        "next_best": _(
            "The next-best site, %(distance)s m away, would reach %(gain)s less weighted need."
        ),
        "candidate_layer": _("Candidate from layer: %(name)s"),
        "candidate_proposal": _("Candidate: residents' proposal %(name)s"),
        "show_on_map": _("Show on map"),
        "evaluate_title": _("A new meeting place here"),
        "evaluating": _("Computing what a place here would reach…"),
        "evaluate_result": _(
            "Within %(radius)s m it would reach %(residents)s residents who "
            "now have no meeting place within walking distance (weighted "
            "need %(weight)s)."
        ),
        "evaluate_hint": _("Click the map to see what a new place there would reach."),
        "area": _("Area"),
        "share": _("Within reach"),
        "share_after": _("With the suggested sites"),
        "population": _("Population"),
        "residents_reached": _("residents reached"),
        "lowest_title": _("Areas with the lowest coverage"),
        "by_kind_title": _("Coverage per kind of place"),
        "kind": _("Kind"),
        "scenario_saved": _("Scenario “%(name)s” saved."),
        "save_failed": _("The scenario could not be saved."),
        "layer_uploaded": _("Layer “%(name)s” stored with %(count)s features."),
        "layer_failed": _("The layer was not stored."),
        "layer_not_json": _("This file is not GeoJSON."),
        "no_scenarios": _("No scenarios saved yet."),
        "open": _("Open"),
        "compare_title": _("%(a)s (A) compared with %(b)s (B)"),
        "compare_none": _("The two scenarios reach the same share of residents in every area."),
        "compare_changed": _("%(count)s areas change; the largest changes:"),
        "compare_full": _("The whole table (printable)"),
        "change": _("Change"),
        "pick_two": _("Choose two scenarios."),
        "reached_ab": _("New residents reached: A %(a)s, B %(b)s"),
        "differs_title": _("Careful: these scenarios answer different questions."),
        "all_kinds": _("All kinds"),
        **{f"differs_{field}": text for field, text in _difference_texts().items()},
    }


def _difference_texts() -> dict[str, str]:
    return {
        "kind": _(
            "The kind of place differs (A: %(a)s, B: %(b)s): coverage counts different "
            "places, so the changes are no gain or loss."
        ),
        "radius_m": _("The walking distance of a new site differs (A: %(a)s m, B: %(b)s m)."),
        "catchment": _("The catchment model differs (A: %(a)s, B: %(b)s)."),
    }


def difference_text(warning: dict[str, Any]) -> str:
    """A comparison warning (see scenarios.differences) in the page's language."""
    lang = current_language()
    values = {}
    for side in ("a", "b"):
        value = warning[side]
        if warning["field"] == "kind":
            kind = next((k for k in places.kinds() if k.code == value), None)
            value = in_language(kind.label_nl, kind.label_en, lang) if kind else _("All kinds")
        elif warning["field"] == "catchment":
            value = {
                "straight": _("straight line × detour factor"),
                "network": _("walking network"),
            }.get(value, value)
        elif value is None:
            value = "?"
        values[side] = value
    return _difference_texts()[warning["field"]] % values


def default_level(area_code: str | None) -> str:
    """The coverage level the page opens with: one that has data in the chosen municipality."""
    return next(iter(levels_with_data(DEFAULT_LEVELS, area_code)), DEFAULT_LEVEL)


def _options(params: dict[str, str]) -> dict[str, Any]:
    lang = current_language()
    level_names = _level_names()
    return {
        "lang": lang,
        "text": _text(),
        "levels": level_names,
        "ladder": {str(r): in_language(*labels, lang) for r, labels in LADDER.items()},
        "kinds": {k.code: in_language(k.label_nl, k.label_en, lang) for k in places.kinds()},
        "defaults": {
            "p": "10",
            "level": default_level(params.get("area")),
            "candidates": "grid",
            "detour": f"{DEFAULT_DETOUR:g}",
            "catchment": "straight",
            "planned": "0",
            **{w.arg: f"{w.default:g}" for w in weight_controls()},
        },
        "weightArgs": GapParams.WEIGHT_ARGS,
        "simplify": SIMPLIFY_M,
        "canSave": may_save(current_user),
        "initial": params,
        "urls": {
            "coverage": url_for("gaps_api.coverage"),
            "cells": url_for("gaps_api.cells"),
            "suggestions": url_for("gaps_api.suggestions"),
            "evaluate": url_for("gaps_api.evaluate"),
            "layers": url_for("gaps_api.layers"),
            "scenarios": url_for("gaps_api.list_scenarios"),
            "compare": url_for("gaps_api.compare_scenarios"),
            "comparePage": url_for("planners.compare"),
            "exports": {
                ext: url_for("planners.suggestions_file", ext=ext) for ext in ("csv", "gpkg")
            },
            "report": url_for("planners.report"),
            "page": url_for("planners.index"),
            "areas": url_for("api.list_areas"),
            "area": url_for("api.get_area", code="CODE"),
            "areaPage": url_for("pages.area_detail", code="CODE"),
            "placePage": url_for("pages.place_detail", place_id=0),
        },
    }


# The parameters the page passes on to /api/gaps/… (the API validates them).
PARAMS = (
    "p",
    "kind",
    "rung",
    "candidates",
    "area",
    "level",
    "radius",
    "year",
    "detour",
    "catchment",
    "planned",
    *GapParams.WEIGHT_ARGS,
)


@bp.get("/planners")
def index():
    params = {k: request.args[k].strip() for k in PARAMS if request.args.get(k, "").strip()}
    options = _options(params)
    center, zoom = home_view()
    m = maps.gap_map(
        current_app.config,
        options,
        center=center,
        zoom=zoom,
        label=_("Map of the need for meeting places"),
    )
    values = {**options["defaults"], **params}
    return render_template(
        "planners/index.html",
        **maps.render_parts(m),
        values=values,
        values_given=set(params),
        weights=weight_controls(),
        kinds=places.kinds(),
        lang=current_language(),
        ladder=LADDER,
        levels=[
            (c, options["levels"].get(c, c))
            for c in levels_with_data(LEVELS, params.get("area")) or LEVELS
        ],
        area_choices=pages.area_choices(),
        can_save=options["canSave"],
        has_network=has_network(),
        demand=demand_sources(),
        # Only the municipalities this analysis covers (the chosen area's, or all).
        warnings=demand_warnings(params.get("area")),
    )


def _onscreen_args() -> dict[str, str]:
    return {k: request.args[k].strip() for k in PARAMS if request.args.get(k, "").strip()}


@bp.get("/planners/suggestions.<path:ext>")
def suggestions_file(ext: str):
    """The suggestions for the map's parameters (the query string) as a file."""
    if ext not in FILE_FORMATS:
        raise NotFound(f"unknown format {ext!r} (formats: {', '.join(FILE_FORMATS)})")
    params = onscreen_params(_onscreen_args(), anonymous=current_reader() is None)
    collection, features = onscreen_features(params)
    return file_response(collection, features, FILE_FORMATS[ext])


@bp.get("/planners/report")
def report():
    """The suggestions for the map's parameters as a page to print."""
    args = _onscreen_args()
    params = onscreen_params(args, anonymous=current_reader() is None)
    result = onscreen_result(params)
    kinds = {
        k.code: in_language(k.label_nl, k.label_en, current_language()) for k in places.kinds()
    }
    return render_template(
        "planners/report.html",
        result=result,
        params=describe_params(result["params"]),
        certificate=certificate_text(result.get("certificate")),
        kinds=kinds,
        map_url=url_for("planners.index", **args),
        files={
            ext: url_for("planners.suggestions_file", ext=ext, **args) for ext in ("csv", "gpkg")
        },
    )


@bp.get("/planners/compare")
def compare():
    a_id = request.args.get("a", type=int)
    b_id = request.args.get("b", type=int)
    comparison = None
    if a_id and b_id:
        comparison = compare_scenarios(get_scenario(a_id), get_scenario(b_id))
    return render_template(
        "planners/compare.html",
        scenarios=list_scenarios(),
        comparison=comparison,
        a_id=a_id,
        b_id=b_id,
        scenario_url=scenario_url,
        levels=_level_names(),
        describe=describe_side_by_side,
        certificate_text=certificate_text,
        difference_text=difference_text,
    )


def certificate_text(certificate: dict[str, Any] | None) -> str:
    """An answer's certificate in words: proven best, or how close to the best possible."""
    from flask_babel import format_decimal

    if not certificate:
        return _("not certified (saved before answers carried a bound)")
    if certificate.get("proven_best"):
        return _("proven best possible")
    return _(
        "within %(gap)s %% of the best possible",
        gap=format_decimal(max(certificate["gap_percent"], 0.01), format="#,##0.0#"),
    )


def _level_names() -> dict[str, str]:
    lang = current_language()
    return {lv.code: in_language(lv.name_nl, lv.name_en, lang) for lv in areas.levels()}


def scenario_url(params: dict[str, Any]) -> str:
    """The planners' map with a saved scenario's parameters."""
    args: dict[str, Any] = {}
    left_out = {"candidates": "grid", "level": DEFAULT_LEVEL, "detour": DEFAULT_DETOUR}
    for key in ("p", "kind", "rung", "candidates", "area", "level", "year", "detour"):
        if params.get(key) not in (None, "", left_out.get(key)):
            args[key] = params[key]
    if params.get("radius_m"):
        args["radius"] = f"{params['radius_m']:g}"
    weights = params.get("weights") or {}
    defaults = NeedWeights()
    for arg, attr in GapParams.WEIGHT_ARGS.items():
        if attr in weights and weights[attr] != getattr(defaults, attr):
            args[arg] = f"{weights[attr]:g}"
    return url_for("planners.index", **args)


def describe_side_by_side(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Two scenarios' parameters as (label, value of A, value of B) rows."""
    return [
        (label, x, y)
        for (label, x), (_, y) in zip(describe_params(a), describe_params(b), strict=True)
    ]


def describe_params(params: dict[str, Any]) -> list[tuple[str, str]]:
    """A saved scenario's parameters as (label, value) rows in the page's language."""
    lang = current_language()
    kinds = {k.code: in_language(k.label_nl, k.label_en, lang) for k in places.kinds()}
    candidates = params.get("candidates") or "grid"
    if candidates == "grid":
        candidates_text = _("Anywhere people live (100 m grid)")
    elif candidates == "proposals":
        candidates_text = _("Residents' open proposals")
    else:
        layer = db.session.get(GapLayer, int(candidates[6:])) if candidates[6:].isdigit() else None
        candidates_text = layer.name if layer else candidates
    area_text = _("The whole city")
    if params.get("area"):
        try:
            area_text = areas.get_area(params["area"]).name
        except NotFound:
            area_text = params["area"]
    rung = params.get("rung")
    weights = params.get("weights") or {}
    attrs = GapParams.WEIGHT_ARGS
    weight_text = ", ".join(
        f"{w.label} {format_decimal(weights[attrs[w.arg]])}"
        for w in weight_controls()
        if attrs[w.arg] in weights
    )
    radius = params.get("radius_m")
    return [
        (_("Number of new sites"), str(params.get("p", ""))),
        (_("Kind of place"), kinds.get(params.get("kind") or "", _("All kinds"))),
        (
            _("Ladder rung"),
            f"{rung} · {LADDER[rung][1 if lang == 'en' else 0]}"
            if rung in LADDER
            else _("All rungs"),
        ),
        (_("Candidate sites"), candidates_text),
        (_("Area"), area_text),
        (_("Coverage per"), _level_names().get(params.get("level") or "", "")),
        (
            _("Walking distance of a new site (m)"),
            format_decimal(radius) if radius else _("per kind, else 400"),
        ),
        (_("Detour factor"), format_decimal(params.get("detour") or DEFAULT_DETOUR)),
        (_("Weights of need"), weight_text),
    ]
