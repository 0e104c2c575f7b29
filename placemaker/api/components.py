"""Shapes of the JSON API's answers, for the OpenAPI document (components/schemas)."""

from __future__ import annotations

from typing import Any

from placemaker.edge import ref

NULLABLE_STRING = {"type": "string", "nullable": True}
NULLABLE_INT = {"type": "integer", "nullable": True}
NULLABLE_NUMBER = {"type": "number", "nullable": True}

CORE_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "example": "invalid_input"},
                    "message": {"type": "string"},
                    "details": {},
                },
            }
        },
    },
    "Link": {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
    },
    "Geometry": {
        "type": "object",
        "description": "A GeoJSON geometry in WGS84 (lon, lat)",
        "required": ["type"],
        "properties": {
            "type": {
                "type": "string",
                "enum": [
                    "Point",
                    "MultiPoint",
                    "LineString",
                    "MultiLineString",
                    "Polygon",
                    "MultiPolygon",
                    "GeometryCollection",
                ],
            },
            "coordinates": {"type": "array", "items": {}},
        },
    },
    "PointGeometry": {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "items": {"type": "number"},
            },
        },
    },
    "PlaceProperties": {
        "type": "object",
        "required": ["id", "name", "kind", "status", "updated_at", "version"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "kind": {"type": "string"},
            "kind_label_nl": {"type": "string"},
            "kind_label_en": {"type": "string"},
            "status": {"type": "string", "enum": ["active", "temporarily_closed", "gone"]},
            "address": NULLABLE_STRING,
            "postcode": NULLABLE_STRING,
            "description": NULLABLE_STRING,
            "source": NULLABLE_STRING,
            "updated_at": {"type": "string", "description": "UTC, without offset"},
            "version": {"type": "integer"},
        },
    },
    "Place": {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "integer"},
            "geometry": ref("PointGeometry"),
            "properties": ref("PlaceProperties"),
        },
    },
    "PlaceDetail": {
        "allOf": [
            ref("Place"),
            {
                "type": "object",
                "properties": {
                    "properties": {
                        "type": "object",
                        "required": ["history"],
                        "properties": {
                            "history": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["at", "actor", "action", "old", "new"],
                                    "properties": {
                                        "at": {
                                            "type": "string",
                                            "description": "UTC, without offset",
                                        },
                                        "actor": {"type": "string"},
                                        "action": {"type": "string"},
                                        "old": {"type": "object"},
                                        "new": {"type": "object"},
                                    },
                                },
                            }
                        },
                    }
                },
            },
        ],
    },
    "PlaceCollection": {
        "type": "object",
        "required": ["type", "features", "number_matched", "number_returned", "links"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": ref("Place")},
            "number_matched": {"type": "integer"},
            "number_returned": {"type": "integer"},
            "links": {"type": "array", "items": ref("Link")},
        },
    },
    "AreaRef": {
        "type": "object",
        "required": ["code", "name", "level"],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "level": {"type": "string"},
        },
    },
    "Cohesion": {
        "type": "object",
        "nullable": True,
        "required": ["score", "year", "source", "inherited", "from_area"],
        "properties": {
            "score": NULLABLE_NUMBER,
            "year": {"type": "integer"},
            "source": {"type": "string"},
            "scale": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
            "rung_assessed": NULLABLE_INT,
            "rung_wanted": NULLABLE_INT,
            "rung_assessed_label": NULLABLE_STRING,
            "rung_wanted_label": NULLABLE_STRING,
            "inherited": {
                "type": "boolean",
                "description": "True when the score is an enclosing area's",
            },
            "from_area": ref("AreaRef"),
        },
    },
    "AreaProperties": {
        "type": "object",
        "required": [
            "code",
            "name",
            "level",
            "parent_code",
            "ancestors",
            "population",
            "cohesion",
            "place_count",
        ],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "level": {"type": "string"},
            "parent_code": NULLABLE_STRING,
            "ancestors": {"type": "array", "items": ref("AreaRef")},
            "population": NULLABLE_NUMBER,
            "population_year": NULLABLE_INT,
            "population_source": NULLABLE_STRING,
            "cohesion": ref("Cohesion"),
            "place_count": {"type": "integer"},
        },
    },
    "Area": {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": ref("Geometry"),
            "properties": ref("AreaProperties"),
        },
    },
    "AreaDetail": {
        "allOf": [
            ref("Area"),
            {
                "type": "object",
                "properties": {
                    "properties": {
                        "type": "object",
                        "required": [
                            "children",
                            "place_counts_by_kind",
                            "cohesion_history",
                            "indicators",
                        ],
                        "properties": {
                            "children": {"type": "array", "items": ref("AreaRef")},
                            "place_counts_by_kind": {
                                "type": "object",
                                "additionalProperties": {"type": "integer"},
                            },
                            "cohesion_history": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "year": {"type": "integer"},
                                        "score": {"type": "number"},
                                        "source": {"type": "string"},
                                        "area_code": {"type": "string"},
                                        "inherited": {"type": "boolean"},
                                    },
                                },
                            },
                            "indicators": {
                                "type": "object",
                                "additionalProperties": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "year": {"type": "integer"},
                                            "value": {"type": "number"},
                                            "source": {"type": "string"},
                                        },
                                    },
                                },
                            },
                        },
                    }
                },
            },
        ],
    },
    "AreaCollection": {
        "type": "object",
        "required": ["type", "features", "number_returned"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": ref("Area")},
            "number_returned": {"type": "integer"},
        },
    },
    "Kind": {
        "type": "object",
        "required": ["code", "label_nl", "label_en", "walking_distance_m", "ladder_rung"],
        "properties": {
            "code": {"type": "string"},
            "label_nl": {"type": "string"},
            "label_en": {"type": "string"},
            "icon": {"type": "string"},
            "color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
            "walking_distance_m": {"type": "integer", "description": "How far people walk to it"},
            "ladder_rung": {"type": "integer", "minimum": 1, "maximum": 6},
        },
    },
}
