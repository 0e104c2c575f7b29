"""What the planners' map shows, to take away: the suggestions for the map's own parameters
as CSV or GeoPackage, and as a printable report (not the last saved scenario's)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from placemaker.edge import load_args
from placemaker.errors import InvalidInput
from placemaker.gaps import jobs, results
from placemaker.gaps.model import load_model
from placemaker.gaps.ogc import flat_suggestions, suggestions_collection
from placemaker.gaps.params import GapArgs, GapParams
from placemaker.ogc.registry import Collection, Feature

# The formats the page offers, by the extension of the link.
FILE_FORMATS = {"csv": "csv", "excel.csv": "csv-excel", "gpkg": "gpkg", "geojson": "geojson"}


def onscreen_params(values: dict[str, str], *, anonymous: bool) -> GapParams:
    """The map's parameters, checked as the API checks them.

    :raises InvalidInput: a bad value, or one too expensive for the public analysis.
    """
    params = GapParams.from_values(load_args(GapArgs(), values))
    config = current_app.config
    if anonymous and (
        params.p > config["GAPS_ANON_MAX_P"]
        or (params.radius_m or 0) > config["GAPS_ANON_MAX_RADIUS_M"]
    ):
        raise InvalidInput(
            "these parameters need a logged-in planner (too many sites or too "
            "large a walking distance for the public analysis)"
        )
    return params


def onscreen_result(params: GapParams) -> dict[str, Any]:
    """The answer the map shows for ``params``: from the cache, or computed now when small.

    :raises InvalidInput: a big question the map has not computed yet (it runs as a
        background job there; export once the map shows its answer).
    """
    done = results.cached_suggestions(params)
    if done is not None:
        return done
    if jobs.is_big(params, len(load_model(params).grid)):
        raise InvalidInput(
            "this analysis runs in the background: let the map finish it, then download again"
        )
    return results.suggestions(params)


def onscreen_features(params: GapParams) -> tuple[Collection, list[Feature]]:
    return suggestions_collection(), flat_suggestions(onscreen_result(params))
