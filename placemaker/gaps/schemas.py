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
    "type": "object",
    "required": ["id", "name", "params", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "description": {"type": "string", "nullable": True},
        "params": OBJECT,
        "created_at": {"type": "string"},
        "data_version": {},
        "new_residents_reached": {"type": "number"},
    },
}
SCENARIO_LIST: dict[str, Any] = {
    "type": "object",
    "required": ["scenarios"],
    "properties": {"scenarios": {"type": "array", "items": SCENARIO}},
}
SCENARIO_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "params": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
LAYER_LIST: dict[str, Any] = {
    "type": "object",
    "required": ["layers"],
    "properties": {
        "layers": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "role": {"type": "string"},
                    "source": {"type": "string", "nullable": True},
                },
            },
        }
    },
}
LAYER_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["name", "role", "features"],
    "properties": {
        "name": {"type": "string", "maxLength": 200},
        "role": {"type": "string", "enum": ["candidates", "exclude"]},
        "features": {"type": "object", "description": "A GeoJSON FeatureCollection (EPSG:4326)"},
    },
}
LAYER_STORED: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "role": {"type": "string"},
        "features": {"type": "integer"},
        "notes": {"type": "array", "items": {"type": "string"}},
    },
}


SUGGESTIONS_DESCRIPTION = (
    "Reproducible and certified: the same data version and parameters give the same sites on "
    "any machine under any load (the search is bounded by work, not time). "
    "`certificate.upper_bound` is a proven upper bound (LP relaxation, HiGHS) on the weighted "
    "need any `p` sites could newly reach; `certificate.gap` = (bound - reached) / bound, and "
    "`certificate.proven_best` is true when it is 0. `search` reports the rounds of local "
    "search, why it stopped (`gap closed`, `rounds`, `no improvement`, `time limit`) and "
    "`time_limit_hit` when the safety limit cut it short. `catchment` says whether walking "
    "distances followed the walking network or the straight line x detour factor. "
    "`demand_warnings` lists the municipalities whose residents were spread over whole area "
    "polygons that may include water (no grid, no water layer): sites there may lie on water. Big "
    "questions (many sites on many cells, or `exact=true`) run as a background job: the "
    "answer is then 202 with the job (see `/api/gaps/jobs/{job_id}`, also in the Location "
    "header) until the job has finished, after which this URL serves the result."
)

JOB: dict[str, Any] = {
    "type": "object",
    "required": ["id", "status", "progress"],
    "properties": {
        "id": {"type": "string"},
        "status": {
            "type": "string",
            "enum": [
                "queued",
                "started",
                "deferred",
                "finished",
                "failed",
                "stopped",
                "canceled",
                "scheduled",
            ],
        },
        "progress": {"type": "number", "minimum": 0, "maximum": 1},
        "stage": {"type": "string", "nullable": True},
        "params": OBJECT,
        "url": {"type": "string", "description": "Poll this for progress"},
        "result_url": {
            "type": "string",
            "description": "Ask this again once the job has "
            "finished: the answer is then served from the cache",
        },
        "error": {"type": "string"},
    },
}
