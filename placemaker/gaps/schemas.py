"""The gap analysis API's arguments and answers, for parsing and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from placemaker.edge import Args, Int, Lat, Lon, Text
from placemaker.gaps.params import GapArgs

OBJECT: dict[str, Any] = {"type": "object"}


class CellArgs(GapArgs):
    include_covered = Text("Also the covered cells (1, true or yes)")


class EvaluateArgs(GapArgs):
    lon = Lon()
    lat = Lat()


class CompareArgs(Args):
    a = Int(1, required=True, description="First scenario")
    b = Int(1, required=True, description="Second scenario")


SCENARIO: dict[str, Any] = {
    "type": "object", "required": ["id", "name", "params", "created_at"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                   "description": {"type": "string", "nullable": True},
                   "params": OBJECT, "created_at": {"type": "string"},
                   "data_version": {}, "new_residents_reached": {"type": "number"}}}
SCENARIO_LIST: dict[str, Any] = {
    "type": "object", "required": ["scenarios"],
    "properties": {"scenarios": {"type": "array", "items": SCENARIO}}}
SCENARIO_BODY: dict[str, Any] = {
    "type": "object", "required": ["name"],
    "properties": {"name": {"type": "string"}, "description": {"type": "string"},
                   "params": {"type": "object", "additionalProperties": {"type": "string"}}}}
LAYER_LIST: dict[str, Any] = {
    "type": "object", "required": ["layers"],
    "properties": {"layers": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "role": {"type": "string"},
        "source": {"type": "string", "nullable": True}}}}}}
LAYER_BODY: dict[str, Any] = {
    "type": "object", "required": ["name", "role", "features"],
    "properties": {
        "name": {"type": "string", "maxLength": 200},
        "role": {"type": "string", "enum": ["candidates", "exclude"]},
        "features": {"type": "object",
                     "description": "A GeoJSON FeatureCollection (EPSG:4326)"}}}
LAYER_STORED: dict[str, Any] = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                   "role": {"type": "string"}, "features": {"type": "integer"},
                   "notes": {"type": "array", "items": {"type": "string"}}}}
