"""The collections of the registry's own data: places, and areas per level.

``create_app`` registers them, beside those the features add.

Areas' nested properties (cohesion, ancestors) are flattened into simple columns, because
QGIS layers, CSV and GeoPackage want one value per column.
"""

from __future__ import annotations

from typing import Any

from placemaker.areas import service as areas
from placemaker.areas.models import Area, AreaLevel
from placemaker.extensions import get_by_id
from placemaker.ogc.params import interval_clause
from placemaker.ogc.registry import (
    Collection,
    Extent,
    Feature,
    ItemQuery,
    Property,
    page_in_memory,
    table_extent,
    utc_stamps,
)
from placemaker.places import service as places
from placemaker.places.models import Place, PlaceCondition, PlaceStatus
from placemaker.places.serialize import place_features

# The indicators planners asked for next to cohesion, as their latest value.
KEY_INDICATORS = ("share_65plus", "share_minimum_income", "share_lonely")


# --- places -----------------------------------------------------------------------------

PLACE_PROPERTIES = (
    Property("id", "integer", "Registry number of the place"),
    Property("name", "string", "Name", queryable=True),
    Property("kind", "string", "Kind of meeting place (code, see /api/kinds)", queryable=True),
    Property("kind_label_nl", "string", "Kind, in Dutch"),
    Property("kind_label_en", "string", "Kind, in English"),
    Property(
        "status",
        "string",
        "Whether it is open",
        queryable=True,
        enum=tuple(s.value for s in PlaceStatus),
    ),
    Property("address", "string", "Street address", queryable=True),
    Property("postcode", "string", "Postcode", queryable=True),
    Property("description", "string", "Description"),
    Property("source", "string", "Where the record came from", queryable=True),
    Property("updated_at", "date-time", "Last change (UTC)"),
    Property("version", "integer", "Version, raised by every change"),
    Property("owner", "string", "Owner organisation", queryable=True),
    Property("keeper", "string", "Who keeps it (a contact role)", queryable=True),
    Property(
        "condition",
        "string",
        "Condition as last seen",
        queryable=True,
        enum=tuple(c.value for c in PlaceCondition),
    ),
    Property("opening_hours", "string", "Opening hours, OpenStreetMap opening_hours syntax"),
    Property("last_confirmed_at", "date-time", "Last confirmed in use (UTC)"),
)

_PLACE_COLUMNS = {
    "name": Place.name,
    "address": Place.address,
    "postcode": Place.postcode,
    "source": Place.source,
    "owner": Place.owner_org,
    "keeper": Place.keeper,
    "condition": Place.condition,
}


def places_collection() -> Collection:
    return Collection(
        id="places",
        title="Meeting places",
        description="Everyday meeting places in the registry: benches, vegetable gardens, "
        "thrift-shop coffee corners, community centres and more, with their status.",
        geometry_type="Point",
        properties=PLACE_PROPERTIES,
        items=place_items,
        item=place_item,
        extent=place_extent,
        temporal_property="updated_at",
        keywords=("places", "ontmoetingsplekken"),
    )


def place_items(query: ItemQuery) -> tuple[list[Feature], int]:
    filters = dict(query.filters)
    statement = places.places_query(
        bbox=query.bbox,
        kinds=[filters.pop("kind")] if "kind" in filters else (),
        statuses=[filters.pop("status")] if "status" in filters else (),
    )
    for name, value in filters.items():
        statement = statement.where(_PLACE_COLUMNS[name] == value)
    if query.datetime is not None:
        statement = statement.where(interval_clause(Place.updated_at, query.datetime))
    features, matched = place_features(
        statement,
        limit=query.limit,  # type: ignore[arg-type]
        offset=query.offset,
    )
    return [utc_stamps(f, "updated_at", "last_confirmed_at") for f in features], matched


def place_item(feature_id: str) -> Feature | None:
    if get_by_id(Place, feature_id) is None:
        return None
    features, _ = place_features(
        places.places_query().where(Place.id == int(feature_id)), limit=1, offset=0
    )
    return utc_stamps(features[0], "updated_at", "last_confirmed_at") if features else None


def place_extent() -> Extent:
    return table_extent(Place.geom, Place.updated_at)


# --- areas per level ----------------------------------------------------------------------


def area_collections() -> list[Collection]:
    """One collection per level of the hierarchy (levels are data: another city has others)."""
    levels = areas.levels()
    return [
        _area_collection(level, [lv for lv in levels if lv.rank < level.rank]) for level in levels
    ]


