"""One analysis request: its parameters, validated from query arguments, and its cache key."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from placemaker.areas import service as areas
from placemaker.errors import InvalidInput
from placemaker.extensions import db
from placemaker.gaps.analysis import (
    DEFAULT_DETOUR,
    NeedWeights,
)
from placemaker.gaps.models import GapLayer
from placemaker.places.models import PlaceKind

DEFAULT_RADIUS_M = 400
MAX_P = 200

# The iterated local search stops after SOLVER_TIME_LIMIT x sqrt(p / 10) seconds (at most
# SOLVER_MAX_TIME); the result is deterministic below it. Measured on the Amsterdam demo
# (benchmarks/README.md): p=10 is optimal within 0.1 s; p=50 reaches 99.3 % of the optimum
# in 0.2 s, 99.7 % in 0.4 s and 99.99 % in 1 s.
SOLVER_TIME_LIMIT = 0.2
SOLVER_MAX_TIME = 1.0


def solver_time_limit(p: int) -> float:
    """Seconds the local search may take for ``p`` sites: more sites, more to improve."""
    return min(SOLVER_MAX_TIME, SOLVER_TIME_LIMIT * math.sqrt(max(1.0, p / 10)))


# ------------------------------------------------------------------------------ parameters

@dataclass(frozen=True)
class GapParams:
    """One analysis request. Parsed from query parameters by :meth:`from_args`."""

    kind: str | None = None  # count only places of this kind, and site new ones of it
    rung: int | None = None  # count only places supporting this ladder rung
    p: int = 10
    radius_m: float | None = None  # walking distance of a new site (default: kind's or 400)
    candidates: str = "grid"  # grid | proposals | layer:<id>
    area: str | None = None  # restrict demand and candidates to this area
    level: str = "buurt"  # level at which coverage is reported
    year: int | None = None  # cohesion year (default: the latest)
    detour: float = DEFAULT_DETOUR
    weights: NeedWeights = field(default_factory=NeedWeights)

    WEIGHT_ARGS = {
        "w_cohesion": "cohesion",
        "w_income": "min_income",
        "w_lonely": "lonely",
        "w_65plus": "age_65plus",
        "target": "cohesion_target",
        "floor": "floor",
    }

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> GapParams:
        """Validate request arguments; :raises InvalidInput: naming the bad one."""
        values: dict[str, Any] = {}
        if args.get("kind"):
            kind = db.session.get(PlaceKind, args["kind"])
            if kind is None:
                raise InvalidInput(f"unknown place kind {args['kind']!r}")
            values["kind"] = kind.code
        if args.get("rung"):
            values["rung"] = _int(args, "rung", 1, 6)
        if args.get("p"):
            values["p"] = _int(args, "p", 1, MAX_P)
        if args.get("radius"):
            values["radius_m"] = _float(args, "radius", 25, 5000)
        if args.get("candidates"):
            values["candidates"] = _candidate_source(args["candidates"])
        if args.get("area"):
            areas.get_area(args["area"])
            values["area"] = args["area"]
        if args.get("level"):
            areas.check_level(args["level"])
            values["level"] = args["level"]
        if args.get("year"):
            values["year"] = _int(args, "year", 1900, 2100)
        if args.get("detour"):
            values["detour"] = _float(args, "detour", 1.0, 3.0)
        overrides = {
            attr: _float(args, arg, 0.0 if arg != "target" else 2.0, 10.0)
            for arg, attr in cls.WEIGHT_ARGS.items() if args.get(arg)
        }
        try:
            values["weights"] = replace(NeedWeights(), **overrides)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        return cls(**values)

    def as_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "weights"}
        out["weights"] = asdict(self.weights)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GapParams:
        data = dict(data)
        weights = NeedWeights(**data.pop("weights", {}))
        return cls(**data, weights=weights)

    def model_key(self) -> str:
        """What the demand and existing coverage depend on (not p or candidates)."""
        return _digest({"kind": self.kind, "rung": self.rung, "area": self.area,
                        "year": self.year, "detour": self.detour,
                        "weights": asdict(self.weights)})

    def key(self) -> str:
        return _digest(self.as_json())


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:24]


def _int(args: Mapping[str, str], name: str, low: int, high: int) -> int:
    try:
        value = int(args[name])
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} must lie between {low} and {high}")
    return value


def _float(args: Mapping[str, str], name: str, low: float, high: float) -> float:
    try:
        value = float(args[name])
    except ValueError:
        raise InvalidInput(f"{name} must be a number") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise InvalidInput(f"{name} must lie between {low:g} and {high:g}")
    return value


def _candidate_source(value: str) -> str:
    if value in ("grid", "proposals"):
        return value
    if value.startswith("layer:") and value[6:].isdigit():
        if db.session.get(GapLayer, int(value[6:])) is None:
            raise InvalidInput(f"no layer {value[6:]}")
        return value
    raise InvalidInput("candidates must be grid, proposals or layer:<id>")

