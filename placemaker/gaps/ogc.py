"""The gap analysis as OGC API collections: coverage per area, and the latest suggestions."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from placemaker.areas import service as areas
from placemaker.areas.models import Area
from placemaker.extensions import db
from placemaker.gaps import results
from placemaker.gaps.models import GapScenario
from placemaker.gaps.params import GapParams
from placemaker.geo import bbox_envelope
from placemaker.ogc.collections import area_extent
from placemaker.ogc.registry import (
    Collection,
    Extent,
    Feature,
    ItemQuery,
    Property,
    page_in_memory,
)

COVERAGE_PROPERTIES = (
    Property("code", "string", "Area code", queryable=True),
    Property("name", "string", "Name", queryable=True),
    Property("level", "string", "Level in the hierarchy"),
    Property("population", "number", "Residents counted on the demand grid"),
    Property("covered_population", "number", "Residents within walking distance of a place"),
    Property("population_share", "number", "Share of residents within reach (0-1)"),
    Property("weighted_need", "number", "Residents weighted by need"),
    Property("covered_weighted_need", "number", "Weighted need within reach"),
    Property("weight_share", "number", "Share of weighted need within reach (0-1)"),
    Property("cohesion_score", "number", "Social cohesion score (own or inherited)"),
)


def coverage_collections() -> list[Collection]:
    """One coverage collection per area level, with the default analysis parameters."""
    return [
        _coverage_collection(level.code, level.name_en, level.name_nl) for level in areas.levels()
    ]


def _coverage_collection(level: str, name_en: str, name_nl: str) -> Collection:
    return Collection(
        id=f"gap_coverage_{level}",
        title=f"Gap analysis: coverage per {name_en.lower()} ({name_nl.lower()})",
        description="Share of residents, and of residents weighted by need, within walking "
        "distance of an active meeting place of any kind (default parameters; "
        "see /api/gaps/coverage for others).",
        geometry_type="MultiPolygon",
        properties=COVERAGE_PROPERTIES,
        items=lambda q: page_in_memory(coverage_features(level, q), q),
        item=lambda feature_id: next(
            (f for f in coverage_features(level, ItemQuery(limit=None)) if f["id"] == feature_id),
            None,
        ),
        extent=lambda: area_extent(level),
        keywords=("gap analysis", "coverage", level),
    )


def coverage_features(level: str, query: ItemQuery) -> list[Feature]:
    records = results.coverage(GapParams(level=level))["areas"]
    statement = select(Area.code, func.ST_AsGeoJSON(Area.geom, 6)).where(Area.level_code == level)
    if query.bbox is not None:
        statement = statement.where(func.ST_Intersects(Area.geom, bbox_envelope(query.bbox)))
    geometries: dict[str, str] = dict(db.session.execute(statement).all())
    return [
        {
            "type": "Feature",
            "id": r["code"],
            "geometry": json.loads(geometries[r["code"]]),
            "properties": {
                "code": r["code"],
                "name": r["name"],
                "level": r["level"],
                "population": r["population"],
                "covered_population": r["covered_population"],
                "population_share": r["population_share"],
                "weighted_need": r["weight"],
                "covered_weighted_need": r["covered_weight"],
                "weight_share": r["weight_share"],
                "cohesion_score": r["cohesion_score"],
            },
        }
        for r in records
        if r["code"] in geometries
    ]


SUGGESTION_PROPERTIES = (
    Property("rank", "integer", "Order of choice (1 helps most)"),
    Property("new_residents_reached", "number", "Residents without a place nearby it reaches"),
    Property("new_weighted_need_reached", "number", "Weighted need it newly reaches"),
    Property("area_code", "string", "Buurt it lies in", queryable=True),
    Property("area_name", "string", "Name of that buurt"),
    Property("cohesion_score", "number", "Social cohesion score there (own or inherited)"),
    Property("nearest_place", "string", "Nearest existing meeting place"),
    Property("nearest_place_kind", "string", "Its kind"),
    Property("nearest_place_distance_m", "number", "Straight-line distance to it (m)"),
    Property(
        "gain_over_next_best", "number", "Weighted need it reaches beyond the best alternative site"
    ),
    Property(
        "upper_bound",
        "number",
        "Proven upper bound on the weighted need any choice of as many sites reaches",
    ),
    Property(
        "gap_percent",
        "number",
        "How far the suggestions' total may lie below the best possible (%)",
    ),
    Property("proven_best", "boolean", "The suggestions' total is the best possible"),
    Property("scenario", "string", "Saved scenario the suggestions come from, if any"),
    Property("parameters", "string", "Analysis parameters (JSON)"),
)


def suggestions_collection() -> Collection:
    return Collection(
        id="gap_suggestions",
        title="Gap analysis: suggested sites",
        description="Where a new meeting place helps most: the suggestions of the most "
        "recently saved scenario, or of the default analysis (p = 10) when no "
        "scenario has been saved.",
        geometry_type="Point",
        properties=SUGGESTION_PROPERTIES,
        items=lambda q: page_in_memory(suggestion_features(), q),
        item=lambda feature_id: next(
            (f for f in suggestion_features() if str(f["id"]) == feature_id), None
        ),
        extent=lambda: Extent(bbox=_bbox(suggestion_features())),
        keywords=("gap analysis", "suggestions"),
    )


def suggestion_features() -> list[Feature]:
    latest = db.session.scalar(select(GapScenario).order_by(GapScenario.id.desc()).limit(1))
    if latest is not None:
        result, scenario = latest.result["suggestions"], latest.name
    else:
        result, scenario = results.suggestions(GapParams()), None
    certificate = result.get("certificate") or {}
    return [
        _flat_suggestion(f, scenario, result["params"], certificate) for f in result["features"]
    ]


def flat_suggestions(result: dict[str, Any], scenario: str | None = None) -> list[Feature]:
    """An answer's sites as flat features (the columns of SUGGESTION_PROPERTIES)."""
    certificate = result.get("certificate") or {}
    return [
        _flat_suggestion(f, scenario, result["params"], certificate) for f in result["features"]
    ]


def _flat_suggestion(
    feature: Feature, scenario: str | None, params: dict[str, Any], certificate: dict[str, Any]
) -> Feature:
    props = feature["properties"]
    nearest = (props.get("nearest_places") or [None])[0] or {}
    area = props.get("area") or {}
    return {
        "type": "Feature",
        "id": props["rank"],
        "geometry": feature["geometry"],
        "properties": {
            "rank": props["rank"],
            "new_residents_reached": props["new_residents_reached"],
            "new_weighted_need_reached": props["new_weighted_need_reached"],
            "area_code": area.get("code"),
            "area_name": area.get("name"),
            "cohesion_score": (props.get("cohesion") or {}).get("score"),
            "nearest_place": nearest.get("name"),
            "nearest_place_kind": nearest.get("kind"),
            "nearest_place_distance_m": nearest.get("distance_m"),
            "gain_over_next_best": (props.get("next_best") or {}).get("gain_of_this_site_over_it"),
            "upper_bound": certificate.get("upper_bound"),
            "gap_percent": certificate.get("gap_percent"),
            "proven_best": certificate.get("proven_best"),
            "scenario": scenario,
            "parameters": json.dumps(params, sort_keys=True),
        },
    }


def _bbox(features: list[Feature]):
    if not features:
        return None
    xs = [f["geometry"]["coordinates"][0] for f in features]
    ys = [f["geometry"]["coordinates"][1] for f in features]
    return (min(xs), min(ys), max(xs), max(ys))