def _area_collection(level: AreaLevel, above: list[AreaLevel]) -> Collection:
    properties = [
        Property("code", "string", "Area code", queryable=True),
        Property("name", "string", "Name", queryable=True),
        Property("level", "string", "Level in the hierarchy"),
        Property("parent_code", "string", "Code of the enclosing area", queryable=True),
    ]
    for lv in above:
        properties += [
            Property(f"{lv.code}_code", "string", f"{lv.name_en} code", queryable=True),
            Property(f"{lv.code}_name", "string", f"{lv.name_en} name"),
        ]
    properties += [
        Property(
            "population", "number", "Residents (own latest figure, else the sum of its parts)"
        ),
        Property("population_year", "integer", "Year of the population figure"),
        Property("place_count", "integer", "Active meeting places inside"),
        Property("cohesion_score", "number", "Social cohesion score on the source's scale"),
        Property("cohesion_scale_min", "number", "Lowest score on that scale"),
        Property("cohesion_scale_max", "number", "Highest score on that scale"),
        Property("cohesion_year", "integer", "Year of the cohesion score"),
        Property("cohesion_source", "string", "Source of the cohesion score"),
        Property(
            "cohesion_inherited",
            "boolean",
            "True when the score is an enclosing area's",
            queryable=True,
        ),
        Property("cohesion_from_area", "string", "Code of the area the score belongs to"),
        Property("rung_assessed", "integer", "Cohesion ladder rung as assessed (1-6)"),
        Property("rung_wanted", "integer", "Cohesion ladder rung residents want (1-6)"),
    ]
    for code in KEY_INDICATORS:
        properties += [
            Property(code, "number", f"Latest {code.replace('_', ' ')} (%)"),
            Property(f"{code}_year", "integer", f"Year of {code}"),
        ]
    names = tuple(p.name for p in properties)
    return Collection(
        id=f"areas_{level.code}",
        title=f"Areas: {level.name_en} ({level.name_nl})",
        description=f"Every {level.name_en.lower()} with population, meeting places, social "
        "cohesion (own score or the nearest enclosing area's) and key indicators.",
        geometry_type="MultiPolygon",
        properties=tuple(properties),
        items=lambda q: page_in_memory(_in_schema_order(area_rows(level.code, q.bbox), names), q),
        item=lambda feature_id: next(
            iter(_in_schema_order(area_rows(level.code, codes=[feature_id[:32]]), names)), None
        ),
        extent=lambda: area_extent(level.code),
        keywords=("areas", level.code),
    )


def area_rows(level: str, bbox=None, codes: list[str] | None = None) -> list[Feature]:
    """Areas of a level as flat features."""
    ctx = areas.load_context()
    features = areas.area_features(level=level, bbox=bbox, codes=codes, ctx=ctx)
    if not features:
        return []
    ids = [ctx.by_code[f["id"]].id for f in features]
    indicators = areas.latest_indicators(ctx, KEY_INDICATORS, ids)
    return [_flatten(f, indicators[area_id]) for f, area_id in zip(features, ids, strict=True)]


def _in_schema_order(features: list[Feature], names: tuple[str, ...]) -> list[Feature]:
    """Every declared column, in the declared order (None where an area lacks an ancestor)."""
    for feature in features:
        props = feature["properties"]
        feature["properties"] = {name: props.get(name) for name in names}
    return features


def _flatten(feature: Feature, indicators: dict[str, dict[str, Any]]) -> Feature:
    props = feature["properties"]
    cohesion = props.get("cohesion") or {}
    scale = cohesion.get("scale") or (None, None)
    flat: dict[str, Any] = {
        "code": props["code"],
        "name": props["name"],
        "level": props["level"],
        "parent_code": props["parent_code"],
    }
    for ancestor in props["ancestors"]:
        flat[f"{ancestor['level']}_code"] = ancestor["code"]
        flat[f"{ancestor['level']}_name"] = ancestor["name"]
    population = props["population"]
    flat.update(
        {
            "population": float(population) if population is not None else None,
            "population_year": props["population_year"],
            "place_count": props["place_count"],
            "cohesion_score": cohesion.get("score"),
            "cohesion_scale_min": scale[0],
            "cohesion_scale_max": scale[1],
            "cohesion_year": cohesion.get("year"),
            "cohesion_source": cohesion.get("source"),
            "cohesion_inherited": cohesion.get("inherited"),
            "cohesion_from_area": (cohesion.get("from_area") or {}).get("code"),
            "rung_assessed": cohesion.get("rung_assessed"),
            "rung_wanted": cohesion.get("rung_wanted"),
        }
    )
    for code in KEY_INDICATORS:
        latest = indicators.get(code) or {}
        flat[code], flat[f"{code}_year"] = latest.get("value"), latest.get("year")
    return {
        "type": "Feature",
        "id": feature["id"],
        "geometry": feature["geometry"],
        "properties": flat,
    }


def area_extent(level: str) -> Extent:
    return table_extent(Area.geom, None, Area.level_code == level)
